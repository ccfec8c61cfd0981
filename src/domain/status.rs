//! The life of an application: its statuses, the actions that move it, and the one function
//! that decides which moves are allowed.
//!
//! ```text
//! draft ──submit──▶ submitted ──start_review──▶ in_review ──approve──▶ approved
//!                      ▲                           │ ├──reject───▶ rejected
//!                      └──resubmit── needs_info ◀──┘ request_info
//! withdraw: draft, submitted, needs_info ──▶ withdrawn
//! ```

use serde::{Deserialize, Serialize};

/// Where an application stands. Serialised in snake_case, the same string as
/// [`ApplicationStatus::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Draft,
    Submitted,
    InReview,
    NeedsInfo,
    Approved,
    Rejected,
    Withdrawn,
}

impl ApplicationStatus {
    /// Every status, in the order an application normally meets them.
    pub const ALL: [ApplicationStatus; 7] = [
        ApplicationStatus::Draft,
        ApplicationStatus::Submitted,
        ApplicationStatus::InReview,
        ApplicationStatus::NeedsInfo,
        ApplicationStatus::Approved,
        ApplicationStatus::Rejected,
        ApplicationStatus::Withdrawn,
    ];

    /// The snake_case name, as stored in the database and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "draft",
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::InReview => "in_review",
            ApplicationStatus::NeedsInfo => "needs_info",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Withdrawn => "withdrawn",
        }
    }

    /// The status named exactly (case-sensitive) by `s`, as produced by [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// True for approved, rejected and withdrawn: no action leaves these.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Approved | ApplicationStatus::Rejected | ApplicationStatus::Withdrawn
        )
    }

    /// True for draft, submitted, in_review and needs_info: exactly the non-terminal statuses.
    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }

    /// True for draft and needs_info: the only statuses in which the resident may change the form
    /// data, add documents or (re)submit. Everywhere else the organisation holds the application.
    pub fn accepts_changes(self) -> bool {
        matches!(self, ApplicationStatus::Draft | ApplicationStatus::NeedsInfo)
    }

    /// The actions [`transition`] accepts from this status, in [`Action::ALL`] order.
    pub fn allowed_actions(self) -> Vec<Action> {
        Action::ALL.into_iter().filter(|action| transition(self, *action).is_ok()).collect()
    }
}

impl std::fmt::Display for ApplicationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored or sent status string that names no [`ApplicationStatus`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl std::fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown application status {:?}", self.0)
    }
}

impl std::error::Error for UnknownStatus {}

/// How a stored status is read back: a string naming no status is an error, never a default.
impl TryFrom<String> for ApplicationStatus {
    type Error = UnknownStatus;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or(UnknownStatus(s))
    }
}

impl From<ApplicationStatus> for String {
    fn from(status: ApplicationStatus) -> Self {
        status.as_str().to_owned()
    }
}

