//! `callvault audit verify` against a tampered log, on SQLite and on PostgreSQL: a real server
//! writes the log, then each mutation (a changed, deleted, reordered or inserted entry; a
//! changed entry whose recorded hash was rewritten too; a rollback to an older backup) is made
//! with SQL on a fresh copy, and verify must fail and name the first bad entry. The untouched
//! log verifies; a server started on a rolled-back store refuses reads.

mod common;

use std::path::Path;
use std::process::Command;

use common::{bin, fresh_postgres_database, init, init_with, serve_with, Initialized};
use serde_json::{json, Value};

/// The entry every mutation aims at.
const K: u64 = 6;

/// Runs a server that writes a few dozen entries, and stops it (which signs a last checkpoint).
fn write_log(inited: &Initialized, export: &Path, turns: usize) {
    let export = export.to_str().unwrap();
    let server = serve_with(&inited.data, &[("CALLVAULT_AUDIT_EXPORT_FILE", export)]);
    let conv = server.post(
        "/v1/conversations",
        &inited.ingest,
        json!({"customer_ref": "cust-1"}),
    );
    let id = conv["id"].as_str().unwrap();
    for i in 0..turns {
        server.post(
            &format!("/v1/conversations/{id}/turns"),
            &inited.ingest,
            json!({"speaker": "customer", "text": format!("turn {i}: call me on 415 555 01{i:02}"), "final": true}),
        );
    }
    server.get(&format!("/v1/conversations/{id}"), &inited.ingest);
    server.stop();
}

