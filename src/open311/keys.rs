//! Open311 API keys, made on the command line for an app that files into one sub-district:
//! random like session tokens, printed once, stored as their SHA-256 only; revoked, never deleted.
//! A key is no account: it signs in nowhere and sees no page, and what it files is recorded as
//! filed by `open311:NAME`.

use std::net::IpAddr;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;

use crate::audit::{self, Actor, Event};
use crate::auth::role::AreaSpec;
use crate::auth::{store, token};
use crate::units::district_communities;

/// Longest key name, in characters.
const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Key {
    pub id: i64,
    pub name: String,
    pub district_id: i64,
    pub district: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The sender of a request with a known, unrevoked key.
#[derive(Debug, Clone)]
pub struct Sender {
    pub key: Key,
    /// The communities of the key's sub-district: where it may file.
    pub communities: Vec<i64>,
}

impl Sender {
    pub fn actor(&self, client: Option<IpAddr>) -> Actor {
        Actor { id: None, name: Some(format!("open311:{}", self.key.name)), client }
    }
}

const KEY_COLUMNS: &str = "select k.id, k.name, k.district_id, d.name as district, k.created_at, k.revoked_at
                           from open311_keys k join districts d on d.id = k.district_id";

/// Makes a key for the sub-district named (or numbered) `district`; answers it with the key
/// itself, which is not stored.
pub async fn create(db: &mut PgConnection, name: &str, district: &str, actor: &Actor) -> anyhow::Result<(Key, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        bail!("a key's name has 1 to {MAX_NAME_CHARS} characters");
    }
    let (_, district_id) = store::resolve_area(db, &AreaSpec::District(district.to_owned())).await?;
    let (secret, hash) = token::new_token();
    let id: i64 =
        sqlx::query_scalar("insert into open311_keys (name, district_id, key_hash) values ($1, $2, $3) returning id")
            .bind(name)
            .bind(district_id)
            .bind(hash)
            .fetch_one(&mut *db)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.constraint() == Some("open311_keys_name_key") => {
                    anyhow::anyhow!("the key name «{name}» is taken")
                }
                _ => e.into(),
            })?;
    let key = by(db, "k.id = $1", id).await?.context("the new key vanished")?;
    record(db, actor, "open311_key.create", &key).await?;
    Ok((key, secret))
}

pub async fn list(db: &mut PgConnection) -> Result<Vec<Key>, sqlx::Error> {
    sqlx::query_as(&format!("{KEY_COLUMNS} order by k.name")).fetch_all(db).await
}

/// Revokes the key of that name.
pub async fn revoke(db: &mut PgConnection, name: &str, actor: &Actor) -> anyhow::Result<Key> {
    let revoked: Option<i64> = sqlx::query_scalar(
        "update open311_keys set revoked_at = now() where name = $1 and revoked_at is null returning id",
    )
    .bind(name.trim())
    .fetch_optional(&mut *db)
    .await?;
    let Some(id) = revoked else {
        let known: bool = sqlx::query_scalar("select exists (select 1 from open311_keys where name = $1)")
            .bind(name.trim())
            .fetch_one(&mut *db)
            .await?;
        bail!(if known {
            format!("the key «{name}» is already revoked")
        } else {
            format!("no key named «{name}»")
        });
    };
    let key = by(db, "k.id = $1", id).await?.context("the revoked key vanished")?;
    record(db, actor, "open311_key.revoke", &key).await?;
    Ok(key)
}

/// The sender of a key as presented, if it is known and not revoked.
pub async fn authenticate(db: &mut PgConnection, secret: &str) -> Result<Option<Sender>, sqlx::Error> {
    let Some(key) = by(db, "k.key_hash = $1 and k.revoked_at is null", token::hash(secret.trim())).await? else {
        return Ok(None);
    };
    let communities = district_communities(db, key.district_id).await?;
    Ok(Some(Sender { key, communities }))
}

async fn by<T>(db: &mut PgConnection, condition: &str, value: T) -> Result<Option<Key>, sqlx::Error>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
{
    sqlx::query_as(&format!("{KEY_COLUMNS} where {condition}")).bind(value).fetch_optional(db).await
}

/// The audit entry of a key's creation or revocation, in its sub-district's communities.
async fn record(db: &mut PgConnection, actor: &Actor, action: &str, key: &Key) -> Result<(), sqlx::Error> {
    let communities = district_communities(db, key.district_id).await?;
    let summary = json!({ "name": key.name, "district_id": key.district_id, "district": key.district });
    let event = Event { action, object_type: Some("open311_key"), object_id: Some(key.id.to_string()), summary };
    audit::record_in(&mut *db, actor, event, &communities).await
}
