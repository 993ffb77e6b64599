//! `callvault init`: make a data directory ready to serve. It creates (or, with
//! `--use-existing-key`, reuses) the root key outside the data directory, creates the SQLite
//! database and the first tenant with its keys, and prints one JSON object on stdout with the
//! tenant and the admin and ingest tokens (shown once; only their hashes are stored). Human text
//! goes to stderr. Reading secrets (passphrase, PIN) happens here; everything cryptographic is
//! `callvault-vault`'s.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use callvault_core::Core;
use callvault_store::{PostgresStore, SqliteStore, Store};
use callvault_vault::pkcs11::{DEFAULT_KEY_LABEL, SOFTHSM2_MODULE};
use callvault_vault::{
    KdfParams, KeyTable, PassphraseKeyFile, Pkcs11Config, Pkcs11KeyStore, RootKeyStore, Vault,
    VaultConfig,
};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::config::{FileConfig, KeysSection, ServerSection, StoreSection, CONFIG_FILE};

/// Environment variable holding the key file passphrase.
pub const PASSPHRASE_ENV: &str = "CALLVAULT_PASSPHRASE";
/// Environment variable holding the PKCS#11 user PIN.
pub const PIN_ENV: &str = "CALLVAULT_PKCS11_PIN";

#[derive(clap::Args)]
pub struct InitArgs {
    /// The data directory to create (database, configuration). Must not be initialized yet.
    #[arg(long, default_value = "callvault-data")]
    data_dir: PathBuf,
    /// The first tenant's id.
    #[arg(long, default_value = "default")]
    tenant: String,
    /// Where to write the key file [default: $CALLVAULT_KEY_FILE, else
    /// $XDG_CONFIG_HOME/callvault/root.key, else ~/.config/callvault/root.key]. Kept outside
    /// the data directory so a copy of the data is not a copy of the key.
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Use a root key that already exists (key file or token key) instead of refusing.
    #[arg(long)]
    use_existing_key: bool,
    /// Read the passphrase from this file (first line) instead of $CALLVAULT_PASSPHRASE or a prompt.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Argon2id memory in MiB (RFC 9106's second recommendation is 64).
    #[arg(long, default_value_t = 64)]
    kdf_memory_mib: u32,
    /// Argon2id passes.
    #[arg(long, default_value_t = 3)]
    kdf_passes: u32,
    /// Keep the root key inside the PKCS#11 token with this label instead of a key file.
    #[arg(long)]
    pkcs11_token: Option<String>,
    /// The PKCS#11 module.
    #[arg(long, default_value = SOFTHSM2_MODULE)]
    pkcs11_module: PathBuf,
    /// Label of the root key object inside the token.
    #[arg(long, default_value = DEFAULT_KEY_LABEL)]
    pkcs11_key_label: String,
    /// Read the user PIN from this file instead of $CALLVAULT_PKCS11_PIN or a prompt.
    #[arg(long)]
    pkcs11_pin_file: Option<PathBuf>,
    /// Keep the data in PostgreSQL instead of SQLite in the data directory (`postgres://...`;
    /// also `CALLVAULT_STORE_URL`). Written to the configuration: prefer a URL without a
    /// password there (use PGPASSFILE or a local socket).
    #[arg(long, env = "CALLVAULT_STORE_URL", hide_env_values = true)]
    store_url: Option<String>,
    /// Address `serve` will listen on (written to the configuration).
    #[arg(long, default_value = crate::config::DEFAULT_LISTEN)]
    listen: String,
}

impl InitArgs {
    /// `init --data-dir DIR` with every other option at its default.
    pub fn defaults_for(data_dir: &Path) -> InitArgs {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            args: InitArgs,
        }
        let mut args = <Only as clap::Parser>::parse_from(["init"]).args;
        args.data_dir = data_dir.to_owned();
        args
    }
}

