//! The key hierarchy end to end: sealing across tenants and customers, rotation with rewrap and
//! retirement, crypto-shredding against backups, blind indexes over written and spoken forms,
//! and property tests of the sealing invariants.

mod common;
use common::OpenGranted;

use std::sync::Arc;

use callvault_vault::{DataKeyState, KeyTable, MemoryKeyTable, SealContext, VaultError};
use proptest::prelude::*;

fn ctx<'a>(tenant: &'a str, customer: &'a str, turn: u64) -> SealContext<'a> {
    SealContext {
        tenant,
        customer,
        conversation: "conv-1",
        turn,
        field: "finding.CREDIT_CARD",
    }
}

#[test]
fn tenants_and_customers_are_isolated() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    vault.create_tenant("acme").unwrap();
    vault.create_tenant("globex").unwrap();
    assert!(matches!(
        vault.create_tenant("acme"),
        Err(VaultError::TenantExists(_))
    ));

    let sealed = vault
        .seal(&ctx("acme", "alice", 1), b"4111111111111111")
        .unwrap();
    assert_eq!(
        vault
            .open_granted(&ctx("acme", "alice", 1), &sealed)
            .unwrap(),
        b"4111111111111111"
    );
    // Same customer id in another tenant, another customer, another turn: all the uniform error.
    for other in [
        ctx("globex", "alice", 1),
        ctx("acme", "bob", 1),
        ctx("acme", "alice", 2),
    ] {
        vault.seal(&SealContext { turn: 9, ..other }, b"x").unwrap();
        assert!(
            matches!(vault.open_granted(&other, &sealed), Err(VaultError::Open)),
            "{other:?}"
        );
    }
    assert!(matches!(
        vault.seal(&ctx("initech", "alice", 1), b"x"),
        Err(VaultError::UnknownTenant(_))
    ));
    // A data key refuses a context naming another customer.
    let key = vault.data_key("acme", "alice").unwrap();
    assert!(key.seal(&ctx("acme", "bob", 1), b"x").is_err());
}

#[test]
fn rotation_rewraps_in_resumable_batches_and_retires_old_versions() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    vault.create_tenant("acme").unwrap();
    let customers: Vec<String> = (0..40).map(|i| format!("cust-{i:02}")).collect();
    let mut sealed = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        sealed.push(vault.seal(&ctx("acme", c, i as u64), c.as_bytes()).unwrap());
    }

    assert_eq!(vault.rotate("acme").unwrap(), 2);
    // New customers use version 2 at once.
    vault.seal(&ctx("acme", "newcomer", 0), b"n").unwrap();
    assert_eq!(
        table
            .latest_data_key("acme", "newcomer")
            .unwrap()
            .unwrap()
            .wrapped_by,
        2
    );
    assert_eq!(
        vault.retire_unused("acme").unwrap(),
        Vec::<u32>::new(),
        "v1 still in use"
    );

    // One batch, then the process "dies"; a new process continues from the table alone.
    let first = vault.rewrap("acme", 15).unwrap();
    assert_eq!((first.rewrapped, first.remaining), (15, 25));
    drop(vault);
    let vault = common::vault_with(&table);
    for (i, c) in customers.iter().enumerate() {
        assert_eq!(
            vault
                .open_granted(&ctx("acme", c, i as u64), &sealed[i])
                .unwrap(),
            c.as_bytes()
        );
    }
    let mut progress = vault.rewrap("acme", 10).unwrap();
    while progress.remaining > 0 {
        progress = vault.rewrap("acme", 10).unwrap();
    }
    assert_eq!(vault.rewrap("acme", 10).unwrap().rewrapped, 0);
    assert_eq!(vault.retire_unused("acme").unwrap(), vec![1]);
    assert_eq!(vault.wrapping_versions("acme").unwrap(), (vec![2], 2));

    // A cold process over the rotated table opens everything, with version 1 gone.
    let cold = common::vault_with(&table);
    for (i, c) in customers.iter().enumerate() {
        assert_eq!(
            cold.open_granted(&ctx("acme", c, i as u64), &sealed[i])
                .unwrap(),
            c.as_bytes()
        );
    }
    assert!(table
        .tenant_keys("acme")
        .unwrap()
        .iter()
        .all(|r| r.version != 1 || r.kind == callvault_vault::TenantKeyKind::Index));
}

