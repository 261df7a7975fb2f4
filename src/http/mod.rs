//! The HTTP service: router assembly (one router per domain room), shared state, static pages,
//! body and rate limits, tracing, and graceful shutdown.

pub mod error;
pub mod extract;
pub mod limit;
pub mod openapi;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{any, get};
use serde::Serialize;
use sqlx::PgPool;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::auth::routes::SessionSettings;
use crate::cases::photos::PhotoSettings;
use crate::places::index::BuildingIndex;
use error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub buildings: Arc<BuildingIndex>,
    pub sessions: SessionSettings,
    pub limits: Arc<limit::Limits>,
    /// Working hours and GPS accuracy limit for case submissions.
    pub cases: Arc<crate::cases::submit::Settings>,
    /// How communities are scored for the monthly ranking.
    pub ranking: crate::leaders::ranking::Weights,
    pub photos: PhotoSettings,
    /// Settles communities' dead spots after their sanitation filings commit.
    pub dead_spots: Arc<crate::cases::dead_spots::Settler>,
}

/// Everything the service answers: the API (unknown API paths get a JSON 404), vector tiles,
/// and the files of the web directory with MapLibre GL under `/vendor/maplibre-gl`.
pub fn router(state: AppState, web_dir: &Path, body_limit: usize) -> Router {
    let maplibre = ServeDir::new(web_dir.join("node_modules/maplibre-gl/dist"));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi::document))
        .merge(crate::auth::routes::routes())
        .merge(crate::audit::routes::routes())
        .merge(crate::places::routes::routes())
        .merge(crate::grids::routes::routes())
        .merge(crate::units::routes::routes())
        .merge(crate::cases::routes::routes())
        .merge(crate::cases::dead_spot_routes::routes())
        .merge(crate::patrols::routes::routes())
        .merge(crate::leaders::routes::routes())
        .merge(crate::cases::photos::routes::routes(state.photos.max_bytes))
        .merge(crate::open311::routes::routes())
        .route("/api/{*rest}", any(|| async { ApiError::not_found("no such API endpoint") }))
        .nest_service("/vendor/maplibre-gl", maplibre)
        .fallback_service(ServeDir::new(web_dir))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// PostGIS's version.
    pub postgis: String,
    /// Buildings in the locate index.
    pub buildings_indexed: usize,
}

/// The service is up and its database answers.
#[utoipa::path(
    get, path = "/healthz", tag = "service", security(()),
    responses((status = 200, description = "Up", body = Health))
)]
async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    let postgis: String = sqlx::query_scalar("select postgis_lib_version()").fetch_one(&state.pool).await?;
    Ok(axum::Json(Health { status: "ok", postgis, buildings_indexed: state.buildings.get().len() }))
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called, so call it
/// before announcing the address: a signal sent as soon as the address is known is not lost.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down");
    })
}
