//! Use cases: one function per operation or small group. Each takes a typed caller and typed input,
//! runs its rules and its transaction, writes audit, outbox and notification rows in that transaction,
//! and returns a typed result or an [`ApiError`](crate::error::ApiError) with a code. Handlers in
//! `api/` only parse, call one of these and respond; queries live in `store/`, pure rules in `domain/`.

pub mod access;
pub mod admin_catalogue;
pub mod api_clients;
pub mod applications;
pub mod at_rest;
pub mod caller;
pub mod catalogue;
pub mod client_tokens;
pub mod contact_change;
pub mod contact_codes;
pub mod deliveries;
pub mod devices;
pub mod document_content;
pub mod documents;
pub mod identity_documents;
pub mod login_throttle;
pub mod me;
pub mod messages;
pub mod notifications;
pub mod org_applications;
pub mod password_reset;
pub mod permit_issue;
pub mod permit_renewal;
pub mod permit_revoke;
pub mod permits;
pub mod precondition;
pub mod privacy;
pub mod registration;
pub mod sessions;
pub mod staff;
pub mod webhooks;
pub mod workflow;
