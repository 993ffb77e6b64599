//! The configuration: `DATA_DIR/callvault.toml` (written by `init`), or `--config FILE`, then
//! `CALLVAULT_*` environment variables over it. Secrets are never in the file: the passphrase
//! and PIN come from the environment, a file or a prompt. Parsed into [`Config`], a validated
//! value, before anything starts.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// The file, as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub store: StoreSection,
    #[serde(default)]
    pub keys: KeysSection,
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub audit: AuditSection,
    #[serde(default)]
    pub proxy: ProxySection,
}

/// The privacy proxy (`POST /v1/chat/completions`): off unless an upstream is set.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySection {
    /// The upstream base URL, e.g. `https://api.openai.com/v1`.
    pub upstream: Option<String>,
    /// A file holding the upstream API key (or `CALLVAULT_PROXY_API_KEY`); never inline.
    pub api_key_file: Option<PathBuf>,
    /// Models callers may ask for (empty: any).
    #[serde(default)]
    pub models: Vec<String>,
    pub max_body_bytes: Option<usize>,
    pub response_timeout_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    /// Per-tenant policy: `[proxy.tenants.NAME]` with `pass_through` (types the model may see)
    /// and `keep_tokens` (types restored as tokens even for the caller).
    #[serde(default)]
    pub tenants: std::collections::BTreeMap<String, ProxyTenant>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyTenant {
    #[serde(default)]
    pub pass_through: Vec<String>,
    #[serde(default)]
    pub keep_tokens: Vec<String>,
}

/// Where signed audit checkpoints go, and how often they are made.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// The log's origin line and key name, used when the log is created.
    pub origin: Option<String>,
    /// An append-only file outside the data directory receiving every checkpoint.
    pub export_file: Option<PathBuf>,
    /// An `http://` URL receiving every checkpoint as a POST.
    pub webhook: Option<String>,
    pub checkpoint_entries: Option<u64>,
    pub checkpoint_interval_secs: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// `sqlite:PATH` (relative to the data directory) or `postgres://...`.
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeysSection {
    pub key_file: Option<PathBuf>,
    pub pkcs11_token: Option<String>,
    pub pkcs11_module: Option<PathBuf>,
    pub pkcs11_key_label: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub listen: Option<String>,
    pub max_body_bytes: Option<usize>,
    pub rate_per_principal: Option<u32>,
}

/// Where the root key lives.
#[derive(Clone, Debug)]
pub enum RootKey {
    File(PathBuf),
    Pkcs11 {
        module: PathBuf,
        token: String,
        key_label: String,
    },
}

/// Where the data lives.
#[derive(Clone, Debug)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The effective, validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub store: StoreUrl,
    pub root_key: RootKey,
    pub listen: String,
    pub server: callvault_server::ServerConfig,
    pub audit: callvault_core::AuditConfig,
    pub proxy: Option<callvault_server::proxy::ProxyConfig>,
}

