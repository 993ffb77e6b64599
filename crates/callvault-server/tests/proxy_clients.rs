//! Real OpenAI clients pointed at the proxy over a socket, as a caller would: `async-openai`
//! (Rust) and the official `openai` package for Python (in the virtual environment `.ci/run`
//! makes; its interpreter is `CALLVAULT_TEST_PYTHON`), whole and streamed.

mod common;

use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
};
use async_openai::Client;
use callvault_server::proxy::{Proxy, ProxyConfig};
use callvault_server::{app, ServerConfig};
use common::{fake_llm, fixture};
use futures_util::StreamExt;

const ORIGINALS: &[&str] = &[
    "4111111111111111",
    "4111 1111",
    "415 555 0132",
    "4155550132",
];

/// Serves the app with the proxy on a free loopback port; returns `http://.../v1`.
async fn serve(f: &common::Fixture, upstream: &str) -> String {
    let state = f
        .state
        .clone()
        .with_proxy(Proxy::new(ProxyConfig::new(upstream)).unwrap());
    let router = app(state, &ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}/v1")
}

async fn new_conversation(base: &str, token: &str) -> String {
    let client = reqwest::Client::new();
    let v: serde_json::Value = client
        .post(format!("{base}/conversations"))
        .bearer_auth(token)
        .json(&serde_json::json!({"customer_ref": "c-client"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn async_openai_whole_and_streamed() {
    let f = fixture();
    let (upstream, rec) = fake_llm::start().await;
    let base = serve(&f, &upstream).await;
    let conv = new_conversation(&base, &f.acme_ingest).await;
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(&base)
            .with_api_key(&f.acme_ingest),
    );
    let request = |model: &str| {
        CreateChatCompletionRequestArgs::default()
            .model(model)
            // The conversation through `user`, as some platforms can only set that.
            .user(conv.clone())
            .messages([ChatCompletionRequestUserMessageArgs::default()
                .content("call me on 415 555 0132, card 4111 1111 1111 1111")
                .build()
                .unwrap()
                .into()])
            .build()
            .unwrap()
    };
    let whole = client.chat().create(request("echo")).await.unwrap();
    let content = whole.choices[0].message.content.clone().unwrap();
    assert_eq!(
        content,
        "Noted: call me on 4155550132, card 4111111111111111"
    );
    let mut stream = client.chat().create_stream(request("bytes")).await.unwrap();
    let mut streamed = String::new();
    while let Some(chunk) = stream.next().await {
        for choice in chunk.unwrap().choices {
            streamed.push_str(choice.delta.content.as_deref().unwrap_or(""));
        }
    }
    assert_eq!(streamed, content);
    let seen = rec.all_bodies();
    for original in ORIGINALS {
        assert!(!seen.contains(original), "{original} reached the model");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_client_whole_and_streamed() {
    let python = std::env::var("CALLVAULT_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let f = fixture();
    let (upstream, rec) = fake_llm::start().await;
    let base = serve(&f, &upstream).await;
    let conv = new_conversation(&base, &f.acme_ingest).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/openai_client.py"
    );
    let token = f.acme_ingest.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&python)
            .args([script, &base, &token, &conv])
            .output()
    })
    .await
    .unwrap()
    .expect("python not found: set CALLVAULT_TEST_PYTHON (.ci/run makes a venv with openai)");
    assert!(
        out.status.success(),
        "the openai client failed (is the `openai` package installed? .ci/run installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = "Noted: my card is 4111111111111111 and my phone is 4155550132";
    assert_eq!(result["whole"], want);
    assert_eq!(result["streamed"], want);
    let args: serde_json::Value =
        serde_json::from_str(result["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(
        args["note"],
        "my card is 4111111111111111 and my phone is 4155550132"
    );
    assert_eq!(result["usage"], 15);
    assert!(
        result["error"].as_str().unwrap().contains("502"),
        "{result}"
    );
    let seen = rec.all_bodies();
    for original in ORIGINALS {
        assert!(!seen.contains(original), "{original} reached the model");
    }
}
