//! Kill the server with SIGKILL in the middle of a load, restart it, and check that every turn
//! it acknowledged (a 2xx) is there, in order, that the conversations carry on, and that the
//! audit log still verifies, with an entry for every acknowledged turn.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

#[test]
fn no_acknowledged_turn_is_lost_to_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let setup = common::init(dir.path());
    let server = common::serve(&setup.data);
    let conversations: Vec<String> = (0..8)
        .map(|i| {
            server.post(
                "/v1/conversations",
                &setup.ingest,
                json!({"customer_ref": format!("c{i}")}),
            )["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let acknowledged: Arc<Mutex<Vec<(String, u64, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = conversations
        .iter()
        .cloned()
        .map(|id| {
            let (base, token, acked, stop) = (
                server.base.clone(),
                setup.ingest.clone(),
                Arc::clone(&acknowledged),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let text = format!("turn {n}: call me at 415 555 {:04}", n % 10_000);
                    let response = ureq::post(&format!("{base}/v1/conversations/{id}/turns"))
                        .set("authorization", &format!("Bearer {token}"))
                        .send_json(json!({"speaker": "customer", "text": text}));
                    match response {
                        Ok(r) => {
                            let v: serde_json::Value = r.into_json().unwrap();
                            let seq = v["seq"].as_u64().unwrap();
                            acked.lock().unwrap().push((
                                id.clone(),
                                seq,
                                v["id"].as_str().unwrap().to_owned(),
                            ));
                        }
                        // The server is gone: anything not acknowledged may be lost.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    server.kill();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 50,
        "only {} turns before the kill",
        acknowledged.len()
    );

    let restarted = common::serve(&setup.data);
    let mut found = 0;
    for id in &conversations {
        let view = restarted.get(&format!("/v1/conversations/{id}"), &setup.admin);
        let stored: Vec<(u64, String)> = view["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["seq"].as_u64().unwrap(),
                    t["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        // Sequence numbers are dense from 0.
        for (i, (seq, _)) in stored.iter().enumerate() {
            assert_eq!(*seq, i as u64, "gap in {id}");
        }
        for (conv, seq, turn) in acknowledged.iter().filter(|(c, _, _)| c == id) {
            assert!(
                stored.contains(&(*seq, turn.clone())),
                "acknowledged turn {seq} of {conv} lost"
            );
            found += 1;
        }
        // The conversation carries on after the crash.
        let next = restarted.post(
            &format!("/v1/conversations/{id}/turns"),
            &setup.ingest,
            json!({"speaker": "agent", "text": "still there?"}),
        );
        assert_eq!(next["seq"].as_u64().unwrap(), stored.len() as u64);
    }
    assert_eq!(found, acknowledged.len());
    eprintln!(
        "SIGKILL mid-load: {} acknowledged turns, all present after restart",
        acknowledged.len()
    );
    restarted.stop();

    let out = std::process::Command::new(common::bin())
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
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["entries"].as_u64().unwrap() > acknowledged.len() as u64);
    // Every acknowledged turn has its entry (same transaction): count them by turn number.
    let export = std::process::Command::new(common::bin())
        .args(["audit", "export", "--data-dir"])
        .arg(&setup.data)
        .output()
        .unwrap();
    let log = String::from_utf8(export.stdout).unwrap();
    let ingests = log
        .lines()
        .filter(|l| l.contains("\"action\":\"turn.ingest\"") && l.contains("\"outcome\":\"ok\""))
        .count();
    assert!(
        ingests >= acknowledged.len() + conversations.len(),
        "{ingests} turn entries for {} acknowledged turns",
        acknowledged.len()
    );
}
