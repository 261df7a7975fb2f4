//! HTTP routes of the places: community list, buildings (by bbox, by id), locate, vector tiles.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::store::{self, BuildingDetail, CommunitySummary};
use super::tiles::{self, Layer};
use crate::auth::extract::CurrentUser;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::error::ApiErrorBody;
use crate::http::extract::{Path, Query};
use crate::http::openapi::{Feature, FeatureCollectionTag, ReadErrors};
use crate::spatial::datum::Crs;
use crate::spatial::{is_latitude, is_longitude};
use crate::spatial::tile::TileId;

/// How far from a building a point may be and still be located on it.
pub const LOCATE_RADIUS_M: f64 = 30.0;
/// Largest page of `/buildings?bbox=`, and the default.
const MAX_PAGE: i64 = 1000;
const DEFAULT_PAGE: i64 = 500;
/// Largest bbox side accepted by `/buildings?bbox=`, degrees (about 11 km): wider views use tiles.
const MAX_BBOX_DEGREES: f64 = 0.1;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/communities", get(communities))
        .route("/api/v1/buildings", get(buildings))
        .route("/api/v1/buildings/{id}", get(building))
        .route("/api/v1/locate", get(locate))
        .route("/tiles/{layer}/{z}/{x}/{tile}", get(tile))
}

#[derive(Debug, Serialize, ToSchema)]
struct CommunityList {
    communities: Vec<CommunitySummary>,
    /// The area holds every community: the city's indicators (`unit=city`) are the user's.
    whole_city: bool,
}

/// The communities of the user's area with their tallies.
#[utoipa::path(
    get, path = "/api/v1/communities", tag = "places", security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The communities", body = CommunityList),
        ReadErrors,
    )
)]
async fn communities(State(state): State<AppState>, user: CurrentUser) -> Result<axum::Json<CommunityList>, ApiError> {
    let communities = store::communities(&state.pool, &user.communities).await?;
    Ok(axum::Json(CommunityList { communities, whole_city: store::holds_city(&state.pool, &user.communities).await? }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BuildingsQuery {
    /// `min_lon,min_lat,max_lon,max_lat` in WGS84, at most 0.1° on a side.
    bbox: String,
    /// Most buildings in the page (default 500).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// The last id of the previous page.
    after: Option<i64>,
}

/// A building of a bbox page.
#[derive(ToSchema)]
pub struct BuildingProperties {
    pub id: i64,
    pub name: Option<String>,
    pub kind: String,
    pub floors: Option<i32>,
    pub units: Option<i32>,
    pub households: i32,
    pub community_id: i64,
    pub estate_id: Option<i64>,
}

/// A page of buildings: a GeoJSON FeatureCollection with the URL of the next page, if any.
#[derive(ToSchema)]
pub struct BuildingPage {
    #[schema(rename = "type", inline)]
    pub kind: FeatureCollectionTag,
    pub features: Vec<Feature<BuildingProperties>>,
    #[schema(required = true)]
    pub next: Option<String>,
}

/// Buildings in a bbox as a GeoJSON FeatureCollection, paged by id: `next` holds the URL of the
/// following page while there is one.
#[utoipa::path(
    get, path = "/api/v1/buildings", tag = "places", operation_id = "buildings_in_bbox", security(("bearer" = []), ("session_cookie" = [])),
    params(BuildingsQuery),
    responses(
        (status = 200, description = "A page of buildings", body = BuildingPage, content_type = "application/geo+json"),
        ReadErrors,
    )
)]
async fn buildings(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<BuildingsQuery>,
) -> Result<Response, ApiError> {
    let bbox = parse_bbox(&query.bbox, MAX_BBOX_DEGREES)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("limit must be from 1 to {MAX_PAGE}")));
    }
    let after = query.after.unwrap_or(0);
    let rows = store::buildings_in_bbox(&state.pool, bbox, after, limit, &user.communities).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| {
            rows.last().map(|last| {
                format!(
                    "/api/v1/buildings?bbox={},{},{},{}&limit={limit}&after={}",
                    bbox[0], bbox[1], bbox[2], bbox[3], last.id
                )
            })
        })
        .flatten();
    let mut body = String::from(r#"{"type":"FeatureCollection","features":["#);
    for (i, b) in rows.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        let properties = json!({
            "id": b.id, "name": b.name, "kind": b.kind, "floors": b.floors, "units": b.units,
            "households": b.households, "community_id": b.community_id, "estate_id": b.estate_id,
        });
        body.push_str(&format!(
            r#"{{"type":"Feature","id":{},"properties":{properties},"geometry":{}}}"#,
            b.id, b.footprint
        ));
    }
    body.push_str(&format!(r#"],"next":{}}}"#, Value::from(next)));
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// `min_lon,min_lat,max_lon,max_lat` in WGS84, forward, at most `max_side` degrees on a side.
pub fn parse_bbox(text: &str, max_side: f64) -> Result<[f64; 4], ApiError> {
    let invalid = |message: &str| {
        ApiError::invalid("bbox", format!("bbox must be min_lon,min_lat,max_lon,max_lat in WGS84: {message}"))
    };
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| invalid("not four numbers"))?;
    let [x0, y0, x1, y1] = parts[..] else { return Err(invalid("not four numbers")) };
    if ![x0, x1].into_iter().all(is_longitude) || ![y0, y1].into_iter().all(is_latitude) {
        return Err(invalid("coordinates out of range"));
    }
    if x0 >= x1 || y0 >= y1 {
        return Err(invalid("min must be below max"));
    }
    if x1 - x0 > max_side || y1 - y0 > max_side {
        return Err(invalid(&format!("at most {max_side}° on a side; zoom in, or use the layers made for wider views")));
    }
    Ok([x0, y0, x1, y1])
}

/// A building as a GeoJSON Feature with its units, estate, community and sub-district.
#[utoipa::path(
    get, path = "/api/v1/buildings/{id}", tag = "places", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The building's id")),
    responses(
        (status = 200, description = "The building", body = Feature<BuildingDetail>, content_type = "application/geo+json"),
        ReadErrors,
    )
)]
async fn building(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let detail = store::building(&state.pool, id, &user.communities)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no building with id {id}")))?;
    Ok(building_feature(&detail))
}

