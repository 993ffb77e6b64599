//! Routes for people and principals: login and logout, break-glass, principal management,
//! dual-control approvals, alerts. Each handler parses, authenticates (except the login itself)
//! and calls `callvault-core`; the rules live there.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use callvault_core::approvals::{AlertView, ApprovalRequest, ApprovalView};
use callvault_core::export::{Export, ExportRequest, Rotation};
use callvault_core::people::{Enrolment, SecondFactor};
use callvault_core::principals::{IssuedToken, PrincipalView};
use callvault_core::CoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::error::ApiError;
use crate::extract::{Authenticated, Source, StrictJson};
use crate::routes::{no_store, Problem};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/sessions", post(login))
        .route("/v1/sessions/current", delete(logout))
        .route("/v1/sessions/current/break-glass", post(break_glass))
        .route("/v1/principals", get(list_principals).post(add_principal))
        .route("/v1/principals/{id}/disable", post(disable_principal))
        .route("/v1/principals/{id}/tokens/rotate", post(rotate_token))
        .route("/v1/approvals", post(request_approval))
        .route("/v1/approvals/{id}/approve", post(approve))
        .route("/v1/alerts", get(alerts))
        .route("/v1/exports", post(export))
        .route("/v1/keys/rotate", post(rotate_keys))
}

/// A login: password and TOTP code (or one recovery code).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    tenant: String,
    username: String,
    password: String,
    /// The 6-digit code from the authenticator app.
    totp: Option<String>,
    /// One of the ten recovery codes, instead of `totp`.
    recovery_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionCreated {
    /// The session token, for `Authorization: Bearer`; shown once.
    token: String,
}

/// Logs a person in (password + TOTP). Rate-limited per account and per address before any
/// password is hashed; a wrong answer of any kind is the same 401.
#[utoipa::path(post, path = "/v1/sessions", request_body = Login,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    Source(source): Source,
    StrictJson(body): StrictJson<Login>,
) -> Result<Response, ApiError> {
    let password = Zeroizing::new(body.password);
    let second = match (body.totp, body.recovery_code) {
        (Some(code), None) => SecondFactor::Totp(code),
        (None, Some(code)) => SecondFactor::Recovery(code),
        _ => {
            return Err(CoreError::invalid(
                "second_factor_required",
                "send exactly one of totp and recovery_code",
            )
            .into())
        }
    };
    let token = state
        .core
        .login(&body.tenant, &body.username, &password, second, source)
        .await?;
    let mut response = (
        StatusCode::CREATED,
        Json(SessionCreated {
            token: token.to_string(),
        }),
    )
        .into_response();
    no_store(&mut response);
    Ok(response)
}

