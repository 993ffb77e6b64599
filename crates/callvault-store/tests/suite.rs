//! One suite for every store: the same tests run against SQLite and a real PostgreSQL server.
//! PostgreSQL comes from `CALLVAULT_TEST_PG_URL` (a server URL; `.ci/run` starts one and sets
//! it); each test makes a fresh database there.

use std::sync::Arc;

use callvault_audit::{Action, AuditEntry, AuditRecord};
use callvault_store::{
    AuditQuery, ConversationRow, PostgresStore, Principal, SqliteStore, Store, TokenRow, TurnRow,
    TurnWrite,
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

/// A grant for conversation `c1`, recorded in a throwaway log.
fn grant() -> callvault_audit::AuditedGrant {
    struct Log;
    impl callvault_audit::DurableLog for Log {
        fn append_durable(&self, _: AuditRecord) -> Result<u64, callvault_audit::AuditError> {
            Ok(0)
        }
    }
    let mut r = rec(Action::Reveal);
    r.resources.conversations.push("c1".into());
    callvault_audit::grant(&Log, r).unwrap()
}

fn rec(action: Action) -> AuditRecord {
    AuditRecord::new("acme", "tester", action)
}

/// Appends turns with one audit record each, as the group-commit writer does: committed
/// unsynced, then flushed.
fn append<S: Store>(store: &S, turns: &[TurnWrite]) -> Result<u64, callvault_store::StoreError> {
    let audit: Vec<AuditRecord> = turns.iter().map(|_| rec(Action::TurnIngest)).collect();
    let first = store.commit_unsynced(&[], turns, &[], &audit)?;
    store.sync()?;
    Ok(first)
}

fn create<S: Store>(store: &S, row: &ConversationRow) {
    store
        .commit(
            std::slice::from_ref(row),
            &[],
            &[],
            &[rec(Action::ConversationCreate)],
        )
        .unwrap();
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
    store
        .create_tenant("acme", "Acme", &rec(Action::TenantCreate))
        .unwrap();
    for (id, created_at) in [("old", 100), ("held", 100), ("new", 10_000)] {
        let row = ConversationRow {
            tenant: "acme".into(),
            id: id.into(),
            customer_ref: "cust".into(),
            created_at,
            n_turns: 0,
            created_by: "tester".into(),
            erased_at: None,
        };
        create(&store, &row);
        // Each conversation has a token from its turn and one met outside a turn (the proxy).
        let token = |token_id: String, turn_seq| TokenRow {
            tenant: "acme".into(),
            conversation: id.into(),
            token_id,
            entity: "CREDIT_CARD".into(),
            label: "CREDIT_CARD_1".into(),
            blind_index: [5; 32],
            sealed: vec![9; 40],
            turn_seq,
        };
        append(
            &store,
            &[TurnWrite {
                turn: TurnRow {
                    created_at,
                    ..turn(id, 0)
                },
                new_tokens: vec![token(format!("tok_{id}_turn"), 0)],
            }],
        )
        .unwrap();
        store
            .commit(&[], &[], &[token(format!("tok_{id}_proxy"), 1)], &[])
            .unwrap();
    }
    store
        .set_retention("acme", Some(30), &rec(Action::RetentionSet))
        .unwrap();
    store
        .set_retention("acme", Some(7), &rec(Action::RetentionSet))
        .unwrap();
    assert_eq!(
        store.retention_policies().unwrap(),
        vec![("acme".to_owned(), 7)]
    );
    assert!(store
        .set_legal_hold("acme", "held", true, &rec(Action::LegalHoldSet))
        .unwrap());
    assert!(!store
        .set_legal_hold("acme", "missing", true, &rec(Action::LegalHoldSet))
        .unwrap());
    let purged = store
        .purge("acme", 5_000, 100, &rec(Action::RetentionPurge))
        .unwrap();
    assert_eq!(
        (purged.conversations, purged.turns, purged.tokens),
        (1, 1, 2)
    );
    assert!(store.conversation("acme", "old").unwrap().is_none());
    assert!(store.tokens("acme", "old").unwrap().is_empty());
    assert!(store
        .tokens_by_id("acme", &["tok_old_turn".into(), "tok_old_proxy".into()])
        .unwrap()
        .is_empty());
    assert_eq!(store.tokens("acme", "new").unwrap().len(), 2);
    assert!(store.turns("acme", "old").unwrap().is_empty());
    assert!(
        store.conversation("acme", "held").unwrap().is_some(),
        "legal hold kept it"
    );
    assert!(
        store.conversation("acme", "new").unwrap().is_some(),
        "too young to purge"
    );
    store
        .set_legal_hold("acme", "held", false, &rec(Action::LegalHoldSet))
        .unwrap();
    assert_eq!(
        store
            .purge("acme", 5_000, 100, &rec(Action::RetentionPurge))
            .unwrap()
            .conversations,
        1
    );
    store
        .set_retention("acme", None, &rec(Action::RetentionSet))
        .unwrap();
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
    assert_eq!(
        v.open(&grant(), &at("alice"), &sealed_a).unwrap(),
        b"alice's secret"
    );
    assert!(
        !store.retire_wrapping_key("acme", 1).unwrap(),
        "v1 still wraps a key"
    );
    while v.rewrap("acme", 10).unwrap().remaining > 0 {}
    assert_eq!(v.retire_unused("acme").unwrap(), vec![1]);
    v.shred("acme", "alice").unwrap();
    assert!(matches!(
        v.open(&grant(), &at("alice"), &sealed_a),
        Err(VaultError::Erased)
    ));
    assert_eq!(
        v.open(&grant(), &at("bob"), &sealed_b).unwrap(),
        b"bob's secret"
    );
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
    assert!(store
        .create_tenant("acme", "Acme", &rec(Action::TenantCreate))
        .unwrap());
    assert!(!store
        .create_tenant("acme", "Acme", &rec(Action::TenantCreate))
        .unwrap());
    let principal = Principal {
        tenant: "acme".into(),
        id: "ingest-1".into(),
        name: "pipeline".into(),
        role: "ingest".into(),
        expires_at: None,
        session: callvault_store::token_public_id(&[7; 32]),
        source: None,
        scopes: Some(vec!["ingest".into()]),
        elevated_until: None,
        kind: callvault_store::PrincipalKind::Service,
        credential: [7; 32],
    };
    store
        .create_service_token(&principal, &[7; 32], &rec(Action::TokenCreate))
        .unwrap();
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
            created_by: "tester".into(),
            erased_at: None,
        };
        create(&store, &row);
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
    append(
        &store,
        &[
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
        ],
    )
    .unwrap();
    assert_eq!(
        store.conversation("acme", "c1").unwrap().unwrap().n_turns,
        2
    );
    assert_eq!(store.turns("acme", "c1").unwrap().len(), 2);
    assert_eq!(
        store.last_turns("acme", "c1", 1).unwrap(),
        store.turns("acme", "c1").unwrap()[1..]
    );
    // The last turns come oldest first, as many as there are.
    assert_eq!(
        store.last_turns("acme", "c1", 4).unwrap(),
        store.turns("acme", "c1").unwrap()
    );
    assert_eq!(store.last_turns("acme", "c1", 4).unwrap()[1].seq, 1);
    assert_eq!(store.last_turns("acme", "nope", 4).unwrap(), vec![]);
    assert_eq!(store.last_turns("other", "c1", 4).unwrap(), vec![]);
    assert_eq!(store.search("acme", &[1; 32], 10).unwrap().len(), 2);
    // A token met outside a turn (the privacy proxy) belongs to the conversation too; a
    // conversation's tokens come back in order of the turn that introduced them.
    let outside = TokenRow {
        token_id: "tok_p".into(),
        entity: "PHONE_NUMBER".into(),
        label: "PHONE_NUMBER_1".into(),
        turn_seq: 2,
        ..token("c1", "tok_p", 3)
    };
    store
        .commit(&[], &[], std::slice::from_ref(&outside), &[])
        .unwrap();
    let ids = |conversation| -> Vec<String> {
        store
            .tokens("acme", conversation)
            .unwrap()
            .into_iter()
            .map(|t| t.token_id)
            .collect()
    };
    assert_eq!(ids("c1"), ["tok_a", "tok_p"]);
    assert_eq!(ids("c2"), ["tok_b"]);
    assert_eq!(store.tokens("acme", "c1").unwrap()[1], outside);
    assert!(store.tokens("other", "c1").unwrap().is_empty());
    assert_eq!(store.search("other", &[1; 32], 10).unwrap().len(), 0);

    // A batch with one bad row leaves nothing behind, not even its audit entries.
    let size = store.audit_head().unwrap().size();
    let dup = append(
        &store,
        &[
            TurnWrite {
                turn: turn("c2", 1),
                new_tokens: vec![],
            },
            TurnWrite {
                turn: turn("c1", 0),
                new_tokens: vec![],
            },
        ],
    );
    assert!(dup.is_err());
    assert_eq!(store.turns("acme", "c2").unwrap().len(), 1);
    assert_eq!(store.audit_head().unwrap().size(), size);

    let found = store
        .tokens_by_id("acme", &["tok_b".into(), "tok_a".into(), "nope".into()])
        .unwrap();
    assert_eq!(found.len(), 2);
    assert!(found
        .iter()
        .any(|(t, c)| t.token_id == "tok_a" && c == "cust-1"));
    assert!(store
        .tokens_by_id("other", &["tok_a".into()])
        .unwrap()
        .is_empty());

    let erasure = rec(Action::CustomerErase);
    let erased = store.erase_customer("acme", "cust-1", &erasure).unwrap();
    assert_eq!(
        (erased.conversations, erased.turns, erased.tokens),
        (1, 2, 2)
    );
    // The customer's conversation is marked erased (it takes no new turn); others are not.
    let c1 = store.conversation("acme", "c1").unwrap().unwrap();
    assert_eq!(c1.erased_at, Some(erasure.time_ms));
    // The schema refuses anything new for it, from whichever server still holds it in memory.
    let late = TurnWrite {
        turn: turn("c1", 7),
        new_tokens: vec![token("c1", "tok_late", 7)],
    };
    assert!(matches!(
        store.commit(&[], std::slice::from_ref(&late), &[], &[]),
        Err(callvault_store::StoreError::Erased)
    ));
    assert!(matches!(
        store.commit(&[], &[], &[token("c1", "tok_proxy", 7)], &[]),
        Err(callvault_store::StoreError::Erased)
    ));
    assert_eq!(store.turns("acme", "c1").unwrap().len(), 2);
    assert_eq!(
        store.conversation("acme", "c2").unwrap().unwrap().erased_at,
        None
    );
    assert!(store
        .tokens("acme", "c1")
        .unwrap()
        .iter()
        .all(|t| t.sealed.is_empty() && t.blind_index == [0; 32]));
    assert_eq!(store.search("acme", &[3; 32], 10).unwrap().len(), 0);
    assert_eq!(store.search("acme", &[1; 32], 10).unwrap().len(), 1);
    let page = store.list_conversations("acme", None, 1).unwrap();
    assert_eq!(page[0].id, "c1");
    assert_eq!(
        store.list_conversations("acme", Some("c1"), 10).unwrap()[0].id,
        "c2"
    );
}

