//! `POST /v1/chat/completions`: the privacy proxy. Point an OpenAI-compatible client's base
//! URL here and the model sees tokens, the caller gets values back.
//!
//! The request is authenticated (a principal with the `ingest` permission), read up to the
//! proxy's size cap, checked against the model allow-list, tied to a conversation (the
//! `X-Callvault-Conversation` header, else a conversation id in `user` or in
//! `metadata.callvault_conversation`, else a new conversation), tokenized in place by
//! `callvault_core::proxy`, and sent to the configured upstream with callvault's own API key.
//! The answer is restored: whole (`choices[].message`), or as server-sent events, chunk by
//! chunk, with one restorer per choice and per field (`content`, `refusal`,
//! `reasoning_content`, each tool call's arguments by index, legacy `function_call`). Usage
//! chunks pass; `obfuscation` padding is dropped (its length would hint at what was replaced);
//! an upstream error mid-stream becomes an error event and a clean end. Errors are in OpenAI's
//! shape (`{"error": {...}}`) and never carry a value. A client that goes away drops the
//! upstream request with it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use callvault_core::proxy::{ProxyCall, ProxyPolicy, RestoreTable, StreamRestorer};
use callvault_core::{Core, CoreError};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};

use crate::AppState;

/// The proxy's configuration.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// The upstream base URL, e.g. `https://api.openai.com/v1` (`/chat/completions` is added).
    pub upstream: String,
    /// The upstream API key, held by callvault; callers never see it.
    pub api_key: Option<SecretString>,
    /// Models callers may ask for; empty: any.
    pub models: Vec<String>,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Time to connect to the upstream.
    pub connect_timeout: Duration,
    /// Time for the upstream to start answering (headers), and for a whole non-streamed answer.
    pub response_timeout: Duration,
    /// Longest silence between two streamed chunks.
    pub idle_timeout: Duration,
    /// Per-tenant policies (default: nothing reaches the model, everything is restored).
    pub policies: HashMap<String, ProxyPolicy>,
}

impl ProxyConfig {
    pub fn new(upstream: &str) -> ProxyConfig {
        ProxyConfig {
            upstream: upstream.trim_end_matches('/').to_owned(),
            api_key: None,
            models: Vec::new(),
            max_body_bytes: 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            policies: HashMap::new(),
        }
    }
}

/// The proxy's running state.
pub struct Proxy {
    config: ProxyConfig,
    client: reqwest::Client,
}

impl Proxy {
    pub fn new(config: ProxyConfig) -> Result<Proxy, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Proxy { config, client })
    }
}

/// An error in OpenAI's shape.
fn openai_error(status: StatusCode, kind: &str, code: &str, message: &str) -> Response {
    let mut response = (
        status,
        axum::Json(
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
        ),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn from_core(e: CoreError) -> Response {
    match e {
        CoreError::Unauthenticated => openai_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "invalid_api_key",
            "authentication required",
        ),
        CoreError::Forbidden(_) => openai_error(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            "forbidden",
            "this principal may not use the proxy",
        ),
        CoreError::NotFound(what) => openai_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "not_found",
            &format!("{what} not found"),
        ),
        CoreError::RateLimited(seconds) => {
            let mut response = openai_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "rate_limited",
                "rate limit exceeded",
            );
            (response.headers_mut()).insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        CoreError::Invalid { code, message } => openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            code,
            &message,
        ),
        CoreError::Erased => openai_error(
            StatusCode::GONE,
            "invalid_request_error",
            "erased",
            "the conversation's customer was erased",
        ),
        CoreError::AuditFailed => openai_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "audit_log_failed",
            "the audit log is failing",
        ),
        _ => openai_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal",
            "internal error",
        ),
    }
}

/// Chat completions through the privacy proxy (OpenAI-compatible; streaming with `"stream": true`).
#[utoipa::path(post, path = "/v1/chat/completions",
    request_body(content = serde_json::Value, description = "an OpenAI chat-completions request"),
    responses((status = 200, description = "the upstream's answer, tokens restored (JSON, or text/event-stream when streaming)"),
        (status = 400, description = "bad request or model not allowed"), (status = 401, description = "no valid credential"),
        (status = 403, description = "not permitted"), (status = 413, description = "body too large"),
        (status = 502, description = "upstream failed"), (status = 504, description = "upstream timed out")),
    security(("bearer" = [])))]
