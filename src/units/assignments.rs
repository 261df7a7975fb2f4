//! Assignments (任职): a person in a role on a grid (supervisor, grid leader, grid worker, grid
//! party branch secretary) or on a building or one of its units (building leader, building party
//! group leader), from `valid_from` until ended. One grid leader and one branch secretary per
//! grid, one leader per building or unit; a change ends the old assignment and starts a new one.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;

use super::{UnitsError, audit, people};
use crate::audit::Actor;

/// Longest reason for ending an assignment, in characters.
pub const MAX_REASON_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// 督导员: oversees several grids.
    Supervisor,
    /// 网格长: one per grid.
    GridLeader,
    /// 网格员: one or more per grid.
    GridWorker,
    /// 网格党支部书记: one per grid.
    BranchSecretary,
    /// 楼栋(单元)长: one per building or unit.
    BuildingLeader,
    /// 楼栋党小组长: one per building or unit.
    PartyGroupLeader,
}

impl TeamRole {
    pub const ALL: [TeamRole; 6] = [
        TeamRole::Supervisor,
        TeamRole::GridLeader,
        TeamRole::GridWorker,
        TeamRole::BranchSecretary,
        TeamRole::BuildingLeader,
        TeamRole::PartyGroupLeader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Supervisor => "supervisor",
            TeamRole::GridLeader => "grid_leader",
            TeamRole::GridWorker => "grid_worker",
            TeamRole::BranchSecretary => "branch_secretary",
            TeamRole::BuildingLeader => "building_leader",
            TeamRole::PartyGroupLeader => "party_group_leader",
        }
    }

    /// Whether the role sits on a building (or unit) rather than a grid.
    pub fn on_building(self) -> bool {
        matches!(self, TeamRole::BuildingLeader | TeamRole::PartyGroupLeader)
    }

    /// Whether a grid or building holds at most one person in the role at a time.
    pub fn single(self) -> bool {
        !matches!(self, TeamRole::Supervisor | TeamRole::GridWorker)
    }
}

impl fmt::Display for TeamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TeamRole {
    type Err = UnitsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TeamRole::ALL.into_iter().find(|r| r.as_str() == s.trim()).ok_or_else(|| {
            UnitsError::invalid(
                "role",
                "unknown_role",
                format!("unknown role «{s}»: expected supervisor, grid_leader, grid_worker, branch_secretary, building_leader or party_group_leader"),
            )
        })
    }
}

/// Where an assignment sits: a grid of the register, or a building (optionally one unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Post {
    Grid(i64),
    Building { id: i64, unit: Option<i32> },
}

