//! A session is bound to the address it logged in from: the same token from elsewhere is
//! refused (and recorded), and idle sessions end.

use std::sync::Arc;

use callvault_core::people::SecondFactor;
use callvault_core::{AuditConfig, Core, CoreConfig, CoreError};
use callvault_store::{Principal, PrincipalKind, SqliteStore, Store};
use callvault_vault::{KdfParams, KeyTable, PassphraseKeyFile, RootKeyStore, Vault, VaultConfig};

fn operator() -> Principal {
    Principal {
        tenant: "acme".into(),
        id: "operator".into(),
        name: "operator".into(),
        role: "admin".into(),
        expires_at: None,
        session: "test".into(),
        source: None,
        scopes: None,
        elevated_until: None,
        kind: PrincipalKind::Service,
        credential: [0; 32],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_bound_to_their_source_and_end_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let pass = secrecy::SecretString::from("session test passphrase".to_owned());
    let fast = KdfParams {
        m_cost: 8192,
        t_cost: 1,
        p_cost: 1,
    };
    let root: Arc<dyn RootKeyStore> =
        Arc::new(PassphraseKeyFile::create(&dir.path().join("root.key"), &pass, fast).unwrap());
    let store = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let table: Arc<dyn KeyTable> = store.clone();
    let vault = Arc::new(Vault::new(root, table, VaultConfig::default()));
    Core::provision_tenant(store.as_ref(), &vault, "acme", "Acme").unwrap();
    let mut config = CoreConfig::default();
    config.login.argon2 = (1024, 1, 1);
    config.login.session_idle = std::time::Duration::from_millis(300);
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Arc::new(Core::new(dyn_store, vault, config, AuditConfig::default()).unwrap());
    let c = Arc::clone(&core);
    let enrolment = tokio::task::spawn_blocking(move || {
        c.add_person(
            &operator(),
            "ana",
            "supervisor",
            Some("a fine long password"),
        )
    })
    .await
    .unwrap()
    .unwrap();
    let totp = totp_rs::Totp::from_url(&enrolment.otpauth_uri).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = core
        .login(
            "acme",
            "ana",
            "a fine long password",
            SecondFactor::Totp(totp.generate(now).to_string()),
            Some("10.0.0.1".into()),
        )
        .await
        .unwrap();
    let p = core
        .authenticate(&token, Some("10.0.0.1".into()))
        .await
        .unwrap();
    assert_eq!((p.id.as_str(), p.kind), ("ana", PrincipalKind::Person));
    assert!(p.session.starts_with("ses_"));
    assert!(matches!(
        core.authenticate(&token, Some("10.9.9.9".into())).await,
        Err(CoreError::Unauthenticated)
    ));
    let leaves: String = store
        .audit_entries(0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.leaf).unwrap())
        .collect();
    assert!(leaves.contains("session used from another address"));
    // Idle past its timeout: gone.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(matches!(
        core.authenticate(&token, Some("10.0.0.1".into())).await,
        Err(CoreError::Unauthenticated)
    ));
}
