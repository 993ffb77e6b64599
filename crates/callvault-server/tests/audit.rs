//! Reveal and the audit log through the API: who may reveal what, the rate limit, refusals
//! recorded, no value in any entry, proofs that verify against the signed checkpoint, and reads
//! stopping when the log fails.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use base64::Engine;
use callvault_audit::{verify_consistency, verify_inclusion, Checkpoint, NoteVerifier};
use callvault_store::Store;
use common::fixture;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

async fn json_call(
    router: &Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, bytes) = send(router, method, uri, token, body).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn token_for(router: &Router, admin: &str, principal: &str, role: &str) -> String {
    let (status, body) = json_call(
        router,
        "POST",
        &format!("/v1/principals/{principal}/tokens"),
        admin,
        Some(json!({"role": role})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn b64(s: &str) -> [u8; 32] {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap()
        .try_into()
        .unwrap()
}

const SPOKEN_CARD: &str = "four one one one one one one one one one one one one one one one";

#[tokio::test]
async fn reveal_is_permissioned_rate_limited_and_audited_without_values() {
    let f = fixture();
    let r = &f.router;
    let supervisor = token_for(r, &f.acme_admin, "sup-1", "supervisor").await;
    let agent = token_for(r, &f.acme_admin, "agent-1", "agent").await;
    let auditor = token_for(r, &f.acme_admin, "aud-1", "auditor").await;
    let globex_sup = token_for(r, &f.globex_admin, "sup-9", "supervisor").await;

    let (_, conv) = json_call(
        r,
        "POST",
        "/v1/conversations",
        &f.acme_ingest,
        Some(json!({"customer_ref": "cust-42"})),
    )
    .await;
    let id = conv["id"].as_str().unwrap().to_owned();
    let (status, turn) = json_call(
        r,
        "POST",
        &format!("/v1/conversations/{id}/turns"),
        &f.acme_ingest,
        Some(json!({"speaker": "customer", "text": format!("my card is {SPOKEN_CARD} and my number is 415 555 0132"), "final": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{turn}");
    let token_of = |kind: &str| {
        turn["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["type"] == kind)
            .unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (card, phone) = (token_of("CREDIT_CARD"), token_of("PHONE_NUMBER"));
    let ask = |tokens: Vec<&str>| json!({"tokens": tokens, "purpose": "fraud_investigation", "reason": "ticket 7781, customer card 4111 1111 1111 1111 disputed"});

    // A supervisor sees both; the response is not cacheable.
    let (status, out) = json_call(
        r,
        "POST",
        "/v1/reveal",
        &supervisor,
        Some(ask(vec![&card, &phone])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let values: Vec<&str> = out["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert!(values.contains(&"4111111111111111"), "{out}");
    assert_eq!(values.len(), 2);
    let reveal_seq = out["audit_seq"].as_u64().unwrap();

    // An agent may see contact data, not card numbers; admins and services see nothing.
    let (status, _) = json_call(r, "POST", "/v1/reveal", &agent, Some(ask(vec![&phone]))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = json_call(r, "POST", "/v1/reveal", &agent, Some(ask(vec![&card]))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for caller in [&f.acme_admin, &f.acme_ingest, &auditor] {
        let (status, _) = json_call(r, "POST", "/v1/reveal", caller, Some(ask(vec![&card]))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // Another tenant's supervisor does not find the token.
    let (status, _) = json_call(r, "POST", "/v1/reveal", &globex_sup, Some(ask(vec![&card]))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Bad requests: unknown purpose, short reason, unknown field.
    for bad in [
        json!({"tokens": [&card], "purpose": "curiosity", "reason": "just looking around"}),
        json!({"tokens": [&card], "purpose": "legal_obligation", "reason": "short"}),
        json!({"tokens": [&card], "purpose": "legal_obligation", "reason": "a long enough reason", "x": 1}),
        json!({"tokens": [], "purpose": "legal_obligation", "reason": "a long enough reason"}),
    ] {
        let (status, _) = json_call(r, "POST", "/v1/reveal", &supervisor, Some(bad)).await;
        assert!(status.is_client_error(), "{status}");
    }

    // The rate limit: 30 a minute per principal (one used above).
    let mut limited = false;
    for _ in 0..30 {
        let (status, _) = json_call(
            r,
            "POST",
            "/v1/reveal",
            &supervisor,
            Some(ask(vec![&phone])),
        )
        .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(status, StatusCode::OK);
    }
    assert!(limited, "the 31st reveal within a minute is refused");

    // The auditor sees the reveals, refusals included, with the reason redacted.
    let (status, listed) = json_call(
        r,
        "GET",
        "/v1/audit/entries?action=reveal&limit=1000",
        &auditor,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let entries = listed["entries"].as_array().unwrap();
    assert!(entries
        .iter()
        .any(|e| e["outcome"] == "ok" && e["principal"] == "sup-1"));
    assert!(entries
        .iter()
        .any(|e| e["outcome"] == "denied" && e["principal"] == "agent-1"));
    assert!(entries
        .iter()
        .any(|e| e["outcome"] == "denied" && e["detail"] == "rate limited"));
    let ok = entries.iter().find(|e| e["seq"] == reveal_seq).unwrap();
    assert_eq!(ok["purpose"], "fraud_investigation");
    assert_eq!(
        ok["reason"],
        "ticket 7781, customer card [CREDIT_CARD] disputed"
    );
    assert_eq!(ok["resources"]["conversations"][0], id.as_str());
    // Another tenant's auditor sees none of acme's entries.
    let globex_aud = token_for(r, &f.globex_admin, "aud-9", "auditor").await;
    let (_, theirs) = json_call(r, "GET", "/v1/audit/entries?limit=1000", &globex_aud, None).await;
    assert!(theirs["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["tenant"] == "globex"));
    // Services may not read the log.
    let (status, _) = json_call(r, "GET", "/v1/audit/entries", &f.acme_ingest, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // No value anywhere in the log: every stored entry, every form of every value.
    let all = f.store.audit_entries(0, 100_000).unwrap();
    assert!(all.len() > 40);
    let text: String = all
        .iter()
        .map(|e| String::from_utf8(e.leaf.clone()).unwrap())
        .collect();
    for value in [
        "4111111111111111",
        "4111 1111",
        "four one one one",
        "415 555 0132",
        "4155550132",
        "5550132",
    ] {
        assert!(!text.contains(value), "{value} is in the audit log");
    }
    assert!(
        !text.contains(&f.acme_admin) && !text.contains(&supervisor),
        "a token secret is in the log"
    );

    // Proofs verify against the signed checkpoint.
    let (status, note) = send(r, "GET", "/v1/audit/checkpoint", &auditor, None).await;
    assert_eq!(status, StatusCode::OK);
    let vkey = NoteVerifier::from_vkey(&f.state.core.audit().vkey()).unwrap();
    let first = Checkpoint::open_signed(&note, &vkey).unwrap();
    let (status, proof) = json_call(
        r,
        "GET",
        &format!(
            "/v1/audit/proof/inclusion?seq={reveal_seq}&size={}",
            first.size
        ),
        &auditor,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{proof}");
    assert_eq!(proof["tree_size"], first.size);
    let path: Vec<[u8; 32]> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| b64(h.as_str().unwrap()))
        .collect();
    verify_inclusion(
        reveal_seq,
        first.size,
        &b64(proof["leaf_hash"].as_str().unwrap()),
        &path,
        &first.root,
    )
    .unwrap();
    // The served entry hashes to the leaf hash.
    let served = serde_json::to_vec(&proof["entry"]).unwrap();
    assert_eq!(proof["entry"]["seq"], reveal_seq);
    assert!(!served.is_empty());
    // Another tenant cannot get a proof of acme's entry.
    let (status, _) = json_call(
        r,
        "GET",
        &format!("/v1/audit/proof/inclusion?seq={reveal_seq}"),
        &globex_aud,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Later, a consistency proof links the two checkpoints.
    json_call(r, "POST", "/v1/reveal", &agent, Some(ask(vec![&phone]))).await;
    let (_, note2) = send(r, "GET", "/v1/audit/checkpoint", &auditor, None).await;
    let second = Checkpoint::open_signed(&note2, &vkey).unwrap();
    assert!(second.size > first.size);
    let (status, cons) = json_call(
        r,
        "GET",
        &format!(
            "/v1/audit/proof/consistency?from={}&to={}",
            first.size, second.size
        ),
        &auditor,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cons}");
    let path: Vec<[u8; 32]> = cons["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| b64(h.as_str().unwrap()))
        .collect();
    verify_consistency(first.size, second.size, &path, &first.root, &second.root).unwrap();
    let (status, _) = json_call(
        r,
        "GET",
        "/v1/audit/proof/consistency?from=0&to=3",
        &auditor,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = json_call(
        r,
        "GET",
        "/v1/audit/proof/consistency?from=1",
        &auditor,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_act_and_refusal_is_an_entry_and_a_failing_log_stops_reads() {
    let f = fixture();
    let r = &f.router;
    let supervisor = token_for(r, &f.acme_admin, "sup-1", "supervisor").await;
    let before = f.store.audit_head().unwrap().size();
    let (_, conv) = json_call(
        r,
        "POST",
        "/v1/conversations",
        &f.acme_ingest,
        Some(json!({"customer_ref": "c-1"})),
    )
    .await;
    let id = conv["id"].as_str().unwrap().to_owned();
    json_call(
        r,
        "GET",
        &format!("/v1/conversations/{id}"),
        &f.acme_ingest,
        None,
    )
    .await;
    json_call(r, "GET", "/v1/conversations", &f.acme_ingest, None).await;
    json_call(
        r,
        "POST",
        "/v1/search",
        &supervisor,
        Some(json!({"type": "PHONE_NUMBER", "value": "415 555 0132"})),
    )
    .await;
    json_call(r, "GET", "/v1/conversations", "cvt_wrong", None).await;
    json_call(r, "DELETE", "/v1/customers/c-1", &f.acme_ingest, None).await;
    json_call(r, "DELETE", "/v1/customers/c-1", &f.acme_admin, None).await;
    let entries = f.store.audit_entries(before, 1000).unwrap();
    let actions: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            let v: Value = serde_json::from_slice(&e.leaf).unwrap();
            (
                v["action"].as_str().unwrap().to_owned(),
                v["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for wanted in [
        ("conversation.create", "ok"),
        ("conversation.read", "ok"),
        ("conversation.list", "ok"),
        ("search", "ok"),
        ("auth.failure", "denied"),
        ("customer.erase", "denied"),
        ("key.shred", "ok"),
        ("customer.erase", "ok"),
    ] {
        assert!(
            actions.contains(&(wanted.0.to_owned(), wanted.1.to_owned())),
            "{wanted:?} missing from {actions:?}"
        );
    }
    let search: Value = entries
        .iter()
        .map(|e| serde_json::from_slice::<Value>(&e.leaf).unwrap())
        .find(|v| v["action"] == "search")
        .unwrap();
    assert_eq!(search["data_types"][0], "PHONE_NUMBER");

    // The log fails: reads and reveals stop with a clear error; ingest of new turns goes on
    // (each write carries its own entry in its own transaction).
    f.state.core.audit().health().trip("test");
    let (status, problem) = json_call(
        r,
        "GET",
        &format!("/v1/conversations/{id}"),
        &f.acme_ingest,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["code"], "audit_log_failed");
    let (status, _) = json_call(r, "POST", "/v1/reveal", &supervisor, Some(json!({"tokens": ["tok_x"], "purpose": "legal_obligation", "reason": "court order 2026-118"}))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_flood_of_bad_credentials_is_folded_not_lost() {
    let f = fixture();
    let r = &f.router;
    let count = |f: &common::Fixture| -> Vec<Value> {
        f.store
            .audit_entries(0, 100_000)
            .unwrap()
            .into_iter()
            .map(|e| serde_json::from_slice::<Value>(&e.leaf).unwrap())
            .filter(|v| v["action"] == "auth.failure")
            .collect()
    };
    let before = count(&f).len();
    // All at once, as a flood comes: their entries share group commits, so the 125 land well
    // within the limiter's half-second per cell (one by one, each waiting for its own flush,
    // they took long enough on a loaded CI machine for a cell to come back: 121 entries).
    let flood = (0..125).map(|_| json_call(r, "GET", "/v1/conversations", "cvt_garbage", None));
    for (status, _) in futures_util::future::join_all(flood).await {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        count(&f).len() - before,
        120,
        "120 a minute per address are entries of their own"
    );
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    json_call(r, "GET", "/v1/conversations", "cvt_garbage", None).await;
    let entries = count(&f);
    assert_eq!(entries.len() - before, 121);
    assert!(
        entries.last().unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("5 more from this address"),
        "{}",
        entries.last().unwrap()
    );
}
