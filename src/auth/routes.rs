//! Sign-in and accounts over HTTP: `POST/GET/DELETE /api/v1/session`,
//! `POST /api/v1/session/password`, and for administrators `GET/POST /api/v1/users`,
//! `PATCH /api/v1/users/{id}` (disable, enable) and `POST /api/v1/users/{id}/unlock`.
//! Sign-ins are rate-limited per client address and per user name, changes per user
//! (`crate::http::limit`).

use std::net::IpAddr;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::accounts::{self, AccountError, NewUser};
use super::extract::{CurrentUser, SESSION_COOKIE, client_address};
use super::role::{AreaSpec, Role};
use super::store::{AreaError, User};
use super::{password, store, token};
use crate::audit::{self, Actor, Event};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiErrorBody};
use crate::http::extract::{Json, Path};
use crate::http::limit::Submitter;
use crate::http::openapi::{
    BadRequest, ChangeErrors, NotFound, PayloadTooLarge, RateLimited, ReadErrors, Unauthenticated, Unprocessable,
    UnsupportedMediaType,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", post(login).get(me).delete(logout))
        .route("/api/v1/session/password", post(change_password))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", patch(update_user))
        .route("/api/v1/users/{id}/unlock", post(unlock_user))
}

/// Session settings, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    pub hours: i32,
    /// Mark the cookie `Secure` (browsers then send it over HTTPS and to localhost only).
    pub secure_cookie: bool,
}

/// The client's address, when known.
pub struct Client(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client(client_address(parts)))
    }
}

/// The body of `POST /api/v1/session`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Login {
    pub username: String,
    pub password: String,
}

impl Login {
    /// Longer than any account's user name or password could be: refused without a lookup.
    pub fn oversized(&self) -> bool {
        self.username.len() > 64 || self.password.len() > 4 * password::MAX_LENGTH
    }
}

/// A new session: its bearer token (also set as the `wangge_session` cookie) and its user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionStarted {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// One account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    pub user: User,
}

/// The accounts an administrator manages.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong user name or password")
}

/// Signs in: answers a bearer token and sets the session cookie.
#[utoipa::path(
    post, path = "/api/v1/session", tag = "session", security(()),
    request_body = Login,
    responses(
        (status = 200, description = "Signed in", body = SessionStarted,
            headers(("set-cookie" = String, description = "The `wangge_session` cookie (HttpOnly, SameSite=Strict)"))),
        (status = 400, response = BadRequest),
        (status = 401, description = "`invalid_credentials`: wrong user name or password", body = ApiErrorBody),
        (status = 403, description = "`account_locked` (`details.until`) or `account_disabled`", body = ApiErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = RateLimited),
    )
)]
async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    Json(body): Json<Login>,
) -> Result<Response, ApiError> {
    // Before anything is looked up or written: a refused attempt changes nothing stored.
    state.limits.check_login(client, &body.username)?;
    let attempt = Actor { id: None, name: Some(body.username.chars().take(64).collect()), client };
    let failed = |reason: &'static str| Event {
        action: "session.login_failed",
        object_type: Some("user"),
        object_id: None,
        summary: json!({ "reason": reason }),
    };
    if body.oversized() {
        audit::record(&state.pool, &attempt, failed("oversized")).await?;
        return Err(invalid_credentials());
    }
    let found = store::credentials(&state.pool, &body.username).await?;
    let stored = found.as_ref().map_or_else(|| password::dummy_hash().to_owned(), |c| c.password_hash.clone());
    let plain = body.password.clone();
    let matches =
        tokio::task::spawn_blocking(move || password::verify(&plain, &stored)).await.map_err(ApiError::internal)?;
    let Some(user) = found else {
        audit::record(&state.pool, &attempt, failed("unknown user")).await?;
        return Err(invalid_credentials());
    };
    let actor = Actor { id: Some(user.id), name: Some(user.username.clone()), client };
    if let Some(until) = user.locked_until.filter(|until| *until > Utc::now()) {
        audit::record(&state.pool, &actor, failed("locked")).await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_locked",
            "too many failed sign-ins; try again later",
        )
        .with_details(json!({ "until": until })));
    }
    if user.disabled && matches {
        // Only the right password learns that the account is disabled.
        audit::record(&state.pool, &actor, failed("disabled")).await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "this account is disabled; ask an administrator to enable it",
        ));
    }
    if !matches {
        let mut tx = state.pool.begin().await?;
        let locked = if user.disabled { None } else { store::record_failure(&mut *tx, user.id).await? };
        audit::record(&mut *tx, &actor, failed(if user.disabled { "disabled" } else { "wrong password" })).await?;
        if let Some(until) = locked {
            let event = Event::on_user("user.locked", user.id, json!({ "until": until }));
            audit::record(&mut *tx, &actor, event).await?;
        }
        tx.commit().await?;
        return Err(invalid_credentials());
    }
    let (token, token_hash) = token::new_token();
    let mut tx = state.pool.begin().await?;
    store::record_success(&mut *tx, user.id).await?;
    let expires_at = store::create_session(&mut *tx, &token_hash, user.id, state.sessions.hours, client).await?;
    audit::record(&mut *tx, &actor, Event::on_user("session.login", user.id, json!({}))).await?;
    tx.commit().await?;
    let profile = store::user(&state.pool, user.id).await?.ok_or_else(|| ApiError::internal("the user vanished"))?;
    let cookie = session_cookie(&token, state.sessions.hours * 3600, state.sessions.secure_cookie);
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(SessionStarted { token, expires_at, user: profile }))
        .into_response())
}