pub fn run(args: &InitArgs) -> Result<ExitCode> {
    let config_path = args.data_dir.join(CONFIG_FILE);
    if config_path.exists() {
        bail!(
            "{} is already initialized ({} exists); refusing to overwrite it",
            args.data_dir.display(),
            config_path.display()
        );
    }
    check_tenant(&args.tenant)?;

    let (root, keys): (Arc<dyn RootKeyStore>, KeysSection) = match &args.pkcs11_token {
        Some(token) => {
            let config = Pkcs11Config {
                module: args.pkcs11_module.clone(),
                token_label: token.clone(),
                pin: secret_from(
                    PIN_ENV,
                    args.pkcs11_pin_file.as_deref(),
                    "PKCS#11 user PIN",
                    false,
                )?,
                key_label: args.pkcs11_key_label.clone(),
            };
            let store = match Pkcs11KeyStore::create(&config) {
                Err(callvault_vault::VaultError::TokenKeyExists { .. })
                    if args.use_existing_key =>
                {
                    Pkcs11KeyStore::open(&config)?
                }
                other => other?,
            };
            eprintln!(
                "root key {:?} in PKCS#11 token {token:?} (sensitive, non-extractable: {})",
                args.pkcs11_key_label,
                store.key_is_protected()?
            );
            let keys = KeysSection {
                pkcs11_token: Some(token.clone()),
                pkcs11_module: Some(args.pkcs11_module.clone()),
                pkcs11_key_label: Some(args.pkcs11_key_label.clone()),
                key_file: None,
            };
            (Arc::new(store), keys)
        }
        None => {
            let path = match &args.key_file {
                Some(path) => path.clone(),
                None => default_key_file()?,
            };
            let path = absolute(&path)?;
            if path.starts_with(absolute(&args.data_dir)?) {
                bail!("the key file must live outside the data directory (a copy of the data must not be a copy of the key)");
            }
            let exists = path.exists();
            if exists && !args.use_existing_key {
                bail!(
                    "a key file already exists at {}; refusing to overwrite it (pass --use-existing-key to use it)",
                    path.display()
                );
            }
            let passphrase = secret_from(
                PASSPHRASE_ENV,
                args.passphrase_file.as_deref(),
                "passphrase",
                !exists,
            )?;
            let file = if exists {
                PassphraseKeyFile::open(&path, &passphrase)?
            } else {
                let params = KdfParams {
                    m_cost: args.kdf_memory_mib.saturating_mul(1024),
                    t_cost: args.kdf_passes,
                    ..KdfParams::RECOMMENDED
                };
                let file = PassphraseKeyFile::create(&path, &passphrase, params)?;
                eprintln!(
                    "created root key file {} (Argon2id, {} MiB, {} passes, {} lanes); keep it apart from the data and back it up separately",
                    path.display(),
                    args.kdf_memory_mib,
                    params.t_cost,
                    params.p_cost
                );
                file
            };
            let keys = KeysSection {
                key_file: Some(path),
                ..KeysSection::default()
            };
            (Arc::new(file), keys)
        }
    };

    // Owner-only when made here: the database holds sealed originals, redacted text and token
    // hashes, and SQLite creates its files (WAL included) with the process's umask. A directory
    // that exists already keeps its mode; a warning says when others can read it.
    let mut dir = std::fs::DirBuilder::new();
    dir.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        dir.mode(0o700);
        if let Ok(meta) = std::fs::metadata(&args.data_dir) {
            if meta.permissions().mode() & 0o077 != 0 {
                eprintln!(
                    "warning: {} is readable by other users; consider chmod 700",
                    args.data_dir.display()
                );
            }
        }
    }
    dir.create(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let (store, table, url): (Arc<dyn Store>, Arc<dyn KeyTable>, String) = match &args.store_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = Arc::new(PostgresStore::open(url)?);
            (store.clone(), store, url.clone())
        }
        Some(_) => {
            bail!("--store-url must be a postgres:// URL (SQLite lives in the data directory)")
        }
        None => {
            let store = Arc::new(SqliteStore::open(&args.data_dir.join("callvault.db"))?);
            (store.clone(), store, "sqlite:callvault.db".into())
        }
    };
    let vault = Vault::new(root, table, VaultConfig::default());
    let tokens = Core::provision_tenant(store.as_ref(), &vault, &args.tenant, &args.tenant)
        .map_err(|e| anyhow::anyhow!("creating tenant {:?}: {e}", args.tenant))?;
    let audit_key = callvault_core::audit::ensure_signing_key(
        store.as_ref(),
        &vault,
        &callvault_core::AuditConfig::default().origin,
    )
    .map_err(|e| anyhow::anyhow!("creating the audit signing key: {e}"))?;
    let _ = std::fs::write(args.data_dir.join("audit.vkey"), format!("{audit_key}\n"));

    let file = FileConfig {
        store: StoreSection { url: Some(url) },
        keys,
        server: ServerSection {
            listen: Some(args.listen.clone()),
            ..ServerSection::default()
        },
        audit: Default::default(),
        proxy: Default::default(),
    };
    let text = toml::to_string_pretty(&file).context("writing the configuration")?;
    // Owner-only: the file may name a PostgreSQL URL.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&config_path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .with_context(|| format!("writing {}", config_path.display()))?;
    eprintln!(
        "initialized {} (tenant {:?}); the tokens below are shown once",
        args.data_dir.display(),
        args.tenant
    );
    let out = Zeroizing::new(
        serde_json::json!({
            "tenant": args.tenant,
            "admin_token": tokens.admin_token.as_str(),
            "ingest_token": tokens.ingest_token.as_str(),
            "audit_public_key": audit_key,
            "data_dir": args.data_dir,
            "config": config_path,
        })
        .to_string(),
    );
    println!("{}", out.as_str());
    Ok(ExitCode::SUCCESS)
}

