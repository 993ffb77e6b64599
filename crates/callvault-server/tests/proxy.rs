//! The privacy proxy against a faithful fake upstream (`common/fake_llm.rs`): the model sees
//! only tokens (asserted on exactly what the upstream received), the caller gets values back,
//! whole and streamed, whatever the chunking; tool calls, `n = 2`, usage chunks, case changes,
//! other conversations' tokens, kept types; and every failure in OpenAI's error shape without
//! a value. The official clients (`openai` for Python, `async-openai` for Rust) are in
//! `proxy_clients.rs`.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use callvault_core::proxy::ProxyPolicy;
use callvault_server::proxy::{Proxy, ProxyConfig};
use callvault_server::{app, ServerConfig};
use callvault_store::Store;
use common::{fake_llm, fixture, Fixture};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const SAID: &str = "my card is four one one one one one one one one one one one one one one one, cvv 123, call me on 415 555 0132";
/// Every form of every value in `SAID`, none of which may reach the upstream.
const ORIGINALS: &[&str] = &[
    "4111111111111111",
    "four one one one",
    "415 555 0132",
    "4155550132",
    "5550132",
    "cvv 123",
];

fn proxy_router(f: &Fixture, upstream: &str, tweak: impl FnOnce(&mut ProxyConfig)) -> Router {
    let mut config = ProxyConfig::new(upstream);
    config.api_key = Some(secrecy::SecretString::from("sk-upstream-secret".to_owned()));
    config.response_timeout = Duration::from_secs(1);
    tweak(&mut config);
    let state = f.state.clone().with_proxy(Proxy::new(config).unwrap());
    app(state, &ServerConfig::default())
}

