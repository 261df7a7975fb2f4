//! The API's one error type: every failure answers JSON `{"error": {"code", "message", "details"}}`
//! with a 4xx that says what is wrong in the field's terms, or a 500 whose cause is logged, not
//! returned. Extractor rejections (bad JSON, bad query strings, oversized bodies) use it too.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection, StringRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, machine-readable: `invalid_parameter`, `not_found`, `nothing_here`, …
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    /// Seconds after which to try again, sent as `Retry-After` (429 `rate_limited`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: None, retry_after: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A parameter with a wrong value; `details.field` names it.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::bad_request("invalid_parameter", message).with_details(json!({ "field": field }))
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// A failure that is ours, not the client's: logged in full, answered without detail.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the cause is in the service log")
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub error: ErrorObject,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorObject {
    /// Stable, machine-readable: `invalid_parameter`, `unauthenticated`, `not_found`, …
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
    /// More about it when there is more: `field` names a bad parameter, `retry_after` the seconds
    /// to wait, `violations` a plan's, …
    #[schema(required = true)]
    pub details: Option<Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ApiErrorBody { error: ErrorObject { code: self.code, message: self.message, details: self.details } };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// SQLSTATEs of text PostgreSQL cannot store: U+0000 in a text value (22021) or in JSON (22P05).
/// No check before the query catches every string a request can carry, so these are the client's.
const UNSTORABLE_TEXT: [&str; 2] = ["22021", "22P05"];

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.code().is_some_and(|code| UNSTORABLE_TEXT.contains(&code.as_ref())) => {
                ApiError::bad_request("invalid_text", "text in the request holds the NUL character (U+0000)")
            }
            _ => ApiError::internal(error),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "invalid_json" };
        ApiError::new(status, code, rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request("invalid_parameter", rejection.body_text())
    }
}

/// A text body (an equivalency CSV) that is not UTF-8 (400) or too large (413).
impl From<StringRejection> for ApiError {
    fn from(rejection: StringRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "invalid_body" };
        ApiError::new(status, code, rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request("invalid_path", rejection.body_text())
    }
}
