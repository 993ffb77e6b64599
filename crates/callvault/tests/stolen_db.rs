//! The stolen-database test. Ingest a few hundred turns full of personal data (written and
//! spoken) through the real server, stop it, then read every byte the store wrote (the SQLite
//! database, its WAL and shared-memory files) and everything the server logged, searching for
//! every planted value in raw and normalized form: zero hits. Then show that with the key store
//! the originals still open, and without it they do not.
//!
//! Run it as a demo: `cargo test -p callvault --test stolen_db -- --nocapture`.

mod common;

use std::sync::Arc;

use callvault_store::{PostgresStore, SqliteStore, Store};
use callvault_vault::{
    KeyTable, PassphraseKeyFile, RootKeyStore, SealContext, Vault, VaultConfig, VaultError,
};
use secrecy::SecretString;
use serde_json::json;

const DIGIT_WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }
}

fn luhn_complete(prefix: &str) -> String {
    let digits: Vec<u32> = prefix.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut d = *d;
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{prefix}{}", (10 - sum % 10) % 10)
}

fn spoken(digits: &str) -> String {
    digits
        .chars()
        .map(|c| DIGIT_WORDS[c.to_digit(10).unwrap() as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

fn grouped(digits: &str, groups: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut pos = 0;
    for g in groups {
        out.push(&digits[pos..pos + g]);
        pos += g;
    }
    out.join(sep)
}

/// A planted value: how it was said, and its normalized form.
struct Planted {
    said: String,
    normalized: String,
}

fn turn_with_pii(rng: &mut Lcg, i: usize) -> (String, Vec<Planted>) {
    let card = luhn_complete(&format!("4{}", rng.digits(14)));
    let phone = format!(
        "{}{}{}",
        ["415", "212", "617", "303"][i % 4],
        ["555", "867", "234"][i % 3],
        rng.digits(4)
    );
    let ssn = format!(
        "{}{}{}",
        100 + rng.next() % 600,
        10 + rng.next() % 89,
        1000 + rng.next() % 8999
    );
    let email = format!(
        "user{}.{}@example{}.com",
        rng.digits(5),
        ["smith", "garcia", "chen"][i % 3],
        i % 7
    );
    match i % 6 {
        0 => (
            format!(
                "sure, my card number is {}",
                grouped(&card, &[4, 4, 4, 4], " ")
            ),
            vec![Planted {
                said: grouped(&card, &[4, 4, 4, 4], " "),
                normalized: card,
            }],
        ),
        1 => (
            format!("the card is {}", spoken(&card)),
            vec![Planted {
                said: spoken(&card),
                normalized: card,
            }],
        ),
        2 => (
            format!(
                "you can reach me at ({}) {}-{}",
                &phone[..3],
                &phone[3..6],
                &phone[6..]
            ),
            vec![Planted {
                said: format!("({}) {}-{}", &phone[..3], &phone[3..6], &phone[6..]),
                normalized: phone,
            }],
        ),
        3 => (
            format!("my phone number is {}", spoken(&phone)),
            vec![Planted {
                said: spoken(&phone),
                normalized: phone,
            }],
        ),
        4 => (
            format!(
                "my social security number is {}",
                grouped(&ssn, &[3, 2, 4], "-")
            ),
            vec![Planted {
                said: grouped(&ssn, &[3, 2, 4], "-"),
                normalized: ssn,
            }],
        ),
        _ => (
            format!("email me at {email} please"),
            vec![Planted {
                said: email.clone(),
                normalized: email,
            }],
        ),
    }
}

#[test]
fn a_stolen_sqlite_data_directory_and_log_hold_no_personal_data() {
    stolen_database(None);
}

#[test]
fn a_stolen_postgres_dump_and_log_hold_no_personal_data() {
    stolen_database(Some(common::fresh_postgres_database()));
}

fn stolen_database(postgres: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let setup = common::init_with(dir.path(), postgres.as_deref());
    let server = common::serve(&setup.data);
    let mut rng = Lcg(0x5eed);
    let mut planted = Vec::new();
    let mut conversations = Vec::new();
    for c in 0..30 {
        let customer = format!("cust-{c:03}");
        let conv = server.post(
            "/v1/conversations",
            &setup.ingest,
            json!({"customer_ref": customer}),
        );
        let id = conv["id"].as_str().unwrap().to_owned();
        for t in 0..10 {
            let (text, values) = turn_with_pii(&mut rng, c * 10 + t);
            let out = server.post(
                &format!("/v1/conversations/{id}/turns"),
                &setup.ingest,
                json!({"speaker": "customer", "text": text}),
            );
            let redacted = out["redacted"].as_str().unwrap();
            for v in &values {
                assert!(
                    !redacted.contains(&v.said),
                    "the detector missed {:?} in {text:?}",
                    v.said
                );
            }
            planted.extend(values);
        }
        conversations.push((id, customer));
    }
    let log = server.stop();
    assert_eq!(planted.len(), 300);

    // Every byte the store wrote, and every byte the server logged.
    let mut stolen: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(&setup.data).unwrap() {
        let path = entry.unwrap().path();
        stolen.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    if let Some(url) = &postgres {
        let dump = std::process::Command::new("pg_dump")
            .arg(url)
            .output()
            .expect("pg_dump");
        assert!(dump.status.success());
        assert!(
            dump.stdout.len() > 10_000,
            "the dump is too small to be real"
        );
        stolen.push(("pg_dump".into(), dump.stdout));
    }
    stolen.push(("server log".into(), log.into_bytes()));
    let total: usize = stolen.iter().map(|(_, b)| b.len()).sum();
    // One automaton over every planted value, raw and normalized, one pass over each file.
    let needles: Vec<&str> = planted
        .iter()
        .flat_map(|v| [v.said.as_str(), v.normalized.as_str()])
        .collect();
    let automaton = aho_corasick::AhoCorasick::new(&needles).unwrap();
    let mut hits = 0;
    for (name, bytes) in &stolen {
        for found in automaton.find_overlapping_iter(bytes.as_slice()) {
            eprintln!(
                "HIT: planted value {} in {name}",
                found.pattern().as_usize() / 2
            );
            hits += 1;
        }
    }
    eprintln!(
        "stolen-database check: {} files and the log, {total} bytes, {} planted values searched raw and normalized: {hits} hits",
        stolen.len() - 1,
        planted.len()
    );
    assert_eq!(hits, 0);

    // With the key store, the originals open.
    let (store, table): (Arc<dyn Store>, Arc<dyn KeyTable>) = match &postgres {
        Some(url) => {
            let store = Arc::new(PostgresStore::open(url).unwrap());
            (store.clone(), store)
        }
        None => {
            let store = Arc::new(SqliteStore::open(&setup.data.join("callvault.db")).unwrap());
            (store.clone(), store)
        }
    };
    let root: Arc<dyn RootKeyStore> = Arc::new(
        PassphraseKeyFile::open(
            &setup.key_file,
            &SecretString::from(common::PASSPHRASE.to_owned()),
        )
        .unwrap(),
    );
    let vault = Vault::new(root, table.clone(), VaultConfig::default());
    let mut opened = String::new();
    for (id, customer) in &conversations {
        for turn in store.turns("default", id).unwrap() {
            let at = SealContext {
                tenant: "default",
                customer,
                conversation: id,
                turn: turn.seq,
                field: "turn.text",
            };
            opened.push_str(
                &String::from_utf8(vault.open(&grant(&at), &at, &turn.sealed).unwrap()).unwrap(),
            );
            opened.push('\n');
        }
    }
    assert!(planted.iter().all(|v| opened.contains(&v.said)));
    // The same scan finds every value in the opened originals: it can see what it looks for.
    let seen: std::collections::HashSet<usize> = automaton
        .find_overlapping_iter(opened.as_bytes())
        .map(|m| m.pattern().as_usize() / 2)
        .collect();
    assert_eq!(seen.len(), planted.len());
    eprintln!(
        "with the key file and its passphrase: all {} originals open",
        planted.len()
    );

    // Without it, nothing opens: a wrong passphrase does not open the key file, and another root
    // key does not unwrap the tenant's keys.
    let wrong = PassphraseKeyFile::open(&setup.key_file, &SecretString::from("guess".to_owned()));
    assert!(matches!(wrong, Err(VaultError::WrongPassphrase { .. })));
    let other_dir = tempfile::tempdir().unwrap();
    let other: Arc<dyn RootKeyStore> = Arc::new(
        PassphraseKeyFile::create(
            &other_dir.path().join("k"),
            &SecretString::from("attacker's own key".to_owned()),
            callvault_vault::KdfParams {
                m_cost: 8192,
                t_cost: 1,
                p_cost: 1,
            },
        )
        .unwrap(),
    );
    let thief = Vault::new(other, table, VaultConfig::default());
    let (id, customer) = &conversations[0];
    let turn = &store.turns("default", id).unwrap()[0];
    let at = SealContext {
        tenant: "default",
        customer,
        conversation: id,
        turn: 0,
        field: "turn.text",
    };
    assert!(matches!(
        thief.open(&grant(&at), &at, &turn.sealed),
        Err(VaultError::RootKeyMismatch { .. })
    ));
    eprintln!(
        "without it: the key file refuses a wrong passphrase, and another root key unwraps nothing"
    );
}

/// A grant recorded in a throwaway log: this test holds the root key and reads the store
/// directly, as the owner of a stolen copy would; the audit log is not what it tests.
fn grant(at: &SealContext<'_>) -> callvault_audit::AuditedGrant {
    struct Log;
    impl callvault_audit::DurableLog for Log {
        fn append_durable(
            &self,
            _: callvault_audit::AuditRecord,
        ) -> Result<u64, callvault_audit::AuditError> {
            Ok(0)
        }
    }
    let mut r =
        callvault_audit::AuditRecord::new(at.tenant, "test", callvault_audit::Action::Reveal);
    r.resources.conversations.push(at.conversation.to_owned());
    callvault_audit::grant(&Log, r).unwrap()
}