async fn send(
    r: &Router,
    token: &str,
    conversation: Option<&str>,
    body: Value,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method("POST")
        .uri("/v1/chat/completions")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    if let Some(c) = conversation {
        req = req.header("x-callvault-conversation", c);
    }
    let response = r
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn conversation(f: &Fixture) -> String {
    let (status, body) = send_api(
        f,
        "POST",
        "/v1/conversations",
        json!({"customer_ref": "c-proxy"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    body["id"].as_str().unwrap().to_owned()
}

async fn send_api(f: &Fixture, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    send_api_as(f, &f.acme_ingest, method, uri, body).await
}

async fn send_api_as(
    f: &Fixture,
    token: &str,
    method: &str,
    uri: &str,
    body: Value,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = f.router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The content of each choice, joined from a stream of SSE chunks; checks the stream's shape.
fn gather_stream(text: &str) -> (Vec<String>, Vec<String>, Vec<Value>) {
    let mut contents = vec![String::new(); 4];
    let mut args = vec![String::new(); 4];
    let mut others = Vec::new();
    let mut done = false;
    for block in text.split("\n\n").filter(|b| !b.is_empty()) {
        let data = block.strip_prefix("data: ").expect("every event is data");
        assert!(!done, "nothing after [DONE]");
        if data == "[DONE]" {
            done = true;
            continue;
        }
        let chunk: Value = serde_json::from_str(data).unwrap();
        assert!(chunk.get("obfuscation").is_none(), "obfuscation is dropped");
        for choice in chunk["choices"].as_array().cloned().unwrap_or_default() {
            let i = choice["index"].as_u64().unwrap() as usize;
            if let Some(c) = choice["delta"]["content"].as_str() {
                contents[i].push_str(c);
            }
            for call in choice["delta"]["tool_calls"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                if let Some(a) = call["function"]["arguments"].as_str() {
                    args[i].push_str(a);
                }
            }
        }
        others.push(chunk);
    }
    assert!(done, "the stream ends with [DONE]");
    (contents, args, others)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_model_sees_tokens_and_the_caller_gets_values_back() {
    let f = fixture();
    let (upstream, rec) = fake_llm::start().await;
    let r = proxy_router(&f, &upstream, |_| {});
    let conv = conversation(&f).await;
    let request = json!({
        "model": "echo",
        "messages": [
            {"role": "system", "content": "You are a helpful agent."},
            {"role": "assistant", "content": "What is your phone number?"},
            {"role": "user", "content": SAID, "name": "caller"},
            {"role": "tool", "tool_call_id": "call_0", "content": "lookup: 415 555 0132 belongs to the caller"}
        ],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}],
        "customer": {"number": "+1 415 555 0132", "email": "ana.lopez@example.com"},
        "temperature": 0.2,
        "some_vendor_field": {"kept": true}
    });
    let (status, body) = send(&r, &f.acme_ingest, Some(&conv), request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let content = answer["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(content.contains("4111111111111111"), "restored: {content}");
    assert!(
        content.contains("[CARD_CVV]"),
        "a masked type has nothing to restore: {content}"
    );
    let args = answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
        .as_str()
        .unwrap();
    assert!(args.contains("4111111111111111"), "{args}");
    assert_eq!(answer["usage"]["total_tokens"], 15);

    // What the upstream received: tokens only, unknown fields untouched, our key not theirs.
    let seen = rec.all_bodies();
    for original in ORIGINALS.iter().chain(&["ana.lopez@example.com"]) {
        assert!(
            !seen.contains(original),
            "{original} reached the model: {seen}"
        );
    }
    let sent: Value = serde_json::from_str(&rec.bodies.lock().unwrap()[0]).unwrap();
    assert!(sent["messages"][2]["content"]
        .as_str()
        .unwrap()
        .contains("[CREDIT_CARD_1]"));
    assert_eq!(sent["temperature"], 0.2);
    assert_eq!(sent["some_vendor_field"], json!({"kept": true}));
    assert_eq!(sent["messages"][0]["content"], "You are a helpful agent.");
    assert_eq!(rec.auth.lock().unwrap()[0], "Bearer sk-upstream-secret");

    // The same labels as the ingest API gives in that conversation.
    let (_, turn) = send_api(
        &f,
        "POST",
        &format!("/v1/conversations/{conv}/turns"),
        json!({"speaker": "customer", "text": "again 4111 1111 1111 1111"}),
    )
    .await;
    assert_eq!(turn["redacted"], "again [CREDIT_CARD_1]");

    // The model changing a token's case does not stop its restoration.
    let (_, body) = send(&r, &f.acme_ingest, Some(&conv), json!({"model": "echo-lower", "messages": [{"role": "user", "content": "card 4111 1111 1111 1111"}]})).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert!(answer["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("4111111111111111"));

    // A label from an earlier call of the conversation (the phone was said in the first one):
    // restored from the vault, whole and streamed.
    let earlier = json!({"model": "say:we will call [PHONE_NUMBER_1]", "messages": [{"role": "user", "content": "thanks"}]});
    let (_, body) = send(&r, &f.acme_ingest, Some(&conv), earlier.clone()).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "we will call 4155550132"
    );
    let mut streamed = earlier;
    streamed["stream"] = json!(true);
    streamed["model"] = json!("say:we will call [PHONE_NUMBER_1] soon");
    let (_, text) = send(&r, &f.acme_ingest, Some(&conv), streamed).await;
    assert!(
        text.contains("we will call 4155550132") || text.contains("4155550132"),
        "{text}"
    );

    // Another ingest service naming this conversation gets no earlier values back: naming a
    // conversation is not enough (it did not start it and may not reveal).
    let (status, issued) = send_api_as(
        &f,
        &f.acme_admin,
        "POST",
        "/v1/principals",
        json!({"kind": "service", "id": "other-bot", "role": "ingest"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let other_bot = issued["token"].as_str().unwrap().to_owned();
    let (_, body) = send(&r, &other_bot, Some(&conv), json!({"model": "say:[PHONE_NUMBER_1] [CREDIT_CARD_1]", "messages": [{"role": "user", "content": "repeat"}]})).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "[PHONE_NUMBER_1] [CREDIT_CARD_1]"
    );

    // A label of an earlier turn split across streamed chunks is held and restored.
    let (_, text) = send(&r, &f.acme_ingest, Some(&conv), json!({"model": "split-10", "stream": true, "messages": [{"role": "user", "content": "[PHONE_NUMBER_1]"}]})).await;
    let (contents, _, _) = gather_stream(&text);
    assert_eq!(contents[0], "Noted: 4155550132");

    // A value found in a message is replaced in every other field too.
    let (_, _) = send(&r, &f.acme_ingest, Some(&conv), json!({"model": "echo", "messages": [{"role": "user", "content": "my card is 4111 1111 1111 1111"}], "metadata": {"note": "card 4111 1111 1111 1111"}, "user": "4111 1111 1111 1111"})).await;
    let last: Value = serde_json::from_str(rec.bodies.lock().unwrap().last().unwrap()).unwrap();
    assert_eq!(last["metadata"]["note"], "card [CREDIT_CARD_1]");
    assert_eq!(last["user"], "[CREDIT_CARD_1]");

    // Tokens of another conversation are never restored.
    let other = conversation(&f).await;
    let (_, body) = send(&r, &f.acme_ingest, Some(&other), json!({"model": "say:[CREDIT_CARD_1] and [PHONE_NUMBER_1]", "messages": [{"role": "user", "content": "hello"}]})).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "[CREDIT_CARD_1] and [PHONE_NUMBER_1]"
    );

    // Every call is an audit entry: conversation, types tokenized and restored, model.
    let calls: Vec<Value> = f
        .store
        .audit_entries(0, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_slice::<Value>(&e.leaf).unwrap())
        .filter(|v| {
            v["action"] == "proxy.call" && v["detail"].as_str().unwrap_or("").contains("restored=")
        })
        .collect();
    assert_eq!(calls.len(), 8);
    assert_eq!(calls[0]["resources"]["conversations"][0], conv.as_str());
    assert!(calls[0]["data_types"]
        .as_array()
        .unwrap()
        .contains(&json!("CREDIT_CARD")));
    assert!(calls[0]["detail"].as_str().unwrap().contains("model=echo"));
    assert!(calls[0]["detail"].as_str().unwrap().contains("CREDIT_CARD"));
    let log: String = f
        .store
        .audit_entries(0, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.leaf).unwrap())
        .collect();
    for original in ORIGINALS {
        assert!(!log.contains(original), "{original} is in the audit log");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_are_restored_whatever_the_chunking() {
    let f = fixture();
    let (upstream, rec) = fake_llm::start().await;
    let r = proxy_router(&f, &upstream, |_| {});
    let conv = conversation(&f).await;
    let ask = |model: &str| json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "card 4111 1111 1111 1111 phone 415 555 0132"}]});
    // The answer the fake streams back is "Noted: " and what it received.
    let (_, whole) = send(&r, &f.acme_ingest, Some(&conv), json!({"model": "echo", "messages": [{"role": "user", "content": "card 4111 1111 1111 1111 phone 415 555 0132"}]})).await;
    let want = serde_json::from_str::<Value>(&whole).unwrap()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(want, "Noted: card 4111111111111111 phone 4155550132");
    let tokenized_len = "Noted: card [CREDIT_CARD_1] phone [PHONE_NUMBER_1]".len();
    for at in 0..=tokenized_len {
        let (status, text) =
            send(&r, &f.acme_ingest, Some(&conv), ask(&format!("split-{at}"))).await;
        assert_eq!(status, StatusCode::OK);
        let (contents, _, _) = gather_stream(&text);
        assert_eq!(contents[0], want, "split at byte {at}");
    }
    let (_, text) = send(&r, &f.acme_ingest, Some(&conv), ask("bytes")).await;
    assert_eq!(gather_stream(&text).0[0], want, "one byte per chunk");
    assert!(!rec.all_bodies().contains("4111111111111111"));

    // n = 2, tool call arguments streamed by index, the usage chunk passes.
    let request = json!({
        "model": "split-9", "stream": true, "n": 2, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "my number is 415 555 0132"}],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    });
    let (_, text) = send(&r, &f.acme_ingest, Some(&conv), request).await;
    let (contents, args, chunks) = gather_stream(&text);
    for i in 0..2 {
        assert_eq!(contents[i], "Noted: my number is 4155550132");
        let parsed: Value = serde_json::from_str(&args[i]).unwrap();
        assert_eq!(parsed["note"], "my number is 4155550132");
    }
    let usage = chunks
        .iter()
        .find(|c| c["choices"].as_array().is_some_and(|a| a.is_empty()))
        .unwrap();
    assert_eq!(usage["usage"]["total_tokens"], 15);
}

#[tokio::test(flavor = "multi_thread")]
async fn policies_decide_what_the_model_sees_and_what_stays_a_token() {
    let f = fixture();
    let (upstream, rec) = fake_llm::start().await;
    let r = proxy_router(&f, &upstream, |c| {
        c.policies.insert(
            "acme".into(),
            ProxyPolicy {
                pass_through: vec!["EMAIL_ADDRESS".into()],
                keep_tokens: vec!["CREDIT_CARD".into()],
            },
        );
    });
    let conv = conversation(&f).await;
    let (_, body) = send(&r, &f.acme_ingest, Some(&conv), json!({"model": "echo", "messages": [{"role": "user", "content": "card 4111 1111 1111 1111, mail ana.lopez@example.com, phone 415 555 0132"}]})).await;
    let content = serde_json::from_str::<Value>(&body).unwrap()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        content,
        "Noted: card [CREDIT_CARD_1], mail ana.lopez@example.com, phone 4155550132"
    );
    let seen = rec.all_bodies();
    assert!(
        seen.contains("ana.lopez@example.com"),
        "a type let through reaches the model"
    );
    assert!(!seen.contains("4111111111111111") && !seen.contains("4155550132"));
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_openai_errors_without_values() {
    let f = fixture();
    let (upstream, _rec) = fake_llm::start().await;
    let r = proxy_router(&f, &upstream, |c| {
        c.models = vec![
            "echo".into(),
            "garbage".into(),
            "slow".into(),
            "error-mid".into(),
            "broken".into(),
            "trickle".into(),
        ];
        c.max_body_bytes = 4096;
    });
    let conv = conversation(&f).await;
    let ask = |model: &str, stream: bool| json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": SAID}]});
    let check = |status: StatusCode, body: &str, want: StatusCode| {
        assert_eq!(status, want, "{body}");
        let v: Value = serde_json::from_str(body).unwrap();
        assert!(v["error"]["message"].is_string(), "{body}");
        for original in ORIGINALS {
            assert!(!body.contains(original));
        }
    };
    let (s, b) = send(&r, &f.acme_ingest, Some(&conv), ask("gpt-unknown", false)).await;
    check(s, &b, StatusCode::BAD_REQUEST);
    let (s, b) = send(&r, &f.acme_ingest, Some(&conv), ask("garbage", false)).await;
    check(s, &b, StatusCode::BAD_GATEWAY);
    let (s, b) = send(&r, &f.acme_ingest, Some(&conv), ask("slow", false)).await;
    check(s, &b, StatusCode::GATEWAY_TIMEOUT);
    let big = json!({"model": "echo", "messages": [{"role": "user", "content": "x".repeat(5000)}]});
    let (s, b) = send(&r, &f.acme_ingest, Some(&conv), big).await;
    check(s, &b, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, b) = send(&r, "cvt_wrong", Some(&conv), ask("echo", false)).await;
    check(s, &b, StatusCode::UNAUTHORIZED);
    let (s, b) = send(
        &r,
        &f.acme_admin,
        Some("conv_000000000000000000000000"),
        ask("echo", false),
    )
    .await;
    check(s, &b, StatusCode::NOT_FOUND);
    let down = proxy_router(&f, "http://127.0.0.1:9/v1", |_| {});
    let (s, b) = send(&down, &f.acme_ingest, Some(&conv), ask("echo", false)).await;
    check(s, &b, StatusCode::BAD_GATEWAY);
    // Mid-stream: an error event, then a clean end.
    for model in ["error-mid", "broken"] {
        let (s, text) = send(&r, &f.acme_ingest, Some(&conv), ask(model, true)).await;
        assert_eq!(s, StatusCode::OK);
        let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.last(), Some(&"data: [DONE]"), "{model}: {text}");
        let error: Value =
            serde_json::from_str(events[events.len() - 2].strip_prefix("data: ").unwrap()).unwrap();
        assert!(error["error"]["message"].is_string(), "{model}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_goes_away_cancels_the_upstream_call() {
    let f = fixture();
    let (upstream, rec) = fake_llm::start().await;
    let r = proxy_router(&f, &upstream, |_| {});
    let conv = conversation(&f).await;
    let req = Request::builder()
        .method("POST")
        .uri("/v1/chat/completions")
        .header("authorization", format!("Bearer {}", f.acme_ingest))
        .header("content-type", "application/json")
        .header("x-callvault-conversation", &conv)
        .body(Body::from(json!({"model": "trickle", "stream": true, "messages": [{"role": "user", "content": "hi"}]}).to_string()))
        .unwrap();
    let response = r.clone().oneshot(req).await.unwrap();
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap();
    assert!(first.is_data());
    drop(body);
    let started = std::time::Instant::now();
    while rec.cancelled.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the upstream stream was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