#[test]
fn audit_log_over_sqlite() {
    audit_log(&sqlite());
}

#[test]
fn audit_log_over_postgres() {
    audit_log(&postgres());
}

/// Entries are appended in order with the data they describe; the stored nodes give proofs that
/// verify against the head's root, across reopens; queries filter; checkpoints and meta persist.
fn audit_log<B: Backend>(backend: &B) {
    use callvault_audit::{
        consistency_proof, inclusion_proof, root, verify_consistency, verify_inclusion, AuditError,
        Hash, NodeSource,
    };
    struct Nodes<'a, S: Store>(&'a S);
    impl<S: Store> NodeSource for Nodes<'_, S> {
        fn perfect_node(&self, level: u32, index: u64) -> Result<Hash, AuditError> {
            self.0
                .audit_node(level, index)
                .map_err(|e| AuditError::Source(e.to_string()))?
                .ok_or_else(|| AuditError::Source("missing".into()))
        }
    }
    {
        let store = backend.open();
        assert_eq!(store.audit_head().unwrap().size(), 0);
        assert_eq!(store.commit(&[], &[], &[], &[]).unwrap(), 0);
        store
            .create_tenant("acme", "Acme", &rec(Action::TenantCreate))
            .unwrap();
        let mut first = Vec::new();
        for batch in 0..7u64 {
            let records: Vec<AuditRecord> = (0..=batch)
                .map(|i| {
                    let mut r = rec(if i % 2 == 0 {
                        Action::ConversationRead
                    } else {
                        Action::Search
                    });
                    r.principal = format!("p{}", i % 3);
                    r.time_ms = 1000 + batch as i64;
                    r
                })
                .collect();
            first.push(store.commit(&[], &[], &[], &records).unwrap());
        }
        assert_eq!(first, vec![1, 2, 4, 7, 11, 16, 22]);
        assert!(store.put_meta_if_absent("k", b"v1").unwrap());
        assert!(!store.put_meta_if_absent("k", b"v2").unwrap());
        store.save_checkpoint(29, "note", 5).unwrap();
    }
    let store = backend.open();
    let head = store.audit_head().unwrap();
    assert_eq!(head.size(), 29);
    let nodes = Nodes(&store);
    assert_eq!(root(&nodes, 29).unwrap(), head.root());
    let entries = store.audit_entries(0, 100).unwrap();
    assert_eq!(entries.len(), 29);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
        assert_eq!(AuditEntry::from_leaf(&e.leaf).unwrap().seq, i as u64);
        assert_eq!(e.leaf_hash, callvault_audit::leaf_hash(&e.leaf));
        for size in [i as u64 + 1, 17.max(i as u64 + 1), 29] {
            let proof = inclusion_proof(&nodes, i as u64, size).unwrap();
            verify_inclusion(
                i as u64,
                size,
                &e.leaf_hash,
                &proof,
                &root(&nodes, size).unwrap(),
            )
            .unwrap();
        }
    }
    for old in 1..29 {
        let proof = consistency_proof(&nodes, old, 29).unwrap();
        verify_consistency(old, 29, &proof, &root(&nodes, old).unwrap(), &head.root()).unwrap();
    }
    let q = |principal: Option<&str>, action: Option<&str>, from: Option<i64>| AuditQuery {
        tenant: Some("acme".into()),
        principal: principal.map(Into::into),
        action: action.map(Into::into),
        from_ms: from,
        limit: 100,
        ..AuditQuery::default()
    };
    assert_eq!(store.audit_query(&q(None, None, None)).unwrap().len(), 29);
    assert_eq!(
        store
            .audit_query(&q(None, Some("search"), None))
            .unwrap()
            .len(),
        12
    );
    assert_eq!(
        store.audit_query(&q(Some("p0"), None, None)).unwrap().len(),
        12
    );
    assert_eq!(
        store.audit_query(&q(None, None, Some(1006))).unwrap().len(),
        8
    );
    let other = AuditQuery {
        tenant: Some("other".into()),
        limit: 100,
        ..AuditQuery::default()
    };
    assert!(store.audit_query(&other).unwrap().is_empty());
    assert_eq!(store.meta("k").unwrap().as_deref(), Some(&b"v1"[..]));
    assert_eq!(
        store.latest_checkpoint().unwrap(),
        Some((29, "note".to_owned()))
    );
    assert_eq!(store.checkpoints(0, 10).unwrap().len(), 1);
}