fn building_feature(detail: &BuildingDetail) -> Response {
    let properties = serde_json::to_string(detail).unwrap_or_default();
    let body =
        format!(r#"{{"type":"Feature","id":{},"properties":{properties},"geometry":{}}}"#, detail.id, detail.footprint);
    ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()
}

#[derive(Debug, Serialize, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
struct LocateQuery {
    #[param(minimum = -180, maximum = 180)]
    lon: f64,
    #[param(minimum = -90, maximum = 90)]
    lat: f64,
    /// The datum of `lon` and `lat` (default `wgs84`).
    #[serde(default)]
    #[param(inline)]
    crs: Crs,
}

#[derive(Debug, Serialize, ToSchema)]
struct LonLat {
    lon: f64,
    lat: f64,
}

/// The building found at a point.
#[derive(Debug, Serialize, ToSchema)]
struct Located {
    /// `inside` the building, or the `nearest` within 30 m.
    r#match: &'static str,
    /// Metres from the point to the building (0 inside), to 0.1 m.
    distance_m: f64,
    /// The point as asked.
    query: LocateQuery,
    /// The point in WGS84.
    wgs84: LonLat,
    building: BuildingDetail,
}

/// A point given in `crs`, checked to be on earth, in WGS84.
pub fn wgs84_point(lon: f64, lat: f64, crs: Crs) -> Result<(f64, f64), ApiError> {
    if !is_longitude(lon) {
        return Err(ApiError::invalid("lon", format!("lon must be a longitude from -180 to 180, got {lon}")));
    }
    if !is_latitude(lat) {
        return Err(ApiError::invalid("lat", format!("lat must be a latitude from -90 to 90, got {lat}")));
    }
    Ok(crs.to_wgs84(lon, lat))
}

/// The building at a point (in any datum), else the nearest within 30 m.
#[utoipa::path(
    get, path = "/api/v1/locate", tag = "places", security(("bearer" = []), ("session_cookie" = [])),
    params(LocateQuery),
    responses(
        (status = 200, description = "The building at or near the point", body = Located),
        ReadErrors,
        (status = 404, description = "`nothing_here`: no building within 30 m (`details.wgs84`)", body = ApiErrorBody),
    )
)]
async fn locate(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<LocateQuery>,
) -> Result<axum::Json<Located>, ApiError> {
    let (lon, lat) = (query.lon, query.lat);
    let (wgs_lon, wgs_lat) = wgs84_point(lon, lat, query.crs)?;
    let hit = state.buildings.get().locate(wgs_lon, wgs_lat, LOCATE_RADIUS_M);
    let detail = match hit {
        Some(hit) => {
            store::building(&state.pool, hit.building_id, &user.communities).await?.map(|detail| (hit, detail))
        }
        None => None,
    };
    let Some((hit, detail)) = detail else {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "nothing_here",
            format!("no building at or within {LOCATE_RADIUS_M} m of ({wgs_lon:.6}, {wgs_lat:.6}) WGS84"),
        )
        .with_details(json!({ "wgs84": { "lon": wgs_lon, "lat": wgs_lat } })));
    };
    Ok(axum::Json(Located {
        r#match: if hit.distance_m == 0.0 { "inside" } else { "nearest" },
        distance_m: (hit.distance_m * 10.0).round() / 10.0,
        query,
        wgs84: LonLat { lon: wgs_lon, lat: wgs_lat },
        building: detail,
    }))
}

