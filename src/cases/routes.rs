//! HTTP routes of cases (docs/CASES.md): filing (with `Idempotency-Key`), the nearby open cases
//! offered before filing, additions to an existing case, lists and queues, one case with its
//! timeline, and workflow steps. Who sees what is decided in `access`, who may act in `act`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::access::Viewer;
use super::act::{self, Step};
use super::idempotency::{self, Claim, Owner};
use super::store::{self, Case, Filter};
use super::workflow::Action;
use super::submit::{self, DUPLICATE_RADIUS_M, MAX_PHOTOS, NewCase};
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path, Query};
use crate::http::limit::Submitter;
use crate::places::routes::wgs84_point;
use crate::refusal::Refusal;
use crate::spatial::datum::Crs;
use crate::units::categories;
use crate::http::openapi::{ChangeErrors, ReadErrors};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases", get(list).post(create))
        .route("/api/v1/cases/settings", get(settings))
        .route("/api/v1/cases/nearby", get(nearby))
        .route("/api/v1/cases/{id}", get(one))
        .route("/api/v1/cases/{id}/actions", post(step))
        .route("/api/v1/cases/{id}/additions", post(add))
}

/// Roles that file cases from the map: inspectors, and administrators (hotline calls).
const FILERS: &[Role] = &[Role::Inspector, Role::Admin];

#[derive(Serialize, ToSchema)]
struct Settings {
    /// Above this reported GPS accuracy (m) the page warns, and snaps only within it.
    accuracy_limit_m: f64,
    duplicate_radius_m: f64,
    max_photos: usize,
    max_description_chars: usize,
}

/// What the filing page needs to know: the GPS accuracy limit, the duplicate radius, photo and description limits.
#[utoipa::path(
    get, path = "/api/v1/cases/settings", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The settings", body = Settings),
        ReadErrors,
    )
)]
async fn settings(State(state): State<AppState>, _user: CurrentUser) -> Response {
    axum::Json(Settings {
        accuracy_limit_m: state.cases.accuracy_limit_m,
        duplicate_radius_m: DUPLICATE_RADIUS_M,
        max_photos: MAX_PHOTOS,
        max_description_chars: submit::MAX_DESCRIPTION_CHARS,
    })
    .into_response()
}

/// The answer to a filing: the case and what the page should tell the inspector.
#[derive(Serialize, utoipa::ToSchema)]
struct Filed {
    #[serde(flatten)]
    case: Case,
    /// `low_accuracy` when the reported accuracy is above the limit.
    warnings: Vec<&'static str>,
}

