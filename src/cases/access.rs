//! Who sees which case, in one place, as a SQL condition every case query uses:
//!
//! - an administrator or a leader: every case of their area (leaders get private ones without
//!   their exact location, see `privacy`);
//! - an inspector: the cases they filed or added to;
//! - a handler: the cases routed to their organisation or to them; a handler of a sub-district
//!   office also the sub-district's cases never dispatched (residents' reports, which wait for the
//!   office to register them, and those it cancelled instead), which are routed to nobody yet;
//! - anyone whose person is on the team of the case's grid (supervisor, grid leader, grid worker,
//!   branch secretary): that grid's cases — "the grid's team" of the privacy rule.
//!
//! Anything else answers 404, as if the case did not exist.

use crate::auth::extract::CurrentUser;

/// The viewer a condition is bound for.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: i64,
    pub role: &'static str,
    pub communities: Vec<i64>,
    pub organisation_id: Option<i64>,
}

impl From<&CurrentUser> for Viewer {
    fn from(user: &CurrentUser) -> Self {
        Viewer {
            user_id: user.id,
            role: user.role.as_str(),
            communities: user.communities.to_vec(),
            organisation_id: user.organisation_id,
        }
    }
}

/// Whether the case aliased `c` is visible to the viewer bound from parameter `$first` on, in
/// the order user id, role, communities, organisation (see [`Viewer::bind`]).
pub fn visible(first: usize) -> String {
    "((R in ('admin', 'leader') and c.community_id = any(C))
      or (R = 'inspector' and (c.reporter_id = U or exists (select 1 from case_events ae where ae.case_id = c.id and ae.actor_id = U)))
      or (R = 'handler' and (c.organisation_id = O or c.person_id in (select id from people where user_id = U) or AWAIT))
      or TEAM)"
        .replace("TEAM", &team(first))
        .replace("AWAIT", &awaiting_office(first + 3))
        .replace('R', &format!("${}", first + 1))
        .replace('C', &format!("${}", first + 2))
        .replace('O', &format!("${}", first + 3))
        .replace('U', &format!("${first}"))
}

/// Whether the case aliased `c` was never dispatched and the organisation at `$organisation` is
/// its sub-district's office, which registers, dispatches or cancels such cases: they are the
/// office's until they are routed to a unit.
pub fn awaiting_office(organisation: usize) -> String {
    format!(
        "(c.dispatched_at is null and exists (select 1 from organisations ao where ao.id = ${organisation}
                                             and ao.kind = 'district_office' and ao.district_id = c.district_id))"
    )
}

/// Whether the viewer (user id at `$first`) is on the team of the grid of the case aliased `c`.
pub fn team(first: usize) -> String {
    format!(
        "exists (select 1 from assignments ta join people tp on tp.id = ta.person_id
                 where tp.user_id = ${first} and ta.grid_id = c.grid_id and ta.valid_to is null
                   and ta.role in ('supervisor', 'grid_leader', 'grid_worker', 'branch_secretary'))"
    )
}

impl Viewer {
    /// Binds the viewer's four parameters, in [`visible`]'s order.
    pub fn bind<'q, O>(
        &'q self,
        query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
        query.bind(self.user_id).bind(self.role).bind(&self.communities).bind(self.organisation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_condition_numbers_its_parameters_from_the_first_given() {
        let sql = visible(3);
        for n in 3..=6 {
            assert!(sql.contains(&format!("${n}")), "{sql}");
        }
        assert!(!sql.contains("$2") && !sql.contains("$7"), "{sql}");
        assert!(!sql.contains(" R ") && !sql.contains("(C)"), "every placeholder is replaced: {sql}");
    }
}
