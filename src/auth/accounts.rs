//! Creating accounts, shared by `wangge user add` and `POST /api/v1/users`: the user name and
//! password rules, areas resolved by name, the hash, and the audit entry, in one transaction.

use sqlx::PgConnection;

use super::password;
use super::role::{AreaSpec, Role};
use super::store;
use crate::audit::{self, Actor, Event};

pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub password: String,
    pub areas: Vec<AreaSpec>,
    /// A handler's organisation, whose routed cases they handle (docs/UNITS.md).
    pub organisation: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("username must be 3 to 64 letters, digits, '_', '.' or '-'")]
    Username,
    #[error("{0}")]
    Password(#[from] password::PasswordRule),
    #[error("{0}")]
    Area(#[from] store::AreaError),
    #[error("the user name «{0}» is taken")]
    Taken(String),
    #[error("an area outside your own: {0}")]
    OutsideArea(String),
    #[error("{0}")]
    Organisation(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn valid_username(name: &str) -> bool {
    (3..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// Creates the user with its areas. `allowed`, when given, is the set of communities the creator
/// may act in: every area given must lie inside it.
pub async fn create(
    conn: &mut PgConnection,
    user: &NewUser,
    actor: &Actor,
    allowed: Option<&[i64]>,
) -> Result<i64, AccountError> {
    if !valid_username(&user.username) {
        return Err(AccountError::Username);
    }
    password::check(&user.username, &user.password)?;
    let mut areas = Vec::with_capacity(user.areas.len());
    for spec in &user.areas {
        let area = store::resolve_area(conn, spec).await?;
        if let Some(allowed) = allowed {
            let inside: bool = sqlx::query_scalar(
                "select coalesce(bool_and(c.id = any($3)), false) from communities c
                 where ($1 = 'district' and c.district_id = $2) or ($1 = 'community' and c.id = $2)",
            )
            .bind(area.0)
            .bind(area.1)
            .bind(allowed)
            .fetch_one(&mut *conn)
            .await?;
            if !inside {
                return Err(AccountError::OutsideArea(format!("{} {}", area.0, area.1)));
            }
        }
        areas.push(area);
    }
    if let Some(organisation) = user.organisation {
        check_organisation(conn, user.role, organisation, &areas).await?;
    }
    let plain = user.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let id = store::insert_user(conn, &user.username, user.role, &hash).await.map_err(|e| match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("users_username_key") => {
            AccountError::Taken(user.username.clone())
        }
        _ => e.into(),
    })?;
    for area in &areas {
        store::add_area(conn, id, *area).await?;
    }
    if let Some(organisation) = user.organisation {
        sqlx::query("update users set organisation_id = $2 where id = $1").bind(id).bind(organisation).execute(&mut *conn).await?;
    }
    let summary = serde_json::json!({
        "username": user.username,
        "role": user.role,
        "organisation": user.organisation,
        "areas": areas.iter().map(|(kind, id)| serde_json::json!({ "kind": kind, "id": id })).collect::<Vec<_>>(),
    });
    audit::record(&mut *conn, actor, Event::on_user("user.create", id, summary)).await?;
    Ok(id)
}

/// Only a handler acts for an organisation, and only for one of a sub-district the user's areas
/// lie in: a handler of another sub-district's unit would see cases outside their area.
async fn check_organisation(
    conn: &mut PgConnection,
    role: Role,
    organisation: i64,
    areas: &[(&'static str, i64)],
) -> Result<(), AccountError> {
    if role != Role::Handler {
        return Err(AccountError::Organisation(format!("only a handler acts for an organisation; this account is a {role}")));
    }
    let ids = |kind: &str| areas.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect::<Vec<_>>();
    let found: Option<bool> = sqlx::query_scalar(
        "select exists (select 1 from communities c where c.district_id = o.district_id
                          and (c.district_id = any($2) or c.id = any($3)))
         from organisations o where o.id = $1",
    )
    .bind(organisation)
    .bind(ids("district"))
    .bind(ids("community"))
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        None => Err(AccountError::Organisation(format!("no organisation {organisation}"))),
        Some(false) => Err(AccountError::Organisation(format!(
            "organisation {organisation} belongs to a sub-district outside the user's areas"
        ))),
        Some(true) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_short_plain_ascii() {
        assert!(valid_username("zhang.wei-01"));
        assert!(!valid_username("zw"));
        assert!(!valid_username("张伟"));
        assert!(!valid_username("a b c"));
        assert!(!valid_username("x'; drop table users;--"));
    }
}
