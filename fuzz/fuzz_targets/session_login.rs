//! Sign-in: the body of `POST /api/v1/session` as the handler receives it (axum's JSON extractor
//! into `Login`, then the size and password rules), and the credentials every request may carry
//! (`Authorization: Bearer …`, the `wangge_session` cookie), as `CurrentUser` reads them.

#![no_main]

use axum::http::{HeaderValue, Request, header};
use libfuzzer_sys::fuzz_target;
use wangge::auth::extract::request_token;
use wangge::auth::routes::Login;
use wangge::auth::{password, token};

// The input is the body, a Cookie header and an Authorization header, separated by NUL bytes
// (which neither JSON text nor a header value holds), so that the seeds are readable.
fuzz_target!(|data: &[u8]| {
    let mut pieces = data.splitn(3, |b| *b == 0);
    let (body, cookie, authorization) =
        (pieces.next().unwrap_or_default(), pieces.next().unwrap_or_default(), pieces.next().unwrap_or_default());
    if let Ok(axum::Json(login)) = axum::Json::<Login>::from_bytes(body)
        && !login.oversized()
    {
        let _ = password::check(&login.username, &login.password);
    }
    let mut request = Request::builder();
    if let Ok(value) = HeaderValue::from_bytes(cookie) {
        request = request.header(header::COOKIE, value);
    }
    if let Ok(value) = HeaderValue::from_bytes(authorization) {
        request = request.header(header::AUTHORIZATION, value);
    }
    if let Ok(request) = request.body(()) {
        let (parts, ()) = request.into_parts();
        if let Some(found) = request_token(&parts) {
            assert_eq!(token::hash(&found).len(), 32);
        }
    }
});