/// Files a case at a point (WGS84, GCJ-02 or BD-09): snapped, routed, dispatched with a deadline.
#[utoipa::path(
    post, path = "/api/v1/cases", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing: the same key and body answer the original case again (with `idempotent-replay: true`), the same key with another body 422")),
    request_body = NewCase,
    responses(
        (status = 201, description = "Filed, routed and dispatched", body = Filed),
        ChangeErrors,
    )
)]
async fn create(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    user.area_for(FILERS)?;
    let key = idempotency::from_headers(&headers)?;
    let new: NewCase = serde_json::from_value(body.clone())
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json", e.to_string()))?;
    let owner = Owner::User(user.id);
    let mut tx = state.pool.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay { status, body } = idempotency::claim(&mut tx, owner, key, &idempotency::fingerprint(&body)).await?
    {
        return Ok(idempotency::replay(status, body));
    }
    let index = state.buildings.get();
    let id = submit::submit(&mut tx, &index, &new, &user.communities, &user.actor(), &state.cases, chrono::Utc::now()).await?;
    let case = store::get(&mut tx, id, &Viewer::from(&user), false).await?.ok_or_else(|| ApiError::not_found(format!("case {id} vanished")))?;
    let (category, community) = (case.category.clone(), case.community_id);
    let low = new.accuracy_m.is_some_and(|a| a > state.cases.accuracy_limit_m);
    let answer = serde_json::to_value(Filed { case, warnings: if low { vec!["low_accuracy"] } else { vec![] } })
        .map_err(ApiError::internal)?;
    if let Some(key) = &key {
        idempotency::record(&mut tx, owner, key, StatusCode::CREATED.as_u16(), &answer).await?;
    }
    tx.commit().await?;
    state.dead_spots.filed(&category, community);
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

#[derive(Serialize, ToSchema)]
struct Cases {
    cases: Vec<Case>,
}

/// Cases and queues (`queue`, `overdue`, `due_today`, `sort`).
#[utoipa::path(
    get, path = "/api/v1/cases", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(Filter),
    responses(
        (status = 200, description = "The cases the user sees", body = Cases),
        ReadErrors,
    )
)]
async fn list(State(state): State<AppState>, user: CurrentUser, Query(filter): Query<Filter>) -> Result<Response, ApiError> {
    let order = store::order_by(filter.sort.as_deref())
        .ok_or_else(|| ApiError::invalid("sort", "sort is deadline, created or -created"))?;
    if let Some(status) = &filter.status {
        status.parse::<super::workflow::Status>().map_err(|e| ApiError::invalid("status", e))?;
    }
    let mut db = state.pool.acquire().await?;
    let cases = store::list(&mut db, &filter, &Viewer::from(&user), order).await?;
    Ok(axum::Json(Cases { cases }).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
struct PhotoLink {
    id: i64,
    url: String,
    thumbnail_url: String,
}

/// A case as its page shows it.
#[derive(Serialize, ToSchema)]
struct CaseDetail {
    case: Case,
    events: Vec<store::CaseEvent>,
    photos: Vec<PhotoLink>,
    /// The steps the user may take now.
    allowed: Vec<super::workflow::Action>,
}

/// A case with its timeline, photos and the steps the user may take.
#[utoipa::path(
    get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The case's id")),
    responses(
        (status = 200, description = "The case", body = CaseDetail),
        ReadErrors,
    )
)]
async fn one(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let viewer = Viewer::from(&user);
    let mut db = state.pool.acquire().await?;
    let case = store::get(&mut db, id, &viewer, false).await?.ok_or_else(|| ApiError::not_found(format!("no case {id} in your area")))?;
    let mut events = store::events(&mut db, id).await?;
    if case.coarse {
        // Outside the grid's team a private case's timeline says what happened, not what was said.
        for event in &mut events {
            event.note = None;
            event.photos.clear();
        }
    }
    let photos: Vec<PhotoLink> = events
        .iter()
        .flat_map(|e| e.photos.iter())
        .map(|&id| PhotoLink { id, url: format!("/api/v1/photos/{id}"), thumbnail_url: format!("/api/v1/photos/{id}/thumbnail") })
        .collect();
    let standing = act::standing(&mut db, &case, &viewer).await?;
    let allowed = act::allowed(&case, standing);
    Ok(axum::Json(CaseDetail { case, events, photos, allowed }).into_response())
}

/// The case after a step, or, when the step took it out of the user's sight (returned, handed
/// to another unit), a note saying so.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum StepAnswer {
    Case(Case),
    Left { id: i64, visible: bool, message: &'static str },
}

