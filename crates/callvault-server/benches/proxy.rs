//! The privacy proxy's cost, release build, against the fake upstream on loopback
//! (`tests/common/fake_llm.rs`), everything in one process on this 2-core machine:
//!
//! 1. time to first token: a streamed answer through the proxy vs straight from the upstream,
//!    for a ~2 KB prompt with personal data, one request at a time;
//! 2. whole-response overhead: the same prompt, not streamed, answer echoing the prompt (so its
//!    labels must be restored);
//! 3. `STREAMS` (default 2,000) concurrent streams of 20 chunks over a second, counting errors.
//!
//! `cargo bench -p callvault-server --bench proxy` (env: `REQUESTS` default 400, `STREAMS`).

#[path = "../tests/common/fake_llm.rs"]
mod fake_llm;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callvault_core::{AuditConfig, Core, CoreConfig};
use callvault_server::proxy::{Proxy, ProxyConfig};
use callvault_server::{AppState, ServerConfig};
use callvault_store::{SqliteStore, Store};
use callvault_vault::{KdfParams, KeyTable, PassphraseKeyFile, RootKeyStore, Vault, VaultConfig};
use futures_util::StreamExt;
use serde_json::{json, Value};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn prompt() -> Vec<Value> {
    let system = "You are the voice agent of a bank's card services line. Be brief, confirm what \
        the caller says, never read a full card number aloud, and hand over to a person when the \
        caller asks for one. "
        .repeat(8);
    vec![
        json!({"role": "system", "content": system}),
        json!({"role": "assistant", "content": "Thanks for calling. Can I have your name and the card you are calling about?"}),
        json!({"role": "user", "content": "Sure, this is Maria Gonzalez, the card is 4111 1111 1111 1111 and my phone is 415 555 0132."}),
        json!({"role": "assistant", "content": "Thank you. What seems to be the problem with the card?"}),
        json!({"role": "user", "content": "There is a charge I do not recognise from last Tuesday, about forty dollars, and I would like it looked at. You can email me at maria.gonzalez@example.com."}),
    ]
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let requests = env("REQUESTS", 400) as usize;
    let streams = env("STREAMS", 2000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let pass = secrecy::SecretString::from("proxy benchmark passphrase".to_owned());
    let fast = KdfParams {
        m_cost: 8192,
        t_cost: 1,
        p_cost: 1,
    };
    let root: Arc<dyn RootKeyStore> =
        Arc::new(PassphraseKeyFile::create(&dir.path().join("root.key"), &pass, fast).unwrap());
    let store = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let table: Arc<dyn KeyTable> = store.clone();
    let vault = Arc::new(Vault::new(root, table, VaultConfig::default()));
    let tokens = Core::provision_tenant(store.as_ref(), &vault, "acme", "Acme").unwrap();
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Arc::new(
        Core::new(
            dyn_store,
            vault,
            CoreConfig::default(),
            AuditConfig::default(),
        )
        .unwrap(),
    );
    let (upstream, _rec) = fake_llm::start().await;
    let server = ServerConfig {
        rate_per_principal: 1_000_000,
        ..ServerConfig::default()
    };
    let state = AppState::new(Arc::clone(&core), &server)
        .with_proxy(Proxy::new(ProxyConfig::new(&upstream)).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Served as `callvault serve` serves (callvault_server::run: TCP_NODELAY, connect info).
    tokio::spawn(callvault_server::run(
        listener,
        state,
        server,
        std::future::pending(),
    ));
    let proxy = format!("http://{addr}/v1");
    let token = tokens.ingest_token.to_string();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .build()
        .unwrap();
    let conv: Value = client
        .post(format!("{proxy}/conversations"))
        .bearer_auth(&token)
        .json(&json!({"customer_ref": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conv = conv["id"].as_str().unwrap().to_owned();
    let body_size = json!({"model": "x", "messages": prompt()})
        .to_string()
        .len();
    println!("prompt: {body_size} bytes of JSON, 5 messages, a name, a card, a phone, an e-mail");

    // Time to the first content chunk.
    let first_chunk = |base: String, model: &'static str| {
        let (client, token, conv) = (client.clone(), token.clone(), conv.clone());
        async move {
            let t = Instant::now();
            let response = client
                .post(format!("{base}/chat/completions"))
                .bearer_auth(&token)
                .header("x-callvault-conversation", &conv)
                .json(&json!({"model": model, "stream": true, "messages": prompt()}))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success());
            let mut body = response.bytes_stream();
            let mut seen = String::new();
            while let Some(bytes) = body.next().await {
                seen.push_str(&String::from_utf8_lossy(&bytes.unwrap()));
                if seen.contains("\"content\":\"S") || seen.contains("\"content\":\"N") {
                    break;
                }
            }
            let took = t.elapsed();
            while body.next().await.is_some() {}
            took
        }
    };
    for (label, model) in [
        ("plain first token", "say:Sure, I can help with that."),
        ("first token restoring a label", "echo"),
    ] {
        let mut direct = Vec::new();
        let mut through = Vec::new();
        for i in 0..requests + 20 {
            let d = first_chunk(upstream.clone(), model).await;
            let p = first_chunk(proxy.clone(), model).await;
            if i >= 20 {
                direct.push(d);
                through.push(p);
            }
        }
        direct.sort();
        through.sort();
        println!(
            "TTFT, {label}: direct p50 {:.3} ms p99 {:.3} ms; through the proxy p50 {:.3} ms p99 {:.3} ms; added p50 {:.3} ms p99 {:.3} ms ({requests} each)",
            pct(&direct, 0.5),
            pct(&direct, 0.99),
            pct(&through, 0.5),
            pct(&through, 0.99),
            pct(&through, 0.5) - pct(&direct, 0.5),
            pct(&through, 0.99) - pct(&direct, 0.99),
        );
    }

    // Whole responses: back to back in one conversation (each call waits for the previous
    // one's commit, which holds the conversation), and one conversation per call (a live call
    // has one model request in flight at a time).
    let mut fresh = Vec::new();
    for _ in 0..requests + 20 {
        let v: Value = client
            .post(format!("{proxy}/conversations"))
            .bearer_auth(&token)
            .json(&json!({"customer_ref": "bench"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        fresh.push(v["id"].as_str().unwrap().to_owned());
    }
    let whole = |base: String, conv: String| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let t = Instant::now();
            let v: Value = client
                .post(format!("{base}/chat/completions"))
                .bearer_auth(&token)
                .header("x-callvault-conversation", &conv)
                .json(&json!({"model": "echo", "messages": prompt()}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(v["choices"][0]["message"]["content"].is_string());
            t.elapsed()
        }
    };
    for (label, per_call) in [
        ("one conversation, back to back", false),
        ("a conversation per call", true),
    ] {
        let mut direct = Vec::new();
        let mut through = Vec::new();
        for (i, own) in fresh.iter().enumerate() {
            let c = if per_call { own.clone() } else { conv.clone() };
            let d = whole(upstream.clone(), c.clone()).await;
            let p = whole(proxy.clone(), c).await;
            if i >= 20 {
                direct.push(d);
                through.push(p);
            }
        }
        direct.sort();
        through.sort();
        println!(
            "whole response restoring labels, {label}: direct p50 {:.3} ms p99 {:.3} ms; through the proxy p50 {:.3} ms p99 {:.3} ms; added p50 {:.3} ms p99 {:.3} ms",
            pct(&direct, 0.5),
            pct(&direct, 0.99),
            pct(&through, 0.5),
            pct(&through, 0.99),
            pct(&through, 0.5) - pct(&direct, 0.5),
            pct(&through, 0.99) - pct(&direct, 0.99),
        );
    }

    // Many concurrent streams.
    let errors = Arc::new(AtomicU64::new(0));
    let completed = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let tasks: Vec<_> = (0..streams)
        .map(|_| {
            let (client, token, conv, proxy, errors, completed) = (
                client.clone(),
                token.clone(),
                conv.clone(),
                proxy.clone(),
                Arc::clone(&errors),
                Arc::clone(&completed),
            );
            tokio::spawn(async move {
                let sent = client
                    .post(format!("{proxy}/chat/completions"))
                    .bearer_auth(&token)
                    .header("x-callvault-conversation", &conv)
                    .json(&json!({"model": "stream20", "stream": true, "messages": [{"role": "user", "content": "card 4111 1111 1111 1111"}]}))
                    .send()
                    .await;
                let Ok(response) = sent else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                if !response.status().is_success() {
                    errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                let mut text = String::new();
                let mut body = response.bytes_stream();
                while let Some(bytes) = body.next().await {
                    match bytes {
                        Ok(b) => text.push_str(&String::from_utf8_lossy(&b)),
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                }
                if text.ends_with("data: [DONE]\n\n") && text.contains("4111111111111111") && !text.contains("\"error\"") {
                    completed.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    println!(
        "{streams} concurrent streams (20 chunks over about 1 s each, labels restored): {} complete, {} errors, all done in {:.1} s",
        completed.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        t.elapsed().as_secs_f64()
    );
    core.shutdown();
}
