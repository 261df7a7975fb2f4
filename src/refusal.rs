//! Why a domain operation refuses a request, in the request's terms, shared by the domain
//! modules (responsible units, cases) and answered by the API as 404 / 422 / 409 / 403.

use axum::http::StatusCode;
use serde_json::json;

use crate::http::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No such object in the user's area.
    #[error("{0}")]
    NotFound(String),
    /// A field with a wrong value; `code` says which kind of wrong.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, code: &'static str, message: String },
    /// The change collides with what is stored (a second grid leader, a duplicate phone, …).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A workflow step the case's status does not allow; the refusal names the allowed ones.
    #[error(transparent)]
    Transition(#[from] crate::cases::workflow::IllegalTransition),
    /// The object is visible but this user may not do that to it.
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Refusal {
    pub fn invalid(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Refusal::Invalid { field, code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Refusal::Conflict { code, message: message.into() }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound(message) => ApiError::not_found(message),
            Refusal::Invalid { field, code, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_details(json!({ "field": field }))
            }
            Refusal::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            Refusal::Transition(illegal) => ApiError::new(StatusCode::CONFLICT, "illegal_transition", illegal.to_string())
                .with_details(json!({ "status": illegal.status, "action": illegal.action, "allowed": illegal.allowed })),
            Refusal::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            Refusal::Database(error) => ApiError::internal(error),
        }
    }
}