/// A workflow step (409 `illegal_transition` names the allowed ones).
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/actions", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The case's id")),
    request_body = Step,
    responses(
        (status = 200, description = "The case after the step, or a note that it left the user's queue", body = StepAnswer),
        ChangeErrors,
    )
)]
async fn step(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<Step>,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let case = act::act(&mut tx, id, &body, &Viewer::from(&user), &user.actor(), &state.cases, chrono::Utc::now()).await?;
    tx.commit().await?;
    if matches!(body.action, Action::Cancel | Action::Duplicate) {
        // A cancelled sanitation finding leaves its place: settle the community.
        let pending: Option<i64> = sqlx::query_scalar("select community_id from cases where id = $1 and dead_spot_pending")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
        if let Some(community) = pending {
            state.dead_spots.request(community);
        }
    }
    let answer = match case {
        Some(case) => StepAnswer::Case(case),
        None => StepAnswer::Left { id, visible: false, message: "the case has left your queue" },
    };
    Ok(axum::Json(answer).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct NearbyQuery {
    lon: f64,
    lat: f64,
    #[serde(default)]
    crs: Crs,
    category: String,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
struct NearbyCase {
    id: i64,
    number: String,
    category: String,
    status: String,
    distance_m: f64,
    created_at: chrono::DateTime<chrono::Utc>,
    description: String,
}

#[derive(Serialize, ToSchema)]
struct Nearby {
    radius_m: f64,
    cases: Vec<NearbyCase>,
}

/// Open cases of the same category within 50 m, in the user's area, nearest first: offered to
/// an inspector before filing, to add to instead. Private categories are left out.
#[utoipa::path(
    get, path = "/api/v1/cases/nearby", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(NearbyQuery),
    responses(
        (status = 200, description = "Open cases nearby, nearest first", body = Nearby),
        ReadErrors,
    )
)]
async fn nearby(State(state): State<AppState>, user: CurrentUser, Query(query): Query<NearbyQuery>) -> Result<Response, ApiError> {
    user.area_for(FILERS)?;
    let (lon, lat) = wgs84_point(query.lon, query.lat, query.crs)?;
    let mut db = state.pool.acquire().await?;
    let category = categories::leaf(&mut db, query.category.trim()).await?;
    let cases: Vec<NearbyCase> = if category.private {
        Vec::new()
    } else {
        sqlx::query_as(
            "with p as (select st_setsrid(st_makepoint($1, $2), 4326) as pt)
             select c.id, c.number, c.category, c.status, st_distance(c.location::geography, p.pt::geography) as distance_m,
                    c.created_at, left(c.description, 80) as description
             from cases c, p
             where c.category = $3 and c.community_id = any($4)
               and c.status not in ('closed', 'cancelled', 'handled', 'verified')
               and st_dwithin(c.location::geography, p.pt::geography, $5)
             order by distance_m limit 20",
        )
        .bind(lon)
        .bind(lat)
        .bind(&category.code)
        .bind(&user.communities[..])
        .bind(DUPLICATE_RADIUS_M)
        .fetch_all(&mut *db)
        .await?
    };
    Ok(axum::Json(Nearby { radius_m: DUPLICATE_RADIUS_M, cases }).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Addition {
    note: String,
    #[serde(default)]
    photos: Vec<i64>,
}

/// Adds an inspector's finding to an open case near it instead of filing a duplicate.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/additions", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The case's id")),
    request_body = Addition,
    responses(
        (status = 201, description = "The case with the addition", body = Case),
        ChangeErrors,
    )
)]
async fn add(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<Addition>,
) -> Result<Response, ApiError> {
    user.area_for(FILERS)?;
    let note = body.note.trim();
    if note.is_empty() || note.chars().count() > act::MAX_NOTE_CHARS {
        return Err(Refusal::invalid("note", "required", format!("an addition has a note of 1 to {} characters", act::MAX_NOTE_CHARS)).into());
    }
    if body.photos.len() > MAX_PHOTOS {
        return Err(Refusal::invalid("photos", "too_many_photos", format!("at most {MAX_PHOTOS} photos")).into());
    }
    let mut tx = state.pool.begin().await?;
    let found: Option<(String, i64)> = sqlx::query_as(
        "select status, community_id from cases
         where id = $1 and community_id = any($2) and not private for update",
    )
    .bind(id)
    .bind(&user.communities[..])
    .fetch_optional(&mut *tx)
    .await?;
    let (status, community) = found.ok_or_else(|| ApiError::not_found(format!("no case {id} in your area")))?;
    let status: super::workflow::Status = status.parse().map_err(ApiError::internal)?;
    if matches!(status, super::workflow::Status::Closed | super::workflow::Status::Cancelled) {
        return Err(Refusal::conflict("case_finished", format!("case {id} is {status}; file a new one")).into());
    }
    let actor = user.actor();
    let event = store::append(&mut tx, store::NewEvent { case_id: id, at: chrono::Utc::now(), actor: &actor, action: "addition", from: Some(status), to: status, note: Some(note), details: json!({}) }).await?;
    submit::attach(&mut tx, &body.photos, &actor, id, event).await?;
    let entry = crate::audit::Event { action: "case.addition", object_type: Some("case"), object_id: Some(id.to_string()), summary: json!({}) };
    crate::audit::record_in(&mut *tx, &actor, entry, &[community]).await?;
    let case = store::get(&mut tx, id, &Viewer::from(&user), false).await?.ok_or_else(|| ApiError::not_found(format!("no case {id}")))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(case)).into_response())
}
