//! `callvault serve`: open the root key, the store and the vault from the data directory's
//! configuration, and serve the API until SIGINT or SIGTERM, then commit what is queued.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use callvault_core::{Core, CoreConfig};
use callvault_server::AppState;
use callvault_store::{PostgresStore, SqliteStore, Store};
use callvault_vault::{KeyTable, Vault, VaultConfig};

use crate::config::{Config, RootKey, StoreUrl};

/// The store and the vault a configuration names (the root key is opened: passphrase or PIN).
pub fn open_parts(config: &Config) -> Result<(Arc<dyn Store>, Arc<Vault>)> {
    let root = crate::init::open_root(&config.root_key)?;
    let (store, table): (Arc<dyn Store>, Arc<dyn KeyTable>) = match &config.store {
        StoreUrl::Sqlite(path) => {
            let store = Arc::new(SqliteStore::open(path)?);
            (store.clone(), store)
        }
        StoreUrl::Postgres(url) => {
            let store = Arc::new(PostgresStore::open(url)?);
            (store.clone(), store)
        }
    };
    Ok((
        store,
        Arc::new(Vault::new(root, table, VaultConfig::default())),
    ))
}

pub fn run(config: Config) -> Result<ExitCode> {
    let (store, vault) = open_parts(&config)?;
    let root_desc = match &config.root_key {
        RootKey::File(path) => format!("key file {}", path.display()),
        RootKey::Pkcs11 { token, .. } => format!("PKCS#11 token {token:?}"),
    };
    let store_desc = match &config.store {
        StoreUrl::Sqlite(path) => format!("sqlite {}", path.display()),
        StoreUrl::Postgres(_) => "postgres".into(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // The last references to the store and the vault are dropped here, after the runtime: the
    // PostgreSQL client owns a runtime of its own, which must not be dropped inside ours.
    let (keep_store, keep_vault) = (Arc::clone(&store), Arc::clone(&vault));
    // Opening the core checks the audit log (blocking store calls): before the runtime runs.
    let core = Arc::new(
        Core::new(store, vault, CoreConfig::default(), config.audit.clone())
            .context("opening the audit log")?,
    );
    write_vkey(&config.data_dir, &core.audit().vkey());
    let served = runtime.block_on(async move {
        let mut state = AppState::new(core, &config.server);
        if let Some(proxy) = config.proxy.clone() {
            tracing::info!(upstream = %proxy.upstream, models = ?proxy.models, "privacy proxy on");
            state = state.with_proxy(
                callvault_server::proxy::Proxy::new(proxy)
                    .context("starting the proxy's client")?,
            );
        }
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        tracing::info!(
            listen = %addr,
            data_dir = %config.data_dir.display(),
            store = %store_desc,
            root_key = %root_desc,
            max_body_bytes = config.server.max_body_bytes,
            rate_per_principal = config.server.rate_per_principal,
            "callvault serving"
        );
        callvault_server::run(listener, state, config.server, shutdown_signal())
            .await
            .context("serving")?;
        tracing::info!("callvault stopped; queued turns committed");
        Ok::<_, anyhow::Error>(())
    });
    drop(runtime);
    drop(keep_vault);
    drop(keep_store);
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Leaves the audit log's public key next to the data for convenience. Auditors should take
/// the key from `callvault init`'s output or a copy kept elsewhere: one in the data directory
/// is only as trustworthy as the directory.
fn write_vkey(data_dir: &std::path::Path, vkey: &str) {
    let path = data_dir.join("audit.vkey");
    if let Err(e) = std::fs::write(&path, format!("{vkey}\n")) {
        tracing::warn!(path = %path.display(), error = %e, "could not write the audit public key");
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
