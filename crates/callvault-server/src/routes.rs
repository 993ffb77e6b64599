//! The routes. Each handler: extract (auth, strict body), call core, shape the response. The
//! `#[utoipa::path]` annotations generate `GET /openapi.json` from these very handlers and types.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use callvault_core::audit::InclusionProof;
use callvault_core::principals::IssuedToken;
use callvault_core::reveal::RevealedValue;
use callvault_core::{
    ConversationView, ErasureReceipt, FindingOut, PartialOut, Purpose, RevealRequest,
    RevealResponse, SearchHit, Speaker, TurnInput, TurnOut, TurnView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::ApiError;
use crate::extract::{Authenticated, StrictJson, StrictQuery};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route(
            "/v1/conversations",
            post(create_conversation).get(list_conversations),
        )
        .route("/v1/conversations/{id}", get(conversation))
        .route("/v1/conversations/{id}/turns", post(ingest_turn))
        .route("/v1/conversations/{id}/stream", get(crate::stream::upgrade))
        .route("/v1/conversations/{id}/legal-hold", put(set_legal_hold))
        .route("/v1/search", get(search).post(search_post))
        .route("/v1/customers/{customer_ref}", delete(erase_customer))
        .route(
            "/v1/principals/{id}/tokens",
            delete(revoke_tokens).post(create_token),
        )
        .route("/v1/reveal", post(reveal))
        .merge(crate::people::router())
        .route("/v1/audit/checkpoint", get(audit_checkpoint))
        .route("/v1/audit/proof/inclusion", get(audit_inclusion))
        .route("/v1/audit/proof/consistency", get(audit_consistency))
        .route("/v1/audit/entries", get(audit_entries))
        .route("/v1/retention", put(set_retention))
        .fallback(not_found)
}

/// The OpenAPI document of this API.
#[derive(OpenApi)]
#[openapi(
    info(title = "callvault", description = "Conversation store and ingest API for AI call centers: every turn redacted and sealed before it is stored."),
    paths(healthz, metrics, create_conversation, list_conversations, conversation, ingest_turn, crate::stream::upgrade, set_legal_hold, search, search_post, erase_customer, revoke_tokens, create_token, set_retention, reveal, audit_checkpoint, audit_inclusion, audit_consistency, audit_entries, crate::people::login, crate::people::logout, crate::people::break_glass, crate::people::list_principals, crate::people::add_principal, crate::people::disable_principal, crate::people::rotate_token, crate::people::request_approval, crate::people::approve, crate::people::alerts, crate::people::export, crate::people::rotate_keys, crate::proxy::chat_completions),
    components(schemas(callvault_core::export::ExportRequest, callvault_core::export::Export, callvault_core::export::Rotation, callvault_core::approvals::ApprovalAction, crate::people::Login, crate::people::SessionCreated, crate::people::BreakGlass, crate::people::Elevated, crate::people::NewPrincipal, crate::people::Rotate, crate::people::PrincipalList, callvault_core::people::Enrolment, callvault_core::principals::PrincipalView, callvault_core::approvals::ApprovalRequest, callvault_core::approvals::ApprovalView, callvault_core::approvals::AlertView, crate::people::AlertList, NewToken, IssuedToken, RevealRequest, RevealResponse, RevealedValue, Purpose, InclusionProof, ConsistencyProof, AuditEntries, SearchQuery, NewConversation, ConversationCreated, ConversationList, ConversationSummary, NewTurn, TurnOut, FindingOut, ConversationView, TurnView, SearchResult, SearchHit, ErasureReceipt, Revoked, Retention, LegalHold, LegalHoldOut, Speaker, PartialOut, Problem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// An error body (`application/problem+json`, RFC 9457).
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    /// Stable machine-readable code, e.g. `invalid_body`, `unauthenticated`, `not_found`.
    code: String,
    detail: String,
}

async fn openapi() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
        .into_response(),
    }
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive")))]
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

/// Metrics in Prometheus text format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text", content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// A route asked with a method it does not take.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    /// An opaque id from your own systems: never personal data.
    customer_ref: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationCreated {
    id: String,
    customer_ref: String,
    created_at: i64,
}

