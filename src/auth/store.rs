//! Users, their areas and sessions in the database.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor};
use utoipa::ToSchema;

use super::role::{AreaSpec, Role};

/// Failed logins in a row that lock an account, and for how long.
pub const LOCK_AFTER_FAILURES: i32 = 5;
pub const LOCK_MINUTES: i32 = 15;

#[derive(Debug, Clone, Serialize, FromRow, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = Role)]
    pub role: RoleColumn,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The places this user may act in, as `{"kind", "id", "name"}`.
    #[sqlx(json)]
    pub areas: Vec<Area>,
    /// A handler's organisation.
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
}

/// A role as stored (a checked text column).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(transparent)]
pub struct RoleColumn(pub Role);

impl TryFrom<String> for RoleColumn {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse().map(RoleColumn)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct Area {
    /// `district` or `community`.
    pub kind: String,
    pub id: i64,
    pub name: String,
}

const USER_COLUMNS: &str = "u.id, u.username, u.role, u.disabled, u.locked_until, u.created_at,
    coalesce((select json_agg(json_build_object(
                 'kind', case when a.district_id is not null then 'district' else 'community' end,
                 'id', coalesce(a.district_id, a.community_id),
                 'name', coalesce(d.name, c.name)) order by d.name, c.name)
              from user_areas a left join districts d on d.id = a.district_id
              left join communities c on c.id = a.community_id
              where a.user_id = u.id), '[]') as areas,
    u.organisation_id, (select o.name from organisations o where o.id = u.organisation_id) as organisation";

/// Whether user `u` lies within the communities `$1` (a bigint[]): each of its areas does (a
/// sub-district when all its communities do, as `accounts::create` decides). A user with no
/// area lies within any.
const WITHIN: &str = "not exists (
    select 1 from user_areas a
    where a.user_id = u.id
      and not coalesce(a.community_id = any($1), false)
      and not (a.district_id is not null
               and exists (select 1 from communities c where c.district_id = a.district_id)
               and not exists (select 1 from communities c where c.district_id = a.district_id and c.id <> all($1))))";

/// The users an administrator acting in `allowed` communities manages: those within them.
pub async fn users_within(db: impl PgExecutor<'_>, allowed: &[i64]) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query_as(&format!("select {USER_COLUMNS} from users u where {WITHIN} order by lower(u.username)"))
        .bind(allowed)
        .fetch_all(db)
        .await
}

pub async fn user(db: impl PgExecutor<'_>, id: i64) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(&format!("select {USER_COLUMNS} from users u where u.id = $1")).bind(id).fetch_optional(db).await
}

/// What an administrator changes of an account, as it was, locked for the change.
#[derive(Debug, FromRow)]
pub struct ManagedUser {
    pub id: i64,
    pub username: String,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// User `id` when it lies within the `allowed` communities (else `None`, as if it did not
/// exist), its row locked until the transaction ends.
pub async fn managed_user(
    conn: &mut PgConnection,
    id: i64,
    allowed: &[i64],
) -> Result<Option<ManagedUser>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select u.id, u.username, u.disabled, u.failed_logins, u.locked_until from users u
         where u.id = $2 and {WITHIN} for update"
    ))
    .bind(allowed)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn set_disabled(db: impl PgExecutor<'_>, user_id: i64, disabled: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update users set disabled = $2 where id = $1").bind(user_id).bind(disabled).execute(db).await?;
    Ok(())
}

