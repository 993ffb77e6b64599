//! Request extractors: the authenticated principal and strict JSON bodies.
//!
//! `Authenticated` makes authentication a type: a handler that takes it cannot run for an
//! unauthenticated request. `StrictJson` reads the body (the body limit layer caps its size),
//! requires `application/json`, refuses unknown fields (the types say `deny_unknown_fields`) and
//! describes errors by category and position only: serde's own messages can quote the value,
//! and request values may be personal data.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use callvault_core::CoreError;
use callvault_store::Principal;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::AppState;

/// The caller, authenticated by a bearer token and within its rate limit.
pub struct Authenticated(pub Principal);

impl<S> FromRequestParts<S> for Authenticated
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = authenticate(&AppState::from_ref(state), parts).await?;
        Ok(Authenticated(principal))
    }
}

/// The caller behind a request's bearer token, within its rate limit; the request's log line
/// records its tenant. Shared by [`Authenticated`] and the proxy, which answers errors in its
/// own shape.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Principal, CoreError> {
    let token = bearer(&parts.headers);
    let principal = state.core.authenticate(token, peer(parts)).await?;
    if let Some(log) = parts.extensions.get::<std::sync::Arc<crate::RequestLog>>() {
        let _ = log.tenant.set(principal.tenant.clone());
    }
    let key = (principal.tenant.clone(), principal.id.clone());
    if state.limiter.check_key(&key).is_err() {
        return Err(CoreError::RateLimited(1));
    }
    Ok(principal)
}

/// The token of an `Authorization: Bearer TOKEN` header (the scheme in any case, RFC 9110
/// 11.1), or "" when there is none.
pub fn bearer(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or("")
}

/// The peer address, when served over a socket (tests through `oneshot` have none).
fn peer(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// A JSON body parsed strictly.
pub struct StrictJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let mime = v.split(';').next().unwrap_or("").trim();
                mime.eq_ignore_ascii_case("application/json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the request body is too large",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    "the request body could not be read",
                )
            }
        })?;
        if std::str::from_utf8(&bytes).is_err() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_utf8",
                "the body is not valid UTF-8",
            ));
        }
        serde_json::from_slice(&bytes).map(StrictJson).map_err(|e| {
            use serde_json::error::Category;
            let (code, what) = match e.classify() {
                Category::Syntax | Category::Io => ("malformed_json", "malformed JSON"),
                Category::Eof => ("malformed_json", "truncated JSON"),
                Category::Data => (
                    "invalid_body",
                    "wrong shape: a field is missing, unknown, or has the wrong type",
                ),
            };
            ApiError::new(
                StatusCode::BAD_REQUEST,
                code,
                format!("{what} (line {}, column {})", e.line(), e.column()),
            )
        })
    }
}

/// A query string parsed strictly; a bad one is a problem+json 400 that does not quote it.
pub struct StrictQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for StrictQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| StrictQuery(q.0))
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "the query string has unknown, missing or malformed parameters",
                )
            })
    }
}

/// The peer's address, when served over a socket (tests through `oneshot` have none).
pub struct Source(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Source(peer(parts)))
    }
}
