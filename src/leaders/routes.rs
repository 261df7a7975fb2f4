//! HTTP routes of the leaders' view: indicators for a unit and period, the monthly ranking.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::store::{self, Unit};
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::openapi::ReadErrors;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/indicators", get(indicators)).route("/api/v1/rankings", get(ranking))
}

const READERS: &[Role] = &[Role::Admin, Role::Leader];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct IndicatorQuery {
    /// `district`, `community`, `grid` or `organisation`.
    unit: String,
    id: i64,
    /// First and last day of the period (China time), inclusive.
    from: NaiveDate,
    to: NaiveDate,
}

/// Whether the unit lies in the user's area.
async fn in_area(db: &mut sqlx::PgConnection, unit: Unit, scope: &[i64]) -> Result<bool, sqlx::Error> {
    let sql = match unit {
        Unit::District(_) => "select exists (select 1 from communities where district_id = $1 and id = any($2))",
        Unit::Community(_) => "select $1 = any($2)",
        Unit::Grid(_) => "select exists (select 1 from grids where id = $1 and community_id = any($2))",
        Unit::Organisation(_) => {
            "select exists (select 1 from organisations o join communities c on c.district_id = o.district_id
                            where o.id = $1 and c.id = any($2))"
        }
    };
    let id = match unit {
        Unit::District(id) | Unit::Community(id) | Unit::Grid(id) | Unit::Organisation(id) => id,
    };
    sqlx::query_scalar(sql).bind(id).bind(scope).fetch_one(db).await
}

#[derive(Serialize, utoipa::ToSchema)]
struct UnitIndicators {
    unit: Unit,
    from: NaiveDate,
    to: NaiveDate,
    indicators: super::indicators::Indicators,
}

/// Indicators of a grid, community, organisation or sub-district for a period (docs/LEADERS.md).
#[utoipa::path(
    get, path = "/api/v1/indicators", tag = "leaders", security(("bearer" = []), ("session_cookie" = [])),
    params(IndicatorQuery),
    responses(
        (status = 200, description = "The indicators", body = UnitIndicators),
        ReadErrors,
    )
)]
async fn indicators(State(state): State<AppState>, user: CurrentUser, Query(query): Query<IndicatorQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    let unit = match query.unit.as_str() {
        "district" => Unit::District(query.id),
        "community" => Unit::Community(query.id),
        "grid" => Unit::Grid(query.id),
        "organisation" => Unit::Organisation(query.id),
        _ => return Err(ApiError::invalid("unit", "unit is district, community, grid or organisation")),
    };
    if query.to < query.from || (query.to - query.from).num_days() > 366 {
        return Err(ApiError::invalid("to", "a period runs forward from `from` to `to`, at most a year"));
    }
    let mut db = state.pool.acquire().await?;
    if !in_area(&mut db, unit, scope).await? {
        return Err(ApiError::not_found(format!("no {} {} in your area", query.unit, query.id)));
    }
    let start = store::day_start(query.from);
    let end = store::day_start(query.to + chrono::TimeDelta::days(1));
    let indicators = store::unit_indicators(&mut db, unit, start, end).await?;
    Ok(axum::Json(UnitIndicators { unit, from: query.from, to: query.to, indicators }).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RankingQuery {
    district: i64,
    /// `YYYY-MM`
    month: String,
}

/// A month's ranking of the sub-district's communities; a stored snapshot once the month is over.
#[utoipa::path(
    get, path = "/api/v1/rankings", tag = "leaders", security(("bearer" = []), ("session_cookie" = [])),
    params(RankingQuery),
    responses(
        (status = 200, description = "The ranking", body = store::Ranking),
        ReadErrors,
    )
)]
async fn ranking(State(state): State<AppState>, user: CurrentUser, Query(query): Query<RankingQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    let month = NaiveDate::parse_from_str(&format!("{}-01", query.month), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("month", format!("«{}» is not a month YYYY-MM", query.month)))?;
    let mut tx = state.pool.begin().await?;
    if !in_area(&mut tx, Unit::District(query.district), scope).await? {
        return Err(ApiError::not_found(format!("no sub-district {} in your area", query.district)));
    }
    let ranking = store::ranking(&mut tx, query.district, month, &state.ranking).await?;
    tx.commit().await?;
    Ok(axum::Json(ranking).into_response())
}