#[test]
fn shredding_makes_every_copy_unreadable_and_survives_restarts() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    vault.create_tenant("acme").unwrap();
    let alice: Vec<Vec<u8>> = (0..5)
        .map(|t| {
            vault
                .seal(&ctx("acme", "alice", t), b"alice's card")
                .unwrap()
        })
        .collect();
    let bob = vault.seal(&ctx("acme", "bob", 0), b"bob's card").unwrap();
    // A backup of the data (sealed values) taken before the erasure.
    let backup = alice.clone();

    assert_eq!(vault.shred("acme", "alice").unwrap(), vec![1]);
    for (t, value) in backup.iter().enumerate() {
        assert!(matches!(
            vault.open_granted(&ctx("acme", "alice", t as u64), value),
            Err(VaultError::Erased)
        ));
    }
    let restarted = common::vault_with(&table);
    assert!(matches!(
        restarted.open_granted(&ctx("acme", "alice", 0), &backup[0]),
        Err(VaultError::Erased)
    ));
    assert_eq!(
        restarted
            .open_granted(&ctx("acme", "bob", 0), &bob)
            .unwrap(),
        b"bob's card"
    );
    // The key table keeps a tombstone with no key bytes.
    let rows = table.snapshot_data_keys().unwrap();
    let row = rows.iter().find(|r| r.customer == "alice").unwrap();
    assert_eq!((row.state, row.wrapped.len()), (DataKeyState::Destroyed, 0));

    // New data for the same customer gets a new key version; the old values stay erased.
    let fresh = restarted.seal(&ctx("acme", "alice", 10), b"new").unwrap();
    assert_eq!(
        restarted
            .open_granted(&ctx("acme", "alice", 10), &fresh)
            .unwrap(),
        b"new"
    );
    assert!(matches!(
        restarted.open_granted(&ctx("acme", "alice", 0), &backup[0]),
        Err(VaultError::Erased)
    ));
}

#[test]
fn written_and_spoken_forms_share_a_blind_index() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    vault.create_tenant("acme").unwrap();
    vault.create_tenant("globex").unwrap();
    let index_of = |tenant: &str, text: &str| {
        let findings = callvault_detect::detect(text);
        let f = findings
            .first()
            .unwrap_or_else(|| panic!("nothing found in {text:?}"));
        vault
            .blind_index(
                tenant,
                f.entity.as_str(),
                f.value.expose_secret().as_bytes(),
            )
            .unwrap()
    };
    let written = index_of("acme", "my card number is 4111 1111 1111 1111");
    let spoken = index_of(
        "acme",
        "my card number is four one one one one one one one one one one one one one one one",
    );
    assert_eq!(written, spoken);
    assert_ne!(
        written,
        index_of("globex", "my card number is 4111 1111 1111 1111")
    );
    let phone = index_of("acme", "call me at (415) 555-0123");
    assert_eq!(
        phone,
        index_of(
            "acme",
            "call me at four one five five five five oh one two three"
        )
    );
}

#[test]
fn format_preserving_tokens_are_per_customer_and_die_with_the_key() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    vault.create_tenant("acme").unwrap();
    let card = "4111111111111111";
    let token = vault
        .digits_token("acme", "alice", "CREDIT_CARD", card, true)
        .unwrap();
    assert!(token.len() == 16 && token.ends_with("1111") && token != card);
    assert_eq!(
        token,
        vault
            .digits_token("acme", "alice", "CREDIT_CARD", card, true)
            .unwrap()
    );
    assert_ne!(
        token,
        vault
            .digits_token("acme", "bob", "CREDIT_CARD", card, true)
            .unwrap()
    );
    let again = common::vault_with(&table);
    assert_eq!(
        again
            .digits_detokenize("acme", "alice", "CREDIT_CARD", &token, true)
            .unwrap(),
        card
    );
    again.shred("acme", "alice").unwrap();
    assert!(matches!(
        again.digits_detokenize("acme", "alice", "CREDIT_CARD", &token, true),
        Err(VaultError::Erased)
    ));
}

#[test]
fn operators_get_specific_errors_for_damaged_keys() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    vault.create_tenant("acme").unwrap();
    vault.seal(&ctx("acme", "alice", 0), b"x").unwrap();
    // Another root key over the same table: the wrong key file or token.
    let other_root: Arc<dyn callvault_vault::RootKeyStore> =
        Arc::new(common::KnownRoot::new([1; 32]));
    let as_table: Arc<dyn KeyTable> = table.clone();
    let wrong = callvault_vault::Vault::new(other_root, as_table, Default::default());
    let err = wrong.seal(&ctx("acme", "alice", 1), b"x").unwrap_err();
    assert!(matches!(err, VaultError::RootKeyMismatch { .. }), "{err}");
    // A damaged data key row.
    let mut row = table.latest_data_key("acme", "alice").unwrap().unwrap();
    row.wrapped[20] ^= 1;
    table.overwrite_data_key(row).unwrap();
    let cold = common::vault_with(&table);
    let err = cold.seal(&ctx("acme", "alice", 1), b"x").unwrap_err();
    assert!(matches!(err, VaultError::KeyTableCorrupt { .. }), "{err}");
}

