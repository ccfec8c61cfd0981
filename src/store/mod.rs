//! Persistence: functions over `&mut DbConn` that compose inside one transaction. Lookups always carry
//! the owner or organisation, so a foreign id is simply not found.

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod catalogue;
pub mod clients;
pub mod contact_verifications;
pub mod devices;
pub mod idempotency;
pub mod identity_documents;
pub mod messages;
pub mod notifications;
pub mod password_resets;
pub mod permits;
pub mod privacy;
pub mod sessions;
pub mod staff;
pub mod throttle;
pub mod webhooks;
