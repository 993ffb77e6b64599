//! The WebSocket stream on a real socket: interim results are redacted with numbers in progress
//! held back, finals are stored and labelled like REST turns, labels agree across both, bad
//! messages get an error and the stream goes on, and a stranger cannot open the stream.

mod common;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn live_turns_over_a_websocket() {
    let f = common::fixture();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(callvault_server::run(
        listener,
        f.state.clone(),
        f.config,
        async {
            let _ = stopped.await;
        },
    ));

    let base = format!("http://{addr}");
    let client = reqwest_like_post(
        &base,
        "/v1/conversations",
        &f.acme_ingest,
        json!({"customer_ref": "cust-ws"}),
    )
    .await;
    let id = client["id"].as_str().unwrap().to_owned();
    // A REST turn first, so the stream must reuse its label.
    let rest = reqwest_like_post(
        &base,
        &format!("/v1/conversations/{id}/turns"),
        &f.acme_ingest,
        json!({"speaker": "customer", "text": "my phone is (415) 555-0132"}),
    )
    .await;
    assert_eq!(rest["redacted"], "my phone is [PHONE_NUMBER_1]");

    let mut request = format!("ws://{addr}/v1/conversations/{id}/stream")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", f.acme_ingest).parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut send = async |v: Value| -> Value {
        ws.send(Message::Text(v.to_string().into())).await.unwrap();
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => serde_json::from_str(t.as_str()).unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    };
    let p1 = send(json!({"speaker": "customer", "text": "my card is four one one one"})).await;
    assert_eq!(p1["type"], "partial");
    assert!(!p1["redacted"].as_str().unwrap().contains("four"), "{p1}");
    let p2 = send(json!({"speaker": "customer", "text": "call (415) 555-0132 and my card is four one one one one one"})).await;
    assert_eq!(
        p2["redacted"], "call [PHONE_NUMBER_1] and my card is ",
        "{p2}"
    );
    let fin = send(json!({"speaker": "customer", "text": "call (415) 555-0132 and my card is four one one one one one one one one one one one one one one one", "final": true})).await;
    assert_eq!(fin["type"], "final", "{fin}");
    assert_eq!(
        fin["redacted"],
        "call [PHONE_NUMBER_1] and my card is [CREDIT_CARD_1]"
    );
    let bad =
        send(json!({"speaker": "customer", "text": "x", "extra": "4111 1111 1111 1111"})).await;
    assert_eq!(bad["type"], "error");
    assert!(!bad.to_string().contains("4111"));
    let again = send(json!({"speaker": "agent", "text": "thanks", "final": true})).await;
    assert_eq!(again["seq"], 2, "the stream goes on after an error");
    // Revoking the token ends the stream at the next message.
    f.state
        .core
        .revoke_principal(&admin(&f).await, "ingest")
        .await
        .unwrap();
    let ended = send(json!({"speaker": "agent", "text": "one more", "final": true})).await;
    assert_eq!(ended["code"], "unauthenticated", "{ended}");
    drop(ws);
    assert_eq!(f.store_turns("acme", &id), 3);

    // Another tenant cannot open the stream, and nobody can without a token.
    let mut stranger = format!("ws://{addr}/v1/conversations/{id}/stream")
        .into_client_request()
        .unwrap();
    stranger.headers_mut().insert(
        "authorization",
        format!("Bearer {}", f.globex_admin).parse().unwrap(),
    );
    assert!(tokio_tungstenite::connect_async(stranger).await.is_err());
    let anonymous = format!("ws://{addr}/v1/conversations/{id}/stream")
        .into_client_request()
        .unwrap();
    assert!(tokio_tungstenite::connect_async(anonymous).await.is_err());

    // Once its customer is erased, no stream opens on it: 410.
    let admin = admin(&f).await;
    f.state
        .core
        .erase_customer(&admin, "cust-ws")
        .await
        .unwrap();
    let mut late = format!("ws://{addr}/v1/conversations/{id}/stream")
        .into_client_request()
        .unwrap();
    // (The fixture's ingest token was revoked above: another ingest service.)
    let ingest = f
        .state
        .core
        .issue_token(&admin, "ingest-2", "ingest", None, None)
        .unwrap();
    late.headers_mut().insert(
        "authorization",
        format!("Bearer {}", ingest.token).parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(late).await.err() {
        Some(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 410)
        }
        other => panic!("expected 410, got {other:?}"),
    }

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

async fn admin(f: &common::Fixture) -> callvault_store::Principal {
    f.state
        .core
        .authenticate(&f.acme_admin, None)
        .await
        .unwrap()
}

/// A minimal JSON POST over the same socket layer (hyper is already a dependency of axum).
async fn reqwest_like_post(base: &str, path: &str, token: &str, body: Value) -> Value {
    use http_body_util::BodyExt;
    let addr = base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::post(path)
        .header("host", addr)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(hyper::body::Bytes::from(
            body.to_string(),
        )))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}
