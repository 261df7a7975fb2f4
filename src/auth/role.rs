//! Roles and what each may do. Authorization is decided here and in the area filters of the
//! queries, never ad hoc in handlers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role (角色).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 管理员: accounts, imports and everything else in their sub-district.
    Admin,
    /// 规划员: draws grids in their communities.
    Planner,
    /// 领导: reads aggregates for their sub-district or communities.
    Leader,
    /// 巡查员: files findings in their grids and sees their own cases.
    Inspector,
    /// 处置人员: handles the cases routed to their organisation.
    Handler,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Planner, Role::Leader, Role::Inspector, Role::Handler];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Leader => "leader",
            Role::Inspector => "inspector",
            Role::Handler => "handler",
        }
    }

    /// Whether the role manages accounts and reads the audit log.
    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role «{s}»: expected admin, planner, leader, inspector or handler"))
    }
}

/// A place a user may act in, as given on the command line or in the API: a whole sub-district
/// or one community, by id or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaSpec {
    District(String),
    Community(String),
}

impl FromStr for AreaSpec {
    type Err = String;

    /// `district:关山街道`, `community:光谷社区` (a name or a numeric id).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("district", name)) if !name.trim().is_empty() => Ok(AreaSpec::District(name.trim().to_owned())),
            Some(("community", name)) if !name.trim().is_empty() => Ok(AreaSpec::Community(name.trim().to_owned())),
            _ => Err(format!("area «{s}» must be district:NAME or community:NAME")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().unwrap_err().contains("unknown role"));
    }

    #[test]
    fn areas_parse_from_kind_and_name() {
        assert_eq!("district:关山街道".parse(), Ok(AreaSpec::District("关山街道".into())));
        assert_eq!("community: 7 ".parse(), Ok(AreaSpec::Community("7".into())));
        assert!("grid:1".parse::<AreaSpec>().is_err());
        assert!("community:".parse::<AreaSpec>().is_err());
    }
}
