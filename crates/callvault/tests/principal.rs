//! `callvault principal` as an operator scripts it: add a person (password, TOTP enrolment and
//! recovery codes printed once) and a service (a token printed once), list, log the person in
//! over HTTP with the TOTP code, disable them while the server runs.

mod common;

use std::process::Command;

use serde_json::{json, Value};

fn principal(data: &std::path::Path, args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(common::bin())
        .arg("principal")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("CALLVAULT_PASSPHRASE", common::PASSPHRASE)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.success(),
        serde_json::from_str(stdout.trim()).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn operators_add_people_and_services_who_then_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let setup = common::init(dir.path());
    let (ok, ana, err) = principal(
        &setup.data,
        &[
            "add",
            "--tenant",
            "default",
            "--person",
            "--username",
            "ana",
            "--role",
            "supervisor",
        ],
    );
    assert!(ok, "{err}");
    for field in [
        "username",
        "password",
        "otpauth_uri",
        "recovery_codes",
        "qr_svg",
    ] {
        assert!(!ana[field].is_null(), "{field} missing: {ana}");
    }
    assert_eq!(ana["recovery_codes"].as_array().unwrap().len(), 10);
    let (ok, svc, err) = principal(
        &setup.data,
        &[
            "add",
            "--tenant",
            "default",
            "--service",
            "--role",
            "ingest",
        ],
    );
    assert!(ok, "{err}");
    assert!(svc["token"].as_str().unwrap().starts_with("cvt_"));
    // Bad input: a clear message and a non-zero exit.
    let (ok, _, err) = principal(
        &setup.data,
        &[
            "add",
            "--tenant",
            "default",
            "--person",
            "--username",
            "bob",
            "--role",
            "emperor",
        ],
    );
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = principal(
        &setup.data,
        &[
            "add",
            "--tenant",
            "default",
            "--person",
            "--username",
            "ana",
            "--role",
            "agent",
        ],
    );
    assert!(!ok && err.contains("exists"), "{err}");
    let (ok, list, _) = principal(&setup.data, &["list", "--tenant", "default"]);
    assert!(ok);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"ana") && ids.contains(&"admin"), "{ids:?}");

    let server = common::serve(&setup.data);
    let totp = totp_rs::Totp::from_url(ana["otpauth_uri"].as_str().unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let session = ureq::post(&format!("{}/v1/sessions", server.base))
        .send_json(json!({"tenant": "default", "username": "ana", "password": ana["password"], "totp": totp.generate(now).to_string()}))
        .unwrap()
        .into_json::<Value>()
        .unwrap();
    let token = session["token"].as_str().unwrap();
    let listed = server.get("/v1/conversations", token);
    assert!(listed["conversations"].is_array(), "{listed}");
    // The service's token works too.
    server.post(
        "/v1/conversations",
        svc["token"].as_str().unwrap(),
        json!({"customer_ref": "c-1"}),
    );

    let (ok, _, err) = principal(
        &setup.data,
        &["disable", "--tenant", "default", "--id", "ana"],
    );
    assert!(ok, "{err}");
    let refused = ureq::get(&format!("{}/v1/conversations", server.base))
        .set("authorization", &format!("Bearer {token}"))
        .call();
    assert!(
        matches!(refused, Err(ureq::Error::Status(401, _))),
        "{refused:?}"
    );
    let log = server.stop();
    // Nothing secret in the server's log.
    for secret in [
        ana["password"].as_str().unwrap(),
        token,
        svc["token"].as_str().unwrap(),
    ] {
        assert!(!log.contains(secret));
    }
    let out = Command::new(common::bin())
        .args([
            "audit",
            "verify",
            "--public-key",
            &setup.audit_key,
            "--data-dir",
        ])
        .arg(&setup.data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn operators_add_tenants_that_never_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let setup = common::init(dir.path());
    let tenant = |args: &[&str]| {
        Command::new(common::bin())
            .arg("tenant")
            .args(args)
            .arg("--data-dir")
            .arg(&setup.data)
            .env("CALLVAULT_PASSPHRASE", common::PASSPHRASE)
            .output()
            .unwrap()
    };
    let out = tenant(&["add", "--tenant", "globex", "--name", "Globex"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let globex: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(globex["tenant"], "globex");
    let again = tenant(&["add", "--tenant", "globex"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    assert!(again.stdout.is_empty());
    // An operator naming a tenant that does not exist is told so.
    let (ok, _, err) = principal(&setup.data, &["list", "--tenant", "nope"]);
    assert!(!ok && err.contains("no tenant \"nope\""), "{err}");

    let server = common::serve(&setup.data);
    let ingest = globex["ingest_token"].as_str().unwrap();
    let conv = server.post("/v1/conversations", ingest, json!({"customer_ref": "g-1"}));
    let id = conv["id"].as_str().unwrap();
    assert_eq!(
        server.get(&format!("/v1/conversations/{id}"), ingest)["id"],
        id
    );
    let other = ureq::get(&format!("{}/v1/conversations/{id}", server.base))
        .set("authorization", &format!("Bearer {}", setup.admin))
        .call();
    assert!(
        matches!(other, Err(ureq::Error::Status(404, _))),
        "{other:?}"
    );
    server.stop();
}
