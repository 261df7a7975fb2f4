//! `CurrentUser`: the one extractor that authenticates a request, from the session cookie
//! (pages) or an `Authorization: Bearer` token (API clients). Handlers take it as an argument;
//! area checks then go into their queries through [`CurrentUser::communities`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;

use super::role::Role;
use super::store;
use super::token;
use crate::audit::Actor;
use crate::http::AppState;
use crate::http::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "wangge_session";

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// Communities this user may act in (their sub-districts' communities and their own).
    pub communities: Arc<[i64]>,
    /// The organisation a handler acts for.
    pub organisation_id: Option<i64>,
    pub token_hash: Vec<u8>,
    pub client: Option<IpAddr>,
}

impl CurrentUser {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role.is_admin() {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("the {} role may not do this", self.role)))
        }
    }

    /// This user's communities when their role is one of `roles`, else 403 naming the role.
    pub fn area_for(&self, roles: &[Role]) -> Result<&[i64], ApiError> {
        if roles.contains(&self.role) {
            Ok(&self.communities)
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("the {} role may not do this", self.role)))
        }
    }

    /// Whether a community is inside this user's area.
    pub fn may_see_community(&self, community_id: i64) -> bool {
        self.communities.binary_search(&community_id).is_ok()
    }

    pub fn actor(&self) -> Actor {
        Actor { id: Some(self.id), name: Some(self.username.clone()), client: self.client }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = request_token(parts).ok_or_else(|| unauthenticated("sign in first"))?;
        let token_hash = token::hash(&token);
        let user = store::session_user(&state.pool, &token_hash)
            .await?
            .ok_or_else(|| unauthenticated("the session has expired or was ended; sign in again"))?;
        Ok(CurrentUser {
            id: user.id,
            username: user.username,
            role: user.role.0,
            communities: user.communities.into(),
            organisation_id: user.organisation_id,
            token_hash,
            client: client_address(parts),
        })
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
}

/// The session token a request carries: `Authorization: Bearer …`, else the session cookie.
pub fn request_token(parts: &Parts) -> Option<String> {
    bearer_token(parts).or_else(|| session_cookie(parts))
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// The peer address, when the server was started with connect info (tests through `oneshot`
/// have none).
pub fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}