fn session_cookie(value: &str, max_age_seconds: i32, secure: bool) -> String {
    cookie::Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .secure(secure)
        .same_site(cookie::SameSite::Strict)
        .path("/")
        .max_age(cookie::time::Duration::seconds(i64::from(max_age_seconds)))
        .build()
        .to_string()
}

/// The signed-in user, with role and areas.
#[utoipa::path(
    get, path = "/api/v1/session", tag = "session", security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The signed-in user", body = UserBody), (status = 401, response = Unauthenticated))
)]
async fn me(State(state): State<AppState>, user: CurrentUser) -> Result<axum::Json<UserBody>, ApiError> {
    let profile = store::user(&state.pool, user.id).await?.ok_or_else(no_such_user)?;
    Ok(axum::Json(UserBody { user: profile }))
}

/// Signs out: ends this session and clears the cookie.
#[utoipa::path(
    delete, path = "/api/v1/session", tag = "session", security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 204, description = "Signed out", headers(("set-cookie" = String, description = "Clears the session cookie"))),
        ReadErrors,
    )
)]
async fn logout(State(state): State<AppState>, user: CurrentUser) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    store::delete_session(&mut *tx, &user.token_hash).await?;
    audit::record(&mut *tx, &user.actor(), Event::on_user("session.logout", user.id, json!({}))).await?;
    tx.commit().await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session_cookie("", 0, state.sessions.secure_cookie))])
        .into_response())
}

#[derive(Deserialize, ToSchema)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changes the signed-in user's password; their other sessions end.
#[utoipa::path(
    post, path = "/api/v1/session/password", tag = "session", security(("bearer" = []), ("session_cookie" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "`invalid_credentials`: the current password is wrong", body = ApiErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = RateLimited),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let found =
        store::credentials(&state.pool, &user.username).await?.ok_or_else(|| ApiError::not_found("no such user"))?;
    let (current, stored) = (body.current_password.clone(), found.password_hash.clone());
    if !tokio::task::spawn_blocking(move || password::verify(&current, &stored)).await.map_err(ApiError::internal)? {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "invalid_credentials", "the current password is wrong")
            .with_details(json!({ "field": "current_password" })));
    }
    password::check(&user.username, &body.new_password)
        .map_err(|rule| ApiError::invalid("new_password", rule.to_string()))?;
    let new = body.new_password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&new)).await.map_err(ApiError::internal)?;
    let mut tx = state.pool.begin().await?;
    store::set_password(&mut *tx, user.id, &hash).await?;
    store::delete_other_sessions(&mut *tx, user.id, &user.token_hash).await?;
    audit::record(&mut *tx, &user.actor(), Event::on_user("user.password_change", user.id, json!({}))).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Administrators: the accounts within their area.
#[utoipa::path(
    get, path = "/api/v1/users", tag = "users", security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The accounts", body = UserList),
        ReadErrors,
    )
)]
async fn list_users(State(state): State<AppState>, user: CurrentUser) -> Result<axum::Json<UserList>, ApiError> {
    user.require_admin()?;
    Ok(axum::Json(UserList { users: store::users_within(&state.pool, &user.communities).await? }))
}

#[derive(Deserialize, ToSchema)]
struct CreateUser {
    username: String,
    role: Role,
    password: String,
    /// `district:NAME` or `community:NAME` (a name or an id).
    #[serde(default)]
    areas: Vec<String>,
    /// A handler's organisation (its id): the cases routed to it are the handler's queue.
    organisation: Option<i64>,
}

