//! Checkpoints end to end: a log appends, signs its tree head, and a client opens it, checks
//! the origin and a consistency proof to an older checkpoint. Any changed byte is rejected.

use callvault_audit::merkle::{consistency_proof, verify_consistency, Frontier, MemoryTree};
use callvault_audit::note::sign_note;
use callvault_audit::{AuditError, Checkpoint, NoteSigner};

const ORIGIN: &str = "callvault.test/audit/tenant-1";

fn log_of(n: u64) -> (MemoryTree, Frontier) {
    let mut tree = MemoryTree::new();
    let mut frontier = Frontier::new();
    for i in 0..n {
        let leaf = callvault_audit::merkle::leaf_hash(format!("entry {i}").as_bytes());
        tree.append_hash(leaf);
        frontier.append(leaf);
    }
    (tree, frontier)
}

#[test]
fn sign_open_round_trip() {
    let signer = NoteSigner::generate(ORIGIN).unwrap();
    let (_, frontier) = log_of(1234);
    let checkpoint = Checkpoint::new(ORIGIN, frontier.size(), frontier.root()).unwrap();
    let signed = checkpoint.sign(&signer).unwrap();
    assert!(signed.starts_with(&checkpoint.to_text()));
    let opened = Checkpoint::open_signed(signed.as_bytes(), &signer.verifier()).unwrap();
    assert_eq!(opened, checkpoint);
    assert_eq!(opened.origin, ORIGIN);
    assert_eq!(opened.size, 1234);
    assert_eq!(&opened.root, &frontier.root());

    let with_ext =
        Checkpoint::with_extensions(ORIGIN, 0, frontier.root(), vec!["x y".into()]).unwrap();
    let signed = with_ext.sign(&signer).unwrap();
    assert_eq!(
        Checkpoint::open_signed(signed.as_bytes(), &signer.verifier()).unwrap(),
        with_ext
    );
}

#[test]
fn every_tampered_byte_is_rejected() {
    let signer = NoteSigner::from_seed(ORIGIN, &[9; 32]).unwrap();
    let (_, frontier) = log_of(77);
    let signed = Checkpoint::new(ORIGIN, 77, frontier.root())
        .unwrap()
        .sign(&signer)
        .unwrap();
    let bytes = signed.as_bytes();
    for i in 0..bytes.len() {
        for delta in [1u8, 0x20, 0xff] {
            let mut m = bytes.to_vec();
            m[i] = m[i].wrapping_add(delta);
            assert!(
                Checkpoint::open_signed(&m, &signer.verifier()).is_err(),
                "byte {i} + {delta} accepted"
            );
        }
    }
    // Truncations too.
    for i in 0..bytes.len() {
        assert!(
            Checkpoint::open_signed(&bytes[..i], &signer.verifier()).is_err(),
            "prefix {i}"
        );
    }
}

#[test]
fn wrong_key_and_wrong_body_are_rejected() {
    let signer = NoteSigner::generate(ORIGIN).unwrap();
    let impostor = NoteSigner::generate(ORIGIN).unwrap();
    let (_, frontier) = log_of(5);
    let checkpoint = Checkpoint::new(ORIGIN, 5, frontier.root()).unwrap();
    let forged = checkpoint.sign(&impostor).unwrap();
    assert_eq!(
        Checkpoint::open_signed(forged.as_bytes(), &signer.verifier()),
        Err(AuditError::NoVerifiedSignature)
    );
    // A validly signed note that is not a checkpoint.
    let not_a_checkpoint = signer.sign("hello\n").unwrap();
    assert!(matches!(
        Checkpoint::open_signed(not_a_checkpoint.as_bytes(), &signer.verifier()),
        Err(AuditError::MalformedCheckpoint(_))
    ));
    let leading_zero = signer
        .sign(&format!(
            "{ORIGIN}\n05\n{}",
            &checkpoint.to_text()[ORIGIN.len() + 3..]
        ))
        .unwrap();
    assert!(matches!(
        Checkpoint::open_signed(leading_zero.as_bytes(), &signer.verifier()),
        Err(AuditError::MalformedCheckpoint(_))
    ));
}

#[test]
fn cosigned_checkpoint_opens_with_either_key_and_proves_consistency() {
    let log = NoteSigner::generate(ORIGIN).unwrap();
    let witness = NoteSigner::generate("witness.test/w1").unwrap();
    let (tree, frontier) = log_of(1000);
    let old = Checkpoint::new(
        ORIGIN,
        600,
        callvault_audit::merkle::root(&tree, 600).unwrap(),
    )
    .unwrap();
    let new = Checkpoint::new(ORIGIN, frontier.size(), frontier.root()).unwrap();
    let cosigned = sign_note(&new.to_text(), &[], &[&log, &witness]).unwrap();
    for v in [log.verifier(), witness.verifier()] {
        let opened = Checkpoint::open_signed(cosigned.as_bytes(), &v).unwrap();
        assert_eq!(opened, new);
    }
    let proof = consistency_proof(&tree, old.size, new.size).unwrap();
    verify_consistency(old.size, new.size, &proof, &old.root, &new.root).unwrap();
}
