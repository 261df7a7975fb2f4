//! `Idempotency-Key` for submissions from flaky mobile networks: the first request with a key
//! claims it inside its transaction; a retry with the same key and body gets the stored answer,
//! with another body a refusal. A concurrent retry waits on the first one's uncommitted claim (the
//! unique key) and then replays its answer; if the first one fails, its claim is rolled back
//! with it and the retry goes through. Keys are per sender: a signed-in user or an Open311 key.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::refusal::Refusal;

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 200;

/// Whose key space a key lives in.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    User(i64),
    Open311Key(i64),
}

impl Owner {
    fn column(self) -> &'static str {
        match self {
            Owner::User(_) => "user_id",
            Owner::Open311Key(_) => "open311_key_id",
        }
    }

    fn id(self) -> i64 {
        match self {
            Owner::User(id) | Owner::Open311Key(id) => id,
        }
    }
}

pub enum Claim {
    /// First use: go on, then [`record`] the answer in the same transaction.
    Fresh,
    /// Seen with the same body: answer this again.
    Replay { status: u16, body: Value },
}

/// A key as sent: 1–200 visible ASCII characters.
pub fn check_key(key: &str) -> Result<&str, Refusal> {
    if (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(key)
    } else {
        Err(Refusal::invalid("Idempotency-Key", "invalid_idempotency_key", format!("an Idempotency-Key has 1 to {MAX_KEY_LEN} visible ASCII characters")))
    }
}

/// The request's `Idempotency-Key` header, checked, if it has one.
pub fn from_headers(headers: &HeaderMap) -> Result<Option<String>, Refusal> {
    headers.get("idempotency-key").map(|value| check_key(value.to_str().unwrap_or("")).map(str::to_owned)).transpose()
}

/// The request's fingerprint: its JSON with keys in order (serde_json's map is sorted), hashed.
pub fn fingerprint(body: &Value) -> Vec<u8> {
    Sha256::digest(body.to_string().as_bytes()).to_vec()
}

pub async fn claim(db: &mut PgConnection, owner: Owner, key: &str, hash: &[u8]) -> Result<Claim, Refusal> {
    let column = owner.column();
    let fresh = sqlx::query(&format!("insert into idempotency_keys ({column}, key, request_hash) values ($1, $2, $3) on conflict do nothing"))
        .bind(owner.id())
        .bind(key)
        .bind(hash)
        .execute(&mut *db)
        .await?
        .rows_affected()
        == 1;
    if fresh {
        return Ok(Claim::Fresh);
    }
    let (stored, status, body): (Vec<u8>, Option<i16>, Option<Value>) =
        sqlx::query_as(&format!("select request_hash, status, response from idempotency_keys where {column} = $1 and key = $2"))
            .bind(owner.id())
            .bind(key)
            .fetch_one(&mut *db)
            .await?;
    if stored != hash {
        return Err(Refusal::invalid(
            "Idempotency-Key",
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different submission; use a new key for a new one",
        ));
    }
    match (status, body) {
        (Some(status), Some(body)) => Ok(Claim::Replay { status: status as u16, body }),
        _ => Err(Refusal::conflict("submission_in_progress", "the first submission with this key has not finished; retry shortly")),
    }
}

/// A stored answer sent again, marked `idempotent-replay: true`.
pub fn replay(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
    (status, [("idempotent-replay", "true")], axum::Json(body)).into_response()
}

pub async fn record(db: &mut PgConnection, owner: Owner, key: &str, status: u16, body: &Value) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("update idempotency_keys set status = $3, response = $4 where {} = $1 and key = $2", owner.column()))
        .bind(owner.id())
        .bind(key)
        .bind(status as i16)
        .bind(body)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_bounded_visible_ascii() {
        assert!(check_key("3f1c-22aa").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("has space").is_err());
        assert!(check_key("键").is_err());
        assert!(check_key(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
    }

    #[test]
    fn the_fingerprint_ignores_key_order_but_not_values() {
        let a = json!({ "lon": 114.4, "lat": 30.5, "category": "order.noise" });
        let b: Value = serde_json::from_str(r#"{"category": "order.noise", "lat": 30.5, "lon": 114.4}"#).unwrap_or_default();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&json!({ "lon": 114.4, "lat": 30.6, "category": "order.noise" })));
    }
}
