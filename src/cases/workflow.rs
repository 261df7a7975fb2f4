//! The case workflow after GB/T 30428 (信息收集 → 案卷建立 → 任务派遣 → 任务处理 → 处理反馈 →
//! 核查结案), as a pure state machine: which action leads from which status to which, and the
//! actions a status allows (named in the refusal of an illegal one).
//!
//! ```text
//! reported ─register→ registered ─dispatch→ dispatched ─start→ in_progress ─report→ handled
//!    └─cancel→ cancelled ←cancel─┘            │  ↑ return (re-routed)  │ backlog ↓   │
//!                                            └──┴────────────────────┘  backlog ─resume┘
//! handled ─verify→ verified ─close→ closed ─feedback→ closed
//!    └─reject→ in_progress (rework, counted)
//! ```
//! A dispatched case may be reported back without a separate start; a case on the backlog (挂账)
//! may be reported back when done. A case that repeats another one still open is closed as its
//! duplicate (cancelled, linked both ways) at any point before it is handled.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 上报: filed, not yet accepted (residents, Open311).
    Reported,
    /// 立案: accepted as a case.
    Registered,
    /// 作废: failed the filing conditions, or a duplicate.
    Cancelled,
    /// 派遣: routed to its unit; the deadline clock runs.
    Dispatched,
    /// 处置中
    InProgress,
    /// 挂账: cannot be solved in time; a reason and a new date.
    Backlog,
    /// 已处置: reported back with photos.
    Handled,
    /// 已核查: verified on site.
    Verified,
    /// 结案
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Register,
    Cancel,
    Dispatch,
    Start,
    /// 退回: the unit is not responsible; the case is routed again.
    Return,
    Backlog,
    Resume,
    /// 处理反馈
    Report,
    /// 核查通过
    Verify,
    /// 核查不通过: back for rework.
    Reject,
    Close,
    /// 回访: the resident is told the result.
    Feedback,
    /// 重复: cancelled as a duplicate of another case.
    Duplicate,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Reported,
        Status::Registered,
        Status::Cancelled,
        Status::Dispatched,
        Status::InProgress,
        Status::Backlog,
        Status::Handled,
        Status::Verified,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reported => "reported",
            Status::Registered => "registered",
            Status::Cancelled => "cancelled",
            Status::Dispatched => "dispatched",
            Status::InProgress => "in_progress",
            Status::Backlog => "backlog",
            Status::Handled => "handled",
            Status::Verified => "verified",
            Status::Closed => "closed",
        }
    }

    /// The status as the register (台账) writes it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Reported => "上报",
            Status::Registered => "立案",
            Status::Cancelled => "作废",
            Status::Dispatched => "派遣",
            Status::InProgress => "处置中",
            Status::Backlog => "挂账",
            Status::Handled => "已处置",
            Status::Verified => "已核查",
            Status::Closed => "结案",
        }
    }

    /// Whether the case still waits for its unit (the deadline applies).
    pub fn open(self) -> bool {
        matches!(self, Status::Dispatched | Status::InProgress | Status::Backlog)
    }

    /// The actions allowed from this status.
    pub fn allowed(self) -> Vec<Action> {
        Action::ALL.into_iter().filter(|a| next(self, *a).is_some()).collect()
    }
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Register,
        Action::Cancel,
        Action::Dispatch,
        Action::Start,
        Action::Return,
        Action::Backlog,
        Action::Resume,
        Action::Report,
        Action::Verify,
        Action::Reject,
        Action::Close,
        Action::Feedback,
        Action::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Register => "register",
            Action::Cancel => "cancel",
            Action::Dispatch => "dispatch",
            Action::Start => "start",
            Action::Return => "return",
            Action::Backlog => "backlog",
            Action::Resume => "resume",
            Action::Report => "report",
            Action::Verify => "verify",
            Action::Reject => "reject",
            Action::Close => "close",
            Action::Feedback => "feedback",
            Action::Duplicate => "duplicate",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown status «{s}»"))
    }
}

