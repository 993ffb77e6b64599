//! The authorization matrix: every route of the OpenAPI document, against no credentials, a
//! garbage token, a revoked token, an expired session, another tenant's admin, and a token of
//! each role. The expected outcome comes from one table below and the role → permission table
//! in `callvault_core::access`; a route in the document without an entry here (or an entry for
//! a route that is not in the document) fails the test.

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use axum::Router;
use callvault_core::access::{role_permissions, Permission, ROLES};
use callvault_core::CoreConfig;
use common::fixture_with;
use serde_json::{json, Value};
use utoipa::OpenApi;

/// Who may call a route.
#[derive(Clone, Copy, Debug)]
enum Need {
    /// No credential needed.
    Public,
    /// Any authenticated principal.
    Anyone,
    /// A person's session (services get 403).
    Person,
    /// A principal holding any of these permissions.
    AnyOf(&'static [Permission]),
}

struct Entry {
    method: &'static str,
    path: &'static str,
    uri: String,
    body: Option<Value>,
    need: Need,
    /// The route names an object of the first tenant: another tenant gets 403 or 404.
    isolated: bool,
}

async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    common::call_json(router, method, uri, token, body).await
}

#[tokio::test]
async fn every_route_against_every_kind_of_caller() {
    let mut config = CoreConfig::default();
    config.login.argon2 = (1024, 1, 1);
    // Sessions end at once, so a login gives the "expired session" caller.
    config.login.session_absolute = std::time::Duration::from_millis(1);
    let f = fixture_with(config);
    let (upstream, _) = common::fake_llm::start().await;
    let router = callvault_server::app(
        f.state.clone().with_proxy(
            callvault_server::proxy::Proxy::new(callvault_server::proxy::ProxyConfig::new(
                &upstream,
            ))
            .unwrap(),
        ),
        &f.config,
    );
    let r = &router;
    let admin = f.acme_admin.clone();

    // Objects the routes name.
    let (_, conv) = call(
        r,
        "POST",
        "/v1/conversations",
        Some(&f.acme_ingest),
        Some(&json!({"customer_ref": "c-matrix"})),
    )
    .await;
    let id = conv["id"].as_str().unwrap().to_owned();
    let (_, turn) = call(
        r,
        "POST",
        &format!("/v1/conversations/{id}/turns"),
        Some(&f.acme_ingest),
        Some(&json!({"speaker": "customer", "text": "call me on 415 555 0132"})),
    )
    .await;
    let phone = turn["findings"][0]["token"].as_str().unwrap().to_owned();
    let mut tokens = std::collections::BTreeMap::new();
    for role in ROLES {
        let token = match *role {
            "ingest" => f.acme_ingest.clone(),
            "admin" => admin.clone(),
            _ => {
                let (status, issued) = call(
                    r,
                    "POST",
                    "/v1/principals",
                    Some(&admin),
                    Some(&json!({"kind": "service", "id": format!("m-{role}"), "role": role})),
                )
                .await;
                assert_eq!(status, StatusCode::CREATED, "{issued}");
                issued["token"].as_str().unwrap().to_owned()
            }
        };
        tokens.insert(*role, token);
    }
    for (kind, id, role) in [
        ("service", "victim", "ingest"),
        ("service", "victim2", "ingest"),
        ("service", "svc-rotate", "ingest"),
        ("service", "revoked-svc", "supervisor"),
    ] {
        let (status, _) = call(
            r,
            "POST",
            "/v1/principals",
            Some(&admin),
            Some(&json!({"kind": kind, "id": id, "role": role})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, revoked) = call(
        r,
        "POST",
        "/v1/principals/revoked-svc/tokens",
        Some(&admin),
        Some(&json!({"role": "supervisor"})),
    )
    .await;
    let revoked = revoked["token"].as_str().unwrap().to_owned();
    let (status, _) = call(
        r,
        "DELETE",
        "/v1/principals/revoked-svc/tokens",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, person) = call(
        r,
        "POST",
        "/v1/principals",
        Some(&admin),
        Some(&json!({"kind": "person", "id": "short-lived", "role": "supervisor"})),
    )
    .await;
    let totp = totp_rs::Totp::from_url(person["otpauth_uri"].as_str().unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (status, session) = call(r, "POST", "/v1/sessions", None, Some(&json!({"tenant": "acme", "username": "short-lived", "password": person["password"], "totp": totp.generate(now).to_string()}))).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let expired = session["token"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(5));

    use Permission as P;
    let reveal_body = json!({"tokens": [&phone], "purpose": "customer_request", "reason": "customer asked to confirm"});
    let e = |method, path, uri: String, body: Option<Value>, need, isolated| Entry {
        method,
        path,
        uri,
        body,
        need,
        isolated,
    };
    let table = vec![
        e(
            "get",
            "/healthz",
            "/healthz".into(),
            None,
            Need::Public,
            false,
        ),
        e(
            "get",
            "/metrics",
            "/metrics".into(),
            None,
            Need::Public,
            false,
        ),
        e(
            "post",
            "/v1/sessions",
            "/v1/sessions".into(),
            Some(
                json!({"tenant": "acme", "username": "nobody", "password": "whatever it is", "totp": "000000"}),
            ),
            Need::Public,
            false,
        ),
        e(
            "post",
            "/v1/conversations",
            "/v1/conversations".into(),
            Some(json!({"customer_ref": "c-m"})),
            Need::AnyOf(&[P::Ingest]),
            false,
        ),
        e(
            "get",
            "/v1/conversations",
            "/v1/conversations".into(),
            None,
            Need::AnyOf(&[P::ReadRedacted]),
            false,
        ),
        e(
            "get",
            "/v1/conversations/{id}",
            format!("/v1/conversations/{id}"),
            None,
            Need::AnyOf(&[P::ReadRedacted]),
            true,
        ),
        e(
            "post",
            "/v1/conversations/{id}/turns",
            format!("/v1/conversations/{id}/turns"),
            Some(json!({"speaker": "agent", "text": "hello"})),
            Need::AnyOf(&[P::Ingest]),
            true,
        ),
        e(
            "get",
            "/v1/conversations/{id}/stream",
            format!("/v1/conversations/{id}/stream"),
            None,
            Need::AnyOf(&[P::Ingest]),
            true,
        ),
        e(
            "put",
            "/v1/conversations/{id}/legal-hold",
            format!("/v1/conversations/{id}/legal-hold"),
            Some(json!({"hold": false})),
            Need::AnyOf(&[P::ManagePolicy]),
            true,
        ),
        e(
            "get",
            "/v1/search",
            "/v1/search?type=PHONE_NUMBER&value=4155550132".into(),
            None,
            Need::AnyOf(&[P::Search]),
            false,
        ),
        e(
            "post",
            "/v1/search",
            "/v1/search".into(),
            Some(json!({"type": "PHONE_NUMBER", "value": "4155550132"})),
            Need::AnyOf(&[P::Search]),
            false,
        ),
        e(
            "delete",
            "/v1/customers/{customer_ref}",
            "/v1/customers/c-erase".into(),
            None,
            Need::AnyOf(&[P::Erase]),
            false,
        ),
        e(
            "post",
            "/v1/principals/{id}/tokens",
            "/v1/principals/svc-new/tokens".into(),
            Some(json!({"role": "ingest"})),
            Need::AnyOf(&[P::ManagePrincipals]),
            false,
        ),
        e(
            "delete",
            "/v1/principals/{id}/tokens",
            "/v1/principals/victim/tokens".into(),
            None,
            Need::AnyOf(&[P::ManagePrincipals]),
            false,
        ),
        e(
            "put",
            "/v1/retention",
            "/v1/retention".into(),
            Some(json!({"days": null})),
            Need::AnyOf(&[P::ManagePolicy]),
            false,
        ),
        e(
            "post",
            "/v1/reveal",
            "/v1/reveal".into(),
            Some(reveal_body.clone()),
            Need::AnyOf(&[P::RevealContact, P::RevealAll]),
            true,
        ),
        e(
            "get",
            "/v1/audit/checkpoint",
            "/v1/audit/checkpoint".into(),
            None,
            Need::AnyOf(&[P::ReadAudit]),
            false,
        ),
        e(
            "get",
            "/v1/audit/proof/inclusion",
            "/v1/audit/proof/inclusion?seq=0&size=1".into(),
            None,
            Need::AnyOf(&[P::ReadAudit]),
            true,
        ),
        e(
            "get",
            "/v1/audit/proof/consistency",
            "/v1/audit/proof/consistency?from=1&to=2".into(),
            None,
            Need::AnyOf(&[P::ReadAudit]),
            false,
        ),
        e(
            "get",
            "/v1/audit/entries",
            "/v1/audit/entries".into(),
            None,
            Need::AnyOf(&[P::ReadAudit]),
            false,
        ),
        e(
            "delete",
            "/v1/sessions/current",
            "/v1/sessions/current".into(),
            None,
            Need::Anyone,
            false,
        ),
        e(
            "post",
            "/v1/sessions/current/break-glass",
            "/v1/sessions/current/break-glass".into(),
            Some(json!({"reason": "a long enough reason", "minutes": 5})),
            Need::Person,
            false,
        ),
        e(
            "get",
            "/v1/principals",
            "/v1/principals".into(),
            None,
            Need::AnyOf(&[P::ManagePrincipals]),
            false,
        ),
        e(
            "post",
            "/v1/principals",
            "/v1/principals".into(),
            Some(json!({"kind": "service", "id": "svc-m2", "role": "ingest"})),
            Need::AnyOf(&[P::ManagePrincipals]),
            false,
        ),
        e(
            "post",
            "/v1/principals/{id}/disable",
            "/v1/principals/victim2/disable".into(),
            None,
            Need::AnyOf(&[P::ManagePrincipals]),
            false,
        ),
        e(
            "post",
            "/v1/principals/{id}/tokens/rotate",
            "/v1/principals/svc-rotate/tokens/rotate".into(),
            Some(json!({"grace_seconds": 3600})),
            Need::AnyOf(&[P::ManagePrincipals]),
            false,
        ),
        e(
            "post",
            "/v1/approvals",
            "/v1/approvals".into(),
            Some(
                json!({"tokens": [&phone], "purpose": "customer_request", "reason": "customer asked to confirm"}),
            ),
            Need::AnyOf(&[P::RevealContact]),
            false,
        ),
        e(
            "post",
            "/v1/approvals/{id}/approve",
            "/v1/approvals/apr_missing/approve".into(),
            None,
            Need::AnyOf(&[P::Approve]),
            false,
        ),
        e(
            "get",
            "/v1/alerts",
            "/v1/alerts".into(),
            None,
            Need::AnyOf(&[P::ManageAlerts]),
            false,
        ),
        e(
            "post",
            "/v1/exports",
            "/v1/exports".into(),
            Some(
                json!({"conversations": [&id], "purpose": "legal_obligation", "reason": "regulator asked for it"}),
            ),
            Need::AnyOf(&[P::Export]),
            true,
        ),
        e(
            "post",
            "/v1/keys/rotate",
            "/v1/keys/rotate".into(),
            None,
            Need::AnyOf(&[P::ManageKeys]),
            false,
        ),
        e(
            "post",
            "/v1/chat/completions",
            "/v1/chat/completions".into(),
            Some(json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]})),
            Need::AnyOf(&[P::Ingest]),
            false,
        ),
    ];

    // The table and the document name the same routes.
    let doc = callvault_server::routes::ApiDoc::openapi();
    let documented: BTreeSet<(String, String)> = doc
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let mut methods = Vec::new();
            for (m, op) in [
                ("get", &item.get),
                ("post", &item.post),
                ("put", &item.put),
                ("delete", &item.delete),
                ("patch", &item.patch),
            ] {
                if op.is_some() {
                    methods.push((m.to_owned(), path.clone()));
                }
            }
            methods
        })
        .collect();
    let tabled: BTreeSet<(String, String)> = table
        .iter()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    assert_eq!(
        documented.difference(&tabled).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes without a matrix entry"
    );
    assert_eq!(
        tabled.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "matrix entries for undocumented routes"
    );

    let method = |m: &str| m.to_uppercase();
    let mut checked = 0;
    for entry in &table {
        let m = method(entry.method);
        let body = entry.body.as_ref();
        if matches!(entry.need, Need::Public) {
            let (status, _) = call(r, &m, &entry.uri, None, body).await;
            assert!(!status.is_server_error(), "{m} {}: {status}", entry.uri);
            continue;
        }
        for (who, token) in [
            ("no credentials", None),
            ("a garbage token", Some("cvt_0000")),
            ("a revoked token", Some(revoked.as_str())),
            ("an expired session", Some(expired.as_str())),
        ] {
            let (status, problem) = call(r, &m, &entry.uri, token, body).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{m} {} with {who}: {problem}",
                entry.uri
            );
            // The proxy answers in OpenAI's error shape, the API in problem+json.
            let code = problem
                .get("error")
                .map_or(&problem["code"], |e| &e["code"]);
            assert!(
                code == "unauthenticated" || code == "invalid_api_key",
                "{problem}"
            );
            checked += 1;
        }
        for role in ROLES {
            let perms = role_permissions(role).unwrap();
            let allowed = match entry.need {
                Need::Public | Need::Anyone => true,
                Need::Person => false,
                Need::AnyOf(any) => any.iter().any(|p| perms.contains(p)),
            };
            let (status, problem) = call(r, &m, &entry.uri, Some(&tokens[role]), body).await;
            if allowed {
                assert!(
                    status != StatusCode::UNAUTHORIZED
                        && status != StatusCode::FORBIDDEN
                        && !status.is_server_error(),
                    "{m} {} as {role} should be allowed: {status} {problem}",
                    entry.uri
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{m} {} as {role}: {problem}",
                    entry.uri
                );
            }
            checked += 1;
        }
        if entry.isolated {
            let (status, problem) = call(r, &m, &entry.uri, Some(&f.globex_admin), body).await;
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
                "{m} {} from another tenant: {status} {problem}",
                entry.uri
            );
            checked += 1;
        }
    }
    assert!(checked > 250, "{checked} cases");
}
