//! `ApiError`: every failure becomes `application/problem+json` (RFC 9457) with a status and a
//! stable `code`. Bodies never carry request content, values or secrets; internal causes were
//! logged where they happened.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use callvault_core::CoreError;
use serde::Serialize;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// Seconds for `Retry-After` (rate limits).
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> ApiError {
        let detail = e.to_string();
        let (status, code) = match &e {
            CoreError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            CoreError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            CoreError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            CoreError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, *code),
            CoreError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            CoreError::Erased => (StatusCode::GONE, "erased"),
            CoreError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            CoreError::AuditFailed => (StatusCode::SERVICE_UNAVAILABLE, "audit_log_failed"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let mut error = ApiError::new(status, code, detail);
        if let CoreError::RateLimited(seconds) = e {
            error.retry_after = Some(seconds);
        }
        error
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("error");
        let body = Problem {
            kind: format!("https://callvault.dev/problems/{}", self.code),
            title,
            status: self.status.as_u16(),
            code: self.code,
            detail: &self.detail,
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (self.status, json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_say_when_to_retry() {
        let response = ApiError::from(CoreError::RateLimited(60)).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "60");
        let response = ApiError::from(CoreError::Forbidden("no")).into_response();
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
    }
}
