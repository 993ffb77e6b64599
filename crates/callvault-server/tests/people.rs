//! People and permissions through the API: enrolment, login with password and TOTP (a code
//! accepted once), recovery codes (once each), logout, rate limits before hashing, lockout with
//! an alert, break-glass, dual control, token scopes, rotation and disabling.

mod common;

use axum::http::StatusCode;
use axum::Router;
use callvault_core::CoreConfig;
use callvault_store::Store;
use common::fixture_with;
use serde_json::{json, Value};

async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    common::call_json(router, method, uri, token, body.as_ref()).await
}

fn code_now(otpauth_uri: &str) -> String {
    let totp = totp_rs::Totp::from_url(otpauth_uri).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now).to_string()
}

/// A code for the next time step (accepted thanks to one step of skew), for a second login.
fn code_next(otpauth_uri: &str) -> String {
    let totp = totp_rs::Totp::from_url(otpauth_uri).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now + 30).to_string()
}

fn relaxed() -> CoreConfig {
    let mut config = CoreConfig::default();
    config.login.per_source_per_minute = 10_000;
    config.login.per_account_per_minute = 10_000;
    config.login.lock_after = 4;
    // Fast hashing for tests; the default (OWASP) is measured in BENCHMARKS.md.
    config.login.argon2 = (1024, 1, 1);
    config.dual_control_threshold = 2;
    config
}

