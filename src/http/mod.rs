//! The HTTP service: router assembly (one router per domain room), shared state, static pages,
//! limits, tracing, and graceful shutdown.

pub mod error;
pub mod extract;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{any, get};
use serde_json::json;
use sqlx::PgPool;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::places::index::BuildingIndex;
use error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub buildings: Arc<BuildingIndex>,
}

/// Everything the service answers: the API (unknown API paths get a JSON 404), vector tiles,
/// and the files of the web directory with MapLibre GL under `/vendor/maplibre-gl`.
pub fn router(state: AppState, web_dir: &Path, body_limit: usize) -> Router {
    let maplibre = ServeDir::new(web_dir.join("node_modules/maplibre-gl/dist"));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::places::routes::routes())
        .route("/api/{*rest}", any(|| async { ApiError::not_found("no such API endpoint") }))
        .nest_service("/vendor/maplibre-gl", maplibre)
        .fallback_service(ServeDir::new(web_dir))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let postgis: String = sqlx::query_scalar("select postgis_lib_version()").fetch_one(&state.pool).await?;
    Ok(axum::Json(json!({ "status": "ok", "postgis": postgis, "buildings_indexed": state.buildings.get().len() })))
}

/// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
