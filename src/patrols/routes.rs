//! HTTP routes of patrols: recording one, and the month's coverage with its blind spots.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::NewPatrol;
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::limit::Submitter;
use crate::http::openapi::{ChangeErrors, ReadErrors};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/patrols", axum::routing::post(record))
        .route("/api/v1/patrols/coverage", get(coverage))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Recorded {
    id: i64,
    buildings_checked: i64,
}

/// Records a patrol by its GPS track or the buildings ticked.
#[utoipa::path(
    post, path = "/api/v1/patrols", tag = "patrols", security(("bearer" = []), ("session_cookie" = [])),
    request_body = NewPatrol,
    responses(
        (status = 201, description = "Recorded", body = Recorded),
        ChangeErrors,
    )
)]
async fn record(State(state): State<AppState>, Submitter(user): Submitter, Json(body): Json<NewPatrol>) -> Result<Response, ApiError> {
    let scope = user.area_for(&[Role::Inspector, Role::Admin])?;
    let mut tx = state.pool.begin().await?;
    let (id, checked) = super::record(&mut tx, &body, scope, &user.actor()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(Recorded { id, buildings_checked: checked })).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct CoverageQuery {
    community: i64,
    /// `YYYY-MM`; this month (China time) by default.
    month: Option<String>,
}

/// A community's patrol coverage for a month: per grid, and the buildings nobody checked.
#[utoipa::path(
    get, path = "/api/v1/patrols/coverage", tag = "patrols", security(("bearer" = []), ("session_cookie" = [])),
    params(CoverageQuery),
    responses(
        (status = 200, description = "Coverage per grid and the blind spots", body = super::Coverage),
        ReadErrors,
    )
)]
async fn coverage(State(state): State<AppState>, user: CurrentUser, Query(query): Query<CoverageQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(&[Role::Admin, Role::Leader, Role::Inspector, Role::Planner])?;
    let month = query.month.unwrap_or_else(|| (Utc::now() + chrono::TimeDelta::hours(8)).format("%Y-%m").to_string());
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(super::coverage(&mut db, query.community, &month, scope).await?).into_response())
}
