//! One suite for every store: the same tests run against SQLite and a real PostgreSQL server.
//! PostgreSQL comes from `CALLVAULT_TEST_PG_URL` (a server URL; `.ci/run` starts one and sets
//! it); each test makes a fresh database there.

use std::sync::Arc;

use callvault_store::{
    ConversationRow, PostgresStore, Principal, SqliteStore, Store, TokenRow, TurnRow, TurnWrite,
};
use callvault_vault::seal::AeadKey;
use callvault_vault::{
    KeyMaterial, KeyTable, RootKeyStore, SealContext, Vault, VaultConfig, VaultError,
};

struct Root(AeadKey);
impl RootKeyStore for Root {
    fn wrap(&self, key: &KeyMaterial, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.0.seal(0, aad, key.expose_secret())
    }
    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<KeyMaterial, VaultError> {
        KeyMaterial::from_slice(&self.0.open(aad, wrapped)?)
    }
    fn describe(&self) -> String {
        "test root".into()
    }
}

fn vault<S: Store + 'static>(store: &Arc<S>, root: &Arc<Root>) -> Vault {
    let table: Arc<dyn KeyTable> = store.clone();
    let root: Arc<dyn RootKeyStore> = root.clone();
    Vault::new(root, table, VaultConfig::default())
}

fn turn(conversation: &str, seq: u64) -> TurnRow {
    TurnRow {
        tenant: "acme".into(),
        conversation: conversation.into(),
        seq,
        id: format!("t{seq}"),
        speaker: "customer".into(),
        redacted: "my card is [CREDIT_CARD_1]".into(),
        findings: "[]".into(),
        sealed: vec![1, 2, 3],
        started_at: None,
        ended_at: None,
        created_at: 1,
    }
}

/// Opens a store; the same place again on every call (a reopen).
trait Backend {
    type S: Store + 'static;
    fn open(&self) -> Self::S;
}

struct Sqlite(tempfile::TempDir);
impl Backend for Sqlite {
    type S = SqliteStore;
    fn open(&self) -> SqliteStore {
        SqliteStore::open(&self.0.path().join("callvault.db")).unwrap()
    }
}

struct Postgres(String);
impl Backend for Postgres {
    type S = PostgresStore;
    fn open(&self) -> PostgresStore {
        PostgresStore::open(&self.0).unwrap()
    }
}

fn sqlite() -> Sqlite {
    Sqlite(tempfile::tempdir().unwrap())
}

/// A fresh database on the test server.
fn postgres() -> Postgres {
    let url = std::env::var("CALLVAULT_TEST_PG_URL").expect(
        "CALLVAULT_TEST_PG_URL is not set: run .ci/run (it starts PostgreSQL), or start a server and set it to its URL",
    );
    let mut admin = postgres::Client::connect(&url, postgres::NoTls)
        .expect("cannot reach CALLVAULT_TEST_PG_URL");
    let mut raw = [0u8; 8];
    aws_lc_rs::rand::fill(&mut raw).unwrap();
    let name = format!("cv_test_{}", hex::encode(raw));
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    Postgres(format!("{base}/{name}"))
}

#[test]
fn vault_over_sqlite() {
    vault_runs_on_the_key_table_across_reopens(&sqlite());
}

#[test]
fn vault_over_postgres() {
    vault_runs_on_the_key_table_across_reopens(&postgres());
}

#[test]
fn data_over_sqlite() {
    conversations_turns_tokens_search_and_erasure(&sqlite());
}

#[test]
fn data_over_postgres() {
    conversations_turns_tokens_search_and_erasure(&postgres());
}

#[test]
fn retention_over_sqlite() {
    retention_and_legal_hold(&sqlite());
}

#[test]
fn retention_over_postgres() {
    retention_and_legal_hold(&postgres());
}

fn retention_and_legal_hold<B: Backend>(backend: &B) {
    let store = backend.open();
    store.create_tenant("acme", "Acme").unwrap();
    for (id, created_at) in [("old", 100), ("held", 100), ("new", 10_000)] {
        let row = ConversationRow {
            tenant: "acme".into(),
            id: id.into(),
            customer_ref: "cust".into(),
            created_at,
            n_turns: 0,
        };
        store.create_conversation(&row).unwrap();
        store
            .append_turns(&[TurnWrite {
                turn: TurnRow {
                    created_at,
                    ..turn(id, 0)
                },
                new_tokens: vec![],
            }])
            .unwrap();
    }
    store.set_retention("acme", Some(30)).unwrap();
    store.set_retention("acme", Some(7)).unwrap();
    assert_eq!(
        store.retention_policies().unwrap(),
        vec![("acme".to_owned(), 7)]
    );
    assert!(store.set_legal_hold("acme", "held", true).unwrap());
    assert!(!store.set_legal_hold("acme", "missing", true).unwrap());
    let purged = store.purge("acme", 5_000, 100).unwrap();
    assert_eq!((purged.conversations, purged.turns), (1, 1));
    assert!(store.conversation("acme", "old").unwrap().is_none());
    assert!(store.turns("acme", "old").unwrap().is_empty());
    assert!(
        store.conversation("acme", "held").unwrap().is_some(),
        "legal hold kept it"
    );
    assert!(
        store.conversation("acme", "new").unwrap().is_some(),
        "too young to purge"
    );
    store.set_legal_hold("acme", "held", false).unwrap();
    assert_eq!(store.purge("acme", 5_000, 100).unwrap().conversations, 1);
    store.set_retention("acme", None).unwrap();
    assert!(store.retention_policies().unwrap().is_empty());
}

