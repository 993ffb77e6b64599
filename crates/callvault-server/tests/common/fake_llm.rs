//! A faithful local stand-in for an OpenAI-compatible upstream: `POST /v1/chat/completions`,
//! whole or streamed (server-sent events in OpenAI's chunk format, with `n` choices, tool calls
//! streamed as argument fragments keyed by index, the `include_usage` chunk with empty
//! `choices`, `obfuscation` padding, `[DONE]`). It records exactly what it received, so a test
//! can assert that no original value ever reached it. The model name picks the behaviour:
//!
//! - `echo`: answers "Noted: " and the last user message as received; with `tools`, also a call
//!   of the first tool whose arguments carry that text;
//! - `echo-lower`: the same, lower-cased (a model that changes the case of tokens);
//! - `split-N`: streams the echo cut at byte N (and each tool call's arguments too);
//! - `bytes`: streams the echo one byte per chunk;
//! - `say:TEXT`: answers TEXT;
//! - `error-mid`: one chunk, then an error event, then the connection ends;
//! - `broken`: one chunk, then the connection ends without `[DONE]`;
//! - `garbage`: a 200 that is not JSON;
//! - `slow`: waits 3 s before answering;
//! - `trickle`: streams a chunk every 50 ms for 10 s (for cancellation);
//! - `stream20`: 20 chunks of the echo, 50 ms apart, then a clean end (for load).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

#[derive(Clone, Default)]
pub struct Recorder {
    /// Every request body, exactly as received.
    pub bodies: Arc<Mutex<Vec<String>>>,
    /// Every `authorization` header received.
    pub auth: Arc<Mutex<Vec<String>>>,
    /// Streams the client stopped reading before they ended.
    pub cancelled: Arc<AtomicUsize>,
}

impl Recorder {
    pub fn all_bodies(&self) -> String {
        self.bodies.lock().unwrap().join("\n")
    }
}

/// Starts the fake on a free loopback port; returns its base URL (`http://.../v1`).
pub async fn start() -> (String, Recorder) {
    let recorder = Recorder::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(recorder.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/v1"), recorder)
}

fn last_user_text(req: &Value) -> String {
    req["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        })
        .unwrap_or_default()
}

async fn completions(State(rec): State<Recorder>, headers: HeaderMap, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body).into_owned();
    rec.bodies.lock().unwrap().push(text.clone());
    if let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        rec.auth.lock().unwrap().push(auth.to_owned());
    }
    let Ok(req) = serde_json::from_str::<Value>(&text) else {
        return (
            StatusCode::BAD_REQUEST,
            "{\"error\":{\"message\":\"bad json\"}}",
        )
            .into_response();
    };
    let model = req["model"].as_str().unwrap_or("").to_owned();
    let n = req["n"].as_u64().unwrap_or(1);
    let stream = req["stream"].as_bool() == Some(true);
    let usage = req
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true);
    let mut content = match model.strip_prefix("say:") {
        Some(said) => said.to_owned(),
        None => format!("Noted: {}", last_user_text(&req)),
    };
    if model == "echo-lower" {
        content = content.to_lowercase();
    }
    let tool = req["tools"][0]["function"]["name"].as_str().map(|name| {
        (
            name.to_owned(),
            json!({"note": last_user_text(&req)}).to_string(),
        )
    });
    match model.as_str() {
        "garbage" => return (StatusCode::OK, "this is not json").into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        _ => {}
    }
    if !stream {
        let choices: Vec<Value> = (0..n)
            .map(|i| {
                let mut message = json!({"role": "assistant", "content": content});
                if let Some((name, args)) = &tool {
                    message["tool_calls"] = json!([{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]);
                }
                json!({"index": i, "message": message, "finish_reason": if tool.is_some() {"tool_calls"} else {"stop"}})
            })
            .collect();
        return axum::Json(json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": model,
            "choices": choices,
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        }))
        .into_response();
    }
    let pieces = |s: &str| -> Vec<String> {
        if let Some(at) = model
            .strip_prefix("split-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            let at = at.min(s.len());
            vec![s[..at].to_owned(), s[at..].to_owned()]
        } else if model == "bytes" {
            s.chars().map(|c| c.to_string()).collect()
        } else if model == "stream20" {
            let step = s.len().div_ceil(20).max(1);
            s.as_bytes()
                .chunks(step)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect()
        } else {
            vec![s.to_owned()]
        }
    };
    let chunk = |choices: Value| json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": model, "choices": choices, "obfuscation": "xXyYz"});
    let mut events: Vec<String> = Vec::new();
    for i in 0..n {
        events.push(chunk(json!([{"index": i, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}])).to_string());
    }
    for piece in pieces(&content) {
        for i in 0..n {
            events.push(
                chunk(json!([{"index": i, "delta": {"content": piece}, "finish_reason": null}]))
                    .to_string(),
            );
        }
    }
    if let Some((name, args)) = &tool {
        for i in 0..n {
            events.push(chunk(json!([{"index": i, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": ""}}]}, "finish_reason": null}])).to_string());
            for piece in pieces(args) {
                events.push(chunk(json!([{"index": i, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, "finish_reason": null}])).to_string());
            }
        }
    }
    match model.as_str() {
        "error-mid" => {
            let body = format!(
                "data: {}\n\ndata: {}\n\n",
                events[1],
                json!({"error": {"message": "the model overloaded", "type": "server_error", "code": "overloaded"}})
            );
            return sse_response(Body::from(body));
        }
        "broken" => {
            return sse_response(Body::from(format!("data: {}\n\n", events[1])));
        }
        "stream20" => {
            let mut all: Vec<String> = events.clone();
            all.push(
                chunk(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}])).to_string(),
            );
            let stream = futures_util::stream::unfold((0usize, all), |(k, all)| async move {
                if k > all.len() {
                    return None;
                }
                if k > 0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let data = if k == all.len() {
                    "data: [DONE]\n\n".to_owned()
                } else {
                    format!("data: {}\n\n", all[k])
                };
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(data)), (k + 1, all)))
            });
            return sse_response(Body::from_stream(stream));
        }
        "trickle" => {
            let guard = CancelGuard(rec.cancelled.clone(), false);
            let first = events[0].clone();
            let stream = futures_util::stream::unfold(
                (0u32, guard, first),
                |(k, mut guard, first)| async move {
                    if k >= 200 {
                        guard.complete();
                        return None;
                    }
                    if k > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    let data = if k == 0 {
                        first.clone()
                    } else {
                        json!({"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "."}, "finish_reason": null}]}).to_string()
                    };
                    Some((
                        Ok::<Bytes, std::io::Error>(Bytes::from(format!("data: {data}\n\n"))),
                        (k + 1, guard, first),
                    ))
                },
            );
            return sse_response(Body::from_stream(stream));
        }
        _ => {}
    }
    for i in 0..n {
        let reason = if tool.is_some() { "tool_calls" } else { "stop" };
        events.push(chunk(json!([{"index": i, "delta": {}, "finish_reason": reason}])).to_string());
    }
    if usage {
        events.push(json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": model, "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}).to_string());
    }
    let mut body = String::new();
    for e in events {
        body.push_str(&format!("data: {e}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    sse_response(Body::from(body))
}

fn sse_response(body: Body) -> Response {
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(body)
        .unwrap()
}

/// Counts a stream dropped before its end.
struct CancelGuard(Arc<AtomicUsize>, bool);

impl CancelGuard {
    fn complete(&mut self) {
        self.1 = true;
    }
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}