pub const CONFIG_FILE: &str = "callvault.toml";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Config {
    /// Reads the file (if any) and applies environment overrides.
    pub fn load(data_dir: &Path, config: Option<&Path>) -> Result<Config> {
        let path = config
            .map(Path::to_path_buf)
            .unwrap_or_else(|| data_dir.join(CONFIG_FILE));
        let mut file: FileConfig = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && config.is_none() => {
                bail!(
                    "{} has no {CONFIG_FILE}: run `callvault init --data-dir {}` first",
                    data_dir.display(),
                    data_dir.display()
                )
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(url) = env("CALLVAULT_STORE_URL") {
            file.store.url = Some(url);
        }
        if let Some(key_file) = env("CALLVAULT_KEY_FILE") {
            file.keys.key_file = Some(key_file.into());
        }
        if let Some(token) = env("CALLVAULT_PKCS11_TOKEN") {
            file.keys.pkcs11_token = Some(token);
        }
        if let Some(listen) = env("CALLVAULT_LISTEN") {
            file.server.listen = Some(listen);
        }
        if let Some(path) = env("CALLVAULT_AUDIT_EXPORT_FILE") {
            file.audit.export_file = Some(path.into());
        }
        if let Some(url) = env("CALLVAULT_AUDIT_WEBHOOK") {
            file.audit.webhook = Some(url);
        }
        if let Some(url) = env("CALLVAULT_PROXY_UPSTREAM") {
            file.proxy.upstream = Some(url);
        }
        Config::from_file(data_dir, file)
    }

    pub fn from_file(data_dir: &Path, file: FileConfig) -> Result<Config> {
        let store = match file.store.url.as_deref() {
            None => StoreUrl::Sqlite(data_dir.join("callvault.db")),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                StoreUrl::Postgres(url.to_owned())
            }
            Some(url) => match url.strip_prefix("sqlite:") {
                Some(p) => StoreUrl::Sqlite(data_dir.join(p)),
                None => bail!("store.url must be sqlite:PATH or postgres://..."),
            },
        };
        let root_key = match (file.keys.pkcs11_token, file.keys.key_file) {
            (Some(token), _) => RootKey::Pkcs11 {
                module: file
                    .keys
                    .pkcs11_module
                    .unwrap_or_else(|| callvault_vault::pkcs11::SOFTHSM2_MODULE.into()),
                token,
                key_label: file
                    .keys
                    .pkcs11_key_label
                    .unwrap_or_else(|| callvault_vault::pkcs11::DEFAULT_KEY_LABEL.into()),
            },
            (None, Some(path)) => RootKey::File(path),
            (None, None) => bail!("keys.key_file or keys.pkcs11_token must be set"),
        };
        let mut server = callvault_server::ServerConfig::default();
        if let Some(n) = file.server.max_body_bytes {
            server.max_body_bytes = n;
        }
        if let Some(n) = file.server.rate_per_principal {
            server.rate_per_principal = n;
        }
        let mut audit = callvault_core::AuditConfig::default();
        if let Some(origin) = file.audit.origin {
            audit.origin = origin;
        }
        if let Some(path) = file.audit.export_file {
            // A copy inside the data directory would be lost or rolled back with it.
            let inside = std::path::absolute(&path)
                .ok()
                .zip(std::path::absolute(data_dir).ok())
                .is_some_and(|(p, d)| p.starts_with(d));
            if inside {
                bail!("audit.export_file must be outside the data directory");
            }
            audit.export_file = Some(path);
        }
        if let Some(url) = file.audit.webhook {
            if !url.starts_with("http://") {
                bail!(
                    "audit.webhook must be an http:// URL (a local collector; TLS is not built in)"
                );
            }
            audit.webhook = Some(url);
        }
        if let Some(n) = file.audit.checkpoint_entries {
            audit.checkpoint_entries = n.max(1);
        }
        if let Some(secs) = file.audit.checkpoint_interval_secs {
            audit.checkpoint_interval = std::time::Duration::from_secs(secs.max(1));
        }
        let proxy = match file.proxy.upstream.clone() {
            None => None,
            Some(upstream) => Some(proxy_config(&upstream, file.proxy.clone())?),
        };
        Ok(Config {
            data_dir: data_dir.to_owned(),
            store,
            root_key,
            listen: file.server.listen.unwrap_or_else(|| DEFAULT_LISTEN.into()),
            server,
            audit,
            proxy,
        })
    }
}

fn proxy_config(
    upstream: &str,
    section: ProxySection,
) -> Result<callvault_server::proxy::ProxyConfig> {
    if !(upstream.starts_with("http://") || upstream.starts_with("https://")) {
        bail!("proxy.upstream must be an http:// or https:// URL");
    }
    let mut config = callvault_server::proxy::ProxyConfig::new(upstream);
    let key = match std::env::var("CALLVAULT_PROXY_API_KEY")
        .ok()
        .filter(|k| !k.is_empty())
    {
        Some(key) => Some(key),
        None => match &section.api_key_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        },
    };
    config.api_key = key.map(secrecy::SecretString::from);
    config.models = section.models;
    if let Some(n) = section.max_body_bytes {
        config.max_body_bytes = n;
    }
    if let Some(secs) = section.response_timeout_secs {
        config.response_timeout = std::time::Duration::from_secs(secs.max(1));
    }
    if let Some(secs) = section.idle_timeout_secs {
        config.idle_timeout = std::time::Duration::from_secs(secs.max(1));
    }
    for (tenant, policy) in section.tenants {
        for t in policy.pass_through.iter().chain(&policy.keep_tokens) {
            if callvault_detect::EntityType::parse(t).is_none() {
                bail!("proxy.tenants.{tenant}: unknown type {t}");
            }
        }
        config.policies.insert(
            tenant,
            callvault_core::proxy::ProxyPolicy {
                pass_through: policy.pass_through,
                keep_tokens: policy.keep_tokens,
            },
        );
    }
    Ok(config)
}