impl Post {
    /// The post a role takes from the fields given, refusing the ones that do not fit it.
    pub fn for_role(role: TeamRole, grid: Option<i64>, building: Option<i64>, unit: Option<i32>) -> Result<Post, UnitsError> {
        match (role.on_building(), grid, building) {
            (false, Some(grid), None) if unit.is_none() => Ok(Post::Grid(grid)),
            (false, _, _) => Err(UnitsError::invalid("grid", "wrong_post", format!("a {role} is assigned to a grid (and nothing else)"))),
            (true, None, Some(id)) => match unit {
                Some(n) if n < 1 => Err(UnitsError::invalid("unit", "unknown_unit", "units are numbered from 1")),
                _ => Ok(Post::Building { id, unit }),
            },
            (true, _, _) => {
                Err(UnitsError::invalid("building", "wrong_post", format!("a {role} is assigned to a building or one of its units")))
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Assignment {
    pub id: i64,
    pub person_id: i64,
    pub person: String,
    pub phone: String,
    pub role: String,
    pub grid_id: Option<i64>,
    pub grid_code: Option<String>,
    pub grid_name: Option<String>,
    /// The grid is no longer in the published plan: the assignment waits to be settled.
    pub grid_ended: bool,
    pub building_id: Option<i64>,
    pub building: Option<String>,
    pub unit: Option<i32>,
    pub community_id: i64,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    pub started_by: String,
    pub ended_by: Option<String>,
    pub end_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub person: i64,
    pub role: TeamRole,
    /// A grid of the register (its id), for grid roles.
    pub grid: Option<i64>,
    /// A building, for building roles; with `unit`, one of its units.
    pub building: Option<i64>,
    pub unit: Option<i32>,
    /// An assignment to end in the same change (handing a grid to a new leader, settling an
    /// assignment left on a grid that ended).
    pub replaces: Option<i64>,
}

/// Which assignments to list; at least a community or a person.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub community: Option<i64>,
    pub person: Option<i64>,
    pub grid: Option<i64>,
    pub building: Option<i64>,
    /// Also the ended ones (the history).
    #[serde(default)]
    pub history: bool,
}

const ASSIGNMENT_COLUMNS: &str = "a.id, a.person_id, p.name as person, p.phone, a.role,
    a.grid_id, g.code as grid_code, g.name as grid_name, coalesce(g.ended_on is not null, false) as grid_ended,
    a.building_id, b.name as building, a.unit, coalesce(g.community_id, b.community_id) as community_id,
    a.valid_from, a.valid_to, a.started_by, a.ended_by, a.end_reason
    from assignments a join people p on p.id = a.person_id
    left join grids g on g.id = a.grid_id left join buildings b on b.id = a.building_id";

pub async fn list(db: &mut PgConnection, filter: &Filter, scope: &[i64]) -> Result<Vec<Assignment>, UnitsError> {
    if filter.community.is_none() && filter.person.is_none() {
        return Err(UnitsError::invalid("community", "missing_filter", "name a community or a person"));
    }
    let sql = format!(
        "select {ASSIGNMENT_COLUMNS}
         where coalesce(g.community_id, b.community_id) = any($1)
           and ($2::bigint is null or coalesce(g.community_id, b.community_id) = $2)
           and ($3::bigint is null or a.person_id = $3)
           and ($4::bigint is null or a.grid_id = $4)
           and ($5::bigint is null or a.building_id = $5)
           and ($6 or a.valid_to is null)
         order by a.valid_to is not null, g.code nulls last, b.id, a.role, a.valid_from desc
         limit 5000"
    );
    Ok(sqlx::query_as(&sql)
        .bind(scope)
        .bind(filter.community)
        .bind(filter.person)
        .bind(filter.grid)
        .bind(filter.building)
        .bind(filter.history)
        .fetch_all(db)
        .await?)
}

pub async fn get(db: &mut PgConnection, id: i64, scope: &[i64]) -> Result<Assignment, UnitsError> {
    let sql = format!("select {ASSIGNMENT_COLUMNS} where a.id = $1 and coalesce(g.community_id, b.community_id) = any($2)");
    sqlx::query_as(&sql)
        .bind(id)
        .bind(scope)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| UnitsError::NotFound(format!("no assignment {id} in your area")))
}

/// The post's community and a name for messages, checked against the person's sub-district and
/// the user's area.
async fn locate_post(db: &mut PgConnection, post: Post, district_id: i64, scope: &[i64]) -> Result<(i64, String), UnitsError> {
    match post {
        Post::Grid(grid) => {
            let found: Option<(i64, String, i64, bool)> = sqlx::query_as(
                "select g.community_id, g.code, c.district_id, g.ended_on is not null
                 from grids g join communities c on c.id = g.community_id
                 where g.id = $1 and g.community_id = any($2)",
            )
            .bind(grid)
            .bind(scope)
            .fetch_optional(&mut *db)
            .await?;
            let (community, code, district, ended) = found
                .ok_or_else(|| UnitsError::invalid("grid", "unknown_grid", format!("no grid {grid} in your area")))?;
            if ended {
                return Err(UnitsError::invalid("grid", "grid_ended", format!("grid {code} is no longer in the published plan")));
            }
            if district != district_id {
                return Err(UnitsError::invalid("grid", "other_district", format!("grid {code} is in another sub-district than the person")));
            }
            Ok((community, format!("grid {code}")))
        }
        Post::Building { id, unit } => {
            let found: Option<(i64, i64, Option<i32>, Option<String>)> = sqlx::query_as(
                "select b.community_id, c.district_id, b.units, b.name
                 from buildings b join communities c on c.id = b.community_id
                 where b.id = $1 and b.community_id = any($2)",
            )
            .bind(id)
            .bind(scope)
            .fetch_optional(&mut *db)
            .await?;
            let (community, district, units, name) = found
                .ok_or_else(|| UnitsError::invalid("building", "unknown_building", format!("no building {id} in your area")))?;
            if district != district_id {
                return Err(UnitsError::invalid("building", "other_district", format!("building {id} is in another sub-district than the person")));
            }
            let label = name.unwrap_or_else(|| format!("building {id}"));
            match unit {
                Some(n) if n > units.unwrap_or(0) => Err(UnitsError::invalid(
                    "unit",
                    "unknown_unit",
                    format!("{label} has {} units; there is no unit {n}", units.unwrap_or(0)),
                )),
                Some(n) => Ok((community, format!("{label} unit {n}"))),
                None => Ok((community, label)),
            }
        }
    }
}

/// Refuses a second holder of a single role, or the same assignment twice, naming who holds it.
async fn refuse_taken(db: &mut PgConnection, person: i64, role: TeamRole, post: Post, label: &str) -> Result<(), UnitsError> {
    let (grid, building, unit) = match post {
        Post::Grid(grid) => (Some(grid), None, None),
        Post::Building { id, unit } => (None, Some(id), unit),
    };
    let holder: Option<(i64, i64, String)> = sqlx::query_as(
        "select a.id, a.person_id, p.name from assignments a join people p on p.id = a.person_id
         where a.valid_to is null and a.role = $1 and a.grid_id is not distinct from $2
           and a.building_id is not distinct from $3 and a.unit is not distinct from $4
           and ($5 or a.person_id = $6)
         limit 1",
    )
    .bind(role.as_str())
    .bind(grid)
    .bind(building)
    .bind(unit)
    .bind(role.single())
    .bind(person)
    .fetch_optional(&mut *db)
    .await?;
    match holder {
        Some((id, holder, _)) if holder == person => Err(UnitsError::conflict(
            "duplicate_assignment",
            format!("this person is already {role} of {label} (assignment {id})"),
        )),
        Some((id, _, name)) => Err(UnitsError::conflict(
            "already_assigned",
            format!("{label} already has a {role}: {name} (assignment {id}); end that assignment or replace it"),
        )),
        None => Ok(()),
    }
}

/// Starts an assignment (ending `replaces` first); answers it.
pub async fn create(db: &mut PgConnection, new: &NewAssignment, scope: &[i64], actor: &Actor) -> Result<Assignment, UnitsError> {
    let person = people::get(db, new.person, scope)
        .await
        .map_err(|_| UnitsError::invalid("person", "unknown_person", format!("no person {} in your area", new.person)))?;
    let post = Post::for_role(new.role, new.grid, new.building, new.unit)?;
    let (community, label) = locate_post(db, post, person.district_id, scope).await?;
    let mut communities = vec![community];
    if let Some(replaced) = new.replaces {
        let old = get(db, replaced, scope)
            .await
            .map_err(|_| UnitsError::invalid("replaces", "unknown_assignment", format!("no assignment {replaced} in your area")))?;
        let ended = end_row(db, replaced, Some("replaced"), actor).await?;
        if !ended {
            return Err(UnitsError::invalid("replaces", "already_ended", format!("assignment {replaced} has already ended")));
        }
        communities.push(old.community_id);
    }
    refuse_taken(db, person.id, new.role, post, &label).await?;
    let (grid, building, unit) = match post {
        Post::Grid(grid) => (Some(grid), None, None),
        Post::Building { id, unit } => (None, Some(id), unit),
    };
    let id: i64 = sqlx::query_scalar(
        "insert into assignments (person_id, role, grid_id, building_id, unit, started_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(person.id)
    .bind(new.role.as_str())
    .bind(grid)
    .bind(building)
    .bind(unit)
    .bind(actor.name.as_deref().unwrap_or("command line"))
    .fetch_one(&mut *db)
    .await?;
    communities.sort_unstable();
    communities.dedup();
    let summary = json!({ "after": { "person": person.id, "name": person.name, "role": new.role, "post": label },
                          "replaces": new.replaces });
    audit(db, actor, "assignment.start", ("assignment", id), summary, &communities).await?;
    get(db, id, scope).await
}

/// Ends the row if it is current; whether it was.
async fn end_row(db: &mut PgConnection, id: i64, reason: Option<&str>, actor: &Actor) -> Result<bool, sqlx::Error> {
    let ended = sqlx::query(
        "update assignments set valid_to = greatest(now(), valid_from), ended_by = $2, end_reason = $3
         where id = $1 and valid_to is null",
    )
    .bind(id)
    .bind(actor.name.as_deref().unwrap_or("command line"))
    .bind(reason)
    .execute(db)
    .await?;
    Ok(ended.rows_affected() == 1)
}

/// Ends an assignment (it stays in the history).
pub async fn end(db: &mut PgConnection, id: i64, reason: Option<&str>, scope: &[i64], actor: &Actor) -> Result<Assignment, UnitsError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(UnitsError::invalid("reason", "invalid_reason", format!("a reason has at most {MAX_REASON_CHARS} characters")));
    }
    let before = get(db, id, scope).await?;
    if !end_row(db, id, reason, actor).await? {
        return Err(UnitsError::conflict("already_ended", format!("assignment {id} has already ended")));
    }
    let summary = json!({ "before": { "person": before.person_id, "role": before.role }, "reason": reason });
    audit(db, actor, "assignment.end", ("assignment", id), summary, &[before.community_id]).await?;
    get(db, id, scope).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_say_where_they_sit() {
        for role in TeamRole::ALL {
            assert_eq!(role.as_str().parse::<TeamRole>().ok(), Some(role));
        }
        assert!(TeamRole::BuildingLeader.on_building() && !TeamRole::GridLeader.on_building());
        assert!(TeamRole::GridLeader.single() && !TeamRole::GridWorker.single() && !TeamRole::Supervisor.single());
        assert!(matches!("mayor".parse::<TeamRole>(), Err(UnitsError::Invalid { field: "role", .. })));
    }

    #[test]
    fn a_role_takes_only_its_kind_of_post() {
        assert_eq!(Post::for_role(TeamRole::GridLeader, Some(4), None, None).ok(), Some(Post::Grid(4)));
        assert_eq!(
            Post::for_role(TeamRole::BuildingLeader, None, Some(9), Some(2)).ok(),
            Some(Post::Building { id: 9, unit: Some(2) })
        );
        let refused = |role, grid, building, unit| match Post::for_role(role, grid, building, unit) {
            Err(UnitsError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(TeamRole::GridLeader, None, Some(9), None), "grid");
        assert_eq!(refused(TeamRole::GridWorker, Some(4), None, Some(1)), "grid");
        assert_eq!(refused(TeamRole::BuildingLeader, Some(4), None, None), "building");
        assert_eq!(refused(TeamRole::BuildingLeader, Some(4), Some(9), None), "building");
        assert_eq!(refused(TeamRole::PartyGroupLeader, None, Some(9), Some(0)), "unit");
    }
}
