//! The two ways the platform reaches a person, and a contact checked for one of them.

use crate::domain::FieldError;
use crate::domain::contact::{Email, Phone};

/// Email or phone: a login, a reset channel, and where security notices go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Phone,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "phone" => Some(Self::Phone),
            _ => None,
        }
    }
}

/// A contact valid for its channel, in the normalised form accounts store (lower-cased email, E.164
/// phone number), so that the same contact typed twice compares equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub channel: Channel,
    pub value: String,
}

impl Contact {
    /// Checks `channel` and `value` together; problems are reported against those two fields.
    pub fn parse(channel: &str, value: &str) -> Result<Self, FieldError> {
        let channel = Channel::parse(channel)
            .ok_or_else(|| FieldError::new("channel", "invalid_channel", "channel must be email or phone"))?;
        let value = match channel {
            Channel::Email => Email::parse(value).map(Email::into_inner),
            Channel::Phone => Phone::parse(value).map(Phone::into_inner),
        }
        .map_err(|e| e.field_error("value"))?;
        Ok(Self { channel, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_normalised_for_their_channel_and_other_channels_refused() {
        let email = Contact::parse("email", " Chan.TaiMan@Example.MO ").unwrap();
        assert_eq!((email.channel, email.value.as_str()), (Channel::Email, "chan.taiman@example.mo"));
        let phone = Contact::parse("phone", "+853 6234 5678").unwrap();
        assert_eq!((phone.channel, phone.value.as_str()), (Channel::Phone, "+85362345678"));
        assert_eq!(Contact::parse("sms", "+85362345678").unwrap_err().code, "invalid_channel");
        let wrong = Contact::parse("email", "+85362345678").unwrap_err();
        assert_eq!((wrong.field.as_str(), wrong.code.as_str()), ("value", "invalid_email"));
        assert_eq!(Contact::parse("phone", "chan@example.mo").unwrap_err().field, "value");
        for c in [Channel::Email, Channel::Phone] {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }
}
