//! HTTP routes of hygiene dead spots: the register of a community (active, or with history) and
//! one dead spot with the cases that made it.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dead_spots;
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Path, Query};
use crate::http::openapi::ReadErrors;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/dead-spots", get(dead_spots)).route("/api/v1/dead-spots/{id}", get(dead_spot))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DeadSpotQuery {
    community: Option<i64>,
    /// Also the cleared ones.
    #[serde(default)]
    history: bool,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
struct DeadSpotRow {
    id: i64,
    community_id: i64,
    lon: f64,
    lat: f64,
    case_count: i32,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    cleared_at: Option<DateTime<Utc>>,
    status: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct DeadSpots {
    dead_spots: Vec<DeadSpotRow>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct DeadSpotDetail {
    dead_spot: DeadSpotRow,
    cases: Vec<DeadSpotCase>,
}

const DEAD_SPOT_COLUMNS: &str = "select d.id, d.community_id, st_x(d.location) as lon, st_y(d.location) as lat,
    cardinality(d.cases) as case_count, d.first_seen, d.last_seen,
    case when d.clears_at <= now() then d.clears_at end as cleared_at,
    case when d.clears_at <= now() then 'cleared' else 'active' end as status from dead_spots d";

/// Roles that read dead spots: all but planners, within their area.
const READERS: &[Role] = &[Role::Admin, Role::Leader, Role::Inspector, Role::Handler];

/// Hygiene dead spots in the user's area: active ones, or all with `history`.
#[utoipa::path(
    get, path = "/api/v1/dead-spots", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(DeadSpotQuery),
    responses(
        (status = 200, description = "Dead spots, latest first", body = DeadSpots),
        ReadErrors,
    )
)]
async fn dead_spots(State(state): State<AppState>, user: CurrentUser, Query(query): Query<DeadSpotQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    // The cases committed before the question count, even if their settlement has not run yet.
    dead_spots::settle_all(&state.pool, Some(scope)).await?;
    let rows: Vec<DeadSpotRow> = sqlx::query_as(&format!(
        "{DEAD_SPOT_COLUMNS} where d.community_id = any($1) and ($2::bigint is null or d.community_id = $2)
           and ($3 or d.clears_at > now()) order by d.last_seen desc limit 1000"
    ))
    .bind(scope)
    .bind(query.community)
    .bind(query.history)
    .fetch_all(&state.pool)
    .await?;
    Ok(axum::Json(DeadSpots { dead_spots: rows }).into_response())
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
struct DeadSpotCase {
    id: i64,
    number: String,
    category: String,
    status: String,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

/// A dead spot with its history: the cases that made it, oldest first.
#[utoipa::path(
    get, path = "/api/v1/dead-spots/{id}", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The dead spot's id")),
    responses(
        (status = 200, description = "The dead spot and its cases", body = DeadSpotDetail),
        ReadErrors,
    )
)]
async fn dead_spot(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    dead_spots::settle_all(&state.pool, Some(scope)).await?;
    let spot: DeadSpotRow = sqlx::query_as(&format!("{DEAD_SPOT_COLUMNS} where d.id = $1 and d.community_id = any($2)"))
        .bind(id)
        .bind(scope)
        .fetch_optional(&state.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no dead spot {id} in your area")))?;
    let cases: Vec<DeadSpotCase> = sqlx::query_as(
        "select c.id, c.number, c.category, c.status, c.created_at, c.closed_at
         from dead_spots d join cases c on c.id = any(d.cases) where d.id = $1 order by c.created_at",
    )
    .bind(id)
    .fetch_all(&state.pool)
    .await?;
    Ok(axum::Json(DeadSpotDetail { dead_spot: spot, cases }).into_response())
}