#[test]
fn people_over_sqlite() {
    people(&sqlite());
}

#[test]
fn people_over_postgres() {
    people(&postgres());
}

/// People: enrolment with recovery codes, a TOTP step accepted once, recovery codes used once,
/// failures counted to a lock, sessions with idle and absolute timeouts, disabling, approvals.
fn people<B: Backend>(backend: &B) {
    use callvault_store::{ApprovalRow, PersonRow, SessionRow};
    let store = backend.open();
    store
        .create_tenant("acme", "Acme", &rec(Action::TenantCreate))
        .unwrap();
    let person = PersonRow {
        tenant: "acme".into(),
        id: "ana".into(),
        name: "ana".into(),
        role: "supervisor".into(),
        password_hash: "$argon2id$...".into(),
        totp_sealed: vec![1, 2, 3],
        totp_last_step: 0,
        failed_logins: 0,
        locked_until: None,
        disabled: false,
    };
    assert!(store
        .create_person(&person, &[[1; 32], [2; 32]], &rec(Action::PersonEnrol))
        .unwrap());
    assert!(!store
        .create_person(&person, &[], &rec(Action::PersonEnrol))
        .unwrap());
    assert_eq!(store.person("acme", "ana").unwrap().unwrap(), person);
    assert!(store.person("other", "ana").unwrap().is_none());

    assert_eq!(
        store
            .login_failed("acme", "ana", 3, 9_999, &rec(Action::Login))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .login_failed("acme", "ana", 3, 9_999, &rec(Action::Login))
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .login_failed("acme", "ana", 3, 9_999, &rec(Action::Login))
            .unwrap(),
        3
    );
    assert_eq!(
        store.person("acme", "ana").unwrap().unwrap().locked_until,
        Some(9_999)
    );
    assert_eq!(
        store
            .login_failed("acme", "nobody", 3, 9_999, &rec(Action::Login))
            .unwrap(),
        0
    );

    let session = |hash: u8, at: i64| SessionRow {
        token_hash: [hash; 32],
        tenant: "acme".into(),
        principal: "ana".into(),
        created_at: at,
        last_seen_at: at,
        expires_at: at + 10_000,
        idle_ms: 1_000,
        source: Some("10.0.0.1".into()),
        elevated_until: None,
    };
    assert!(store
        .login_succeeded(&session(10, 1_000), Some(5), None, &rec(Action::Login))
        .unwrap());
    let fresh = store.person("acme", "ana").unwrap().unwrap();
    assert_eq!(
        (
            fresh.totp_last_step,
            fresh.failed_logins,
            fresh.locked_until
        ),
        (5, 0, None)
    );
    assert!(
        !store
            .login_succeeded(&session(11, 1_000), Some(5), None, &rec(Action::Login))
            .unwrap(),
        "the same TOTP step twice"
    );
    assert!(!store
        .login_succeeded(&session(11, 1_000), Some(4), None, &rec(Action::Login))
        .unwrap());
    assert!(store
        .login_succeeded(
            &session(12, 1_000),
            None,
            Some(&[1; 32]),
            &rec(Action::Login)
        )
        .unwrap());
    assert!(
        !store
            .login_succeeded(
                &session(13, 1_000),
                None,
                Some(&[1; 32]),
                &rec(Action::Login)
            )
            .unwrap(),
        "a recovery code twice"
    );

    let (p, row) = store.session(&[10; 32], 1_500).unwrap().unwrap();
    assert_eq!((p.id.as_str(), p.role.as_str()), ("ana", "supervisor"));
    assert_eq!(row.source.as_deref(), Some("10.0.0.1"));
    assert!(store.session(&[10; 32], 2_100).unwrap().is_none(), "idle");
    store.touch_session(&[10; 32], 1_900).unwrap();
    assert!(
        store.session(&[10; 32], 2_100).unwrap().is_some(),
        "touched"
    );
    assert!(
        store.session(&[10; 32], 11_500).unwrap().is_none(),
        "absolute"
    );
    assert!(
        store.session(&[11; 32], 1_500).unwrap().is_none(),
        "never created"
    );
    assert!(store
        .elevate_session(&[12; 32], 5_000, &rec(Action::BreakGlass))
        .unwrap());
    assert_eq!(
        store
            .session(&[12; 32], 1_500)
            .unwrap()
            .unwrap()
            .0
            .elevated_until,
        Some(5_000)
    );
    assert!(store
        .revoke_session(&[12; 32], 1_600, &rec(Action::Logout))
        .unwrap());
    assert!(store.session(&[12; 32], 1_700).unwrap().is_none());

    // A token for a person, or for a service under another role, is refused.
    let mut svc = Principal {
        tenant: "acme".into(),
        id: "ana".into(),
        name: "ana".into(),
        role: "supervisor".into(),
        expires_at: None,
        session: String::new(),
        source: None,
        scopes: None,
        elevated_until: None,
        kind: callvault_store::PrincipalKind::Service,
        credential: [0; 32],
    };
    assert!(store
        .create_service_token(&svc, &[20; 32], &rec(Action::TokenCreate))
        .is_err());
    svc.id = "bot".into();
    store
        .create_service_token(&svc, &[21; 32], &rec(Action::TokenCreate))
        .unwrap();
    store
        .create_service_token(&svc, &[22; 32], &rec(Action::TokenCreate))
        .unwrap();
    svc.role = "admin".into();
    assert!(store
        .create_service_token(&svc, &[23; 32], &rec(Action::TokenCreate))
        .is_err());
    assert_eq!(
        store
            .expire_other_tokens("acme", "bot", &[22; 32], 50)
            .unwrap(),
        1
    );
    assert!(
        store.principal_by_token(&[21; 32], 10).unwrap().is_some(),
        "within grace"
    );
    assert!(
        store.principal_by_token(&[21; 32], 60).unwrap().is_none(),
        "after grace"
    );
    assert!(store.principal_by_token(&[22; 32], 60).unwrap().is_some());
    let listed = store.principals("acme").unwrap();
    assert_eq!(
        listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["ana", "bot"]
    );

    assert!(store
        .disable_principal("acme", "bot", 70, &rec(Action::PrincipalDisable))
        .unwrap());
    assert!(store.principal_by_token(&[22; 32], 80).unwrap().is_none());
    assert!(store
        .disable_principal("acme", "ana", 70, &rec(Action::PrincipalDisable))
        .unwrap());
    assert!(
        store.session(&[10; 32], 1_500).unwrap().is_none(),
        "disabled"
    );
    assert!(!store
        .disable_principal("acme", "ghost", 70, &rec(Action::PrincipalDisable))
        .unwrap());

    let approval = ApprovalRow {
        tenant: "acme".into(),
        id: "apr_1".into(),
        requester: "ana".into(),
        action: "reveal".into(),
        scope: "{}".into(),
        created_at: 0,
        expires_at: 1_000,
        approved_by: None,
        used_at: None,
    };
    store
        .create_approval(&approval, &rec(Action::ApprovalRequest))
        .unwrap();
    assert!(
        !store.consume_approval("acme", "apr_1", "ana", 10).unwrap(),
        "not approved"
    );
    assert!(
        !store
            .approve("acme", "apr_1", "ana", 10, &rec(Action::ApprovalGrant))
            .unwrap(),
        "not by the requester"
    );
    assert!(
        !store
            .approve("acme", "apr_1", "bob", 2_000, &rec(Action::ApprovalGrant))
            .unwrap(),
        "expired"
    );
    assert!(store
        .approve("acme", "apr_1", "bob", 10, &rec(Action::ApprovalGrant))
        .unwrap());
    assert!(
        !store.consume_approval("acme", "apr_1", "bob", 20).unwrap(),
        "only the requester"
    );
    assert!(store.consume_approval("acme", "apr_1", "ana", 20).unwrap());
    assert!(
        !store.consume_approval("acme", "apr_1", "ana", 30).unwrap(),
        "once"
    );

    store
        .create_alert(
            &callvault_store::AlertRow {
                tenant: "acme".into(),
                id: 0,
                kind: "lockout".into(),
                principal: "ana".into(),
                detail: "d".into(),
                created_at: 5,
            },
            &rec(Action::AlertRaised),
        )
        .unwrap();
    assert_eq!(store.alerts("acme", 10).unwrap().len(), 1);
    assert!(store.alerts("other", 10).unwrap().is_empty());
}