/// A Mapbox vector tile of one layer, holding what lies in the user's area.
#[utoipa::path(
    get, path = "/tiles/{layer}/{z}/{x}/{tile}", tag = "places", security(("bearer" = []), ("session_cookie" = [])),
    params(
        ("layer" = inline(Layer), Path, description = "Buildings from zoom 13, estates from zoom 11"),
        ("z" = u32, Path, maximum = 22, description = "Zoom"),
        ("x" = u32, Path, description = "Column, below 2^z"),
        ("tile" = String, Path, pattern = r"^[0-9]+\.mvt$", description = "The row `y` (below 2^z) followed by `.mvt`"),
    ),
    responses(
        (status = 200, description = "The tile (empty where the layer has nothing)", body = [u8],
            content_type = "application/vnd.mapbox-vector-tile"),
        ReadErrors,
        (status = 404, description = "`not_found`: no such layer", body = ApiErrorBody),
    )
)]
async fn tile(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((layer, z, x, tile)): Path<(String, u32, u32, String)>,
) -> Result<Response, ApiError> {
    let layer = Layer::parse(&layer).ok_or_else(|| {
        ApiError::not_found(format!("no tile layer «{layer}»; layers are communities, estates, buildings, roads"))
    })?;
    let y = tile
        .strip_suffix(".mvt")
        .and_then(|y| y.parse::<u32>().ok())
        .ok_or_else(|| ApiError::invalid("y", format!("tile «{tile}» must be a row number followed by .mvt")))?;
    let id = TileId::new(z, x, y).map_err(|message| ApiError::invalid("z/x/y", message))?;
    let bytes = tiles::tile(&state.pool, layer, id, &user.communities).await?;
    Ok(([(header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"), (header::CACHE_CONTROL, "no-cache")], bytes)
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_is_parsed_and_checked() {
        assert_eq!(parse_bbox("114.4,30.5,114.41,30.51", MAX_BBOX_DEGREES).ok(), Some([114.4, 30.5, 114.41, 30.51]));
        for bad in [
            "",
            "1,2,3",
            "a,b,c,d",
            "114.41,30.5,114.4,30.51",
            "114,30,115,31",
            "200,30,200.01,30.01",
            "NaN,30,114,30.01",
        ] {
            let error = parse_bbox(bad, MAX_BBOX_DEGREES).expect_err(bad);
            assert_eq!(error.code, "invalid_parameter", "{bad}");
        }
    }
}
