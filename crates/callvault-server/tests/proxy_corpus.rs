//! The proxy over the whole labelled development corpus (`crates/callvault-detect/tests/data/`,
//! written and spoken): every turn goes up as a user message through the proxy to the fake
//! upstream, which echoes it. For each turn, what the upstream received must be exactly the
//! text with the detector's findings replaced, so no value the detector finds reaches it and a
//! gold span reaches it exactly when the detector misses some of it; the share of gold spans
//! that reach the upstream is printed (BENCHMARKS.md records it next to the detector's own leak
//! rate). Every token in the answers must come back restored.

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Request;
use callvault_server::proxy::{Proxy, ProxyConfig};
use callvault_server::{app, ServerConfig};
use common::{fake_llm, fixture};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread")]
async fn no_detected_value_reaches_the_model_and_every_token_comes_back() {
    let f = fixture();
    let (upstream, rec) = fake_llm::start().await;
    let state = f
        .state
        .clone()
        .with_proxy(Proxy::new(ProxyConfig::new(&upstream)).unwrap());
    let r = app(state, &ServerConfig::default());
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../callvault-detect/tests/data"
    );
    let label = regex_lite_label();
    let mut report = BTreeMap::new();
    for file in [
        "sgd_dev_turns.jsonl",
        "sgd_dev_turns_spoken.jsonl",
        "presidio_synth_v2.jsonl",
    ] {
        let text = std::fs::read_to_string(format!("{data}/{file}")).unwrap();
        let (mut gold, mut reached, mut findings_n, mut turns) = (0usize, 0usize, 0usize, 0usize);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let record: Value = serde_json::from_str(line).unwrap();
            let said = record["text"].as_str().unwrap();
            let request = json!({"model": "echo", "messages": [{"role": "user", "content": said}]});
            let response = r
                .clone()
                .oneshot(
                    Request::builder()
                        .method("POST")
                        .uri("/v1/chat/completions")
                        .header("authorization", format!("Bearer {}", f.acme_ingest))
                        .header("content-type", "application/json")
                        .body(Body::from(request.to_string()))
                        .unwrap(),
                )
                .await
                .unwrap();
            assert!(
                response.status().is_success(),
                "{file}: {}",
                response.status()
            );
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let answer: Value = serde_json::from_slice(&bytes).unwrap();
            let sent: Value =
                serde_json::from_str(rec.bodies.lock().unwrap().last().unwrap()).unwrap();
            let received = sent["messages"][0]["content"].as_str().unwrap().to_owned();

            // What the proxy replaces: the detector's findings (one user message, no earlier
            // context), and every other word-bounded occurrence of a tokenized value's text.
            let findings = callvault_detect::Conversation::new().push(Some("customer"), said);
            let mut spans: Vec<(usize, usize)> = findings
                .iter()
                .filter(|f| f.end <= said.len())
                .map(|f| (f.start, f.end))
                .collect();
            for f in findings.iter().filter(|f| {
                f.end <= said.len()
                    && !matches!(f.entity.as_str(), "CARD_CVV" | "CREDENTIAL")
                    && said[f.start..f.end].chars().count() >= 4
            }) {
                let raw = &said[f.start..f.end];
                for (at, _) in said.match_indices(raw) {
                    let end = at + raw.len();
                    let bounded = !said[..at]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric)
                        && !said[end..]
                            .chars()
                            .next()
                            .is_some_and(char::is_alphanumeric);
                    if bounded && spans.iter().all(|(s, e)| end <= *s || at >= *e) {
                        spans.push((at, end));
                    }
                }
            }
            spans.sort();
            let mut covered = vec![false; said.len()];
            let mut expected = String::new();
            let mut pos = 0;
            for (start, end) in &spans {
                if *start < pos {
                    continue;
                }
                covered[*start..*end].iter_mut().for_each(|c| *c = true);
                expected.push_str(&said[pos..*start]);
                expected.push('[');
                pos = *end;
                // The label is the conversation's; compare the shape only.
                let rest = &received[expected.len()..];
                let close = rest.find(']').expect("a label") + 1;
                expected.push_str(&rest[..close]);
                findings_n += 1;
            }
            expected.push_str(&said[pos..]);
            assert_eq!(
                received, expected,
                "{file}: the model got something else than the redaction"
            );
            for f in &findings {
                let raw = &said[f.start..f.end];
                let bounded_in_received = received.match_indices(raw).any(|(at, _)| {
                    let end = at + raw.len();
                    !received[..at]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric)
                        && !received[end..]
                            .chars()
                            .next()
                            .is_some_and(char::is_alphanumeric)
                });
                assert!(
                    !bounded_in_received || raw.chars().count() < 4,
                    "{file}: a detected value reached the model: {raw:?} in {received:?}"
                );
            }
            for span in record["spans"].as_array().unwrap().iter().filter(|s| {
                // The PII labels `callvault eval` scores by default (the corpus has others).
                [
                    "PERSON",
                    "ADDRESS",
                    "PHONE_NUMBER",
                    "EMAIL_ADDRESS",
                    "CREDIT_CARD",
                    "US_SSN",
                    "IBAN_CODE",
                    "IP_ADDRESS",
                    "ZIP_CODE",
                    "US_DRIVER_LICENSE",
                    "LOCATION",
                ]
                .contains(&s["label"].as_str().unwrap_or(""))
            }) {
                let (start, end) = (
                    span["start"].as_u64().unwrap() as usize,
                    span["end"].as_u64().unwrap() as usize,
                );
                let chars: Vec<(usize, char)> = said.char_indices().collect();
                let leaked = chars
                    .iter()
                    .filter(|(_, c)| !c.is_whitespace())
                    .map(|(i, _)| *i)
                    .filter(|i| *i >= byte_of(said, start) && *i < byte_of(said, end))
                    .any(|i| !covered[i]);
                gold += 1;
                reached += usize::from(leaked);
            }
            // Every token in the answer is restored (masked types stay their type).
            let content = answer["choices"][0]["message"]["content"].as_str().unwrap();
            for m in label(content) {
                assert!(
                    said.contains(&m) || m == "[CARD_CVV]" || m == "[CREDENTIAL]",
                    "{file}: {m} came back unrestored"
                );
            }
            turns += 1;
        }
        report.insert(file, (turns, findings_n, gold, reached));
    }
    let seen = rec.all_bodies();
    assert!(!seen.is_empty());
    for (file, (turns, findings, gold, reached)) in &report {
        eprintln!(
            "proxy corpus {file}: {turns} turns, {findings} values tokenized, {gold} gold spans, {reached} reached the upstream ({:.1} %)",
            100.0 * *reached as f64 / (*gold).max(1) as f64
        );
    }
}

/// Offsets in the corpus are code points; the text is indexed in bytes.
fn byte_of(text: &str, char_offset: usize) -> usize {
    text.char_indices()
        .nth(char_offset)
        .map_or(text.len(), |(b, _)| b)
}

/// `[LABEL_N]` occurrences (and masked `[TYPE]`s).
fn regex_lite_label() -> impl Fn(&str) -> Vec<String> {
    |text: &str| {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            let after = &rest[open + 1..];
            match after.find(']') {
                Some(close)
                    if close > 0
                        && after[..close]
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
                {
                    out.push(format!("[{}]", &after[..close]));
                    rest = &after[close + 1..];
                }
                _ => rest = after,
            }
        }
        out
    }
}
