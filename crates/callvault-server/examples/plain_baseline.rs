//! The baseline for the ingest benchmark (never part of the product): the same HTTP stack
//! (axum, the same strict JSON and bearer-token extractors, the same layers: body cap, timeout,
//! request ids, one JSON log line per request on stderr), the same store and the same
//! group-commit writer, storing each turn's text as it came, with no detection, no sealing and
//! no audit entry. `bench/ingest/run.sh` runs it beside `callvault serve` to price security.
//!
//! `cargo run --release -p callvault-server --example plain_baseline -- DATA_DIR LISTEN`
//! (DATA_DIR made by `callvault init`, with `--store-url postgres://...` for PostgreSQL; its key
//! file passphrase in CALLVAULT_PASSPHRASE).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use callvault_core::writer::{AuditHealth, GroupCommit, WriteJob};
use callvault_core::{AuditConfig, Core, CoreConfig};
use callvault_server::error::ApiError;
use callvault_server::extract::{Authenticated, StrictJson};
use callvault_server::{AppState, ServerConfig};
use callvault_store::{PostgresStore, SqliteStore, Store, TurnRow, TurnWrite};
use callvault_vault::{KeyTable, PassphraseKeyFile, RootKeyStore, Vault, VaultConfig};
use serde::Deserialize;
use serde_json::json;

/// The same allocator as the `callvault` binary, so the comparison prices security only.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTurn {
    speaker: String,
    text: String,
    #[serde(rename = "final", default)]
    _final: Option<bool>,
}

#[derive(Clone)]
struct Baseline {
    app: AppState,
    writer: Arc<GroupCommit>,
    seq: Arc<Mutex<HashMap<String, u64>>>,
}

impl axum::extract::FromRef<Baseline> for AppState {
    fn from_ref(b: &Baseline) -> AppState {
        b.app.clone()
    }
}

async fn turn(
    State(b): State<Baseline>,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<NewTurn>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let seq = {
        let mut seqs = b
            .seq
            .lock()
            .map_err(|_| callvault_core::CoreError::Internal)?;
        let n = seqs.entry(id.clone()).or_insert(0);
        *n += 1;
        *n - 1
    };
    let row = TurnRow {
        tenant: p.tenant,
        conversation: id,
        seq,
        id: format!("plain_{seq}"),
        speaker: body.speaker,
        redacted: body.text.clone(),
        findings: "[]".into(),
        sealed: Vec::new(),
        started_at: None,
        ended_at: None,
        created_at: 0,
    };
    b.writer
        .submit(WriteJob {
            turns: vec![TurnWrite {
                turn: row,
                new_tokens: Vec::new(),
            }],
            ..WriteJob::default()
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"seq": seq, "redacted": body.text})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConversation {
    customer_ref: String,
}

/// Conversations are created as the product creates them (the turns table refers to them).
async fn conversation(
    State(b): State<Baseline>,
    Authenticated(p): Authenticated,
    StrictJson(body): StrictJson<NewConversation>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let row = b
        .app
        .core
        .create_conversation(&p, &body.customer_ref)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": row.id}))))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (data, listen) = (std::path::PathBuf::from(&args[1]), args[2].clone());
    let config: toml::Value =
        toml::from_str(&std::fs::read_to_string(data.join("callvault.toml"))?)?;
    let key_file = config["keys"]["key_file"].as_str().ok_or("key_file")?;
    let passphrase = secrecy::SecretString::from(std::env::var("CALLVAULT_PASSPHRASE")?);
    let root: Arc<dyn RootKeyStore> =
        Arc::new(PassphraseKeyFile::open(key_file.as_ref(), &passphrase)?);
    // The store `callvault init` chose: PostgreSQL when the config's URL says so, else the
    // SQLite file in the data directory.
    let url = config
        .get("store")
        .and_then(|s| s.get("url"))
        .and_then(|u| u.as_str())
        .unwrap_or_default();
    let (dyn_store, table): (Arc<dyn Store>, Arc<dyn KeyTable>) =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = Arc::new(PostgresStore::open(url)?);
            (store.clone(), store)
        } else {
            let store = Arc::new(SqliteStore::open(&data.join("callvault.db"))?);
            (store.clone(), store)
        };
    let vault = Arc::new(Vault::new(root, table, VaultConfig::default()));
    let core = Arc::new(Core::new(
        Arc::clone(&dyn_store),
        vault,
        CoreConfig::default(),
        AuditConfig::default(),
    )?);
    let server = ServerConfig::default();
    let defaults = CoreConfig::default();
    let baseline = Baseline {
        app: AppState::new(core, &server),
        writer: Arc::new(GroupCommit::start(
            dyn_store,
            Arc::new(AuditHealth::default()),
            defaults.write_queue,
            defaults.max_batch,
            // The baseline commits as soon as a job is queued: it has CPU to spare, so the
            // product's commit interval would only add latency (16.5k vs 20.0k turns/s with 3 ms
            // in one measurement); the ratio is taken against its best.
            std::time::Duration::ZERO,
        )),
        seq: Arc::default(),
    };
    let routes = Router::new()
        .route("/v1/conversations", post(conversation))
        .route("/v1/conversations/{id}/turns", post(turn));
    let router = callvault_server::request_layers(callvault_server::api_layers(routes, &server))
        .with_state(baseline);
    // The log lines `callvault serve` writes (its `install_logging`).
    let _ = tracing_subscriber::fmt()
        .json()
        .with_span_list(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(std::io::stderr)
        .try_init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            eprintln!("plain baseline on {}", listener.local_addr()?);
            axum::serve(listener, router).await
        })?;
    Ok(())
}
