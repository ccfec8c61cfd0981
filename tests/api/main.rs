//! Integration tests: each test starts the real server over HTTP on a fresh database.

mod accounts;
mod clients;
mod helpers;
mod identity_documents;
mod openapi;
mod ops;
mod outage;
mod throttle;
mod tokens;
