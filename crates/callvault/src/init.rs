//! `callvault init`: create the root key, in a passphrase-sealed key file or inside a PKCS#11
//! token. Reading secrets (passphrase, PIN) from the environment, a file or a prompt happens
//! here; everything cryptographic is `callvault-vault`'s.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use callvault_vault::pkcs11::{DEFAULT_KEY_LABEL, SOFTHSM2_MODULE};
use callvault_vault::{KdfParams, PassphraseKeyFile, Pkcs11Config, Pkcs11KeyStore};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// Environment variable holding the key file passphrase.
pub const PASSPHRASE_ENV: &str = "CALLVAULT_PASSPHRASE";
/// Environment variable holding the PKCS#11 user PIN.
pub const PIN_ENV: &str = "CALLVAULT_PKCS11_PIN";

#[derive(clap::Args)]
pub struct InitArgs {
    /// Where to write the key file [default: $CALLVAULT_KEY_FILE, else
    /// $XDG_CONFIG_HOME/callvault/root.key, else ~/.config/callvault/root.key].
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of $CALLVAULT_PASSPHRASE or a prompt.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Argon2id memory in MiB (RFC 9106's second recommendation is 64).
    #[arg(long, default_value_t = 64)]
    kdf_memory_mib: u32,
    /// Argon2id passes.
    #[arg(long, default_value_t = 3)]
    kdf_passes: u32,
    /// Create the root key inside the PKCS#11 token with this label instead of a key file.
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
}

pub fn run(args: &InitArgs) -> Result<ExitCode> {
    if let Some(token) = &args.pkcs11_token {
        let pin = secret_from(
            PIN_ENV,
            args.pkcs11_pin_file.as_deref(),
            "PKCS#11 user PIN",
            false,
        )?;
        let config = Pkcs11Config {
            module: args.pkcs11_module.clone(),
            token_label: token.clone(),
            pin,
            key_label: args.pkcs11_key_label.clone(),
        };
        let store = Pkcs11KeyStore::create(&config)?;
        let protected = store.key_is_protected()?;
        println!(
            "created root key {:?} in PKCS#11 token {token:?} (sensitive, non-extractable: {protected})",
            args.pkcs11_key_label
        );
        return Ok(ExitCode::SUCCESS);
    }

    let path = match &args.key_file {
        Some(path) => path.clone(),
        None => default_key_file()?,
    };
    if path.exists() {
        // Checked here too so that nobody is asked for a passphrase that cannot be used.
        bail!(
            "a key file already exists at {}; refusing to overwrite it",
            path.display()
        );
    }
    let passphrase = secret_from(
        PASSPHRASE_ENV,
        args.passphrase_file.as_deref(),
        "passphrase",
        true,
    )?;
    let params = KdfParams {
        m_cost: args.kdf_memory_mib.saturating_mul(1024),
        t_cost: args.kdf_passes,
        ..KdfParams::RECOMMENDED
    };
    PassphraseKeyFile::create(&path, &passphrase, params)?;
    println!(
        "created root key file {} (Argon2id, {} MiB, {} passes, {} lanes)\nkeep it apart from the data directory and back it up separately",
        path.display(),
        args.kdf_memory_mib,
        params.t_cost,
        params.p_cost
    );
    Ok(ExitCode::SUCCESS)
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

/// A secret from an environment variable, a file, or a terminal prompt, in that order.
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