#[test]
fn a_damaged_row_does_not_stall_rotation() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    vault.create_tenant("acme").unwrap();
    for c in ["a", "b", "c", "d"] {
        vault.seal(&ctx("acme", c, 0), b"x").unwrap();
    }
    let mut row = table.latest_data_key("acme", "a").unwrap().unwrap();
    row.wrapped[20] ^= 1;
    table.overwrite_data_key(row).unwrap();
    vault.rotate("acme").unwrap();
    let progress = vault.rewrap("acme", 2).unwrap();
    assert_eq!((progress.rewrapped, progress.failed), (2, 1));
    let progress = vault.rewrap("acme", 2).unwrap();
    assert_eq!(
        (progress.rewrapped, progress.failed, progress.remaining),
        (1, 1, 1)
    );
    // Version 1 still wraps the damaged row, so it is kept.
    assert_eq!(vault.retire_unused("acme").unwrap(), Vec::<u32>::new());
    assert!(vault.rewrap("acme", 0).is_err());
}

#[test]
fn retired_versions_cannot_be_used_by_a_stale_writer() {
    let table = Arc::new(MemoryKeyTable::new());
    let writer = common::vault_with(&table);
    writer.create_tenant("acme").unwrap();
    writer.seal(&ctx("acme", "warmup", 0), b"x").unwrap(); // writer now holds version 1 as current
    let admin = common::vault_with(&table);
    admin.rotate("acme").unwrap();
    admin.rewrap("acme", 100).unwrap();
    assert_eq!(admin.retire_unused("acme").unwrap(), vec![1]);
    // The writer's in-memory view still says version 1 is current: the table refuses the insert,
    // the writer reloads and wraps under version 2.
    writer.seal(&ctx("acme", "late", 0), b"x").unwrap();
    assert_eq!(
        table
            .latest_data_key("acme", "late")
            .unwrap()
            .unwrap()
            .wrapped_by,
        2
    );
    // And the table refuses to retire a version still in use.
    admin.rotate("acme").unwrap();
    assert!(!table.retire_wrapping_key("acme", 2).unwrap());
}

#[test]
fn an_interrupted_tenant_creation_can_be_completed() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    vault.create_tenant("acme").unwrap();
    let index_only: Vec<_> = table
        .tenant_keys("acme")
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == callvault_vault::TenantKeyKind::Index)
        .collect();
    let half = Arc::new(MemoryKeyTable::new());
    half.insert_tenant_key(&index_only[0]).unwrap();
    let vault = common::vault_with(&half);
    assert!(vault.seal(&ctx("acme", "alice", 0), b"x").is_err());
    vault.create_tenant("acme").unwrap();
    vault.seal(&ctx("acme", "alice", 0), b"x").unwrap();
    assert!(matches!(
        vault.create_tenant("acme"),
        Err(VaultError::TenantExists(_))
    ));
}

