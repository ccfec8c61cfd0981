//! Integration tests: each test starts the real server over HTTP on a fresh database.

mod helpers;
mod openapi;
mod ops;
mod outage;