/// The status an action leads to from `status`, if the workflow allows it.
pub fn next(status: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    Some(match (status, action) {
        (S::Reported, A::Register) => S::Registered,
        (S::Reported | S::Registered, A::Cancel) => S::Cancelled,
        (S::Registered, A::Dispatch) => S::Dispatched,
        (S::Dispatched, A::Start) => S::InProgress,
        (S::Dispatched | S::InProgress, A::Return) => S::Dispatched,
        (S::Dispatched | S::InProgress, A::Backlog) => S::Backlog,
        (S::Backlog, A::Resume) => S::InProgress,
        (S::Dispatched | S::InProgress | S::Backlog, A::Report) => S::Handled,
        (S::Handled, A::Verify) => S::Verified,
        (S::Handled, A::Reject) => S::InProgress,
        (S::Verified, A::Close) => S::Closed,
        (S::Closed, A::Feedback) => S::Closed,
        (S::Reported | S::Registered | S::Dispatched | S::InProgress | S::Backlog, A::Duplicate) => S::Cancelled,
        _ => return None,
    })
}

/// An action the workflow does not allow from the case's status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("«{action}» is not allowed on a {status} case; allowed: {}", allowed_list(.allowed))]
pub struct IllegalTransition {
    pub status: Status,
    pub action: Action,
    pub allowed: Vec<Action>,
}

fn allowed_list(allowed: &[Action]) -> String {
    if allowed.is_empty() {
        "nothing (the case is final)".to_owned()
    } else {
        allowed.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The status after `action`, or the refusal naming the allowed actions.
pub fn transition(status: Status, action: Action) -> Result<Status, IllegalTransition> {
    next(status, action).ok_or_else(|| IllegalTransition { status, action, allowed: status.allowed() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every legal transition, written out once more by hand: any change to `next` must change
    /// this table too.
    const LEGAL: &[(Status, Action, Status)] = &[
        (Status::Reported, Action::Register, Status::Registered),
        (Status::Reported, Action::Cancel, Status::Cancelled),
        (Status::Registered, Action::Cancel, Status::Cancelled),
        (Status::Registered, Action::Dispatch, Status::Dispatched),
        (Status::Dispatched, Action::Start, Status::InProgress),
        (Status::Dispatched, Action::Return, Status::Dispatched),
        (Status::Dispatched, Action::Backlog, Status::Backlog),
        (Status::Dispatched, Action::Report, Status::Handled),
        (Status::InProgress, Action::Return, Status::Dispatched),
        (Status::InProgress, Action::Backlog, Status::Backlog),
        (Status::InProgress, Action::Report, Status::Handled),
        (Status::Backlog, Action::Resume, Status::InProgress),
        (Status::Backlog, Action::Report, Status::Handled),
        (Status::Handled, Action::Verify, Status::Verified),
        (Status::Handled, Action::Reject, Status::InProgress),
        (Status::Verified, Action::Close, Status::Closed),
        (Status::Closed, Action::Feedback, Status::Closed),
        (Status::Reported, Action::Duplicate, Status::Cancelled),
        (Status::Registered, Action::Duplicate, Status::Cancelled),
        (Status::Dispatched, Action::Duplicate, Status::Cancelled),
        (Status::InProgress, Action::Duplicate, Status::Cancelled),
        (Status::Backlog, Action::Duplicate, Status::Cancelled),
    ];

    #[test]
    fn every_pair_is_legal_exactly_when_the_table_says() {
        for status in Status::ALL {
            for action in Action::ALL {
                let expected = LEGAL.iter().find(|(s, a, _)| *s == status && *a == action).map(|(_, _, to)| *to);
                assert_eq!(next(status, action), expected, "{status} + {action}");
                match transition(status, action) {
                    Ok(to) => assert_eq!(Some(to), expected),
                    Err(refusal) => {
                        assert!(expected.is_none());
                        assert!(!refusal.allowed.contains(&action));
                        assert!(refusal.allowed.iter().all(|a| next(status, *a).is_some()));
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_name_the_allowed_actions() {
        let refusal = transition(Status::Handled, Action::Close).err().map(|e| e.to_string());
        assert_eq!(refusal.as_deref(), Some("«close» is not allowed on a handled case; allowed: verify, reject"));
        let message = transition(Status::Cancelled, Action::Register).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("nothing (the case is final)"), "{message}");
    }

    #[test]
    fn a_closed_case_is_reached_only_through_verification() {
        let path = [Action::Register, Action::Dispatch, Action::Start, Action::Report, Action::Reject, Action::Report, Action::Verify, Action::Close];
        let end = path.iter().try_fold(Status::Reported, |s, a| transition(s, *a));
        assert_eq!(end, Ok(Status::Closed));
        for status in Status::ALL {
            if status != Status::Verified && status != Status::Closed {
                assert_eq!(next(status, Action::Close), None);
            }
        }
        assert!(Status::Dispatched.open() && Status::Backlog.open() && !Status::Handled.open());
    }
}
