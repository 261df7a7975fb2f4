//! `GET /api/v1/audit`: the audit log for administrators, filtered and paged: the entries of
//! their area (those concerning their communities) and those of no area. Filters are bound
//! as parameters; the sort order is chosen from an allow-list, never spliced from the request.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::FromRow;
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::CurrentUser;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::openapi::ReadErrors;

const MAX_PAGE: i64 = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// An action (`session.login`) or its first part (`session` matches `session.*`).
    action: Option<String>,
    /// The user name of whoever did it.
    actor: Option<String>,
    /// RFC 3339 time or a date (midnight UTC), inclusive.
    from: Option<String>,
    /// RFC 3339 time or a date (midnight UTC), exclusive.
    to: Option<String>,
    /// Most entries to answer (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// `at` (oldest first) or `-at` (newest first, the default).
    #[param(pattern = "^-?at$")]
    sort: Option<String>,
}

fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
        .ok_or_else(|| {
            ApiError::invalid(field, format!("{field} «{text}» must be a date (2026-11-22) or an RFC 3339 time"))
        })
}

/// One audit entry.
#[derive(Debug, Serialize, FromRow, ToSchema)]
#[schema(as = AuditEntry)]
struct Entry {
    id: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    action: String,
    object_type: Option<String>,
    object_id: Option<String>,
    /// Before/after summary of a change, or the details of a security event.
    summary: Value,
    client: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct AuditPage {
    entries: Vec<Entry>,
}

/// Administrators: the entries of their area and those of no area.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit", operation_id = "audit_log", security(("bearer" = []), ("session_cookie" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "The entries, newest first unless `sort=at`", body = AuditPage),
        ReadErrors,
    )
)]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    user.require_admin()?;
    let order = match query.sort.as_deref() {
        None | Some("-at") => "desc",
        Some("at") => "asc",
        Some(other) => return Err(ApiError::invalid("sort", format!("sort «{other}» must be at or -at"))),
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("limit must be from 1 to {MAX_PAGE}")));
    }
    let entries: Vec<Entry> = sqlx::query_as(&format!(
        "select id, at, actor_id, actor_name, action, object_type, object_id, summary, host(client) as client
         from audit_log
         where ($1::text is null or action = $1 or split_part(action, '.', 1) = $1)
           and ($2::text is null or actor_name = $2)
           and ($3::timestamptz is null or at >= $3)
           and ($4::timestamptz is null or at < $4)
           and (communities && $6 or communities = '{{}}')
         order by at {order}, id {order} limit $5"
    ))
    .bind(&query.action)
    .bind(&query.actor)
    .bind(query.from.as_deref().map(|t| parse_time("from", t)).transpose()?)
    .bind(query.to.as_deref().map(|t| parse_time("to", t)).transpose()?)
    .bind(limit)
    .bind(&user.communities[..])
    .fetch_all(&state.pool)
    .await?;
    Ok(axum::Json(AuditPage { entries }))
}
