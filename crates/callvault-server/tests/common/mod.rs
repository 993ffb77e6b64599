//! The fixture shared by the API tests: a core over a temporary SQLite store, a passphrase
//! root key, and two tenants with their tokens.

#![allow(dead_code)]

pub mod fake_llm;

use std::sync::Arc;

use axum::Router;
use callvault_core::{Core, CoreConfig};
use callvault_server::{app, AppState, ServerConfig};
use callvault_store::{SqliteStore, Store};
use callvault_vault::{KdfParams, KeyTable, PassphraseKeyFile, RootKeyStore, Vault, VaultConfig};
use secrecy::SecretString;

pub struct Fixture {
    pub state: AppState,
    pub config: ServerConfig,
    pub router: Router,
    pub store: Arc<SqliteStore>,
    pub acme_ingest: String,
    pub acme_admin: String,
    pub globex_admin: String,
    _dir: tempfile::TempDir,
}

pub fn fixture() -> Fixture {
    fixture_with(CoreConfig::default())
}

/// The fixture with other limits (login rate limits, thresholds).
pub fn fixture_with(core_config: CoreConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let passphrase = SecretString::from("fixture passphrase".to_owned());
    let fast = KdfParams {
        m_cost: 8 * 1024,
        t_cost: 1,
        p_cost: 1,
    };
    let root: Arc<dyn RootKeyStore> = Arc::new(
        PassphraseKeyFile::create(&dir.path().join("root.key"), &passphrase, fast).unwrap(),
    );
    let store = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let table: Arc<dyn KeyTable> = store.clone();
    let vault = Arc::new(Vault::new(root, table, VaultConfig::default()));
    let acme = Core::provision_tenant(store.as_ref(), &vault, "acme", "Acme").unwrap();
    let globex = Core::provision_tenant(store.as_ref(), &vault, "globex", "Globex").unwrap();
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Arc::new(
        Core::new(
            dyn_store,
            vault,
            core_config,
            callvault_core::AuditConfig::default(),
        )
        .unwrap(),
    );
    let config = ServerConfig {
        max_body_bytes: 32 * 1024,
        ..ServerConfig::default()
    };
    let state = AppState::new(core, &config);
    Fixture {
        router: app(state.clone(), &config),
        state,
        config,
        store,
        acme_ingest: acme.ingest_token.to_string(),
        acme_admin: acme.admin_token.to_string(),
        globex_admin: globex.admin_token.to_string(),
        _dir: dir,
    }
}

impl Fixture {
    /// How many turns a conversation has in the store.
    pub fn store_turns(&self, tenant: &str, conversation: &str) -> usize {
        self.store.turns(tenant, conversation).unwrap().len()
    }
}

/// Calls the router without a socket: a bearer token when given, a JSON body when given;
/// returns the status and the body as JSON (`Null` when it is not JSON).
pub async fn call_json(
    router: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> (axum::http::StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map_or_else(axum::body::Body::empty, |b| {
        axum::body::Body::from(b.to_string())
    });
    let response = router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}
