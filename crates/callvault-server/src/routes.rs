//! The routes. Each handler: extract (auth, strict body), call core, shape the response.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use callvault_core::{Speaker, TurnInput};
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::extract::{Authenticated, StrictJson};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route(
            "/v1/conversations",
            post(create_conversation).get(list_conversations),
        )
        .route("/v1/conversations/{id}", get(conversation))
        .route("/v1/conversations/{id}/turns", post(ingest_turn))
        .route("/v1/conversations/{id}/stream", get(crate::stream::upgrade))
        .route("/v1/search", get(search))
        .route("/v1/customers/{customer_ref}", delete(erase_customer))
        .route("/v1/principals/{id}/tokens", delete(revoke_tokens))
        .route("/v1/retention", put(set_retention))
        .route("/v1/conversations/{id}/legal-hold", put(set_legal_hold))
        .fallback(not_found)
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConversation {
    customer_ref: String,
}

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
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": row.id, "customer_ref": row.customer_ref, "created_at": row.created_at})),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTurn {
    speaker: Speaker,
    text: String,
    #[serde(rename = "final", default = "yes")]
    is_final: bool,
    #[serde(default)]
    started_at: Option<i64>,
    #[serde(default)]
    ended_at: Option<i64>,
}

fn yes() -> bool {
    true
}

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

async fn conversation(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.core.conversation(&p, &id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    after: Option<String>,
    limit: Option<usize>,
}

async fn list_conversations(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(50);
    let rows = state.core.list_conversations(&p, q.after, limit).await?;
    let next = if rows.len() >= limit.clamp(1, 500) {
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let items: Vec<_> = rows
        .into_iter()
        .map(|r| json!({"id": r.id, "customer_ref": r.customer_ref, "created_at": r.created_at, "n_turns": r.n_turns}))
        .collect();
    Ok(Json(json!({"conversations": items, "next": next})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    #[serde(rename = "type")]
    entity: String,
    value: String,
}

async fn search(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let hits = state.core.search(&p, &q.entity, &q.value).await?;
    Ok(Json(json!({"matches": hits})).into_response())
}

async fn erase_customer(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(customer_ref): Path<String>,
) -> Result<Response, ApiError> {
    let receipt = state.core.erase_customer(&p, &customer_ref).await?;
    metrics::counter!("callvault_customers_erased_total").increment(1);
    Ok(Json(receipt).into_response())
}

async fn revoke_tokens(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let revoked = state.core.revoke_principal(&p, &id).await?;
    Ok(Json(json!({"principal": id, "tokens_revoked": revoked})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Retention {
    days: Option<u32>,
}

async fn set_retention(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<Retention>,
) -> Result<Response, ApiError> {
    state.core.set_retention(&p, body.days).await?;
    Ok(Json(json!({"days": body.days})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegalHold {
    hold: bool,
}

async fn set_legal_hold(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<LegalHold>,
) -> Result<Response, ApiError> {
    state.core.set_legal_hold(&p, &id, body.hold).await?;
    Ok(Json(json!({"id": id, "legal_hold": body.hold})).into_response())
}
