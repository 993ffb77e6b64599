//! The root key in a real PKCS#11 token: SoftHSM2 (Debian's `softhsm2`, which `.ci/run`
//! installs). The test makes its own token in a scratch directory, so it needs no machine-wide
//! state; the module is loaded once per process, so every scenario lives in this one binary.

mod common;
use common::OpenGranted;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use callvault_vault::pkcs11::{DEFAULT_KEY_LABEL, SOFTHSM2_MODULE};
use callvault_vault::{
    KeyMaterial, KeyTable, MemoryKeyTable, Pkcs11Config, Pkcs11KeyStore, RootKeyStore, SealContext,
    Vault, VaultConfig, VaultError,
};
use secrecy::SecretString;

const TOKEN: &str = "callvault-test";
const PIN: &str = "31415926";

/// Creates a SoftHSM2 token in a scratch directory once per process and points the module at it.
fn token() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        // Set before the module is first loaded (below, through `token()`), while no other
        // thread reads the environment.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let out = Command::new("softhsm2-util")
            .args([
                "--init-token",
                "--free",
                "--label",
                TOKEN,
                "--so-pin",
                "27182818",
                "--pin",
                PIN,
            ])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("softhsm2-util not found: install Debian's softhsm2 (.ci/run does)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// The scenarios run one at a time: SoftHSM2's file store is shared by the whole process,
/// and a scenario creating a key while another logs in failed once in a full workspace run
/// (`create` in `vault_over_the_token_survives_a_restart`), not reproducible alone.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn config(token_label: &str, pin: &str, key_label: &str) -> Pkcs11Config {
    token();
    Pkcs11Config {
        module: PathBuf::from(SOFTHSM2_MODULE),
        token_label: token_label.into(),
        pin: SecretString::from(pin.to_owned()),
        key_label: key_label.into(),
    }
}

#[test]
fn root_key_lives_in_the_token() {
    let _serial = serial();
    let created = Pkcs11KeyStore::create(&config(TOKEN, PIN, "root-a")).unwrap();
    assert!(
        created.key_is_protected().unwrap(),
        "root key must be sensitive and never extractable"
    );
    let tenant_key = KeyMaterial::generate().unwrap();
    let wrapped = created.wrap(&tenant_key, b"tenant acme v1").unwrap();
    assert!(!wrapped.windows(32).any(|w| w == tenant_key.expose_secret()));
    assert_eq!(
        created.unwrap(&wrapped, b"tenant acme v1").unwrap(),
        tenant_key
    );
    let wrong_aad = created.unwrap(&wrapped, b"tenant acme v2");
    assert!(matches!(wrong_aad, Err(VaultError::Open)), "{wrong_aad:?}");
    let mut flipped = wrapped.clone();
    flipped[20] ^= 1;
    assert!(matches!(
        created.unwrap(&flipped, b"tenant acme v1"),
        Err(VaultError::Open)
    ));

    // Another handle on the same token finds the same key by label.
    let reopened = Pkcs11KeyStore::open(&config(TOKEN, PIN, "root-a")).unwrap();
    assert_eq!(
        reopened.unwrap(&wrapped, b"tenant acme v1").unwrap(),
        tenant_key
    );
    assert!(matches!(
        Pkcs11KeyStore::create(&config(TOKEN, PIN, "root-a")),
        Err(VaultError::TokenKeyExists { .. })
    ));
}

#[test]
fn vault_over_the_token_survives_a_restart() {
    let _serial = serial();
    let root: Arc<dyn RootKeyStore> =
        Arc::new(Pkcs11KeyStore::create(&config(TOKEN, PIN, DEFAULT_KEY_LABEL)).unwrap());
    let table = Arc::new(MemoryKeyTable::new());
    let as_table: Arc<dyn KeyTable> = table.clone();
    let vault = Vault::new(root, as_table.clone(), VaultConfig::default());
    vault.create_tenant("acme").unwrap();
    let at = SealContext {
        tenant: "acme",
        customer: "alice",
        conversation: "c1",
        turn: 0,
        field: "turn.text",
    };
    let sealed = vault.seal(&at, b"sort code 12-34-56").unwrap();
    drop(vault);
    let root: Arc<dyn RootKeyStore> =
        Arc::new(Pkcs11KeyStore::open(&config(TOKEN, PIN, DEFAULT_KEY_LABEL)).unwrap());
    let restarted = Vault::new(root, as_table, VaultConfig::default());
    assert_eq!(
        restarted.open_granted(&at, &sealed).unwrap(),
        b"sort code 12-34-56"
    );
}

#[test]
fn missing_or_locked_tokens_get_specific_errors() {
    let _serial = serial();
    let wrong_pin = Pkcs11KeyStore::open(&config(TOKEN, "00000000", "root-a"));
    assert!(
        matches!(wrong_pin, Err(VaultError::TokenLogin { .. })),
        "{wrong_pin:?}"
    );
    let missing = Pkcs11KeyStore::open(&config("no-such-token", PIN, "root-a"));
    assert!(
        matches!(missing, Err(VaultError::TokenNotFound { .. })),
        "{missing:?}"
    );
    let no_key = Pkcs11KeyStore::open(&config(TOKEN, PIN, "never-created"));
    assert!(
        matches!(no_key, Err(VaultError::TokenKeyMissing { .. })),
        "{no_key:?}"
    );
    let no_module = Pkcs11KeyStore::open(&Pkcs11Config {
        module: PathBuf::from("/nonexistent/libpkcs11.so"),
        ..config(TOKEN, PIN, "root-a")
    });
    assert!(
        matches!(no_module, Err(VaultError::Pkcs11 { .. })),
        "{no_module:?}"
    );
    for err in [
        wrong_pin.unwrap_err(),
        missing.unwrap_err(),
        no_key.unwrap_err(),
        no_module.unwrap_err(),
    ] {
        let text = format!("{err} {err:?}");
        assert!(!text.contains(PIN), "{text}");
    }
}