pub async fn chat_completions(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let p = match crate::extract::authenticate(&state, &parts).await {
        Ok(p) => p,
        Err(e) => return from_core(e),
    };
    // Only an authenticated caller learns whether the proxy is configured.
    let Some(proxy) = state.proxy.clone() else {
        return openai_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "proxy_not_configured",
            "the proxy has no upstream configured",
        );
    };
    let bytes = match axum::body::to_bytes(body, proxy.config.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return openai_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                "body_too_large",
                "the request body is too large",
            )
        }
    };
    let mut body: Value = match serde_json::from_slice(&bytes) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return openai_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "invalid_json",
                "the body must be a JSON object",
            )
        }
    };
    let Some(model) = body.get("model").and_then(Value::as_str).map(str::to_owned) else {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "missing_model",
            "model is required",
        );
    };
    if !proxy.config.models.is_empty() && !proxy.config.models.contains(&model) {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "model_not_allowed",
            "this model is not allowed here",
        );
    }
    let conversation = conversation_of(&parts.headers, &body);
    let policy = proxy
        .config
        .policies
        .get(&p.tenant)
        .cloned()
        .unwrap_or_default();
    let call = match state
        .core
        .proxy_prepare(&p, conversation.as_deref(), &mut body, &policy)
        .await
    {
        Ok(call) => call,
        Err(e) => return from_core(e),
    };
    let streaming = body.get("stream").and_then(Value::as_bool) == Some(true);
    let mut upstream = proxy
        .client
        .post(format!("{}/chat/completions", proxy.config.upstream))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    if let Some(key) = &proxy.config.api_key {
        upstream = upstream.bearer_auth(key.expose_secret());
    }
    if !streaming {
        upstream = upstream.timeout(proxy.config.response_timeout);
    }
    let sent = tokio::time::timeout(proxy.config.response_timeout, upstream.send()).await;
    let response = match sent {
        Err(_) => return upstream_failed(&state.core, call, StatusCode::GATEWAY_TIMEOUT).await,
        Ok(Err(e)) if e.is_timeout() => {
            return upstream_failed(&state.core, call, StatusCode::GATEWAY_TIMEOUT).await
        }
        Ok(Err(_)) => return upstream_failed(&state.core, call, StatusCode::BAD_GATEWAY).await,
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    if !status.is_success() {
        // The upstream's own error (it saw only tokens): relayed with its status.
        let body = response.bytes().await.unwrap_or_default();
        finish(&state.core, call, BTreeSet::new(), Err("upstream refused")).await;
        let status = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut out = (status, body).into_response();
        out.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return out;
    }
    if streaming {
        stream_answer(state.core.clone(), proxy, call, response)
    } else {
        whole_answer(&state.core, call, response).await
    }
}