async fn enrol(r: &Router, admin: &str, username: &str, role: &str) -> Value {
    let (status, body) = call(
        r,
        "POST",
        "/v1/principals",
        Some(admin),
        Some(json!({"kind": "person", "id": username, "role": role})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn login(r: &Router, username: &str, password: &str, totp: &str) -> (StatusCode, Value) {
    call(
        r,
        "POST",
        "/v1/sessions",
        None,
        Some(json!({"tenant": "acme", "username": username, "password": password, "totp": totp})),
    )
    .await
}

#[tokio::test]
async fn people_log_in_with_two_factors_and_sessions_end() {
    let f = fixture_with(relaxed());
    let r = &f.router;
    let ana = enrol(r, &f.acme_admin, "ana", "supervisor").await;
    let password = ana["password"].as_str().unwrap();
    let uri = ana["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"));
    assert!(ana["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    let codes: Vec<&str> = ana["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 10);
    // The same username cannot be enrolled twice; weak passwords are refused.
    let (status, _) = call(
        r,
        "POST",
        "/v1/principals",
        Some(&f.acme_admin),
        Some(json!({"kind": "person", "id": "ana", "role": "agent"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, problem) = call(
        r,
        "POST",
        "/v1/principals",
        Some(&f.acme_admin),
        Some(json!({"kind": "person", "id": "bob", "role": "agent", "password": "short"})),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password"))
    );

    // Password and TOTP: a session; the same code again is refused (replay).
    let code = code_now(uri);
    let (status, session) = login(r, "ana", password, &code).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("cvs_"));
    let (status, _) = call(r, "GET", "/v1/conversations", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = login(r, "ana", password, &code).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a TOTP code is accepted once"
    );
    // Wrong password, wrong code, unknown user, missing second factor: the same 401.
    for (user, pass, totp) in [
        ("ana", "wrong password!", code_next(uri)),
        ("ana", password, "000000".to_owned()),
        ("nobody", password, code_next(uri)),
    ] {
        let (status, problem) = login(r, user, pass, &totp).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(problem["code"], "unauthenticated");
    }
    let (status, _) = call(
        r,
        "POST",
        "/v1/sessions",
        None,
        Some(json!({"tenant": "acme", "username": "ana", "password": password})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A recovery code works once.
    let recover = |code: &str| json!({"tenant": "acme", "username": "ana", "password": password, "recovery_code": code});
    let (status, second) = call(
        r,
        "POST",
        "/v1/sessions",
        None,
        Some(recover(&codes[0].to_lowercase())),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let (status, _) = call(r, "POST", "/v1/sessions", None, Some(recover(codes[0]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Logout ends the session at once; the other session lives on.
    let (status, _) = call(r, "DELETE", "/v1/sessions/current", Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(r, "GET", "/v1/conversations", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let other = second["token"].as_str().unwrap();
    let (status, _) = call(r, "GET", "/v1/conversations", Some(other), None).await;
    assert_eq!(status, StatusCode::OK);
    // Disabling the person ends every session.
    let (status, _) = call(
        r,
        "POST",
        "/v1/principals/ana/disable",
        Some(&f.acme_admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(r, "GET", "/v1/conversations", Some(other), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = login(r, "ana", password, &code_next(uri)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Every step is in the audit log, with no password, code or token in it.
    let leaves: String = f
        .store
        .audit_entries(0, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.leaf).unwrap())
        .collect();
    for needle in [
        "\"action\":\"principal.person.enrol\"",
        "\"action\":\"login\"",
        "\"action\":\"logout\"",
        "\"action\":\"principal.disable\"",
        "TOTP code already used",
        "recovery code unknown or used",
    ] {
        assert!(leaves.contains(needle), "{needle} missing");
    }
    for secret in [password, &code, codes[0], codes[1], &token] {
        assert!(!leaves.contains(secret), "a secret is in the audit log");
    }
}

#[tokio::test]
async fn logins_are_limited_before_hashing_and_repeated_failures_lock_with_an_alert() {
    let mut config = relaxed();
    config.login.per_account_per_minute = 3;
    let f = fixture_with(config);
    let r = &f.router;
    let bob = enrol(r, &f.acme_admin, "bob", "agent").await;
    let uri = bob["otpauth_uri"].as_str().unwrap();
    for _ in 0..3 {
        let (status, _) = login(r, "bob", "wrong password!", &code_now(uri)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, problem) =
        login(r, "bob", bob["password"].as_str().unwrap(), &code_now(uri)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
        "even the right password waits"
    );

    let f = fixture_with(relaxed());
    let r = &f.router;
    let bob = enrol(r, &f.acme_admin, "bob", "agent").await;
    let officer = enrol(r, &f.acme_admin, "sec", "security_officer").await;
    let uri = bob["otpauth_uri"].as_str().unwrap();
    for _ in 0..4 {
        login(r, "bob", "wrong password!", &code_now(uri)).await;
    }
    let (status, _) = login(r, "bob", bob["password"].as_str().unwrap(), &code_now(uri)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "locked after 4 failures");
    let (_, session) = login(
        r,
        "sec",
        officer["password"].as_str().unwrap(),
        &code_now(officer["otpauth_uri"].as_str().unwrap()),
    )
    .await;
    let (status, alerts) = call(r, "GET", "/v1/alerts", session["token"].as_str(), None).await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    assert_eq!(alerts["alerts"][0]["kind"], "lockout");
    assert_eq!(alerts["alerts"][0]["principal"], "bob");
    let (status, _) = call(r, "GET", "/v1/alerts", Some(&f.acme_admin), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn break_glass_and_dual_control() {
    let f = fixture_with(relaxed());
    let r = &f.router;
    // Three values said in a call.
    let (_, conv) = call(
        r,
        "POST",
        "/v1/conversations",
        Some(&f.acme_ingest),
        Some(json!({"customer_ref": "c-1"})),
    )
    .await;
    let id = conv["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{conv}"))
        .to_owned();
    let (_, turn) = call(r, "POST", &format!("/v1/conversations/{id}/turns"), Some(&f.acme_ingest), Some(json!({"speaker": "customer", "text": "card 4111 1111 1111 1111, phone 415 555 0132, email ana@example.com"}))).await;
    let token = |kind: &str| {
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
    let (card, phone, email) = (
        token("CREDIT_CARD"),
        token("PHONE_NUMBER"),
        token("EMAIL_ADDRESS"),
    );
    let ask = |tokens: Vec<&str>, approval: Option<&str>| json!({"tokens": tokens, "purpose": "fraud_investigation", "reason": "case 7781 chargeback review", "approval": approval});

    // An agent sees contact data only, until break-glass.
    let agent = enrol(r, &f.acme_admin, "agent-1", "agent").await;
    let (_, s) = login(
        r,
        "agent-1",
        agent["password"].as_str().unwrap(),
        &code_now(agent["otpauth_uri"].as_str().unwrap()),
    )
    .await;
    let agent_token = s["token"].as_str().unwrap().to_owned();
    let (status, _) = call(
        r,
        "POST",
        "/v1/reveal",
        Some(&agent_token),
        Some(ask(vec![&card], None)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, out) = call(
        r,
        "POST",
        "/v1/sessions/current/break-glass",
        Some(&agent_token),
        Some(json!({"reason": "customer in distress, card blocked", "minutes": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = call(
        r,
        "POST",
        "/v1/reveal",
        Some(&agent_token),
        Some(ask(vec![&card], None)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["values"][0]["value"], "4111111111111111");
    // Services cannot break the glass; a minute count out of range is refused.
    let (status, _) = call(
        r,
        "POST",
        "/v1/sessions/current/break-glass",
        Some(&f.acme_ingest),
        Some(json!({"reason": "a long enough reason", "minutes": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        r,
        "POST",
        "/v1/sessions/current/break-glass",
        Some(&agent_token),
        Some(json!({"reason": "a long enough reason", "minutes": 600})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Above the threshold (2 here), a reveal needs someone else's approval, used once.
    let sup = enrol(r, &f.acme_admin, "sup-1", "supervisor").await;
    let (_, s) = login(
        r,
        "sup-1",
        sup["password"].as_str().unwrap(),
        &code_now(sup["otpauth_uri"].as_str().unwrap()),
    )
    .await;
    let sup_token = s["token"].as_str().unwrap().to_owned();
    let three = vec![card.as_str(), phone.as_str(), email.as_str()];
    let (status, _) = call(
        r,
        "POST",
        "/v1/reveal",
        Some(&sup_token),
        Some(ask(three.clone(), None)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, request) = call(r, "POST", "/v1/approvals", Some(&sup_token), Some(json!({"tokens": three, "purpose": "fraud_investigation", "reason": "case 7781 chargeback review"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let approval = request["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        r,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        Some(&sup_token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not one's own");
    let (status, _) = call(
        r,
        "POST",
        "/v1/reveal",
        Some(&sup_token),
        Some(ask(three.clone(), Some(&approval))),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not yet approved");
    let other = enrol(r, &f.acme_admin, "sup-2", "supervisor").await;
    let (_, s) = login(
        r,
        "sup-2",
        other["password"].as_str().unwrap(),
        &code_now(other["otpauth_uri"].as_str().unwrap()),
    )
    .await;
    let (status, approved) = call(
        r,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        s["token"].as_str(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["approved_by"], "sup-2");
    // The approval covers exactly what was asked.
    let (status, _) = call(
        r,
        "POST",
        "/v1/reveal",
        Some(&sup_token),
        Some(ask(vec![&card, &phone, &phone, &email], Some(&approval))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "duplicates do not change the scope");
    let (status, _) = call(
        r,
        "POST",
        "/v1/reveal",
        Some(&sup_token),
        Some(ask(three, Some(&approval))),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "used once");
}

#[tokio::test]
async fn service_tokens_have_scopes_rotate_without_downtime_and_die_with_their_principal() {
    let f = fixture_with(relaxed());
    let r = &f.router;
    let (status, issued) = call(r, "POST", "/v1/principals", Some(&f.acme_admin), Some(json!({"kind": "service", "id": "reporting", "role": "supervisor", "scopes": ["read_redacted"]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let scoped = issued["token"].as_str().unwrap().to_owned();
    let (status, _) = call(r, "GET", "/v1/conversations", Some(&scoped), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        r,
        "POST",
        "/v1/search",
        Some(&scoped),
        Some(json!({"type": "PHONE_NUMBER", "value": "4155550132"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "outside its scopes");
    let (status, _) = call(
        r,
        "POST",
        "/v1/principals",
        Some(&f.acme_admin),
        Some(json!({"kind": "service", "id": "x", "role": "ingest", "scopes": ["reveal_all"]})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a scope outside the role"
    );

    // Rotation: the new token works at once, the old one until the grace period ends.
    let (status, rotated) = call(
        r,
        "POST",
        "/v1/principals/ingest/tokens/rotate",
        Some(&f.acme_admin),
        Some(json!({"grace_seconds": 3600})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let fresh = rotated["token"].as_str().unwrap().to_owned();
    for t in [&fresh, &f.acme_ingest] {
        let (status, _) = call(r, "GET", "/v1/conversations", Some(t), None).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = call(
        r,
        "POST",
        "/v1/principals/ingest/tokens/rotate",
        Some(&f.acme_admin),
        Some(json!({"grace_seconds": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = call(r, "GET", "/v1/conversations", Some(&fresh), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "grace 0: the previous tokens end now"
    );

    // Rotating a scoped token keeps its scopes.
    let (status, rotated) = call(
        r,
        "POST",
        "/v1/principals/reporting/tokens/rotate",
        Some(&f.acme_admin),
        Some(json!({"grace_seconds": 60})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    assert_eq!(rotated["scopes"], json!(["read_redacted"]));
    let (status, _) = call(
        r,
        "POST",
        "/v1/search",
        rotated["token"].as_str(),
        Some(json!({"type": "PHONE_NUMBER", "value": "4155550132"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "still outside its scopes");

    let (status, list) = call(r, "GET", "/v1/principals", Some(&f.acme_admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list["principals"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == "reporting" && p["kind"] == "service"));
    let (status, _) = call(
        r,
        "POST",
        "/v1/principals/reporting/disable",
        Some(&f.acme_admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(r, "GET", "/v1/conversations", Some(&scoped), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(
        r,
        "POST",
        "/v1/principals/admin/disable",
        Some(&f.acme_admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not oneself");
}

#[tokio::test]
async fn bulk_export_needs_a_second_principal_and_keys_rotate_without_losing_data() {
    let f = fixture_with(relaxed());
    let r = &f.router;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, conv) = call(
            r,
            "POST",
            "/v1/conversations",
            Some(&f.acme_ingest),
            Some(json!({"customer_ref": format!("c-{i}")})),
        )
        .await;
        let id = conv["id"].as_str().unwrap().to_owned();
        call(
            r,
            "POST",
            &format!("/v1/conversations/{id}/turns"),
            Some(&f.acme_ingest),
            Some(json!({"speaker": "customer", "text": "my phone is 415 555 0132"})),
        )
        .await;
        ids.push(id);
    }
    let sup = enrol(r, &f.acme_admin, "sup-1", "supervisor").await;
    let (_, s) = login(
        r,
        "sup-1",
        sup["password"].as_str().unwrap(),
        &code_now(sup["otpauth_uri"].as_str().unwrap()),
    )
    .await;
    let sup_token = s["token"].as_str().unwrap().to_owned();
    let ask = |conversations: &[String], approval: Option<&str>| json!({"conversations": conversations, "purpose": "legal_obligation", "reason": "regulator request 2026-31", "approval": approval});
    let (status, one) = call(
        r,
        "POST",
        "/v1/exports",
        Some(&sup_token),
        Some(ask(&ids[..1], None)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(
        one["conversations"][0]["turns"][0]["redacted"],
        "my phone is [PHONE_NUMBER_1]"
    );
    assert!(!one.to_string().contains("555 0132"), "redacted only");
    let (status, _) = call(
        r,
        "POST",
        "/v1/exports",
        Some(&sup_token),
        Some(ask(&ids, None)),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "three is over the threshold of two"
    );
    let (status, request) = call(r, "POST", "/v1/approvals", Some(&sup_token), Some(json!({"action": "export", "conversations": ids, "purpose": "legal_obligation", "reason": "regulator request 2026-31"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let approval = request["id"].as_str().unwrap().to_owned();
    let other = enrol(r, &f.acme_admin, "sec-1", "security_officer").await;
    let (_, s) = login(
        r,
        "sec-1",
        other["password"].as_str().unwrap(),
        &code_now(other["otpauth_uri"].as_str().unwrap()),
    )
    .await;
    let (status, _) = call(
        r,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        s["token"].as_str(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, all) = call(
        r,
        "POST",
        "/v1/exports",
        Some(&sup_token),
        Some(ask(&ids, Some(&approval))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["conversations"].as_array().unwrap().len(), 3);
    // An export approval is not a reveal approval.
    let (status, _) = call(r, "POST", "/v1/reveal", Some(&sup_token), Some(json!({"tokens": ["tok_a", "tok_b", "tok_c"], "purpose": "legal_obligation", "reason": "regulator request 2026-31", "approval": approval}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Key rotation: a new version at once; what was sealed before still opens.
    let (status, rotated) = call(r, "POST", "/v1/keys/rotate", Some(&f.acme_admin), None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(rotated["version"], 2);
    let (status, _) = call(r, "POST", "/v1/keys/rotate", Some(&sup_token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, conv) = call(
        r,
        "GET",
        &format!("/v1/conversations/{}", ids[0]),
        Some(&f.acme_admin),
        None,
    )
    .await;
    let token = conv["turns"][0]["findings"][0]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, out) = call(r, "POST", "/v1/reveal", Some(&sup_token), Some(json!({"tokens": [token], "purpose": "customer_request", "reason": "customer asked to confirm"}))).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["values"][0]["value"], "4155550132");
}