/// Rows written at schema version 6 (a token with no `in_turn`, turns with no `token_ids`);
/// `blob` writes a byte-string literal in the database's own syntax.
fn v6_rows(blob: fn(&str) -> String) -> String {
    format!(
        "INSERT INTO tenants (id, name, created_at) VALUES ('acme', 'Acme', 1);
         INSERT INTO conversations (tenant, id, customer_ref, created_at, created_by)
             VALUES ('acme', 'c1', 'cust-1', 1, 'tester');
         INSERT INTO turns (tenant, conversation, seq, id, speaker, redacted, findings, sealed, created_at)
             VALUES ('acme', 'c1', 0, 't0', 'customer', '[CREDIT_CARD_1]', '[]', {}, 1);
         INSERT INTO tokens (tenant, conversation, token_id, entity, label, blind_index, sealed, turn_seq)
             VALUES ('acme', 'c1', 'tok_old', 'CREDIT_CARD', 'CREDIT_CARD_1', {}, {}, 0);",
        blob("010203"),
        blob(&"01".repeat(32)),
        blob("09"),
    )
}

/// A database made before version 7 keeps its tokens findable by conversation, searchable, and
/// erasable after the upgrade.
fn tokens_survive_the_version_7_upgrade<S: Store>(store: &S) {
    let tokens = store.tokens("acme", "c1").unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].token_id, "tok_old");
    assert_eq!(store.search("acme", &[1; 32], 10).unwrap().len(), 1);
    let erased = store
        .erase_customer("acme", "cust-1", &rec(Action::CustomerErase))
        .unwrap();
    assert_eq!(erased.tokens, 1);
    assert!(store.search("acme", &[1; 32], 10).unwrap().is_empty());
}