/// Ends the caller's session.
#[utoipa::path(delete, path = "/v1/sessions/current",
    responses((status = 204, description = "logged out"), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
) -> Result<Response, ApiError> {
    state.core.logout(&p).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlass {
    /// Why (10 to 500 characters; recorded redacted).
    reason: String,
    /// How long, 1 to 60.
    minutes: u32,
}

#[derive(Serialize, ToSchema)]
pub struct Elevated {
    /// Unix milliseconds.
    elevated_until: i64,
}

/// Break-glass: the caller's session may reveal every kept type for a while; an alert is
/// raised and the act recorded.
#[utoipa::path(post, path = "/v1/sessions/current/break-glass", request_body = BreakGlass,
    responses((status = 200, body = Elevated), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn break_glass(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<BreakGlass>,
) -> Result<Response, ApiError> {
    let elevated_until = state
        .core
        .break_glass(&p, &body.reason, body.minutes)
        .await?;
    Ok(Json(Elevated { elevated_until }).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct PrincipalList {
    principals: Vec<PrincipalView>,
}

/// The tenant's principals.
#[utoipa::path(get, path = "/v1/principals",
    responses((status = 200, body = PrincipalList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_principals(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
) -> Result<Response, ApiError> {
    let principals = state.core.list_principals(&p).await?;
    Ok(Json(PrincipalList { principals }).into_response())
}

/// A new principal: a person (answered with password, TOTP enrolment and recovery codes,
/// once) or a service (answered with its first token, once).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrincipal {
    /// `person` or `service`.
    kind: String,
    /// The username or service id.
    id: String,
    role: String,
    /// People only; generated when absent.
    password: Option<String>,
    /// Services only.
    scopes: Option<Vec<String>>,
    /// Services only; Unix milliseconds.
    expires_at: Option<i64>,
}

/// Adds a person or a service.
#[utoipa::path(post, path = "/v1/principals", request_body = NewPrincipal,
    responses((status = 201, body = Enrolment), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_principal(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<NewPrincipal>,
) -> Result<Response, ApiError> {
    let mut response = match body.kind.as_str() {
        "person" => {
            if body.scopes.is_some() || body.expires_at.is_some() {
                return Err(CoreError::invalid(
                    "invalid_principal",
                    "scopes and expires_at are for services",
                )
                .into());
            }
            let enrolment = state
                .core
                .enrol_person(&p, &body.id, &body.role, body.password.map(Zeroizing::new))
                .await?;
            (StatusCode::CREATED, Json(enrolment)).into_response()
        }
        "service" => {
            if body.password.is_some() {
                return Err(CoreError::invalid(
                    "invalid_principal",
                    "services have tokens, not passwords",
                )
                .into());
            }
            let issued: IssuedToken = state
                .core
                .create_token(&p, &body.id, &body.role, body.scopes, body.expires_at)
                .await?;
            (StatusCode::CREATED, Json(issued)).into_response()
        }
        _ => return Err(CoreError::invalid("invalid_kind", "kind is person or service").into()),
    };
    no_store(&mut response);
    Ok(response)
}

/// Disables a principal: its tokens and sessions stop working.
#[utoipa::path(post, path = "/v1/principals/{id}/disable", params(("id" = String, Path, description = "principal id")),
    responses((status = 204, description = "disabled"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn disable_principal(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.core.disable_principal(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    /// How long the old tokens keep working (0 to 86400 seconds).
    grace_seconds: u32,
}

/// Rotates a service's token: a new one now, the old ones until the grace period ends.
#[utoipa::path(post, path = "/v1/principals/{id}/tokens/rotate", request_body = Rotate, params(("id" = String, Path, description = "principal id")),
    responses((status = 201, body = IssuedToken), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn rotate_token(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<Rotate>,
) -> Result<Response, ApiError> {
    let issued = state.core.rotate_token(&p, &id, body.grace_seconds).await?;
    let mut response = (StatusCode::CREATED, Json(issued)).into_response();
    no_store(&mut response);
    Ok(response)
}

/// Asks for a second principal's approval of a bulk reveal (dual control).
#[utoipa::path(post, path = "/v1/approvals", request_body = ApprovalRequest,
    responses((status = 201, body = ApprovalView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn request_approval(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<ApprovalRequest>,
) -> Result<Response, ApiError> {
    let view = state.core.request_approval(&p, body).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Approves another principal's request.
#[utoipa::path(post, path = "/v1/approvals/{id}/approve", params(("id" = String, Path, description = "approval id")),
    responses((status = 200, body = ApprovalView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = state.core.approve(&p, &id).await?;
    Ok(Json(view).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct AlertList {
    alerts: Vec<AlertView>,
}

/// The tenant's latest alerts (security officers).
#[utoipa::path(get, path = "/v1/alerts",
    responses((status = 200, body = AlertList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn alerts(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
) -> Result<Response, ApiError> {
    let alerts = state.core.alerts(&p).await?;
    Ok(Json(AlertList { alerts }).into_response())
}

/// Exports redacted conversations (above the dual-control threshold, with an approval).
#[utoipa::path(post, path = "/v1/exports", request_body = ExportRequest,
    responses((status = 200, body = Export), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<ExportRequest>,
) -> Result<Response, ApiError> {
    let out = state.core.export(&p, body).await?;
    let mut response = Json(out).into_response();
    no_store(&mut response);
    Ok(response)
}

/// Rotates the tenant's wrapping key (data keys are rewrapped in the background).
#[utoipa::path(post, path = "/v1/keys/rotate",
    responses((status = 200, body = Rotation), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn rotate_keys(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
) -> Result<Response, ApiError> {
    let out = state.core.rotate_keys(&p).await?;
    Ok(Json(out).into_response())
}
