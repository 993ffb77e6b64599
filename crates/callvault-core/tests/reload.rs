//! A conversation's state survives a restart: the detector's context (a question still open)
//! is rebuilt from the last stored turns, so an answer that needs it is still caught; labels
//! and sequence numbers carry on.

use std::sync::Arc;

use callvault_core::{Core, CoreConfig, Speaker, TurnInput};
use callvault_store::{SqliteStore, Store};
use callvault_vault::{KdfParams, KeyTable, PassphraseKeyFile, RootKeyStore, Vault, VaultConfig};
use secrecy::SecretString;

fn core(dir: &std::path::Path, create: bool) -> (Core, Arc<SqliteStore>) {
    let pass = SecretString::from("reload test passphrase".to_owned());
    let key = dir.join("root.key");
    let root: Arc<dyn RootKeyStore> = if create {
        let fast = KdfParams {
            m_cost: 8192,
            t_cost: 1,
            p_cost: 1,
        };
        Arc::new(PassphraseKeyFile::create(&key, &pass, fast).unwrap())
    } else {
        Arc::new(PassphraseKeyFile::open(&key, &pass).unwrap())
    };
    let store = Arc::new(SqliteStore::open(&dir.join("db")).unwrap());
    let table: Arc<dyn KeyTable> = store.clone();
    let vault = Arc::new(Vault::new(root, table, VaultConfig::default()));
    let dyn_store: Arc<dyn Store> = store.clone();
    (
        Core::new(
            dyn_store,
            vault,
            CoreConfig::default(),
            callvault_core::AuditConfig::default(),
        )
        .unwrap(),
        store,
    )
}

fn turn(speaker: Speaker, text: &str) -> TurnInput {
    TurnInput {
        speaker,
        text: text.into(),
        is_final: true,
        started_at: None,
        ended_at: None,
    }
}

#[tokio::test]
async fn context_labels_and_sequence_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (first, store) = core(dir.path(), true);
    let tokens = Core::provision_tenant(store.as_ref(), first.vault(), "acme", "Acme").unwrap();
    let p = first
        .authenticate(&tokens.ingest_token, None)
        .await
        .unwrap();
    let conv = first.create_conversation(&p, "cust-7").await.unwrap();
    let t0 = first
        .ingest(
            &p,
            &conv.id,
            turn(Speaker::Customer, "my number is 415 555 0132"),
        )
        .await
        .unwrap();
    assert_eq!(t0.redacted, "my number is [PHONE_NUMBER_1]");
    first
        .ingest(
            &p,
            &conv.id,
            turn(Speaker::Agent, "what is your date of birth?"),
        )
        .await
        .unwrap();
    // The answer comes four turns later (two asking to wait keep the question open): the
    // question is five turns back at the restart.
    for (speaker, text) in [
        (Speaker::Customer, "hold on a second"),
        (Speaker::Agent, "okay"),
        (Speaker::Customer, "one moment, let me find it"),
        (Speaker::Agent, "sure"),
    ] {
        first
            .ingest(&p, &conv.id, turn(speaker, text))
            .await
            .unwrap();
    }
    first.shutdown();
    drop(first);
    drop(store);

    let (second, _store) = core(dir.path(), false);
    let p = second
        .authenticate(&tokens.ingest_token, None)
        .await
        .unwrap();
    let answer = second
        .ingest(
            &p,
            &conv.id,
            turn(Speaker::Customer, "march third nineteen eighty two"),
        )
        .await
        .unwrap();
    assert_eq!(
        answer.redacted, "[DATE_OF_BIRTH_1]",
        "the question asked before the restart still counts"
    );
    assert_eq!(answer.seq, 6);
    let again = second
        .ingest(&p, &conv.id, turn(Speaker::Customer, "call 4155550132"))
        .await
        .unwrap();
    assert_eq!(again.redacted, "call [PHONE_NUMBER_1]", "labels carry on");
    // A malformed or unknown conversation id is "not found" and takes no room.
    assert!(second
        .ingest(&p, "conv_nope", turn(Speaker::Agent, "hi"))
        .await
        .is_err());
}

/// A server that still holds a conversation in memory when another erases its customer (here
/// the store is told directly, as another server's erasure would) cannot add to it: the schema
/// refuses, the caller gets `Erased`, and nothing is written.
#[tokio::test]
async fn a_conversation_held_in_memory_takes_no_turn_after_its_customer_is_erased() {
    let dir = tempfile::tempdir().unwrap();
    let (core, store) = core(dir.path(), true);
    let tokens = Core::provision_tenant(store.as_ref(), core.vault(), "acme", "Acme").unwrap();
    let p = core.authenticate(&tokens.ingest_token, None).await.unwrap();
    let conv = core.create_conversation(&p, "cust-9").await.unwrap();
    core.ingest(&p, &conv.id, turn(Speaker::Customer, "hello"))
        .await
        .unwrap();
    let record = callvault_audit::AuditRecord::new(
        "acme",
        "elsewhere",
        callvault_audit::Action::CustomerErase,
    );
    store.erase_customer("acme", "cust-9", &record).unwrap();
    let refused = core
        .ingest(
            &p,
            &conv.id,
            turn(Speaker::Customer, "my card is 4111 1111 1111 1111"),
        )
        .await;
    assert!(
        matches!(refused, Err(callvault_core::CoreError::Erased)),
        "{refused:?}"
    );
    assert_eq!(store.turns("acme", &conv.id).unwrap().len(), 1);
    core.shutdown();
}