/// A SQLite database brought to schema `version` by the first migrations, then given `rows`
/// (SQL written with `blob`, which spells a byte string in SQLite's syntax); the store opened on
/// it applies the rest.
fn sqlite_at_version(version: usize, rows: fn(fn(&str) -> String) -> String) -> Sqlite {
    let backend = sqlite();
    let mut conn = rusqlite::Connection::open(backend.0.path().join("callvault.db")).unwrap();
    for (i, sql) in callvault_store::migrations::SQLITE[..version]
        .iter()
        .enumerate()
    {
        let tx = conn.transaction().unwrap();
        tx.execute_batch(sql).unwrap();
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .unwrap();
        tx.commit().unwrap();
    }
    conn.execute_batch(&rows(|hex| format!("X'{hex}'")))
        .unwrap();
    backend
}

/// [`sqlite_at_version`] on a fresh PostgreSQL database.
fn postgres_at_version(version: usize, rows: fn(fn(&str) -> String) -> String) -> Postgres {
    let backend = postgres();
    let mut client = postgres::Client::connect(&backend.0, postgres::NoTls).unwrap();
    for sql in &callvault_store::migrations::POSTGRES[..version] {
        client.batch_execute(sql).unwrap();
    }
    client
        .batch_execute(&format!(
            "CREATE TABLE callvault_schema (version BIGINT NOT NULL);
             INSERT INTO callvault_schema (version) VALUES ({version});"
        ))
        .unwrap();
    client
        .batch_execute(&rows(|hex| format!("'\\x{hex}'::bytea")))
        .unwrap();
    backend
}

