//! Signed checkpoints leave the system: every N entries one is signed, kept, appended to the
//! export file and posted to the webhook (a local HTTP listener standing in for the collector),
//! each a valid signed note over the log's current tree; a sink that is down does not stop the
//! log. Reload replays are audited like any other opening of a sealed value.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::Arc;

use callvault_audit::{Checkpoint, NoteVerifier};
use callvault_core::{AuditConfig, Core, CoreConfig, Speaker, TurnInput};
use callvault_store::{SqliteStore, Store};
use callvault_vault::{KdfParams, KeyTable, PassphraseKeyFile, RootKeyStore, Vault, VaultConfig};

/// Accepts HTTP requests and hands their bodies over; answers 200.
fn collector() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/checkpoints", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send(String::from_utf8(body).unwrap());
        }
    });
    (url, rx)
}

fn core(dir: &std::path::Path, audit: AuditConfig) -> (Core, Arc<SqliteStore>) {
    let pass = secrecy::SecretString::from("checkpoint test passphrase".to_owned());
    let fast = KdfParams {
        m_cost: 8192,
        t_cost: 1,
        p_cost: 1,
    };
    let key = dir.join("root.key");
    let root: Arc<dyn RootKeyStore> = if key.exists() {
        Arc::new(PassphraseKeyFile::open(&key, &pass).unwrap())
    } else {
        Arc::new(PassphraseKeyFile::create(&key, &pass, fast).unwrap())
    };
    let store = Arc::new(SqliteStore::open(&dir.join("db")).unwrap());
    let table: Arc<dyn KeyTable> = store.clone();
    let vault = Arc::new(Vault::new(root, table, VaultConfig::default()));
    let dyn_store: Arc<dyn Store> = store.clone();
    (
        Core::new(dyn_store, vault, CoreConfig::default(), audit).unwrap(),
        store,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoints_are_signed_kept_and_exported_to_file_and_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let export = outside.path().join("checkpoints.jsonl");
    let (webhook, received) = collector();
    let config = AuditConfig {
        checkpoint_entries: 5,
        export_file: Some(export.clone()),
        webhook: Some(webhook),
        ..AuditConfig::default()
    };
    let (core, store) = core(dir.path(), config.clone());
    let tokens = Core::provision_tenant(store.as_ref(), core.vault(), "acme", "Acme").unwrap();
    let p = core
        .authenticate(&tokens.ingest_token, Some("10.1.2.3".into()))
        .await
        .unwrap();
    let conv = core.create_conversation(&p, "cust-1").await.unwrap();
    for i in 0..6 {
        core.ingest(
            &p,
            &conv.id,
            TurnInput {
                speaker: Speaker::Customer,
                text: format!("my number is 415 555 01{i:02}"),
                is_final: true,
                started_at: None,
                ended_at: None,
            },
        )
        .await
        .unwrap();
    }
    let audit = Arc::clone(core.audit());
    let made = tokio::task::spawn_blocking(move || audit.checkpoint_if_due(false))
        .await
        .unwrap()
        .unwrap()
        .expect("due after 5 entries");
    let vkey = NoteVerifier::from_vkey(&core.audit().vkey()).unwrap();
    assert_eq!(made.size, store.audit_head().unwrap().size());
    assert_eq!(made.origin, core.audit().origin());

    // The webhook got the signed note; the file got it as a JSON line; the store kept it.
    let posted = received
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(
        Checkpoint::open_signed(posted.as_bytes(), &vkey).unwrap(),
        made
    );
    let exported = callvault_core::audit::last_exported(&export)
        .unwrap()
        .unwrap();
    assert_eq!(exported.size, made.size);
    assert_eq!(exported.note, posted);
    assert_eq!(store.latest_checkpoint().unwrap().unwrap().1, posted);
    // Not due again until the log grows.
    let audit = Arc::clone(core.audit());
    assert!(
        tokio::task::spawn_blocking(move || audit.checkpoint_if_due(false))
            .await
            .unwrap()
            .unwrap()
            .is_none()
    );

    // The source address and session are in the entries; the token secret is not.
    let leaves: String = store
        .audit_entries(0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.leaf).unwrap())
        .collect();
    assert!(leaves.contains("\"source\":\"10.1.2.3\""));
    assert!(leaves.contains(&format!("\"session\":\"{}\"", p.session)));
    assert!(!leaves.contains(tokens.ingest_token.as_str()));
    assert!(!leaves.contains("555 01"));
    core.shutdown();
    drop(core);

    // A restart replays the last turn to rebuild the detector's context: an audited opening.
    let down = AuditConfig {
        webhook: Some("http://127.0.0.1:9/unreachable".into()),
        ..config
    };
    let (again, store) = self::core(dir.path(), down);
    let before = store.audit_head().unwrap().size();
    let p = again
        .authenticate(&tokens.ingest_token, None)
        .await
        .unwrap();
    again
        .ingest(
            &p,
            &conv.id,
            TurnInput {
                speaker: Speaker::Agent,
                text: "thanks".into(),
                is_final: true,
                started_at: None,
                ended_at: None,
            },
        )
        .await
        .unwrap();
    let actions: Vec<String> = store
        .audit_entries(before, 100)
        .unwrap()
        .into_iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_slice(&e.leaf).unwrap();
            v["action"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(actions, ["context.reload", "turn.ingest"]);
    // A webhook that is down does not stop the log: the checkpoint is still signed and kept.
    let audit = Arc::clone(again.audit());
    let made = tokio::task::spawn_blocking(move || audit.checkpoint_if_due(true))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(store.latest_checkpoint().unwrap().unwrap().0, made.size);
    assert!(again.audit().health().check().is_ok());
}
