//! HTTP routes of the leaders' view: indicators for a unit and period, the monthly ranking, the
//! map's aggregates (heatmap, choropleth) and pins, and the exports (register CSV, GeoJSON).

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::map::{self, Area, Selection, StatusFilter};
use super::register;
use super::store::{self, Days, Unit};
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::openapi::ReadErrors;
use crate::places::routes::parse_bbox;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/indicators", get(indicators))
        .route("/api/v1/rankings", get(ranking))
        .route("/api/v1/heatmap", get(heatmap))
        .route("/api/v1/choropleth", get(choropleth))
        .route("/api/v1/case-pins", get(pins))
        .route("/api/v1/register.csv", get(register_csv))
        .route("/api/v1/cases.geojson", get(cases_geojson))
}

const READERS: &[Role] = &[Role::Admin, Role::Leader];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct IndicatorQuery {
    /// `city` (every community: for a user whose area is the whole city), `district`,
    /// `community`, `estate`, `grid` or `organisation`.
    unit: String,
    /// The unit's id (none for the city).
    id: Option<i64>,
    /// First and last day of the period (China time), inclusive.
    from: NaiveDate,
    to: NaiveDate,
}

impl IndicatorQuery {
    fn unit(&self) -> Result<Unit, ApiError> {
        let id = || self.id.ok_or_else(|| ApiError::invalid("id", format!("a {} is given by its id", self.unit)));
        Ok(match self.unit.as_str() {
            "city" if self.id.is_some() => return Err(ApiError::invalid("id", "the city is asked for without an id")),
            "city" => Unit::City,
            "district" => Unit::District(id()?),
            "community" => Unit::Community(id()?),
            "estate" => Unit::Estate(id()?),
            "grid" => Unit::Grid(id()?),
            "organisation" => Unit::Organisation(id()?),
            _ => return Err(ApiError::invalid("unit", "unit is city, district, community, estate, grid or organisation")),
        })
    }
}

/// Whether the unit lies in the user's area (the city when the area holds every community).
async fn in_area(db: &mut sqlx::PgConnection, unit: Unit, scope: &[i64]) -> Result<bool, sqlx::Error> {
    let sql = match unit {
        Unit::City => return crate::places::store::holds_city(db, scope).await,
        Unit::District(_) => "select exists (select 1 from communities where district_id = $1 and id = any($2))",
        Unit::Community(_) => "select $1 = any($2)",
        Unit::Estate(_) => "select exists (select 1 from estates where id = $1 and community_id = any($2))",
        Unit::Grid(_) => "select exists (select 1 from grids where id = $1 and community_id = any($2))",
        Unit::Organisation(_) => {
            "select exists (select 1 from organisations o join communities c on c.district_id = o.district_id
                            where o.id = $1 and c.id = any($2))"
        }
    };
    sqlx::query_scalar(sql).bind(unit.id()).bind(scope).fetch_one(db).await
}

/// The days of a period (China time, both days included): forward, at most a year.
fn period(from: NaiveDate, to: NaiveDate) -> Result<Days, ApiError> {
    if to < from || (to - from).num_days() > 366 {
        return Err(ApiError::invalid("to", "a period runs forward from `from` to `to`, at most a year"));
    }
    Ok(Days::from_to(from, to))
}

#[derive(Serialize, utoipa::ToSchema)]
struct UnitIndicators {
    unit: Unit,
    from: NaiveDate,
    to: NaiveDate,
    indicators: super::indicators::Indicators,
}

/// Indicators of a grid, estate, community, organisation, sub-district or the whole city for a period (docs/LEADERS.md).
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
    let unit = query.unit()?;
    let days = period(query.from, query.to)?;
    let mut db = state.pool.acquire().await?;
    if !in_area(&mut db, unit, scope).await? {
        return Err(ApiError::not_found(match unit {
            Unit::City => "the whole city is not in your area".to_owned(),
            _ => format!("no {} {} in your area", query.unit, unit.id()),
        }));
    }
    let indicators = store::unit_indicators(&mut db, unit, days).await?;
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

