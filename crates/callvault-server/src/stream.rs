//! `GET /v1/conversations/{id}/stream`: a WebSocket for live calls.
//!
//! The client sends one JSON object per message, `{"speaker", "text", "final"}`, as its speech
//! recognizer produces interim and final results. The server answers each: an interim result
//! with `{"type": "partial", "redacted", "held_back"}` (nothing stored, a value still being
//! spoken held back), a final one with `{"type": "final", ...}` exactly as `POST .../turns`
//! answers, after it is durable. Labels are the conversation's own, so they agree across turns,
//! across the stream and the REST API. A bad message gets `{"type": "error", "code",
//! "detail"}` and the stream goes on; the socket closes on the client's close.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use callvault_core::{CoreError, Speaker, TurnInput};
use callvault_store::Principal;
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroizing;

use crate::error::ApiError;
use crate::extract::Authenticated;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamIn {
    speaker: Speaker,
    text: String,
    #[serde(rename = "final", default)]
    is_final: bool,
    #[serde(default)]
    started_at: Option<i64>,
    #[serde(default)]
    ended_at: Option<i64>,
}

/// Live turns over a WebSocket: send `{"speaker", "text", "final"}` messages, receive
/// `{"type": "partial" | "final" | "error", ...}` replies.
#[utoipa::path(get, path = "/v1/conversations/{id}/stream", params(("id" = String, Path, description = "conversation id")),
    responses((status = 101, description = "switching to WebSocket"), (status = 401, body = crate::routes::Problem), (status = 404, body = crate::routes::Problem), (status = 410, body = crate::routes::Problem)),
    security(("bearer" = [])))]
pub async fn upgrade(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    mut parts: axum::http::request::Parts,
) -> Result<Response, ApiError> {
    // Permission and existence first, the WebSocket handshake after: a caller who may not
    // stream hears 403 whatever headers it sent.
    if !state.core.conversation_exists(&p, &id).await? {
        return Err(CoreError::NotFound("conversation").into());
    }
    use axum::extract::FromRequestParts;
    let ws = WebSocketUpgrade::from_request_parts(&mut parts, &state)
        .await
        .map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "not_a_websocket",
                "this route is a WebSocket: send an upgrade request",
            )
        })?;
    // Kept to re-check the token on every message: a revoked or expired token ends the stream.
    let token = Zeroizing::new(crate::extract::bearer(&headers).to_owned());
    let max = state.max_message_bytes;
    Ok(ws
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| serve(socket, state, p, token, id))
        .into_response())
}

/// A stream with no message for this long is closed.
const IDLE: Duration = Duration::from_secs(300);

async fn serve(
    mut socket: WebSocket,
    state: AppState,
    p: Principal,
    token: Zeroizing<String>,
    id: String,
) {
    while let Ok(Some(Ok(message))) = tokio::time::timeout(IDLE, socket.recv()).await {
        if !matches!(message, Message::Close(_))
            && state
                .core
                .authenticate(&token, p.source.clone())
                .await
                .is_err()
        {
            let bye = error("unauthenticated", "the token is no longer valid");
            let _ = socket.send(Message::Text(bye.to_string().into())).await;
            break;
        }
        let reply = match message {
            Message::Text(text) => handle(&state, &p, &id, text.as_str()).await,
            Message::Binary(_) => error("binary_message", "send JSON text messages"),
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if socket
            .send(Message::Text(reply.to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
}

async fn handle(state: &AppState, p: &Principal, id: &str, text: &str) -> serde_json::Value {
    if state
        .limiter
        .check_key(&(p.tenant.clone(), p.id.clone()))
        .is_err()
    {
        return error("rate_limited", "rate limit exceeded");
    }
    let input: StreamIn = match serde_json::from_str(text) {
        Ok(input) => input,
        // Category and position only: serde's messages can quote the value.
        Err(e) => {
            return error(
                "invalid_message",
                &format!(
                    "malformed or wrongly shaped message (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        }
    };
    if input.is_final {
        let turn = TurnInput {
            speaker: input.speaker,
            text: input.text,
            is_final: true,
            started_at: input.started_at,
            ended_at: input.ended_at,
        };
        match state.core.ingest(p, id, turn).await {
            Ok(out) => {
                metrics::counter!("callvault_turns_ingested_total").increment(1);
                let mut v = serde_json::to_value(out).unwrap_or_default();
                v["type"] = json!("final");
                v
            }
            Err(e) => core_error(e),
        }
    } else {
        match state.core.partial(p, id, input.speaker, &input.text).await {
            Ok(out) => {
                json!({"type": "partial", "redacted": out.redacted, "held_back": out.held_back})
            }
            Err(e) => core_error(e),
        }
    }
}

fn core_error(e: CoreError) -> serde_json::Value {
    let api = ApiError::from(e);
    json!({"type": "error", "code": api.code, "detail": api.detail})
}

fn error(code: &str, detail: &str) -> serde_json::Value {
    json!({"type": "error", "code": code, "detail": detail})
}
