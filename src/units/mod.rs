//! Responsible units (责任主体): the organisations and people of a sub-district, the four-level
//! team and the party organisation assigned to grids and buildings, co-building units'
//! responsibility zones, departments' categories, the routing rules that say who handles a
//! finding, coverage and workload. See docs/UNITS.md.
//!
//! Assignments, zones and handled categories keep their history: a change ends the current row
//! and starts a new one (the database refuses anything else). Every change is audited in the
//! communities it concerns.

pub mod assignments;
pub mod categories;
pub mod coverage;
pub mod demo;
pub mod exchange;
pub mod organisations;
pub mod people;
pub mod routes;
pub mod routing;
pub mod zones;

use serde_json::Value;
use sqlx::PgConnection;

use crate::audit::{self, Actor, Event};

pub use crate::refusal::Refusal as UnitsError;

/// The sub-districts whose people and organisations a user reaches: those holding any community
/// of their area.
pub async fn districts_of(db: &mut PgConnection, communities: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("select distinct district_id from communities where id = any($1) order by 1")
        .bind(communities)
        .fetch_all(db)
        .await
}

/// A district of the user's area, else not found.
pub async fn require_district(db: &mut PgConnection, district_id: i64, communities: &[i64]) -> Result<(), UnitsError> {
    if districts_of(db, communities).await?.contains(&district_id) {
        Ok(())
    } else {
        Err(UnitsError::NotFound(format!("no sub-district {district_id} in your area")))
    }
}

/// An audit entry about a responsible-units object, in the communities it concerns (all of its
/// sub-district's when it belongs to the sub-district as a whole).
async fn audit(
    db: &mut PgConnection,
    actor: &Actor,
    action: &str,
    object: (&str, i64),
    summary: Value,
    communities: &[i64],
) -> Result<(), UnitsError> {
    let event = Event { action, object_type: Some(object.0), object_id: Some(object.1.to_string()), summary };
    Ok(audit::record_in(db, actor, event, communities).await?)
}

/// The communities of a sub-district, for audit entries about sub-district-wide objects.
pub async fn district_communities(db: &mut PgConnection, district_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("select id from communities where district_id = $1 order by id")
        .bind(district_id)
        .fetch_all(db)
        .await
}
