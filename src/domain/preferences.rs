//! Which events reach a resident on which channel. Security alerts (a new login, a contact or password
//! change) always go out: a resident must hear when someone else acts on their account.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::status::ApplicationStatus;

/// A channel that carries messages out of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Push,
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Push, Channel::Email, Channel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Push => "push",
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// A group of events a resident can route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Submitted, in review, withdrawn.
    StatusChanges,
    /// The organisation asks for more information.
    InformationRequests,
    /// Approved or rejected.
    Decisions,
    /// New login, contact or password change: cannot be turned off.
    Security,
}

impl Category {
    pub const ALL: [Category; 4] =
        [Category::StatusChanges, Category::InformationRequests, Category::Decisions, Category::Security];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::StatusChanges => "status_changes",
            Category::InformationRequests => "information_requests",
            Category::Decisions => "decisions",
            Category::Security => "security",
        }
    }

    pub fn of_status(status: ApplicationStatus) -> Category {
        match status {
            ApplicationStatus::NeedsInfo => Category::InformationRequests,
            ApplicationStatus::Approved | ApplicationStatus::Rejected => Category::Decisions,
            _ => Category::StatusChanges,
        }
    }

    /// Whether the resident may turn this category off on some channel.
    pub fn is_locked(self) -> bool {
        self == Category::Security
    }
}

/// Channel switches per category.
pub type Switches = BTreeMap<Channel, bool>;

/// A resident's routing of events to channels. Defaults: push for everything; email for information
/// requests, decisions and security; SMS for security only (it costs money and reaches a pocket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences(pub BTreeMap<Category, Switches>);

impl Default for Preferences {
    fn default() -> Self {
        let mut map = BTreeMap::new();
        for c in Category::ALL {
            let mut s = Switches::new();
            s.insert(Channel::Push, true);
            s.insert(Channel::Email, c != Category::StatusChanges);
            s.insert(Channel::Sms, c == Category::Security);
            map.insert(c, s);
        }
        Self(map)
    }
}

/// A change a resident asked for that the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub category: Category,
    pub channel: Channel,
}

impl Preferences {
    /// The stored JSON over the defaults; anything unreadable falls back to the defaults.
    pub fn from_stored(json: Option<&str>) -> Self {
        let mut p = Self::default();
        if let Some(stored) = json.and_then(|j| serde_json::from_str::<Preferences>(j).ok()) {
            p.apply(&stored.0).ok();
        }
        p
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    pub fn allows(&self, category: Category, channel: Channel) -> bool {
        category.is_locked() || self.0.get(&category).and_then(|s| s.get(&channel)).copied().unwrap_or(false)
    }

    /// Applies the given switches; turning off a security alert is refused and changes nothing.
    pub fn apply(&mut self, changes: &BTreeMap<Category, Switches>) -> Result<(), Vec<Locked>> {
        let locked: Vec<Locked> = changes
            .iter()
            .filter(|(c, _)| c.is_locked())
            .flat_map(|(c, s)| {
                s.iter().filter(|(_, on)| !**on).map(|(ch, _)| Locked { category: *c, channel: *ch })
            })
            .collect();
        if !locked.is_empty() {
            return Err(locked);
        }
        for (category, switches) in changes {
            let entry = self.0.entry(*category).or_default();
            for (channel, on) in switches {
                entry.insert(*channel, *on);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_alerts_cannot_be_turned_off_and_others_can() {
        let mut p = Preferences::default();
        assert!(p.allows(Category::Decisions, Channel::Push));
        assert!(!p.allows(Category::StatusChanges, Channel::Email));
        let off = BTreeMap::from([(Category::Security, Switches::from([(Channel::Email, false)]))]);
        assert_eq!(
            p.apply(&off).unwrap_err(),
            vec![Locked { category: Category::Security, channel: Channel::Email }]
        );
        assert!(p.allows(Category::Security, Channel::Email));
        let quiet = BTreeMap::from([(Category::Decisions, Switches::from([(Channel::Push, false)]))]);
        p.apply(&quiet).unwrap();
        assert!(!p.allows(Category::Decisions, Channel::Push));
        let again = Preferences::from_stored(Some(&p.to_json()));
        assert_eq!(again, p);
        assert_eq!(Category::of_status(ApplicationStatus::Approved), Category::Decisions);
    }
}