/// Why an area could not be given.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    #[error("no {kind} «{name}»")]
    Unknown { kind: &'static str, name: String },
    #[error("{kind} «{name}» is ambiguous: give its id")]
    Ambiguous { kind: &'static str, name: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Resolves an area given by name or id to `(kind, id)`.
pub async fn resolve_area(conn: &mut PgConnection, spec: &AreaSpec) -> Result<(&'static str, i64), AreaError> {
    let (kind, table, name) = match spec {
        AreaSpec::District(name) => ("district", "districts", name),
        AreaSpec::Community(name) => ("community", "communities", name),
    };
    let ids: Vec<i64> =
        sqlx::query_scalar(&format!("select id from {table} where name = $1 or id::text = $1 order by id"))
            .bind(name)
            .fetch_all(&mut *conn)
            .await?;
    match ids[..] {
        [id] => Ok((kind, id)),
        [] => Err(AreaError::Unknown { kind, name: name.clone() }),
        _ => Err(AreaError::Ambiguous { kind, name: name.clone() }),
    }
}

pub async fn insert_user(
    conn: &mut PgConnection,
    username: &str,
    role: Role,
    password_hash: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("insert into users (username, role, password_hash) values ($1, $2, $3) returning id")
        .bind(username)
        .bind(role.as_str())
        .bind(password_hash)
        .fetch_one(conn)
        .await
}

pub async fn add_area(conn: &mut PgConnection, user_id: i64, (kind, id): (&str, i64)) -> Result<(), sqlx::Error> {
    let column = if kind == "district" { "district_id" } else { "community_id" };
    sqlx::query(&format!("insert into user_areas (user_id, {column}) values ($1, $2) on conflict do nothing"))
        .bind(user_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a login needs to know about a user name.
#[derive(Debug, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
}

pub async fn credentials(db: impl PgExecutor<'_>, username: &str) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as(
        "select id, username, password_hash, disabled, locked_until from users where lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(db)
    .await
}

/// Counts a failed login; the `LOCK_AFTER_FAILURES`th in a row locks the account. Returns the
/// lock's end when this failure locked it.
pub async fn record_failure(db: impl PgExecutor<'_>, user_id: i64) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar(
        "update users set failed_logins = case when failed_logins + 1 >= $2 then 0 else failed_logins + 1 end,
                          locked_until = case when failed_logins + 1 >= $2 then now() + make_interval(mins => $3) else locked_until end
         where id = $1
         returning case when failed_logins = 0 then locked_until end",
    )
    .bind(user_id)
    .bind(LOCK_AFTER_FAILURES)
    .bind(LOCK_MINUTES)
    .fetch_one(db)
    .await
}

/// Clears the failed sign-ins and the lock (a sign-in, or an administrator's unlock).
pub async fn record_success(db: impl PgExecutor<'_>, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update users set failed_logins = 0, locked_until = null where id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_password(db: impl PgExecutor<'_>, user_id: i64, password_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update users set password_hash = $2, password_changed_at = now() where id = $1")
        .bind(user_id)
        .bind(password_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn create_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: i64,
    hours: i32,
    client: Option<std::net::IpAddr>,
) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar(
        "insert into sessions (token_hash, user_id, expires_at, client)
         values ($1, $2, now() + make_interval(hours => $3), $4::inet) returning expires_at",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(hours)
    .bind(client.map(|ip| ip.to_string()))
    .fetch_one(db)
    .await
}

pub async fn delete_session(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sessions where token_hash = $1").bind(token_hash).execute(db).await?;
    Ok(())
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_sessions(db: impl PgExecutor<'_>, user_id: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("delete from sessions where user_id = $1").bind(user_id).execute(db).await?.rows_affected())
}

/// Ends every other session of a user (after a password change).
pub async fn delete_other_sessions(db: impl PgExecutor<'_>, user_id: i64, keep: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sessions where user_id = $1 and token_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(db)
        .await?;
    Ok(())
}

/// The signed-in user behind a live session token, with the communities they may act in.
#[derive(Debug, Clone, FromRow)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    #[sqlx(try_from = "String")]
    pub role: RoleColumn,
    pub communities: Vec<i64>,
    pub organisation_id: Option<i64>,
}

pub async fn session_user(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<Option<SessionUser>, sqlx::Error> {
    sqlx::query_as(
        "select u.id, u.username, u.role,
                array(select c.id from communities c join user_areas a on a.community_id = c.id or a.district_id = c.district_id
                      where a.user_id = u.id order by c.id) as communities, u.organisation_id
         from sessions s join users u on u.id = s.user_id
         where s.token_hash = $1 and s.expires_at > now() and not u.disabled",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}
