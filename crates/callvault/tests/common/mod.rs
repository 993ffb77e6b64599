//! Running the real binary: `init` a data directory, `serve` it on a free loopback port, talk
//! to it over HTTP, stop it with SIGTERM or SIGKILL.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub const PASSPHRASE: &str = "stolen database demo passphrase";

pub struct Initialized {
    pub data: PathBuf,
    pub key_file: PathBuf,
    pub admin: String,
    pub ingest: String,
    /// The audit log's public key (vkey), as `init` printed it.
    pub audit_key: String,
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_callvault"))
}

pub fn init(dir: &Path) -> Initialized {
    init_with(dir, None)
}

/// `init`, keeping the data in PostgreSQL when a URL is given.
pub fn init_with(dir: &Path, store_url: Option<&str>) -> Initialized {
    let data = dir.join("data");
    let key_file = dir.join("keys/root.key");
    let mut cmd = Command::new(bin());
    cmd.args([
        "init",
        "--kdf-memory-mib",
        "8",
        "--kdf-passes",
        "1",
        "--data-dir",
    ])
    .arg(&data)
    .arg("--key-file")
    .arg(&key_file)
    .env("CALLVAULT_PASSPHRASE", PASSPHRASE)
    .env_remove("CALLVAULT_STORE_URL");
    if let Some(url) = store_url {
        cmd.arg("--store-url").arg(url);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Initialized {
        data,
        key_file,
        admin: json["admin_token"].as_str().unwrap().to_owned(),
        ingest: json["ingest_token"].as_str().unwrap().to_owned(),
        audit_key: json["audit_public_key"].as_str().unwrap().to_owned(),
    }
}

/// A running server and everything it wrote to stderr.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: Arc<Mutex<String>>,
}

pub fn serve(data: &Path) -> Server {
    serve_with(data, &[])
}

/// `serve` with extra environment variables.
pub fn serve_with(data: &Path, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .envs(env.iter().copied())
        .env("CALLVAULT_PASSPHRASE", PASSPHRASE)
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && line.contains("callvault serving") {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                let _ = tx.send(v["fields"]["listen"].as_str().unwrap().to_owned());
                sent = true;
            }
            let mut log = sink.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    let addr = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("server did not start: {}", log.lock().unwrap()));
    Server {
        child,
        base: format!("http://{addr}"),
        log,
    }
}

impl Server {
    pub fn post(&self, path: &str, token: &str, body: serde_json::Value) -> serde_json::Value {
        ureq::post(&format!("{}{path}", self.base))
            .set("authorization", &format!("Bearer {token}"))
            .send_json(body)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
            .into_json()
            .unwrap()
    }

    pub fn get(&self, path: &str, token: &str) -> serde_json::Value {
        ureq::get(&format!("{}{path}", self.base))
            .set("authorization", &format!("Bearer {token}"))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .into_json()
            .unwrap()
    }

    /// SIGTERM, then wait: the graceful path.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "server exited with {status}");
        // Let the reader thread drain the pipe.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        log
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        log
    }
}

/// A fresh database on the test PostgreSQL server (`CALLVAULT_TEST_PG_URL`, which `.ci/run`
/// sets after starting one); returns its URL.
pub fn fresh_postgres_database() -> String {
    let url = std::env::var("CALLVAULT_TEST_PG_URL").expect(
        "CALLVAULT_TEST_PG_URL is not set: run .ci/run (it starts PostgreSQL), or start a server and set it to its URL",
    );
    let name = format!(
        "cv_e2e_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let status = Command::new("psql")
        .arg(&url)
        .args(["-q", "-c", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql not found: install postgresql-client (.ci/run does)");
    assert!(status.success());
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}
