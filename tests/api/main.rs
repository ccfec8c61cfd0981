//! Integration tests: each test starts the real server over HTTP on a fresh database.

mod accounts;
mod admin;
mod applications;
mod architecture;
mod catalogue;
mod clients;
mod documents;
mod hardening_auth;
mod helpers;
mod idempotency;
mod identity_documents;
mod lifecycle;
mod matrix;
mod openapi;
mod ops;
mod org;
mod outage;
mod password_reset;
mod precedence;
mod privacy;
mod process;
mod shutdown;
mod throttle;
mod tokens;
mod webhooks;
