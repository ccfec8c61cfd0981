//! Kinds of callers, as accounts store them and tokens carry them.

/// What kind of caller an account or token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Resident,
    Officer,
    Supervisor,
    Admin,
    Client,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "resident" => Role::Resident,
            "officer" => Role::Officer,
            "supervisor" => Role::Supervisor,
            "admin" => Role::Admin,
            "client" => Role::Client,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Client => "client",
        }
    }

    /// The audit trail's `actor_type`.
    pub fn actor_type(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Officer | Role::Supervisor | Role::Admin => "staff",
            Role::Client => "api_client",
        }
    }
}

/// A stored role that is none of the known ones.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl TryFrom<String> for Role {
    type Error = UnknownRole;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or(UnknownRole(s))
    }
}

impl From<Role> for String {
    fn from(role: Role) -> Self {
        role.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in [Role::Resident, Role::Officer, Role::Supervisor, Role::Admin, Role::Client] {
            assert_eq!(Role::try_from(String::from(role)).unwrap(), role);
        }
        assert!(Role::try_from("root".to_owned()).is_err());
    }
}