fn vault_runs_on_the_key_table_across_reopens<B: Backend>(backend: &B) {
    let root = Arc::new(Root(
        AeadKey::new(&KeyMaterial::generate().unwrap()).unwrap(),
    ));
    let at = |customer| SealContext {
        tenant: "acme",
        customer,
        conversation: "c1",
        turn: 0,
        field: "turn.text",
    };
    let (sealed_a, sealed_b) = {
        let store = Arc::new(backend.open());
        let v = vault(&store, &root);
        v.create_tenant("acme").unwrap();
        let a = v.seal(&at("alice"), b"alice's secret").unwrap();
        let b = v.seal(&at("bob"), b"bob's secret").unwrap();
        v.rotate("acme").unwrap();
        assert_eq!(v.rewrap("acme", 1).unwrap().remaining, 1);
        (a, b)
    };
    // Reopened: migrations are idempotent, rotation resumes, retirement is enforced by SQL.
    let store = Arc::new(backend.open());
    let v = vault(&store, &root);
    assert_eq!(v.open(&at("alice"), &sealed_a).unwrap(), b"alice's secret");
    assert!(
        !store.retire_wrapping_key("acme", 1).unwrap(),
        "v1 still wraps a key"
    );
    while v.rewrap("acme", 10).unwrap().remaining > 0 {}
    assert_eq!(v.retire_unused("acme").unwrap(), vec![1]);
    v.shred("acme", "alice").unwrap();
    assert!(matches!(
        v.open(&at("alice"), &sealed_a),
        Err(VaultError::Erased)
    ));
    assert_eq!(v.open(&at("bob"), &sealed_b).unwrap(), b"bob's secret");
    // A stale writer cannot insert under a retired version.
    let stale = callvault_vault::DataKeyRecord {
        tenant: "acme".into(),
        customer: "carol".into(),
        version: 1,
        wrapped_by: 1,
        state: callvault_vault::DataKeyState::Active,
        wrapped: vec![0; 60],
    };
    assert!(matches!(
        store.insert_data_key(&stale),
        Err(VaultError::UnknownKeyVersion { .. })
    ));
}

fn conversations_turns_tokens_search_and_erasure<B: Backend>(backend: &B) {
    let store = backend.open();
    assert!(store.create_tenant("acme", "Acme").unwrap());
    assert!(!store.create_tenant("acme", "Acme").unwrap());
    let principal = Principal {
        tenant: "acme".into(),
        id: "ingest-1".into(),
        name: "pipeline".into(),
        role: "ingest".into(),
        expires_at: None,
    };
    store.create_service_token(&principal, &[7; 32]).unwrap();
    assert_eq!(
        store.principal_by_token(&[7; 32], 0).unwrap(),
        Some(principal)
    );
    assert_eq!(store.principal_by_token(&[8; 32], 0).unwrap(), None);

    for (id, customer) in [("c1", "cust-1"), ("c2", "cust-2")] {
        let row = ConversationRow {
            tenant: "acme".into(),
            id: id.into(),
            customer_ref: customer.into(),
            created_at: 1,
            n_turns: 0,
        };
        assert!(store.create_conversation(&row).unwrap());
    }
    let token = |conversation: &str, id: &str, index: u8| TokenRow {
        tenant: "acme".into(),
        conversation: conversation.into(),
        token_id: id.into(),
        entity: "CREDIT_CARD".into(),
        label: "CREDIT_CARD_1".into(),
        blind_index: [index; 32],
        sealed: vec![9; 40],
        turn_seq: 0,
    };
    store
        .append_turns(&[
            TurnWrite {
                turn: turn("c1", 0),
                new_tokens: vec![token("c1", "tok_a", 1)],
            },
            TurnWrite {
                turn: turn("c2", 0),
                new_tokens: vec![token("c2", "tok_b", 1)],
            },
            TurnWrite {
                turn: turn("c1", 1),
                new_tokens: vec![],
            },
        ])
        .unwrap();
    assert_eq!(
        store.conversation("acme", "c1").unwrap().unwrap().n_turns,
        2
    );
    assert_eq!(store.turns("acme", "c1").unwrap().len(), 2);
    assert_eq!(store.search("acme", &[1; 32], 10).unwrap().len(), 2);
    assert_eq!(store.search("other", &[1; 32], 10).unwrap().len(), 0);

    // A batch with one bad row leaves nothing behind.
    let dup = store.append_turns(&[
        TurnWrite {
            turn: turn("c2", 1),
            new_tokens: vec![],
        },
        TurnWrite {
            turn: turn("c1", 0),
            new_tokens: vec![],
        },
    ]);
    assert!(dup.is_err());
    assert_eq!(store.turns("acme", "c2").unwrap().len(), 1);

    let erased = store.erase_customer("acme", "cust-1").unwrap();
    assert_eq!(
        (erased.conversations, erased.turns, erased.tokens),
        (1, 2, 1)
    );
    assert_eq!(store.search("acme", &[1; 32], 10).unwrap().len(), 1);
    let page = store.list_conversations("acme", None, 1).unwrap();
    assert_eq!(page[0].id, "c1");
    assert_eq!(
        store.list_conversations("acme", Some("c1"), 10).unwrap()[0].id,
        "c2"
    );
}