/// Starts a conversation for a customer.
#[utoipa::path(post, path = "/v1/conversations", request_body = NewConversation,
    responses((status = 201, body = ConversationCreated), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_conversation(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<NewConversation>,
) -> Result<Response, ApiError> {
    let row = state
        .core
        .create_conversation(&p, &body.customer_ref)
        .await?;
    metrics::counter!("callvault_conversations_created_total").increment(1);
    let out = ConversationCreated {
        id: row.id,
        customer_ref: row.customer_ref,
        created_at: row.created_at,
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTurn {
    speaker: Speaker,
    text: String,
    /// Final ASR result (default true); interim results go over the stream.
    #[serde(rename = "final", default = "yes")]
    #[schema(rename = "final")]
    is_final: bool,
    #[serde(default)]
    started_at: Option<i64>,
    #[serde(default)]
    ended_at: Option<i64>,
}

fn yes() -> bool {
    true
}

/// Adds a final turn: redacted, sealed and durably stored before the reply.
#[utoipa::path(post, path = "/v1/conversations/{id}/turns", request_body = NewTurn,
    params(("id" = String, Path, description = "conversation id")),
    responses((status = 201, body = TurnOut), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn ingest_turn(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<NewTurn>,
) -> Result<Response, ApiError> {
    let input = TurnInput {
        speaker: body.speaker,
        text: body.text,
        is_final: body.is_final,
        started_at: body.started_at,
        ended_at: body.ended_at,
    };
    let out = state.core.ingest(&p, &id, input).await?;
    metrics::counter!("callvault_turns_ingested_total").increment(1);
    for f in &out.findings {
        metrics::counter!("callvault_findings_total", "type" => f.entity.clone()).increment(1);
    }
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// A conversation with its turns, redacted.
#[utoipa::path(get, path = "/v1/conversations/{id}", params(("id" = String, Path, description = "conversation id")),
    responses((status = 200, body = ConversationView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn conversation(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.core.conversation(&p, &id).await?).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// The `next` value of the previous page.
    after: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationSummary {
    id: String,
    customer_ref: String,
    created_at: i64,
    n_turns: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationList {
    conversations: Vec<ConversationSummary>,
    /// Pass as `after` for the next page; absent on the last one.
    next: Option<String>,
}

/// The tenant's conversations, by id, a page at a time.
#[utoipa::path(get, path = "/v1/conversations", params(ListQuery),
    responses((status = 200, body = ConversationList), (status = 401, body = Problem)), security(("bearer" = [])))]
async fn list_conversations(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictQuery(q): StrictQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(50);
    let rows = state.core.list_conversations(&p, q.after, limit).await?;
    let next = if rows.len() >= limit.clamp(1, 500) {
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let conversations = rows
        .into_iter()
        .map(|r| ConversationSummary {
            id: r.id,
            customer_ref: r.customer_ref,
            created_at: r.created_at,
            n_turns: r.n_turns,
        })
        .collect();
    Ok(Json(ConversationList {
        conversations,
        next,
    })
    .into_response())
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Entity type, e.g. `PHONE_NUMBER`, `CREDIT_CARD`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    entity: String,
    /// The value, written or spoken.
    value: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    matches: Vec<SearchHit>,
}

/// Conversations where a value was said (by blind index: nothing is decrypted).
#[utoipa::path(get, path = "/v1/search", params(SearchQuery),
    responses((status = 200, body = SearchResult), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn search(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictQuery(q): StrictQuery<SearchQuery>,
) -> Result<Response, ApiError> {
    let matches = state.core.search(&p, &q.entity, &q.value).await?;
    Ok(Json(SearchResult { matches }).into_response())
}

/// The same search with the value in a JSON body, so it stays out of URLs (proxies and access
/// logs record URLs). Prefer this form.
#[utoipa::path(post, path = "/v1/search", request_body = SearchQuery,
    responses((status = 200, body = SearchResult), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn search_post(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(q): StrictJson<SearchQuery>,
) -> Result<Response, ApiError> {
    let matches = state.core.search(&p, &q.entity, &q.value).await?;
    Ok(Json(SearchResult { matches }).into_response())
}

/// Erases a customer by crypto-shredding their data keys; returns a receipt.
#[utoipa::path(delete, path = "/v1/customers/{customer_ref}", params(("customer_ref" = String, Path, description = "the customer reference")),
    responses((status = 200, body = ErasureReceipt), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn erase_customer(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(customer_ref): Path<String>,
) -> Result<Response, ApiError> {
    let receipt = state.core.erase_customer(&p, &customer_ref).await?;
    metrics::counter!("callvault_customers_erased_total").increment(1);
    Ok(Json(receipt).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct Revoked {
    principal: String,
    tokens_revoked: u64,
}

/// Revokes every token of a principal of the tenant.
#[utoipa::path(delete, path = "/v1/principals/{id}/tokens", params(("id" = String, Path, description = "principal id")),
    responses((status = 200, body = Revoked), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn revoke_tokens(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let tokens_revoked = state.core.revoke_principal(&p, &id).await?;
    Ok(Json(Revoked {
        principal: id,
        tokens_revoked,
    })
    .into_response())
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days a conversation is kept; null keeps conversations until erased.
    days: Option<u32>,
}

/// Sets the tenant's retention period; the purge job deletes older conversations not on hold.
#[utoipa::path(put, path = "/v1/retention", request_body = Retention,
    responses((status = 200, body = Retention), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn set_retention(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<Retention>,
) -> Result<Response, ApiError> {
    state.core.set_retention(&p, body.days).await?;
    Ok(Json(body).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalHold {
    hold: bool,
}

#[derive(Serialize, ToSchema)]
pub struct LegalHoldOut {
    id: String,
    legal_hold: bool,
}

/// Puts a conversation on legal hold (exempt from retention) or releases it.
#[utoipa::path(put, path = "/v1/conversations/{id}/legal-hold", request_body = LegalHold,
    params(("id" = String, Path, description = "conversation id")),
    responses((status = 200, body = LegalHoldOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn set_legal_hold(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<LegalHold>,
) -> Result<Response, ApiError> {
    state.core.set_legal_hold(&p, &id, body.hold).await?;
    Ok(Json(LegalHoldOut {
        id,
        legal_hold: body.hold,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// `ingest`, `agent`, `supervisor`, `auditor`, `security_officer` or `admin`.
    role: String,
    /// Permission names narrowing the role (e.g. `["ingest"]`); omitted for the whole role.
    scopes: Option<Vec<String>>,
    /// Unix milliseconds; omitted for no expiry.
    expires_at: Option<i64>,
}

/// Issues a service token for a principal of the tenant (created if new), shown once.
#[utoipa::path(post, path = "/v1/principals/{id}/tokens", request_body = NewToken, params(("id" = String, Path, description = "principal id")),
    responses((status = 201, body = IssuedToken), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_token(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<NewToken>,
) -> Result<Response, ApiError> {
    let issued = state
        .core
        .create_token(&p, &id, &body.role, body.scopes, body.expires_at)
        .await?;
    let mut response = (StatusCode::CREATED, Json(issued)).into_response();
    no_store(&mut response);
    Ok(response)
}

/// Reveals the original values behind tokens, for a purpose and a reason. Permitted per role
/// and data type, rate-limited, and recorded in the audit log before any value is opened.
#[utoipa::path(post, path = "/v1/reveal", request_body = RevealRequest,
    responses((status = 200, body = RevealResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem), (status = 503, body = Problem)),
    security(("bearer" = [])))]
async fn reveal(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<RevealRequest>,
) -> Result<Response, ApiError> {
    let out = state.core.reveal(&p, body).await?;
    metrics::counter!("callvault_reveals_total").increment(1);
    let mut response = Json(out).into_response();
    no_store(&mut response);
    Ok(response)
}

/// The audit log's latest signed checkpoint (C2SP tlog-checkpoint, Ed25519 signed note).
#[utoipa::path(get, path = "/v1/audit/checkpoint",
    responses((status = 200, description = "signed note", content_type = "text/plain"), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn audit_checkpoint(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
) -> Result<Response, ApiError> {
    let note = state.core.audit_checkpoint(&p).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    /// The entry's sequence number.
    seq: u64,
    /// The tree size (default: the latest checkpoint's).
    size: Option<u64>,
}

/// An inclusion proof (RFC 9162) for an entry of the caller's tenant.
#[utoipa::path(get, path = "/v1/audit/proof/inclusion", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn audit_inclusion(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictQuery(q): StrictQuery<InclusionQuery>,
) -> Result<Response, ApiError> {
    let proof = state.core.audit_inclusion(&p, q.seq, q.size).await?;
    Ok(Json(proof).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    from: u64,
    to: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    from: u64,
    to: u64,
    /// Base64 hashes (RFC 9162 section 2.1.4).
    proof: Vec<String>,
}

/// A consistency proof (RFC 9162) between two sizes of the log.
#[utoipa::path(get, path = "/v1/audit/proof/consistency", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn audit_consistency(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictQuery(q): StrictQuery<ConsistencyQuery>,
) -> Result<Response, ApiError> {
    let proof = state.core.audit_consistency(&p, q.from, q.to).await?;
    Ok(Json(ConsistencyProof {
        from: q.from,
        to: q.to,
        proof,
    })
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EntriesQuery {
    principal: Option<String>,
    /// An action name such as `reveal` or `conversation.read`.
    action: Option<String>,
    /// Unix milliseconds, inclusive.
    from: Option<i64>,
    /// Unix milliseconds, exclusive.
    to: Option<i64>,
    /// Only entries after this sequence number (paging).
    after: Option<u64>,
    /// At most this many (1 to 1000, default 100).
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntries {
    /// Entries as recorded (the leaf JSON), in log order.
    entries: Vec<serde_json::Value>,
}

/// Audit entries of the caller's tenant, filtered (auditors, security officers, admins).
#[utoipa::path(get, path = "/v1/audit/entries", params(EntriesQuery),
    responses((status = 200, body = AuditEntries), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn audit_entries(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictQuery(q): StrictQuery<EntriesQuery>,
) -> Result<Response, ApiError> {
    if let Some(action) = &q.action {
        if callvault_audit::Action::parse(action).is_none() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_action",
                "unknown action name",
            ));
        }
    }
    let query = callvault_store::AuditQuery {
        tenant: None,
        principal: q.principal,
        action: q.action,
        from_ms: q.from,
        to_ms: q.to,
        after_seq: q.after,
        limit: q.limit.unwrap_or(100),
    };
    let entries = state.core.audit_entries(&p, query).await?;
    Ok(Json(AuditEntries { entries }).into_response())
}

/// Responses carrying secrets or originals must not be cached anywhere.
pub(crate) fn no_store(response: &mut Response) {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
}
