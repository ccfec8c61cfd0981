//! Application forms: the definition a department admin writes for a service, the checks that
//! keep such a definition sane, and the validation of what a resident fills in.
//!
//! Definitions are versioned with their service, so a form does not change under an
//! application started with it. Validation returns the data in a normalised shape, which is
//! the shape to store: two residents who type the same phone number differently store the
//! same text.
//!
//! `field` holds the definition's types, `definition` the checks an admin's definition must
//! pass, `validate` the validation of form data; `limit` and `pattern` are read the same way
//! by both sides.

mod definition;
mod field;
mod limit;
mod pattern;
mod validate;

pub use field::{DocumentRequirement, FieldDefinition, FieldOption, FieldType, FormDefinition};
pub use validate::{Mode, missing_documents, validate};

/// Longest text any text field accepts, in characters, whatever its own `max` says.
pub const TEXT_MAX_CHARS: u64 = 10_000;

/// Longest `pattern` an admin may set, in characters.
pub const PATTERN_MAX_CHARS: usize = 200;

/// Ceiling on the compiled size of a `pattern`, in bytes. Patterns come from admins, and a
/// short pattern such as `(\w{100}){100}` can compile to a very large program.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Longest field key or document kind, in bytes (they are ASCII).
pub const KEY_MAX_LEN: usize = 63;

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod definition_tests;

#[cfg(test)]
mod validate_tests;