#[test]
fn version_7_upgrade_over_sqlite() {
    tokens_survive_the_version_7_upgrade(&sqlite_at_version(6, v6_rows).open());
}

#[test]
fn version_7_upgrade_over_postgres() {
    tokens_survive_the_version_7_upgrade(&postgres_at_version(6, v6_rows).open());
}

/// Subtree hashes stored at version 7 (keyed by level and index) are found by the same
/// coordinates after the version 8 upgrade (keyed by in-order position).
fn audit_nodes_survive_the_version_8_upgrade<S: Store>(store: &S) {
    assert_eq!(store.audit_node(1, 0).unwrap(), Some([0x11; 32]));
    assert_eq!(store.audit_node(2, 3).unwrap(), Some([0x22; 32]));
    assert_eq!(store.audit_node(1, 1).unwrap(), None);
}

fn v7_audit_nodes(blob: fn(&str) -> String) -> String {
    format!(
        "INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 0, {}), (2, 3, {});",
        blob(&"11".repeat(32)),
        blob(&"22".repeat(32)),
    )
}

#[test]
fn version_8_upgrade_over_sqlite() {
    audit_nodes_survive_the_version_8_upgrade(&sqlite_at_version(7, v7_audit_nodes).open());
}

#[test]
fn version_8_upgrade_over_postgres() {
    audit_nodes_survive_the_version_8_upgrade(&postgres_at_version(7, v7_audit_nodes).open());
}
