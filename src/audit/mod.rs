//! The audit log: every state change and security event, append-only (a trigger refuses updates
//! and deletes), written in the same transaction as the change it records.

pub mod routes;

use std::net::IpAddr;

use serde_json::Value;
use sqlx::PgExecutor;

/// Who did something: a signed-in user, or nobody yet (a failed login, the command line).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: Option<String>,
    pub client: Option<IpAddr>,
}

impl Actor {
    /// Whoever runs a subcommand: the database's owner, with no account.
    pub fn command_line() -> Actor {
        Actor { id: None, name: Some("command line".into()), client: None }
    }
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Dotted verb: `session.login`, `session.login_failed`, `user.create`, `import.osm`, …
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<String>,
    /// Before/after summary of a change, or the details of a security event.
    pub summary: Value,
}

impl<'a> Event<'a> {
    /// An event about one user account: sign-in, lockout, password change, …
    pub fn on_user(action: &'a str, user_id: i64, summary: Value) -> Self {
        Event { action, object_type: Some("user"), object_id: Some(user_id.to_string()), summary }
    }
}

/// Appends an entry. An entry about a user account concerns that user's communities; other
/// entries concern none unless [`record_in`] names them.
pub async fn record(db: impl PgExecutor<'_>, actor: &Actor, event: Event<'_>) -> Result<(), sqlx::Error> {
    record_in(db, actor, event, &[]).await
}

/// Appends an entry that concerns `communities` (e.g. a plan's community).
pub async fn record_in(
    db: impl PgExecutor<'_>,
    actor: &Actor,
    event: Event<'_>,
    communities: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_log (actor_id, actor_name, action, object_type, object_id, summary, client, communities)
         values ($1, $2, $3, $4, $5, $6, $7::inet, case
             when cardinality($8::bigint[]) > 0 then $8
             when $4 = 'user' then array(
                 select c.id from communities c join user_areas a on a.community_id = c.id or a.district_id = c.district_id
                 where a.user_id = $5::bigint order by c.id)
             else '{}' end)",
    )
    .bind(actor.id)
    .bind(&actor.name)
    .bind(event.action)
    .bind(event.object_type)
    .bind(event.object_id)
    .bind(event.summary)
    .bind(actor.client.map(|ip| ip.to_string()))
    .bind(communities)
    .execute(db)
    .await?;
    Ok(())
}