/// Opens the configured root key store (for `serve`).
pub fn open_root(root: &crate::config::RootKey) -> Result<Arc<dyn RootKeyStore>> {
    Ok(match root {
        crate::config::RootKey::File(path) => {
            let passphrase = secret_from(PASSPHRASE_ENV, None, "passphrase", false)?;
            Arc::new(PassphraseKeyFile::open(path, &passphrase)?)
        }
        crate::config::RootKey::Pkcs11 {
            module,
            token,
            key_label,
        } => {
            let config = Pkcs11Config {
                module: module.clone(),
                token_label: token.clone(),
                pin: secret_from(PIN_ENV, None, "PKCS#11 user PIN", false)?,
                key_label: key_label.clone(),
            };
            Arc::new(Pkcs11KeyStore::open(&config)?)
        }
    })
}

pub(crate) fn check_tenant(tenant: &str) -> Result<()> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 64
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        bail!("--tenant must be 1 to 64 characters of letters, digits, '-' and '_'");
    }
    Ok(())
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

/// The key file location when none is given: configuration, not data, so it never defaults into
/// the data directory.
pub fn default_key_file() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CALLVAULT_KEY_FILE") {
        return Ok(PathBuf::from(path));
    }
    let config = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").context("HOME is not set; pass --key-file")?)
            .join(".config"),
    };
    Ok(config.join("callvault").join("root.key"))
}

/// A secret from a file, an environment variable, or a terminal prompt, in that order.
pub fn secret_from(
    env: &str,
    file: Option<&Path>,
    what: &str,
    confirm: bool,
) -> Result<SecretString> {
    if let Some(path) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the {what} file {}", path.display()))?,
        );
        let line = text.lines().next().unwrap_or("");
        return Ok(SecretString::from(line.to_owned()));
    }
    if let Ok(value) = std::env::var(env) {
        // `SecretString` takes this `String` itself and zeroizes it on drop.
        return Ok(SecretString::from(value));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        bail!("no {what}: set {env}, pass a file, or run on a terminal to be prompted");
    }
    let first = SecretString::from(
        rpassword::prompt_password(format!("{what}: ")).context("reading the prompt")?,
    );
    if confirm {
        let again = SecretString::from(
            rpassword::prompt_password(format!("{what} again: ")).context("reading the prompt")?,
        );
        let same: bool = subtle::ConstantTimeEq::ct_eq(
            first.expose_secret().as_bytes(),
            again.expose_secret().as_bytes(),
        )
        .into();
        if !same {
            bail!("the two entries differ");
        }
    }
    Ok(first)
}
