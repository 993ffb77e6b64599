//! The API through `app().oneshot(...)`: every route against {no token, bad token, other
//! tenant, wrong role}; bad input of every kind gets problem+json and leaves no row behind; the
//! happy path keeps labels consistent across turns and finds written and spoken forms alike.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use callvault_store::Store;
use common::fixture;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Body>,
    json: bool,
) -> (StatusCode, Value, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if json {
        req = req.header("content-type", "application/json");
    }
    let response = router
        .clone()
        .oneshot(req.body(body.unwrap_or_else(Body::empty)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value, content_type)
}

async fn get(router: &Router, uri: &str, token: &str) -> (StatusCode, Value) {
    let (s, v, _) = call(router, "GET", uri, Some(token), None, false).await;
    (s, v)
}

/// A new conversation of acme's, by its ingest token; its id.
async fn new_conversation(f: &common::Fixture, customer_ref: &str) -> String {
    let (status, conv) = post(
        &f.router,
        "/v1/conversations",
        &f.acme_ingest,
        json!({ "customer_ref": customer_ref }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{conv}");
    conv["id"].as_str().unwrap().to_owned()
}

async fn post(router: &Router, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (s, v, _) = call(
        router,
        "POST",
        uri,
        Some(token),
        Some(Body::from(body.to_string())),
        true,
    )
    .await;
    (s, v)
}

#[tokio::test]
async fn turns_are_redacted_labelled_consistently_and_searchable() {
    let f = fixture();
    let (status, conv) = post(
        &f.router,
        "/v1/conversations",
        &f.acme_ingest,
        json!({"customer_ref": "cust-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{conv}");
    let id = conv["id"].as_str().unwrap().to_owned();
    let turns = format!("/v1/conversations/{id}/turns");
    let (status, t1) = post(&f.router, &turns, &f.acme_ingest, json!({"speaker": "customer", "text": "my card is four one one one one one one one one one one one one one one one and the cvv is 123", "final": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{t1}");
    assert_eq!(
        t1["redacted"],
        "my card is [CREDIT_CARD_1] and the cvv is [CARD_CVV]"
    );
    let (_, t2) = post(
        &f.router,
        &turns,
        &f.acme_ingest,
        json!({"speaker": "customer", "text": "é 4111 1111 1111 1111"}),
    )
    .await;
    assert_eq!(t2["redacted"], "é [CREDIT_CARD_1]");
    assert_eq!(t1["findings"][0]["token"], t2["findings"][0]["token"]);
    // Offsets are code points of the submitted text.
    assert_eq!(
        (
            t2["findings"][0]["start"].as_u64(),
            t2["findings"][0]["end"].as_u64()
        ),
        (Some(2), Some(21))
    );

    let (status, view) = get(&f.router, &format!("/v1/conversations/{id}"), &f.acme_admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["turns"].as_array().unwrap().len(), 2);
    assert!(!view.to_string().contains("41111111") && !view.to_string().contains("is 123"));

    let (status, hits) = get(
        &f.router,
        "/v1/search?type=CREDIT_CARD&value=4111%201111%201111%201111",
        &f.acme_admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    assert_eq!(hits["matches"][0]["conversation"], id.as_str());
    let (status, posted) = post(
        &f.router,
        "/v1/search",
        &f.acme_admin,
        json!({"type": "CREDIT_CARD", "value": "four one one one one one one one one one one one one one one one"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{posted}");
    assert_eq!(
        posted["matches"][0]["conversation"],
        id.as_str(),
        "the spoken form finds it too"
    );
    let (_, none) = get(
        &f.router,
        "/v1/search?type=CREDIT_CARD&value=4111%201111%201111%201111",
        &f.globex_admin,
    )
    .await;
    assert_eq!(
        none["matches"].as_array().unwrap().len(),
        0,
        "another tenant finds nothing"
    );

    let (status, receipt, _) = call(
        &f.router,
        "DELETE",
        "/v1/customers/cust-1",
        Some(&f.acme_admin),
        None,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["turns"], 2);
    assert_eq!(receipt["data_key_versions_destroyed"], json!([1]));
    let (_, after) = get(
        &f.router,
        "/v1/search?type=CREDIT_CARD&value=4111111111111111",
        &f.acme_admin,
    )
    .await;
    assert_eq!(after["matches"].as_array().unwrap().len(), 0);
    // The erased customer's conversation keeps its redacted turns and takes no new one; a
    // new conversation of the same reference starts under a new key.
    let (status, view) = get(&f.router, &format!("/v1/conversations/{id}"), &f.acme_admin).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert!(view["erased_at"].as_i64().is_some(), "{view}");
    assert_eq!(view["turns"].as_array().unwrap().len(), 2);
    let (status, refused) = post(
        &f.router,
        &format!("/v1/conversations/{id}/turns"),
        &f.acme_ingest,
        json!({"speaker": "customer", "text": "my card is 4111 1111 1111 1111"}),
    )
    .await;
    assert_eq!(status, StatusCode::GONE, "{refused}");
    assert_eq!(refused["code"], "erased");
    let (_, again) = post(
        &f.router,
        "/v1/conversations",
        &f.acme_ingest,
        json!({"customer_ref": "cust-1"}),
    )
    .await;
    let again = again["id"].as_str().unwrap().to_owned();
    let (status, turn) = post(
        &f.router,
        &format!("/v1/conversations/{again}/turns"),
        &f.acme_ingest,
        json!({"speaker": "customer", "text": "my card is 4111 1111 1111 1111"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{turn}");
}

#[tokio::test]
async fn every_route_refuses_the_wrong_caller() {
    let f = fixture();
    let id = new_conversation(&f, "c").await;
    let turn_body = json!({"speaker": "agent", "text": "hello"}).to_string();
    let routes: Vec<(&str, String, Option<String>)> = vec![
        (
            "POST",
            "/v1/conversations".into(),
            Some(json!({"customer_ref": "x"}).to_string()),
        ),
        ("GET", "/v1/conversations".into(), None),
        ("GET", format!("/v1/conversations/{id}"), None),
        (
            "POST",
            format!("/v1/conversations/{id}/turns"),
            Some(turn_body.clone()),
        ),
        (
            "GET",
            "/v1/search?type=PHONE_NUMBER&value=4155550132".into(),
            None,
        ),
        ("DELETE", "/v1/customers/c".into(), None),
        ("DELETE", "/v1/principals/ingest/tokens".into(), None),
        (
            "PUT",
            "/v1/retention".into(),
            Some(json!({"days": 30}).to_string()),
        ),
        (
            "PUT",
            format!("/v1/conversations/{id}/legal-hold"),
            Some(json!({"hold": true}).to_string()),
        ),
    ];
    for (method, uri, body) in &routes {
        let has_body = body.is_some();
        for token in [None, Some("cvt_0000")] {
            let (status, problem, content_type) = call(
                &f.router,
                method,
                uri,
                token,
                body.clone().map(Body::from),
                has_body,
            )
            .await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} with {token:?}"
            );
            assert_eq!(content_type, "application/problem+json");
            assert_eq!(problem["code"], "unauthenticated");
        }
    }
    // Another tenant's conversation does not exist for them.
    let (status, _) = get(
        &f.router,
        &format!("/v1/conversations/{id}"),
        &f.globex_admin,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(
        &f.router,
        &format!("/v1/conversations/{id}/turns"),
        &f.globex_admin,
        json!({"speaker": "agent", "text": "hi"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The ingest role may not search or erase.
    let (status, _) = get(
        &f.router,
        "/v1/search?type=PHONE_NUMBER&value=4155550132",
        &f.acme_ingest,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(
        &f.router,
        "DELETE",
        "/v1/customers/c",
        Some(&f.acme_ingest),
        None,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&f.router, "/v1/nope", &f.acme_admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_gets_problem_json_and_writes_nothing() {
    let f = fixture();
    let id = new_conversation(&f, "c").await;
    let uri = format!("/v1/conversations/{id}/turns");
    let secret = "4111 1111 1111 1111";
    let cases: Vec<(&str, Body, bool, StatusCode, &str)> = vec![
        (
            "malformed",
            Body::from(format!("{{\"speaker\": \"customer\", \"text\": \"{secret}")),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "invalid utf-8",
            Body::from(vec![b'{', 0xff, 0xfe, b'}']),
            true,
            StatusCode::BAD_REQUEST,
            "invalid_utf8",
        ),
        (
            "unknown field",
            Body::from(json!({"speaker": "customer", "text": secret, "extra": 1}).to_string()),
            true,
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "wrong type",
            Body::from(json!({"speaker": "customer", "text": 4111111111111111u64}).to_string()),
            true,
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "bad speaker",
            Body::from(json!({"speaker": secret, "text": "x"}).to_string()),
            true,
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "not json",
            Body::from(secret),
            false,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "too large",
            Body::from(json!({"speaker": "customer", "text": "x".repeat(40_000)}).to_string()),
            true,
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "turn too long",
            Body::from(json!({"speaker": "customer", "text": "x ".repeat(9_000)}).to_string()),
            true,
            StatusCode::UNPROCESSABLE_ENTITY,
            "turn_too_long",
        ),
        (
            "partial over http",
            Body::from(json!({"speaker": "customer", "text": secret, "final": false}).to_string()),
            true,
            StatusCode::UNPROCESSABLE_ENTITY,
            "partial_over_http",
        ),
    ];
    for (name, body, json, status, code) in cases {
        let (got, problem, content_type) = call(
            &f.router,
            "POST",
            &uri,
            Some(&f.acme_ingest),
            Some(body),
            json,
        )
        .await;
        assert_eq!(got, status, "{name}: {problem}");
        assert_eq!(content_type, "application/problem+json", "{name}");
        assert_eq!(problem["code"], code, "{name}");
        assert!(
            !problem.to_string().contains("4111"),
            "{name} echoed input: {problem}"
        );
    }
    assert!(
        f.store.turns("acme", &id).unwrap().is_empty(),
        "a failed request left a row"
    );
    let (status, problem) = post(
        &f.router,
        "/v1/conversations",
        &f.acme_ingest,
        json!({"customer_ref": ""}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("invalid_customer_ref")
        )
    );
    // A customer reference is stored in the clear: one that is personal data is refused.
    let before = f.store.list_conversations("acme", None, 100).unwrap().len();
    for customer_ref in [
        "4111 1111 1111 1111",
        "maria.gonzalez@example.com",
        "415-555-0134",
    ] {
        let (status, problem) = post(
            &f.router,
            "/v1/conversations",
            &f.acme_ingest,
            json!({ "customer_ref": customer_ref }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{customer_ref}");
        assert_eq!(problem["code"], "customer_ref_personal_data");
        assert!(!problem.to_string().contains(customer_ref), "{problem}");
    }
    assert_eq!(
        f.store.list_conversations("acme", None, 100).unwrap().len(),
        before
    );
    // Ordinary ids with digits are not mistaken for personal data.
    for customer_ref in ["cust-10293847", "CRM_000482913", "acct:7731"] {
        let (status, body) = post(
            &f.router,
            "/v1/conversations",
            &f.acme_ingest,
            json!({ "customer_ref": customer_ref }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{customer_ref}: {body}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_problem_json_and_the_bearer_scheme_is_any_case() {
    let f = fixture();
    let (status, problem, content_type) = call(
        &f.router,
        "PUT",
        "/v1/conversations",
        Some(&f.acme_ingest),
        None,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["code"], "method_not_allowed");
    for scheme in ["bearer", "BEARER"] {
        let req = Request::builder()
            .method("GET")
            .uri("/v1/conversations")
            .header("authorization", format!("{scheme} {}", f.acme_ingest))
            .body(Body::empty())
            .unwrap();
        let response = f.router.clone().oneshot(req).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let f = fixture();
    let (status, _) = post(
        &f.router,
        "/v1/conversations",
        &f.acme_ingest,
        json!({"customer_ref": "c"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // The ingest role cannot revoke; another tenant's admin finds nothing to revoke here.
    let (status, _, _) = call(
        &f.router,
        "DELETE",
        "/v1/principals/admin/tokens",
        Some(&f.acme_ingest),
        None,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(
        &f.router,
        "DELETE",
        "/v1/principals/nobody/tokens",
        Some(&f.globex_admin),
        None,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body, _) = call(
        &f.router,
        "DELETE",
        "/v1/principals/ingest/tokens",
        Some(&f.acme_admin),
        None,
        false,
    )
    .await;
    assert_eq!(
        (status, body["tokens_revoked"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let (status, _) = post(
        &f.router,
        "/v1/conversations",
        &f.acme_ingest,
        json!({"customer_ref": "c"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the cached principal must not outlive the revocation"
    );
}

async fn put(router: &Router, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (s, v, _) = call(
        router,
        "PUT",
        uri,
        Some(token),
        Some(Body::from(body.to_string())),
        true,
    )
    .await;
    (s, v)
}

#[tokio::test]
async fn retention_purges_old_conversations_except_those_on_legal_hold() {
    let f = fixture();
    let mut ids = Vec::new();
    for n in 0..3 {
        let (_, conv) = post(
            &f.router,
            "/v1/conversations",
            &f.acme_ingest,
            json!({"customer_ref": format!("c{n}")}),
        )
        .await;
        let id = conv["id"].as_str().unwrap().to_owned();
        post(
            &f.router,
            &format!("/v1/conversations/{id}/turns"),
            &f.acme_ingest,
            json!({"speaker": "customer", "text": "my email is a@b.co"}),
        )
        .await;
        ids.push(id);
    }
    // Only an admin sets retention and holds; bad values are refused.
    assert_eq!(
        put(
            &f.router,
            "/v1/retention",
            &f.acme_ingest,
            json!({"days": 7})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put(
            &f.router,
            "/v1/retention",
            &f.acme_admin,
            json!({"days": 0})
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        put(
            &f.router,
            "/v1/retention",
            &f.acme_admin,
            json!({"days": 7})
        )
        .await
        .0,
        StatusCode::OK
    );
    let hold = format!("/v1/conversations/{}/legal-hold", ids[1]);
    assert_eq!(
        put(&f.router, &hold, &f.acme_admin, json!({"hold": true}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        put(&f.router, &hold, &f.globex_admin, json!({"hold": false}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Nothing is old enough today; eight days from now, all but the held one go.
    let now = callvault_core::app::now_ms();
    assert_eq!(f.state.core.purge_expired(now).unwrap(), 0);
    assert_eq!(f.state.core.purge_expired(now + 8 * 86_400_000).unwrap(), 2);
    for (i, id) in ids.iter().enumerate() {
        let (status, _) = get(&f.router, &format!("/v1/conversations/{id}"), &f.acme_admin).await;
        let expected = if i == 1 {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(status, expected, "conversation {i}");
    }
    // Another tenant without a policy keeps everything.
    let (_, other) = post(
        &f.router,
        "/v1/conversations",
        &f.globex_admin,
        json!({"customer_ref": "g"}),
    )
    .await;
    assert_eq!(f.state.core.purge_expired(now + 8 * 86_400_000).unwrap(), 0);
    let (status, _) = get(
        &f.router,
        &format!("/v1/conversations/{}", other["id"].as_str().unwrap()),
        &f.globex_admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let f = fixture();
    let (status, doc, content_type) =
        call(&f.router, "GET", "/openapi.json", None, None, false).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/json")
    );
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/v1/conversations", "post"),
        ("/v1/conversations", "get"),
        ("/v1/conversations/{id}", "get"),
        ("/v1/conversations/{id}/turns", "post"),
        ("/v1/conversations/{id}/stream", "get"),
        ("/v1/conversations/{id}/legal-hold", "put"),
        ("/v1/search", "get"),
        ("/v1/search", "post"),
        ("/v1/customers/{customer_ref}", "delete"),
        ("/v1/principals/{id}/tokens", "delete"),
        ("/v1/retention", "put"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(doc["components"]["schemas"]["TurnOut"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn a_phone_number_is_found_with_or_without_its_country_code() {
    let f = fixture();
    let id = &new_conversation(&f, "c-phone").await;
    let turns = format!("/v1/conversations/{id}/turns");
    let (_, first) = post(
        &f.router,
        &turns,
        &f.acme_ingest,
        json!({"speaker": "customer", "text": "call me at +1 415 555 0177"}),
    )
    .await;
    let (_, again) = post(
        &f.router,
        &turns,
        &f.acme_ingest,
        json!({"speaker": "customer", "text": "again, 415-555-0177"}),
    )
    .await;
    assert_eq!(first["findings"][0]["token"], again["findings"][0]["token"]);
    for value in ["4155550177", "+1 (415) 555-0177"] {
        let (status, hits) = post(
            &f.router,
            "/v1/search",
            &f.acme_admin,
            json!({"type": "PHONE_NUMBER", "value": value}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{hits}");
        assert_eq!(hits["matches"][0]["conversation"], id.as_str(), "{value}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_without_values() {
    let f = fixture();
    let id = &new_conversation(&f, "c-metrics").await;
    let (status, _) = post(
        &f.router,
        &format!("/v1/conversations/{id}/turns"),
        &f.acme_ingest,
        json!({"speaker": "customer", "text": "call me at 415 555 0134"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let req = Request::builder()
        .uri("/metrics")
        .body(Body::empty())
        .unwrap();
    let response = f.router.clone().oneshot(req).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        text.contains(
            r#"callvault_http_requests_total{route="/v1/conversations/{id}/turns",status="201"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"callvault_http_request_duration_seconds_bucket{route="/v1/conversations/{id}/turns",le="0.1"}"#),
        "{text}"
    );
    for value in ["4155550134", "415 555 0134", id, "c-metrics"] {
        assert!(!text.contains(value), "{value} in metrics");
    }
}