#[test]
fn shredding_while_other_threads_seal_and_open_never_resurrects_the_key() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = Arc::new(common::vault_with(&table));
    vault.create_tenant("acme").unwrap();
    let before = vault.seal(&ctx("acme", "alice", 0), b"before").unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|i| {
            let (vault, stop, before) = (Arc::clone(&vault), Arc::clone(&stop), before.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = vault.open_granted(&ctx("acme", "alice", 0), &before);
                    let _ = vault.seal(&ctx("acme", "alice", 100 + i), b"during");
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    vault.shred("acme", "alice").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    // After the shred returned, the old value never opens again, here or in a new process, and
    // anything sealed from now on is under a live key.
    assert!(matches!(
        vault.open_granted(&ctx("acme", "alice", 0), &before),
        Err(VaultError::Erased)
    ));
    assert!(matches!(
        common::vault_with(&table).open_granted(&ctx("acme", "alice", 0), &before),
        Err(VaultError::Erased)
    ));
    let after = vault.seal(&ctx("acme", "alice", 1), b"after").unwrap();
    assert_eq!(
        common::vault_with(&table)
            .open_granted(&ctx("acme", "alice", 1), &after)
            .unwrap(),
        b"after"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sealing_invariants(
        plaintext in proptest::collection::vec(any::<u8>(), 0..600),
        customer in "[a-z0-9-]{1,20}",
        turn in any::<u64>(),
        flip in any::<(usize, u8)>(),
        field in prop_oneof![Just("turn.text"), Just("finding.EMAIL"), Just("x")],
    ) {
        let table = Arc::new(MemoryKeyTable::new());
        let vault = common::vault_with(&table);
        vault.create_tenant("acme").unwrap();
        vault.create_tenant("other").unwrap();
        let at = SealContext { tenant: "acme", customer: &customer, conversation: "c", turn, field };
        let sealed = vault.seal(&at, &plaintext).unwrap();
        prop_assert_eq!(vault.open_granted(&at, &sealed).unwrap(), plaintext.clone());

        // Any flipped bit fails.
        let mut tampered = sealed.clone();
        let i = flip.0 % tampered.len();
        tampered[i] ^= 1 << (flip.1 % 8);
        prop_assert!(matches!(vault.open_granted(&at, &tampered), Err(VaultError::Open)));

        // Swapped associated data fails, uniformly.
        let swaps = [
            SealContext { tenant: "other", ..at },
            SealContext { conversation: "d", ..at },
            SealContext { turn: turn.wrapping_add(1), ..at },
            SealContext { field: "turn.audio", ..at },
        ];
        for other in swaps {
            prop_assert!(matches!(vault.open_granted(&other, &sealed), Err(VaultError::Open)));
        }

        // A wrong key version fails (after a second key version exists for this customer).
        let mut relabelled = sealed.clone();
        relabelled[1..5].copy_from_slice(&2u32.to_be_bytes());
        prop_assert!(matches!(vault.open_granted(&at, &relabelled), Err(VaultError::Open)));
        vault.shred("acme", &customer).unwrap();
        let _ = vault.seal(&at, b"new key version 2").unwrap();
        prop_assert!(matches!(vault.open_granted(&at, &relabelled), Err(VaultError::Open)));

        // A shredded customer's values never open again, in this process or a new one.
        prop_assert!(matches!(vault.open_granted(&at, &sealed), Err(VaultError::Erased)));
        prop_assert!(matches!(common::vault_with(&table).open_granted(&at, &sealed), Err(VaultError::Erased)));
    }
}

#[test]
fn background_rewrap_runs_beside_live_traffic_and_retires() {
    let table = Arc::new(MemoryKeyTable::new());
    let vault = Arc::new(common::vault_with(&table));
    vault.create_tenant("acme").unwrap();
    let customers: Vec<String> = (0..30).map(|i| format!("c{i:02}")).collect();
    let sealed: Vec<Vec<u8>> = customers
        .iter()
        .map(|c| vault.seal(&ctx("acme", c, 0), c.as_bytes()).unwrap())
        .collect();
    vault.rotate("acme").unwrap();
    let job = callvault_vault::RewrapJob::spawn(
        Arc::clone(&vault),
        "acme".into(),
        callvault_vault::RewrapConfig {
            batch: 4,
            pause: std::time::Duration::from_millis(1),
        },
    );
    // Live traffic while the job runs: every old value opens, new values seal.
    for (i, c) in customers.iter().enumerate() {
        assert_eq!(
            vault.open_granted(&ctx("acme", c, 0), &sealed[i]).unwrap(),
            c.as_bytes()
        );
        vault.seal(&ctx("acme", c, 1), b"new").unwrap();
    }
    let summary = job.join().unwrap();
    assert_eq!(
        (
            summary.rewrapped,
            summary.remaining,
            summary.retired.clone()
        ),
        (30, 0, vec![1])
    );
    let cold = common::vault_with(&table);
    for (i, c) in customers.iter().enumerate() {
        assert_eq!(
            cold.open_granted(&ctx("acme", c, 0), &sealed[i]).unwrap(),
            c.as_bytes()
        );
    }

    // A job stopped at once leaves the work for the next one.
    vault.rotate("acme").unwrap();
    let stopped =
        callvault_vault::RewrapJob::spawn(Arc::clone(&vault), "acme".into(), Default::default());
    let first = stopped.stop().unwrap();
    let rest =
        callvault_vault::RewrapJob::spawn(Arc::clone(&vault), "acme".into(), Default::default())
            .join()
            .unwrap();
    // The first job may finish before it sees the stop: between them, all the work is done once.
    assert_eq!(first.rewrapped + rest.rewrapped, 30);
    let retired: Vec<u32> = first.retired.iter().chain(&rest.retired).copied().collect();
    assert_eq!(retired, vec![2]);
}
