//! HTTP routes of photos: inspectors, handlers and administrators upload one (before filing or
//! reporting on the case it shows); its uploader, and once the case code has attached it, whoever
//! sees the case, read it and its thumbnail.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::{PhotoError, process, store, thumbnail_name};
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::cases::access::{Viewer, team, visible};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::Path;
use crate::http::limit::Submitter;
use crate::http::openapi::{ChangeErrors, ReadErrors};

/// Room in the upload's body limit for a multipart envelope around a photo of `max_bytes`.
const MULTIPART_FRAMING: usize = 64 << 10;
/// How long a browser may keep a photo: its content never changes, and only its viewer's
/// browser keeps it.
const CACHE: &str = "private, max-age=86400";

/// The routes; uploads get a body limit of their own, `max_bytes` (the photo cap), above the
/// service's.
pub fn routes(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/photos", post(upload).layer(DefaultBodyLimit::max(max_bytes.saturating_add(MULTIPART_FRAMING))))
        .route("/api/v1/photos/{id}", get(photo))
        .route("/api/v1/photos/{id}/thumbnail", get(thumbnail))
}

impl From<PhotoError> for ApiError {
    fn from(error: PhotoError) -> Self {
        let message = error.to_string();
        match error {
            PhotoError::TooLarge { max, .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
                    .with_details(json!({ "max_bytes": max }))
            }
            PhotoError::Unsupported(format) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", message)
                    .with_details(json!({ "accepted": ["image/jpeg", "image/png", "image/webp"],
                            "detected": format.map(|f| f.to_mime_type()) }))
            }
            PhotoError::TooManyPixels => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "image_too_large", message),
            PhotoError::Undecodable(..) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_photo", message),
        }
    }
}

/// A stored photo: its id for a case or a step, and where to read it.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Uploaded {
    id: i64,
    width: u32,
    height: u32,
    bytes: usize,
    url: String,
    thumbnail_url: String,
}

/// `POST /api/v1/photos`: the image as the body (any `Content-Type`: the content decides), or
/// `multipart/form-data` with one file field `photo`. Stored unattached; 201 with its figures.
#[utoipa::path(
    post, path = "/api/v1/photos", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = [u8], content_type = "application/octet-stream", description = "A JPEG, PNG or WebP image as the body (any content type: the content decides), or `multipart/form-data` with one file field `photo`"),
    responses(
        (status = 201, description = "Stored, not yet attached to a case", body = Uploaded),
        ChangeErrors,
    )
)]
async fn upload(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    request: Request,
) -> Result<Response, ApiError> {
    user.area_for(&[Role::Inspector, Role::Handler, Role::Admin])?;
    let upload = read_upload(request, &state).await?;
    let settings = state.photos.clone();
    // At most one photo per core decoded at once.
    let permit = settings.processing.clone().acquire_owned().await.map_err(ApiError::internal)?;
    let (photo, stored_name) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let photo = process(&upload, settings.max_bytes)?;
        let stored_name = store(&settings.dir, &photo).map_err(ApiError::internal)?;
        Ok::<_, ApiError>((photo, stored_name))
    })
    .await
    .map_err(ApiError::internal)??;
    let id = super::record(&state.pool, user.id, &stored_name, &photo).await?;
    let (width, height, bytes) = (photo.width, photo.height, photo.jpeg.len());
    tracing::info!(id, user = user.id, width, height, bytes, "photo stored");
    let body = Uploaded {
        id,
        width,
        height,
        bytes,
        url: format!("/api/v1/photos/{id}"),
        thumbnail_url: format!("/api/v1/photos/{id}/thumbnail"),
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// The upload's bytes, from the raw body or the multipart field `photo`; over the body limit
/// 413 before the rest is read.
async fn read_upload(request: Request, state: &AppState) -> Result<Bytes, ApiError> {
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Bytes::from_request(request, state).await.map_err(|r| body_error(r.status(), r.body_text()));
    }
    let mut form = Multipart::from_request(request, state).await.map_err(|r| body_error(r.status(), r.body_text()))?;
    let mut photo = None;
    while let Some(field) = form.next_field().await.map_err(|e| body_error(e.status(), e.body_text()))? {
        match field.name() {
            Some("photo") if photo.is_none() => {
                photo = Some(field.bytes().await.map_err(|e| body_error(e.status(), e.body_text()))?);
            }
            name => {
                return Err(ApiError::invalid(
                    name.unwrap_or_default(),
                    "the form must have one field, `photo`, holding the image",
                ));
            }
        }
    }
    photo.ok_or_else(|| ApiError::invalid("photo", "the form has no `photo` field"))
}

fn body_error(status: StatusCode, message: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "payload_too_large", message)
    } else {
        ApiError::bad_request("invalid_body", message)
    }
}

/// A photo, to its uploader and to whoever sees its case.
#[utoipa::path(
    get, path = "/api/v1/photos/{id}", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "The JPEG (long edge at most 2,000 px, no EXIF)", body = [u8], content_type = "image/jpeg"),
        ReadErrors,
    )
)]
async fn photo(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    serve(&state, &user, id, |stored_name| stored_name.to_owned()).await
}

/// A photo's thumbnail.
#[utoipa::path(
    get, path = "/api/v1/photos/{id}/thumbnail", tag = "cases", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "The thumbnail JPEG (long edge 320 px)", body = [u8], content_type = "image/jpeg"),
        ReadErrors,
    )
)]
async fn thumbnail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    serve(&state, &user, id, thumbnail_name).await
}

/// A photo's file, to its uploader or to whoever sees its case (per [`visible`]); to anyone else
/// 404, as if it did not exist. A private case's photos may show its exact place, so leaders
/// outside its grid's team, who see private cases without it, do not get them.
async fn serve(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    file: impl Fn(&str) -> String,
) -> Result<Response, ApiError> {
    let sql = format!(
        "select ph.stored_name from photos ph left join cases c on c.id = ph.case_id
         where ph.id = $5
           and (ph.uploader_id = $1
                or (c.id is not null and {} and (not c.private or $2 <> 'leader' or {})))",
        visible(1),
        team(1)
    );
    let viewer = Viewer::from(user);
    let found: Option<(String,)> = viewer.bind(sqlx::query_as(&sql)).bind(id).fetch_optional(&state.pool).await?;
    let (stored_name,) = found.ok_or_else(|| ApiError::not_found(format!("no photo {id}")))?;
    let path = state.photos.dir.join(file(&stored_name));
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| ApiError::internal(format!("reading photo {id} at {}: {e}", path.display())))?;
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static("image/jpeg")),
        (CACHE_CONTROL, HeaderValue::from_static(CACHE)),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    Ok((headers, bytes).into_response())
}