/// The conversation a request belongs to: the header, else `user`, else
/// `metadata.callvault_conversation`.
fn conversation_of(headers: &HeaderMap, body: &Value) -> Option<String> {
    let looks_like = |s: &str| s.starts_with("conv_") && s.len() <= 64;
    headers
        .get("x-callvault-conversation")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            body.get("user")
                .and_then(Value::as_str)
                .filter(|u| looks_like(u))
                .map(str::to_owned)
        })
        .or_else(|| {
            body.pointer("/metadata/callvault_conversation")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
}

async fn upstream_failed(core: &Arc<Core>, call: ProxyCall, status: StatusCode) -> Response {
    let why = if status == StatusCode::GATEWAY_TIMEOUT {
        "upstream timed out"
    } else {
        "upstream unreachable"
    };
    finish(core, call, BTreeSet::new(), Err(why)).await;
    openai_error(status, "server_error", "upstream_error", why)
}

async fn finish(
    core: &Arc<Core>,
    call: ProxyCall,
    restored: BTreeSet<String>,
    outcome: Result<(), &str>,
) {
    if let Err(e) = call.finish(core, &restored, outcome).await {
        tracing::error!(error = %e, "proxy call record failed");
    }
}

async fn restore_table(call: &mut ProxyCall) -> Result<Arc<RestoreTable>, CoreError> {
    (&mut call.restore).await.map_err(|_| CoreError::Internal)?
}

async fn whole_answer(
    core: &Arc<Core>,
    mut call: ProxyCall,
    response: reqwest::Response,
) -> Response {
    let bytes = match response.bytes().await {
        Ok(b) => b,
        Err(e) => {
            let status = if e.is_timeout() {
                StatusCode::GATEWAY_TIMEOUT
            } else {
                StatusCode::BAD_GATEWAY
            };
            return upstream_failed(core, call, status).await;
        }
    };
    let Ok(mut answer) = serde_json::from_slice::<Value>(&bytes) else {
        finish(
            core,
            call,
            BTreeSet::new(),
            Err("upstream answered garbage"),
        )
        .await;
        return openai_error(
            StatusCode::BAD_GATEWAY,
            "server_error",
            "upstream_error",
            "the upstream's answer is not JSON",
        );
    };
    let mut restored = BTreeSet::new();
    let messages = answer
        .get_mut("choices")
        .and_then(Value::as_array_mut)
        .map(|c| {
            c.iter_mut()
                .filter_map(|c| c.get_mut("message"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    // Labels this request produced come back from the values the caller just sent; only a
    // label of an earlier turn needs the whole conversation's table, opened from the vault
    // after the call's entry is durable.
    if messages.iter().any(|m| needs_full(m, &call.immediate)) {
        let table = match restore_table(&mut call).await {
            Ok(t) => t,
            Err(e) => {
                finish(core, call, BTreeSet::new(), Err("restore failed")).await;
                return from_core(e);
            }
        };
        for message in messages {
            restore_fields(message, &table, &mut restored);
        }
        finish(core, call, restored, Ok(())).await;
    } else {
        let immediate = Arc::clone(&call.immediate);
        for message in messages {
            restore_fields(message, &immediate, &mut restored);
        }
        let core = Arc::clone(core);
        tokio::spawn(async move {
            let ok = restore_table(&mut call).await.map(|_| ());
            let outcome = ok.as_ref().map(|_| ()).map_err(|_| "recording failed");
            finish(&core, call, restored, outcome).await;
        });
    }
    let mut out = axum::Json(answer).into_response();
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// Restores every text field of a whole message.
fn restore_fields(message: &mut Value, table: &RestoreTable, restored: &mut BTreeSet<String>) {
    for key in ["content", "refusal", "reasoning_content"] {
        if let Some(Value::String(text)) = message.get_mut(key) {
            *text = table.restore(text, restored);
        }
    }
    if let Some(calls) = message.get_mut("tool_calls").and_then(Value::as_array_mut) {
        for call in calls {
            if let Some(Value::String(args)) = call.pointer_mut("/function/arguments") {
                *args = table.restore(args, restored);
            }
        }
    }
    if let Some(Value::String(args)) = message.pointer_mut("/function_call/arguments") {
        *args = table.restore(args, restored);
    }
}

/// One choice's restorers, by field.
#[derive(Default)]
struct ChoiceState {
    fields: HashMap<String, StreamRestorer>,
}

fn stream_answer(
    core: Arc<Core>,
    proxy: Arc<Proxy>,
    mut call: ProxyCall,
    response: reqwest::Response,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let mut restored = BTreeSet::new();
        // Labels this request produced are restored from what the caller just sent; the whole
        // conversation's table (opened from the vault after the call's entry is durable) is
        // fetched only when a chunk completes a label of an earlier turn.
        let mut table = Arc::clone(&call.immediate);
        let mut full = false;
        let mut events = response.bytes_stream().eventsource();
        let mut choices: HashMap<u64, ChoiceState> = HashMap::new();
        let mut outcome: Result<(), &str> = Ok(());
        let mut done = false;
        loop {
            let next = tokio::time::timeout(proxy.config.idle_timeout, events.next()).await;
            let event = match next {
                Err(_) => {
                    outcome = Err("upstream stalled");
                    let _ = tx.send(sse(&error_event("the upstream stalled"))).await;
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(_))) => {
                    outcome = Err("upstream stream broke");
                    let _ = tx
                        .send(sse(&error_event("the upstream stream broke")))
                        .await;
                    break;
                }
                Ok(Some(Ok(event))) => event,
            };
            if event.data.trim() == "[DONE]" {
                // Anything still held (a stream that ended without a finish reason).
                let flush = flush_all(&mut choices, &mut restored);
                if let Some(chunk) = flush {
                    if tx.send(sse(&chunk)).await.is_err() {
                        break;
                    }
                }
                done = true;
                let _ = tx.send(Bytes::from_static(b"data: [DONE]\n\n")).await;
                break;
            }
            let Ok(mut chunk) = serde_json::from_str::<Value>(&event.data) else {
                outcome = Err("upstream answered garbage");
                let _ = tx
                    .send(sse(&error_event("the upstream sent a malformed chunk")))
                    .await;
                break;
            };
            if chunk.get("error").is_some() {
                outcome = Err("upstream error mid-stream");
                let _ = tx.send(sse(&chunk)).await;
                break;
            }
            if !full && chunk_needs_full(&chunk, &choices, &table) {
                match restore_table(&mut call).await {
                    Ok(t) => {
                        table = t;
                        full = true;
                        for state in choices.values_mut() {
                            for r in state.fields.values_mut() {
                                r.set_table(Arc::clone(&table));
                            }
                        }
                    }
                    Err(_) => {
                        outcome = Err("restore failed");
                        let _ = tx.send(sse(&error_event("restore failed"))).await;
                        break;
                    }
                }
            }
            restore_chunk(&mut chunk, &table, &mut choices, &mut restored);
            if tx.send(sse(&chunk)).await.is_err() {
                // The client went away: dropping the upstream stream closes its connection.
                outcome = Err("client went away");
                break;
            }
        }
        if !done && outcome.is_ok() {
            outcome = Err("upstream ended without [DONE]");
            if let Some(chunk) = flush_all(&mut choices, &mut restored) {
                let _ = tx.send(sse(&chunk)).await;
            }
            let _ = tx
                .send(sse(&error_event("the upstream ended the stream early")))
                .await;
        }
        if outcome.is_err() && outcome != Err("client went away") {
            let _ = tx.send(Bytes::from_static(b"data: [DONE]\n\n")).await;
        }
        if !full && outcome != Err("restore failed") {
            // Nothing needed restoring; the call's tokens and entry must still be durable.
            if restore_table(&mut call).await.is_err() && outcome.is_ok() {
                outcome = Err("recording failed");
            }
        }
        finish(&core, call, restored, outcome).await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<Bytes, std::convert::Infallible>(bytes), rx))
    });
    let mut out = Response::new(Body::from_stream(stream));
    let headers = out.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// Whether a whole message holds a label `table` does not know.
fn needs_full(message: &Value, table: &RestoreTable) -> bool {
    let unknown = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .is_some_and(|s| table.has_unknown_label(s))
    };
    ["content", "refusal", "reasoning_content"]
        .iter()
        .any(|k| unknown(message.get(*k)))
        || message
            .get("tool_calls")
            .and_then(Value::as_array)
            .is_some_and(|calls| {
                calls
                    .iter()
                    .any(|c| unknown(c.pointer("/function/arguments")))
            })
        || unknown(message.pointer("/function_call/arguments"))
}

/// Whether a chunk completes, with what its fields hold back, a label `table` does not know.
fn chunk_needs_full(
    chunk: &Value,
    choices: &HashMap<u64, ChoiceState>,
    table: &RestoreTable,
) -> bool {
    let Some(list) = chunk.get("choices").and_then(Value::as_array) else {
        return false;
    };
    list.iter().any(|choice| {
        let index = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
        let held = |field: &str| {
            choices
                .get(&index)
                .and_then(|s| s.fields.get(field))
                .map_or("", |r| r.pending())
                .to_owned()
        };
        let unknown = |field: &str, v: Option<&Value>| {
            v.and_then(Value::as_str)
                .is_some_and(|s| table.has_unknown_label(&(held(field) + s)))
        };
        let Some(delta) = choice.get("delta") else {
            return false;
        };
        ["content", "refusal", "reasoning_content"]
            .iter()
            .any(|k| unknown(k, delta.get(*k)))
            || delta
                .get("tool_calls")
                .and_then(Value::as_array)
                .is_some_and(|calls| {
                    calls.iter().any(|c| {
                        let k = c.get("index").and_then(Value::as_u64).unwrap_or(0);
                        unknown(&format!("tool.{k}"), c.pointer("/function/arguments"))
                    })
                })
            || unknown("function_call", delta.pointer("/function_call/arguments"))
    })
}

fn sse(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

fn error_event(message: &str) -> Value {
    json!({"error": {"message": message, "type": "server_error", "param": null, "code": "upstream_error"}})
}

/// Restores one streamed chunk in place.
fn restore_chunk(
    chunk: &mut Value,
    table: &Arc<RestoreTable>,
    choices: &mut HashMap<u64, ChoiceState>,
    restored: &mut BTreeSet<String>,
) {
    if let Some(object) = chunk.as_object_mut() {
        object.remove("obfuscation");
    }
    let Some(list) = chunk.get_mut("choices").and_then(Value::as_array_mut) else {
        return;
    };
    for choice in list {
        let index = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
        let finished = choice.get("finish_reason").is_some_and(|r| !r.is_null());
        let state = choices.entry(index).or_default();
        let Some(delta) = choice.get_mut("delta").and_then(Value::as_object_mut) else {
            continue;
        };
        for key in ["content", "refusal", "reasoning_content"] {
            if let Some(Value::String(text)) = delta.get_mut(key) {
                let r = state
                    .fields
                    .entry(key.to_owned())
                    .or_insert_with(|| StreamRestorer::new(Arc::clone(table)));
                *text = r.push(text, restored);
            }
        }
        if let Some(calls) = delta.get_mut("tool_calls").and_then(Value::as_array_mut) {
            for call in calls {
                let k = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                if let Some(Value::String(args)) = call.pointer_mut("/function/arguments") {
                    let r = state
                        .fields
                        .entry(format!("tool.{k}"))
                        .or_insert_with(|| StreamRestorer::new(Arc::clone(table)));
                    *args = r.push(args, restored);
                }
            }
        }
        if let Some(Value::String(args)) = delta
            .get_mut("function_call")
            .and_then(|f| f.get_mut("arguments"))
        {
            let r = state
                .fields
                .entry("function_call".into())
                .or_insert_with(|| StreamRestorer::new(Arc::clone(table)));
            *args = r.push(args, restored);
        }
        if finished {
            flush_into(delta, state, restored);
        }
    }
}

/// Puts what a choice's restorers still hold into its final delta.
fn flush_into(
    delta: &mut Map<String, Value>,
    state: &mut ChoiceState,
    restored: &mut BTreeSet<String>,
) {
    for (field, r) in state.fields.iter_mut() {
        if r.is_empty() {
            continue;
        }
        let rest = r.finish(restored);
        if let Some(k) = field.strip_prefix("tool.") {
            let k: u64 = k.parse().unwrap_or(0);
            let calls = delta
                .entry("tool_calls")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Some(calls) = calls.as_array_mut() {
                calls.push(json!({"index": k, "function": {"arguments": rest}}));
            }
        } else if field == "function_call" {
            delta.insert("function_call".into(), json!({"arguments": rest}));
        } else {
            let existing = delta
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            delta.insert(field.clone(), Value::String(existing + &rest));
        }
    }
}

/// A chunk with everything still held, when the stream ends without finish reasons.
fn flush_all(
    choices: &mut HashMap<u64, ChoiceState>,
    restored: &mut BTreeSet<String>,
) -> Option<Value> {
    let mut out = Vec::new();
    for (index, state) in choices.iter_mut() {
        if state.fields.values().all(StreamRestorer::is_empty) {
            continue;
        }
        let mut delta = Map::new();
        flush_into(&mut delta, state, restored);
        out.push(json!({"index": index, "delta": delta, "finish_reason": null}));
    }
    (!out.is_empty()).then(|| json!({"object": "chat.completion.chunk", "choices": out}))
}