/// Administrators: creates an account within their area.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users", security(("bearer" = []), ("session_cookie" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserBody),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not an administrator, or an area outside their own", body = ApiErrorBody),
        (status = 409, description = "`username_taken`", body = ApiErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = RateLimited),
    )
)]
async fn create_user(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Json(body): Json<CreateUser>,
) -> Result<Response, ApiError> {
    user.require_admin()?;
    let areas = body
        .areas
        .iter()
        .map(|a| a.parse::<AreaSpec>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::invalid("areas", e))?;
    let new = NewUser {
        username: body.username,
        role: body.role,
        password: body.password,
        areas,
        organisation: body.organisation,
    };
    let mut tx = state.pool.begin().await?;
    let id =
        accounts::create(&mut tx, &new, &user.actor(), Some(&user.communities)).await.map_err(|error| match error {
            AccountError::Username => ApiError::invalid("username", error.to_string()),
            AccountError::Password(rule) => ApiError::invalid("password", rule.to_string()),
            AccountError::Area(AreaError::Database(e)) => e.into(),
            AccountError::Area(e) => ApiError::invalid("areas", e.to_string()),
            AccountError::Taken(_) => ApiError::new(StatusCode::CONFLICT, "username_taken", error.to_string())
                .with_details(json!({ "field": "username" })),
            AccountError::OutsideArea(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", error.to_string())
                .with_details(json!({ "field": "areas" })),
            AccountError::Organisation(message) => ApiError::invalid("organisation", message),
            AccountError::Database(e) => e.into(),
        })?;
    tx.commit().await?;
    let profile = store::user(&state.pool, id).await?.ok_or_else(no_such_user)?;
    Ok((StatusCode::CREATED, axum::Json(UserBody { user: profile })).into_response())
}

/// `PATCH /api/v1/users/{id}`: what an administrator may change of an account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserChange {
    disabled: bool,
}

fn no_such_user() -> ApiError {
    ApiError::not_found("no such user")
}

/// Administrators: disables or enables an account within their area. Disabling ends the user's
/// sessions and refuses their sign-ins; asking for the state the account is in changes nothing.
#[utoipa::path(
    patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    request_body = UserChange,
    responses(
        (status = 200, description = "The account as it is now", body = UserBody),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not an administrator, or disabling their own account", body = ApiErrorBody),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = RateLimited),
    )
)]
async fn update_user(
    State(state): State<AppState>,
    Submitter(admin): Submitter,
    Path(id): Path<i64>,
    Json(change): Json<UserChange>,
) -> Result<axum::Json<UserBody>, ApiError> {
    admin.require_admin()?;
    let mut tx = state.pool.begin().await?;
    let before = store::managed_user(&mut tx, id, &admin.communities).await?.ok_or_else(no_such_user)?;
    if change.disabled && id == admin.id {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "you may not disable your own account")
            .with_details(json!({ "field": "disabled" })));
    }
    if before.disabled != change.disabled {
        store::set_disabled(&mut *tx, id, change.disabled).await?;
        let event = if change.disabled {
            let ended = store::delete_sessions(&mut *tx, id).await?;
            Event::on_user("user.disable", id, json!({ "username": before.username, "sessions_ended": ended }))
        } else {
            Event::on_user("user.enable", id, json!({ "username": before.username }))
        };
        audit::record(&mut *tx, &admin.actor(), event).await?;
    }
    tx.commit().await?;
    let profile = store::user(&state.pool, id).await?.ok_or_else(no_such_user)?;
    Ok(axum::Json(UserBody { user: profile }))
}

/// Administrators: clears an account's failed sign-ins and lock, within their area.
#[utoipa::path(
    post, path = "/api/v1/users/{id}/unlock", tag = "users", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The account as it is now", body = UserBody),
        ChangeErrors,
    )
)]
async fn unlock_user(
    State(state): State<AppState>,
    Submitter(admin): Submitter,
    Path(id): Path<i64>,
) -> Result<axum::Json<UserBody>, ApiError> {
    admin.require_admin()?;
    let mut tx = state.pool.begin().await?;
    let before = store::managed_user(&mut tx, id, &admin.communities).await?.ok_or_else(no_such_user)?;
    if before.failed_logins != 0 || before.locked_until.is_some() {
        store::record_success(&mut *tx, id).await?;
        let summary = json!({
            "username": before.username,
            "failed_logins": before.failed_logins,
            "until": before.locked_until,
        });
        audit::record(&mut *tx, &admin.actor(), Event::on_user("user.unlock", id, summary)).await?;
    }
    tx.commit().await?;
    let profile = store::user(&state.pool, id).await?.ok_or_else(no_such_user)?;
    Ok(axum::Json(UserBody { user: profile }))
}