/// What the map and the exports are asked for: a sub-district or a community, a period, and
/// optionally a category (or group), a status, a hexagon size and a box.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct MapQuery {
    district: Option<i64>,
    community: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
    category: Option<String>,
    /// `all` (default: all but cancelled), `open`, `overdue` or a case status.
    status: Option<String>,
    /// Heatmap: the hexagons' size, centre to corner, metres.
    resolution: Option<f64>,
    /// Pins: `minlon,minlat,maxlon,maxlat`.
    bbox: Option<String>,
}

impl MapQuery {
    /// The selection, after checking the parameters and that the area is the user's.
    async fn selection<'a>(&self, db: &mut sqlx::PgConnection, scope: &'a [i64]) -> Result<Selection<'a>, ApiError> {
        let area = match (self.district, self.community) {
            (Some(id), None) => Area::District(id),
            (None, Some(id)) => Area::Community(id),
            _ => return Err(ApiError::invalid("district", "give either district or community")),
        };
        let (start, end) = period(self.from, self.to)?.instants();
        let status = StatusFilter::parse(self.status.as_deref()).map_err(|e| ApiError::invalid("status", e))?;
        let category = self.category.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
        if !in_area(db, area.unit(), scope).await? {
            return Err(ApiError::not_found("no such sub-district or community in your area"));
        }
        Ok(Selection { area, scope, start, end, category, status })
    }
}

/// The heatmap of an area and period: cases counted per hexagon on the server.
#[utoipa::path(
    get, path = "/api/v1/heatmap", tag = "leaders", security(("bearer" = []), ("session_cookie" = [])),
    params(MapQuery),
    responses(
        (status = 200, description = "Cases per hexagon, at its centre (a private case at its grid's point)", body = map::Heatmap),
        ReadErrors,
    )
)]
async fn heatmap(State(state): State<AppState>, user: CurrentUser, Query(query): Query<MapQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    let size = query.resolution.unwrap_or(200.0);
    if !(map::RESOLUTION_M.0..=map::RESOLUTION_M.1).contains(&size) {
        return Err(ApiError::invalid("resolution", format!("resolution is a hexagon size from {} to {} m", map::RESOLUTION_M.0, map::RESOLUTION_M.1)));
    }
    let mut db = state.pool.acquire().await?;
    let selection = query.selection(&mut db, scope).await?;
    let heatmap = map::heatmap(&mut db, &selection, size).await?;
    Ok(axum::Json(heatmap).into_response())
}

/// Per-grid figures of an area and period, for the map's choropleth.
#[utoipa::path(
    get, path = "/api/v1/choropleth", tag = "leaders", security(("bearer" = []), ("session_cookie" = [])),
    params(MapQuery),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection of the grids with cases per 1,000 households, overdue count, on-time and closure rates", body = Object),
        ReadErrors,
    )
)]
async fn choropleth(State(state): State<AppState>, user: CurrentUser, Query(query): Query<MapQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    let mut db = state.pool.acquire().await?;
    let selection = query.selection(&mut db, scope).await?;
    Ok(axum::Json(map::choropleth(&mut db, &selection).await?).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
struct Pins {
    cases: Vec<map::Pin>,
    /// More cases matched than are sent.
    truncated: bool,
}

/// Pins of a small box, or of the whole area for the overdue layer (`status=overdue`); never a
/// private case.
#[utoipa::path(
    get, path = "/api/v1/case-pins", tag = "leaders", security(("bearer" = []), ("session_cookie" = [])),
    params(MapQuery),
    responses(
        (status = 200, description = "The pins, and whether more matched", body = Pins),
        ReadErrors,
    )
)]
async fn pins(State(state): State<AppState>, user: CurrentUser, Query(query): Query<MapQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    let bbox = query.bbox.as_deref().map(|b| parse_bbox(b, map::MAX_PIN_BOX_DEG)).transpose()?;
    let mut db = state.pool.acquire().await?;
    let selection = query.selection(&mut db, scope).await?;
    if bbox.is_none() && selection.status != StatusFilter::Overdue {
        return Err(ApiError::invalid("bbox", "pins need a bbox, except for status=overdue"));
    }
    let (pins, truncated) = map::pins(&mut db, &selection, bbox).await?;
    Ok(axum::Json(Pins { cases: pins, truncated }).into_response())
}