/// `audit verify`; returns (exit code, stdout JSON).
fn verify(source: &[&str], key: &str, checkpoint: Option<&Path>) -> (i32, Value) {
    let mut cmd = Command::new(bin());
    cmd.args(["audit", "verify"])
        .args(source)
        .args(["--public-key", key]);
    if let Some(c) = checkpoint {
        cmd.arg("--checkpoint").arg(c);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "verify printed {stdout:?}; stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), value)
}

/// The mutations, as SQL for each dialect: (name, SQLite, PostgreSQL, the first bad entry, or
/// `None` when only a signed checkpoint can tell, which names the start of its range: at or
/// before K).
fn mutations() -> Vec<(&'static str, String, String, Option<u64>)> {
    let k = K;
    vec![
        (
            "changed",
            format!("UPDATE audit_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"time_ms\":', '\"time_ms\":9') AS BLOB) WHERE seq = {k}"),
            format!("UPDATE audit_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '\"time_ms\":', '\"time_ms\":9'), 'UTF8') WHERE seq = {k}"),
            Some(k),
        ),
        (
            "deleted",
            format!("DELETE FROM audit_entries WHERE seq = {k}"),
            format!("DELETE FROM audit_entries WHERE seq = {k}"),
            Some(k),
        ),
        (
            "reordered",
            format!(
                "UPDATE audit_entries SET seq = -1 WHERE seq = {k};
                 UPDATE audit_entries SET seq = {k} WHERE seq = {k1};
                 UPDATE audit_entries SET seq = {k1} WHERE seq = -1",
                k1 = k + 1
            ),
            format!(
                "UPDATE audit_entries SET seq = -1 WHERE seq = {k};
                 UPDATE audit_entries SET seq = {k} WHERE seq = {k1};
                 UPDATE audit_entries SET seq = {k1} WHERE seq = -1",
                k1 = k + 1
            ),
            Some(k),
        ),
        (
            "inserted",
            // Every later entry moves up one; a forged entry takes position K with seq K.
            format!(
                "UPDATE audit_entries SET seq = -seq - 1 WHERE seq >= {k};
                 UPDATE audit_entries SET seq = -seq WHERE seq < 0;
                 INSERT INTO audit_entries (seq, time_ms, tenant, principal, action, leaf_hash, entry)
                   SELECT {k}, time_ms, tenant, principal, action, leaf_hash,
                          CAST(replace(CAST(entry AS TEXT), '\"seq\":{k1}', '\"seq\":{k}') AS BLOB)
                   FROM audit_entries WHERE seq = {k1}",
                k1 = k + 1
            ),
            format!(
                "UPDATE audit_entries SET seq = -seq - 1 WHERE seq >= {k};
                 UPDATE audit_entries SET seq = -seq WHERE seq < 0;
                 INSERT INTO audit_entries (seq, time_ms, tenant, principal, action, leaf_hash, entry)
                   SELECT {k}, time_ms, tenant, principal, action, leaf_hash,
                          convert_to(replace(convert_from(entry, 'UTF8'), '\"seq\":{k1}', '\"seq\":{k}'), 'UTF8')
                   FROM audit_entries WHERE seq = {k1}",
                k1 = k + 1
            ),
            Some(k),
        ),
        (
            "changed with its hash rewritten",
            format!("UPDATE audit_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"time_ms\":', '\"time_ms\":9') AS BLOB) WHERE seq = {k};
                     UPDATE audit_entries SET leaf_hash = ?1 WHERE seq = {k}"),
            format!("UPDATE audit_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '\"time_ms\":', '\"time_ms\":9'), 'UTF8') WHERE seq = {k};
                     UPDATE audit_entries SET leaf_hash = sha256('\\x00'::bytea || entry) WHERE seq = {k}"),
            None,
        ),
    ]
}

fn check_named(name: &str, out: &Value, first_bad: Option<u64>) {
    let named = out["first_bad_entry"].as_u64();
    match first_bad {
        Some(k) => assert_eq!(named, Some(k), "{name}: {out}"),
        None => assert!(named.is_some_and(|n| n <= K), "{name}: {out}"),
    }
}

#[test]
fn tampering_is_detected_and_named_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let inited = init(dir.path());
    let export = dir.path().join("outside/checkpoints.jsonl");
    std::fs::create_dir_all(export.parent().unwrap()).unwrap();
    let db = inited.data.join("callvault.db");

    write_log(&inited, &export, 4);
    let old = dir.path().join("old.db");
    std::fs::copy(&db, &old).unwrap();
    write_log(&inited, &export, 6);
    let pristine = dir.path().join("pristine.db");
    std::fs::copy(&db, &pristine).unwrap();

    let data = inited.data.to_str().unwrap();
    let (code, ok) = verify(&["--data-dir", data], &inited.audit_key, Some(&export));
    assert_eq!(code, 0, "{ok}");
    assert_eq!(
        ok["entries"], 17,
        "3 from init, 6 and 8 from the two sessions: {ok}"
    );
    assert_eq!(ok["unsigned_tail"], 0, "shutdown signs a last checkpoint");

    for (name, sql, _, first_bad) in mutations() {
        std::fs::copy(&pristine, &db).unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        if sql.contains("?1") {
            let (first, second) = sql.split_once(';').unwrap();
            conn.execute_batch(first).unwrap();
            let leaf: Vec<u8> = conn
                .query_row(
                    &format!("SELECT entry FROM audit_entries WHERE seq = {K}"),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let hash = callvault_audit::leaf_hash(&leaf);
            conn.execute(second, [&hash[..]]).unwrap();
        } else {
            conn.execute_batch(&sql).unwrap();
        }
        drop(conn);
        let (code, out) = verify(&["--data-dir", data], &inited.audit_key, Some(&export));
        assert_eq!(code, 3, "{name}: {out}");
        check_named(name, &out, first_bad);
        // Without the exported checkpoint the stored signed ones still catch it.
        let (code, _) = verify(&["--data-dir", data], &inited.audit_key, None);
        assert_eq!(code, 3, "{name}, stored checkpoints only");
    }

    // A rollback to the older backup: only the exported checkpoint can tell.
    std::fs::copy(&old, &db).unwrap();
    let (code, alone) = verify(&["--data-dir", data], &inited.audit_key, None);
    assert_eq!(code, 0, "an old log is consistent in itself: {alone}");
    let (code, out) = verify(&["--data-dir", data], &inited.audit_key, Some(&export));
    assert_eq!(code, 3, "{out}");
    assert_eq!(out["first_bad_entry"], alone["entries"], "{out}");
    // And a server started on it refuses reads until an operator acts.
    let export_s = export.to_str().unwrap();
    let server = serve_with(&inited.data, &[("CALLVAULT_AUDIT_EXPORT_FILE", export_s)]);
    let err = ureq::get(&format!("{}/v1/conversations", server.base))
        .set("authorization", &format!("Bearer {}", inited.ingest))
        .call()
        .unwrap_err();
    match err {
        ureq::Error::Status(503, response) => {
            let body: Value = response.into_json().unwrap();
            assert_eq!(body["code"], "audit_log_failed");
        }
        other => panic!("expected 503, got {other:?}"),
    }
    server.kill();

    // A forged signature: another key does not verify the log.
    std::fs::copy(&pristine, &db).unwrap();
    let other = init(&dir.path().join("other"));
    let (code, _) = verify(&["--data-dir", data], &other.audit_key, None);
    assert_eq!(code, 3);

    // An exported log verifies the same way.
    let exported = dir.path().join("log.jsonl");
    let status = Command::new(bin())
        .args(["audit", "export", "--data-dir", data, "--out"])
        .arg(&exported)
        .status()
        .unwrap();
    assert!(status.success());
    let log = exported.to_str().unwrap();
    let (code, out) = verify(&["--log", log], &inited.audit_key, Some(&export));
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&exported).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut swapped = lines.clone();
    swapped.swap(K as usize, K as usize + 1);
    std::fs::write(&exported, swapped.join("\n") + "\n").unwrap();
    let (code, out) = verify(&["--log", log], &inited.audit_key, Some(&export));
    assert_eq!(
        (code, out["first_bad_entry"].as_u64()),
        (3, Some(K)),
        "{out}"
    );
}

#[test]
fn tampering_is_detected_and_named_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_postgres_database();
    let inited = init_with(dir.path(), Some(&url));
    let export = dir.path().join("outside/checkpoints.jsonl");
    std::fs::create_dir_all(export.parent().unwrap()).unwrap();
    write_log(&inited, &export, 6);
    let (base, name) = url.rsplit_once('/').unwrap();
    let psql = |target: &str, sql: &str| {
        let out = Command::new("psql")
            .arg(target)
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (code, ok) = verify(&["--store-url", &url], &inited.audit_key, Some(&export));
    assert_eq!(code, 0, "{ok}");
    for (i, (label, _, sql, first_bad)) in mutations().into_iter().enumerate() {
        let copy = format!("{name}_t{i}");
        psql(
            &format!("{base}/postgres"),
            &format!("CREATE DATABASE {copy} TEMPLATE {name}"),
        );
        let copy_url = format!("{base}/{copy}");
        psql(&copy_url, &sql);
        let (code, out) = verify(
            &["--store-url", &copy_url],
            &inited.audit_key,
            Some(&export),
        );
        assert_eq!(code, 3, "{label}: {out}");
        check_named(label, &out, first_bad);
    }
    // A rollback: the newest entries and the checkpoints covering them are gone.
    let copy = format!("{name}_rb");
    psql(
        &format!("{base}/postgres"),
        &format!("CREATE DATABASE {copy} TEMPLATE {name}"),
    );
    let copy_url = format!("{base}/{copy}");
    psql(&copy_url, &format!("DELETE FROM audit_entries WHERE seq >= {K}; DELETE FROM audit_checkpoints WHERE size > {K}"));
    let (code, out) = verify(
        &["--store-url", &copy_url],
        &inited.audit_key,
        Some(&export),
    );
    assert_eq!(
        (code, out["first_bad_entry"].as_u64()),
        (3, Some(K)),
        "{out}"
    );
}
