//! The types of a form definition, as admins write them and clients read them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::identity::IdentityKind;
use crate::domain::locale::LocalizedText;

/// What a field holds and how it is entered. Serialised in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Date,
    Boolean,
    Select,
    Multiselect,
    Email,
    Phone,
    MacaoId,
    MainlandTravelPermit,
    MainlandId,
}

impl FieldType {
    /// The snake_case name used in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Boolean => "boolean",
            FieldType::Select => "select",
            FieldType::Multiselect => "multiselect",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::MacaoId => "macao_id",
            FieldType::MainlandTravelPermit => "mainland_travel_permit",
            FieldType::MainlandId => "mainland_id",
        }
    }

    /// True for select and multiselect, the only types that have (and must have) options.
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Select | FieldType::Multiselect)
    }

    /// The identity document the field holds a number of, for the three identity types.
    pub fn identity_kind(self) -> Option<IdentityKind> {
        match self {
            FieldType::MacaoId => Some(IdentityKind::MacaoId),
            FieldType::MainlandTravelPermit => Some(IdentityKind::MainlandTravelPermit),
            FieldType::MainlandId => Some(IdentityKind::MainlandId),
            _ => None,
        }
    }
}

/// One choice of a select or multiselect field. `value` is what is stored; `label` is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldOption {
    pub value: String,
    pub label: LocalizedText,
}

/// One field of a form, as an admin defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldDefinition {
    /// Key of the value in the submitted data; snake_case, unique within the form.
    pub key: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether the field must be filled in before the application can be submitted.
    #[serde(default)]
    pub required: bool,
    pub label: LocalizedText,
    /// The choices, for select and multiselect only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
    /// Lower limit: a whole number of characters for text, a number for number, a whole
    /// number of selections for multiselect, an ISO date (`YYYY-MM-DD`) for date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Value>,
    /// Upper limit, in the same terms as `min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Value>,
    /// A regular expression the whole text must match, for text only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// A document the resident uploads with the application, such as a passport photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentRequirement {
    /// Identifies the upload; same rule as field keys, unique within the form.
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    pub label: LocalizedText,
}

/// The form of one service version: its fields in display order and the documents it asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormDefinition {
    pub fields: Vec<FieldDefinition>,
    #[serde(default)]
    pub documents: Vec<DocumentRequirement>,
}

impl FormDefinition {
    /// The field with this key, if the form has one.
    pub fn field(&self, key: &str) -> Option<&FieldDefinition> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The document requirement of this kind, if the form asks for one.
    pub fn document_kind(&self, kind: &str) -> Option<&DocumentRequirement> {
        self.documents.iter().find(|d| d.kind == kind)
    }
}