/// The file name of an export: the area and the period.
fn export_name(query: &MapQuery, what: &str, extension: &str) -> String {
    let area = match (query.district, query.community) {
        (Some(id), _) => format!("district-{id}"),
        (_, Some(id)) => format!("community-{id}"),
        _ => String::new(),
    };
    format!("{what}-{area}-{}-{}.{extension}", query.from, query.to)
}

/// The problem register of an area and period as CSV.
#[utoipa::path(
    get, path = "/api/v1/register.csv", tag = "leaders", security(("bearer" = []), ("session_cookie" = [])),
    params(MapQuery),
    responses(
        (status = 200, description = "The problem register (台账), UTF-8 CSV with a BOM", body = String, content_type = "text/csv"),
        ReadErrors,
    )
)]
async fn register_csv(State(state): State<AppState>, user: CurrentUser, Query(query): Query<MapQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    let mut db = state.pool.acquire().await?;
    let selection = query.selection(&mut db, scope).await?;
    let cases = register::cases(&mut db, &selection).await?;
    let body = register::csv(&cases)?;
    Ok(crate::units::exchange::csv_response(body, &export_name(&query, "register", "csv")))
}

/// The cases of an area and period as GeoJSON.
#[utoipa::path(
    get, path = "/api/v1/cases.geojson", tag = "leaders", security(("bearer" = []), ("session_cookie" = [])),
    params(MapQuery),
    responses(
        (status = 200, description = "The cases as a GeoJSON FeatureCollection (private ones at their grid's point, without text)", body = Object, content_type = "application/geo+json"),
        ReadErrors,
    )
)]
async fn cases_geojson(State(state): State<AppState>, user: CurrentUser, Query(query): Query<MapQuery>) -> Result<Response, ApiError> {
    let scope = user.area_for(READERS)?;
    let mut db = state.pool.acquire().await?;
    let selection = query.selection(&mut db, scope).await?;
    let cases = register::cases(&mut db, &selection).await?;
    let disposition = format!("attachment; filename=\"{}\"", export_name(&query, "cases", "geojson"));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/geo+json".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        axum::Json(register::geojson(&cases)),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_pin_box_is_small_and_forward() {
        assert_eq!(parse_bbox("114.40,30.50,114.42,30.51", map::MAX_PIN_BOX_DEG).ok(), Some([114.40, 30.50, 114.42, 30.51]));
        for bad in ["114.4,30.5,114.5,30.51", "114.42,30.50,114.40,30.51", "114.4,30.5,114.41", "a,b,c,d", "114.4,30.5,NaN,30.51"] {
            let error = parse_bbox(bad, map::MAX_PIN_BOX_DEG).err().map(|e| e.details);
            assert_eq!(error, Some(Some(json!({ "field": "bbox" }))), "{bad}");
        }
    }

    #[test]
    fn periods_run_forward_for_at_most_a_year() {
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_default();
        let days = period(day("2026-11-01"), day("2026-11-30")).unwrap_or_else(|_| panic!("a month is a period"));
        assert_eq!(days, store::Days::month(day("2026-11-17")));
        let (start, end) = days.instants();
        assert_eq!((end - start).num_days(), 30);
        assert_eq!(start.to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert!(period(day("2026-11-02"), day("2026-11-01")).is_err());
        assert!(period(day("2025-01-01"), day("2026-11-01")).is_err());
    }
}