/// Something a resident or an officer does to an application. Serialised in snake_case,
/// the same string as [`Action::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Resubmit,
    StartReview,
    RequestInfo,
    Approve,
    Reject,
    Withdraw,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 7] = [
        Action::Submit,
        Action::Resubmit,
        Action::StartReview,
        Action::RequestInfo,
        Action::Approve,
        Action::Reject,
        Action::Withdraw,
    ];

    /// The snake_case name, as sent over the API and written to the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Resubmit => "resubmit",
            Action::StartReview => "start_review",
            Action::RequestInfo => "request_info",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Withdraw => "withdraw",
        }
    }

    /// The action named exactly (case-sensitive) by `s`, as produced by [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == s)
    }

    /// True for the actions only the resident who owns the application takes: submit,
    /// resubmit and withdraw. All others are taken by department officers.
    pub fn by_resident(self) -> bool {
        matches!(self, Action::Submit | Action::Resubmit | Action::Withdraw)
    }

    /// True for request_info and reject, which must carry a comment telling the resident
    /// what to supply or why the application failed.
    pub fn needs_comment(self) -> bool {
        matches!(self, Action::RequestInfo | Action::Reject)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `action` is not allowed while the application is in `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidTransition {
    pub from: ApplicationStatus,
    pub action: Action,
}

impl std::fmt::Display for InvalidTransition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot {} an application that is {}", self.action, self.from)
    }
}

impl std::error::Error for InvalidTransition {}

/// The one status machine: draft -submit-> submitted -start_review-> in_review
/// -approve-> approved / -reject-> rejected / -request_info-> needs_info -resubmit-> submitted;
/// withdraw from draft, submitted, needs_info -> withdrawn.
///
/// Every other pair is an [`InvalidTransition`]; in particular nothing leaves a terminal
/// status, and a resident cannot withdraw while an officer is reviewing. Who may take an
/// action ([`Action::by_resident`]) is the caller's check, not this function's.
pub fn transition(from: ApplicationStatus, action: Action) -> Result<ApplicationStatus, InvalidTransition> {
    use ApplicationStatus as S;
    let to = match (from, action) {
        (S::Draft, Action::Submit) => S::Submitted,
        (S::Submitted, Action::StartReview) => S::InReview,
        (S::InReview, Action::Approve) => S::Approved,
        (S::InReview, Action::Reject) => S::Rejected,
        (S::InReview, Action::RequestInfo) => S::NeedsInfo,
        (S::NeedsInfo, Action::Resubmit) => S::Submitted,
        (S::Draft | S::Submitted | S::NeedsInfo, Action::Withdraw) => S::Withdrawn,
        _ => return Err(InvalidTransition { from, action }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus as S;

    /// The expected machine written out in full, one row per status, one column per action
    /// in `Action::ALL` order: submit, resubmit, start_review, request_info, approve, reject,
    /// withdraw. `None` means the move is refused.
    const TABLE: [(ApplicationStatus, [Option<ApplicationStatus>; 7]); 7] = [
        (S::Draft, [Some(S::Submitted), None, None, None, None, None, Some(S::Withdrawn)]),
        (S::Submitted, [None, None, Some(S::InReview), None, None, None, Some(S::Withdrawn)]),
        (S::InReview, [None, None, None, Some(S::NeedsInfo), Some(S::Approved), Some(S::Rejected), None]),
        (S::NeedsInfo, [None, Some(S::Submitted), None, None, None, None, Some(S::Withdrawn)]),
        (S::Approved, [None; 7]),
        (S::Rejected, [None; 7]),
        (S::Withdrawn, [None; 7]),
    ];

    #[test]
    fn every_status_action_pair_matches_the_table() {
        // The table itself must list every status exactly once, in ALL order.
        let rows: Vec<ApplicationStatus> = TABLE.iter().map(|(s, _)| *s).collect();
        assert_eq!(rows, S::ALL.to_vec());
        let mut checked = 0;
        for (from, row) in TABLE {
            for (action, expected) in Action::ALL.into_iter().zip(row) {
                let got = transition(from, action);
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{from} + {action}"),
                    None => assert_eq!(got, Err(InvalidTransition { from, action }), "{from} + {action}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 49);
    }

    #[test]
    fn terminal_statuses_accept_nothing_and_open_ones_accept_something() {
        for status in S::ALL {
            assert_eq!(status.allowed_actions().is_empty(), status.is_terminal());
            assert_eq!(status.is_open(), !status.is_terminal());
        }
        assert_eq!(
            S::ALL.into_iter().filter(|s| s.is_open()).collect::<Vec<_>>(),
            vec![S::Draft, S::Submitted, S::InReview, S::NeedsInfo]
        );
    }

    #[test]
    fn only_drafts_and_applications_awaiting_information_accept_changes() {
        let editable: Vec<ApplicationStatus> = S::ALL.into_iter().filter(|s| s.accepts_changes()).collect();
        assert_eq!(editable, vec![S::Draft, S::NeedsInfo]);
        // Exactly the statuses from which the resident can (re)submit.
        for status in S::ALL {
            let submittable =
                [Action::Submit, Action::Resubmit].iter().any(|a| transition(status, *a).is_ok());
            assert_eq!(status.accepts_changes(), submittable, "{status}");
        }
    }

    #[test]
    fn allowed_actions_per_status() {
        assert_eq!(S::Draft.allowed_actions(), vec![Action::Submit, Action::Withdraw]);
        assert_eq!(S::InReview.allowed_actions(), vec![Action::RequestInfo, Action::Approve, Action::Reject]);
        assert_eq!(S::NeedsInfo.allowed_actions(), vec![Action::Resubmit, Action::Withdraw]);
    }

    #[test]
    fn status_strings_round_trip_and_match_serde() {
        for status in S::ALL {
            assert_eq!(S::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::String(status.as_str().to_owned())
            );
            let back: ApplicationStatus = serde_json::from_value(serde_json::json!(status.as_str())).unwrap();
            assert_eq!(back, status);
        }
        assert_eq!(S::InReview.as_str(), "in_review");
        assert_eq!(S::NeedsInfo.as_str(), "needs_info");
        for bad in ["", "Draft", "DRAFT", " draft", "in-review", "inreview", "closed"] {
            assert_eq!(S::parse(bad), None, "{bad:?}");
            assert_eq!(S::try_from(bad.to_owned()), Err(UnknownStatus(bad.to_owned())));
        }
        for status in S::ALL {
            assert_eq!(S::try_from(String::from(status)), Ok(status));
        }
    }

    #[test]
    fn action_strings_round_trip_and_match_serde() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::Value::String(action.as_str().to_owned())
            );
            let back: Action = serde_json::from_value(serde_json::json!(action.as_str())).unwrap();
            assert_eq!(back, action);
        }
        assert_eq!(Action::StartReview.as_str(), "start_review");
        assert_eq!(Action::RequestInfo.as_str(), "request_info");
        for bad in ["", "Submit", "start-review", "approve ", "cancel"] {
            assert_eq!(Action::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn action_roles_and_comments() {
        let resident: Vec<Action> = Action::ALL.into_iter().filter(|a| a.by_resident()).collect();
        assert_eq!(resident, vec![Action::Submit, Action::Resubmit, Action::Withdraw]);
        let commented: Vec<Action> = Action::ALL.into_iter().filter(|a| a.needs_comment()).collect();
        assert_eq!(commented, vec![Action::RequestInfo, Action::Reject]);
    }

    #[test]
    fn invalid_transition_explains_itself() {
        let err = transition(S::Approved, Action::Withdraw).unwrap_err();
        assert_eq!(err.to_string(), "cannot withdraw an application that is approved");
        let err = transition(S::Draft, Action::StartReview).unwrap_err();
        assert_eq!(err.to_string(), "cannot start_review an application that is draft");
    }

    #[test]
    fn a_full_life_with_one_request_for_information() {
        let mut status = S::Draft;
        for action in [
            Action::Submit,
            Action::StartReview,
            Action::RequestInfo,
            Action::Resubmit,
            Action::StartReview,
            Action::Approve,
        ] {
            status = transition(status, action).unwrap();
        }
        assert_eq!(status, S::Approved);
    }
}
