//! Qin Ao Tong: the API that links Macao residents with the government departments and businesses of
//! Hengqin. `main.rs` only reads configuration and calls [`startup::Application`].

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod allocator;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod context;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod openapi;
pub mod sealing;
pub mod seed;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod webhooks;
