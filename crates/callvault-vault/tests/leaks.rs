//! Never leak: drive every error path of the vault, print every error and every secret-holding
//! type with `Display`, `{:?}` and `{:#?}`, capture every log event, then search all of it for
//! every key in the hierarchy (hex, base64, decimal byte lists), the passphrase and the
//! plaintexts.

mod common;
use common::OpenGranted;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use callvault_vault::ff1::{Ff1, DIGITS};
use callvault_vault::index::IndexKey;
use callvault_vault::seal::{data_key_aad, tenant_key_aad, AeadKey};
use callvault_vault::{
    KdfParams, KeyMaterial, KeyTable, MemoryKeyTable, PassphraseKeyFile, Pkcs11Config,
    Pkcs11KeyStore, RootKeyStore, SealContext, TenantKeyKind, VaultError,
};
use secrecy::SecretString;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const PASSPHRASE: &str = "tr0ub4dor & 3 correct horses";
const PLAINTEXTS: [&str; 2] = ["4111111111111111", "jane.doe@example.com"];

#[test]
fn no_key_passphrase_or_plaintext_in_errors_debug_or_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let out = std::cell::RefCell::new(String::new());
    let record = |label: &str, text: String| {
        let mut out = out.borrow_mut();
        out.push_str(label);
        out.push('\n');
        out.push_str(&text);
        out.push('\n');
    };
    let err = |label: &str, e: VaultError| record(label, format!("{e}\n{e:?}\n{e:#?}"));

    let table = Arc::new(MemoryKeyTable::new());
    let vault = common::vault_with(&table);
    let root = common::KnownRoot::new([0x5a; 32]);
    vault.create_tenant("acme").unwrap();
    let at = |customer| SealContext {
        tenant: "acme",
        customer,
        conversation: "c",
        turn: 1,
        field: "finding.CREDIT_CARD",
    };
    let sealed = vault.seal(&at("alice"), PLAINTEXTS[0].as_bytes()).unwrap();
    let sealed_b = vault.seal(&at("bob"), PLAINTEXTS[1].as_bytes()).unwrap();

    // Every error the vault can produce from the outside.
    let mut tampered = sealed.clone();
    tampered[30] ^= 1;
    err(
        "tampered",
        vault.open_granted(&at("alice"), &tampered).unwrap_err(),
    );
    err(
        "wrong context",
        vault.open_granted(&at("bob"), &sealed).unwrap_err(),
    );
    let mut future = sealed.clone();
    future[0] = 9;
    err(
        "unknown format",
        callvault_vault::seal::SealedHeader::parse(&future).unwrap_err(),
    );
    err(
        "unknown tenant",
        vault
            .seal(
                &SealContext {
                    tenant: "nope",
                    ..at("alice")
                },
                b"x",
            )
            .unwrap_err(),
    );
    err("tenant exists", vault.create_tenant("acme").unwrap_err());
    let long = "x".repeat(300);
    err("long id", vault.seal(&at(&long), b"x").unwrap_err());
    err(
        "ff1 domain",
        vault
            .digits_token("acme", "bob", "CREDIT_CARD", "12345", false)
            .unwrap_err(),
    );
    err(
        "ff1 alphabet",
        vault
            .digits_token("acme", "bob", "CREDIT_CARD", "4111-1111", false)
            .unwrap_err(),
    );
    vault.shred("acme", "alice").unwrap();
    err(
        "erased",
        vault.open_granted(&at("alice"), &sealed).unwrap_err(),
    );
    err(
        "short",
        vault.open_granted(&at("bob"), &sealed_b[..10]).unwrap_err(),
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    let pass = SecretString::from(PASSPHRASE.to_owned());
    let fast = KdfParams {
        m_cost: 8 * 1024,
        t_cost: 1,
        p_cost: 1,
    };
    let file = PassphraseKeyFile::create(&path, &pass, fast).unwrap();
    record(
        "key file debug",
        format!("{file:?} {file:#?} {}", file.describe()),
    );
    err(
        "exists",
        PassphraseKeyFile::create(&path, &pass, fast).unwrap_err(),
    );
    err(
        "wrong passphrase",
        PassphraseKeyFile::open(&path, &SecretString::from("nope".to_owned())).unwrap_err(),
    );
    err(
        "weak",
        PassphraseKeyFile::create(
            &dir.path().join("w"),
            &SecretString::from("short".to_owned()),
            fast,
        )
        .unwrap_err(),
    );
    let bytes = std::fs::read(&path).unwrap();
    for (name, damaged) in [
        ("truncated", bytes[..50].to_vec()),
        ("version", [&bytes[..4], &[7], &bytes[5..]].concat()),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, damaged).unwrap();
        err(name, PassphraseKeyFile::open(&p, &pass).unwrap_err());
    }
    err(
        "io",
        PassphraseKeyFile::open(&dir.path().join("missing"), &pass).unwrap_err(),
    );
    let pkcs11 = Pkcs11Config {
        module: PathBuf::from("/nonexistent/libpkcs11.so"),
        token_label: "t".into(),
        pin: SecretString::from(PASSPHRASE.to_owned()),
        key_label: "k".into(),
    };
    record("pkcs11 config", format!("{pkcs11:?}"));
    err("pkcs11", Pkcs11KeyStore::open(&pkcs11).unwrap_err());

    // Every key in the hierarchy, recovered through the known root.
    let mut secrets: Vec<Vec<u8>> = vec![root.bytes.to_vec()];
    let mut wrapping = None;
    for r in table.tenant_keys("acme").unwrap() {
        let key = root
            .unwrap(
                &r.wrapped,
                &tenant_key_aad("acme", r.kind, r.version).unwrap(),
            )
            .unwrap();
        secrets.push(key.expose_secret().to_vec());
        if r.kind == TenantKeyKind::Wrapping {
            wrapping = Some(AeadKey::new(&key).unwrap());
        }
        record(
            "material debug",
            format!(
                "{key:?} {:?} {:?}",
                AeadKey::new(&key).unwrap(),
                IndexKey::new(&key)
            ),
        );
        record(
            "ff1 debug",
            format!("{:?}", Ff1::new(key.expose_secret(), DIGITS).unwrap()),
        );
    }
    let wrapping = wrapping.unwrap();
    let bob = table.latest_data_key("acme", "bob").unwrap().unwrap();
    let aad = data_key_aad("acme", "bob", bob.version, bob.wrapped_by).unwrap();
    secrets.push(wrapping.open(&aad, &bob.wrapped).unwrap());
    // The keys HKDF derives (docs/format.md): blind-index key from the index secret, FF1 key
    // from the data key.
    let derive = |secret: &[u8], info: &[u8]| -> Vec<u8> {
        use aws_lc_rs::hkdf;
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"callvault").extract(secret);
        let mut out = [0u8; 32];
        prk.expand(&[info], hkdf::HKDF_SHA256)
            .unwrap()
            .fill(&mut out)
            .unwrap();
        out.to_vec()
    };
    let index_secret = table
        .tenant_keys("acme")
        .unwrap()
        .into_iter()
        .find(|r| r.kind == TenantKeyKind::Index)
        .map(|r| {
            root.unwrap(
                &r.wrapped,
                &tenant_key_aad("acme", r.kind, r.version).unwrap(),
            )
            .unwrap()
        })
        .unwrap();
    secrets.push(derive(
        index_secret.expose_secret(),
        b"callvault blind index v1",
    ));
    let data_key = secrets[3].clone();
    secrets.push(derive(&data_key, b"callvault ff1 token v1"));
    // The key file's root key, recovered with the passphrase as `PassphraseKeyFile::open` does.
    let file_bytes = std::fs::read(&path).unwrap();
    let cost = |i: usize| u32::from_be_bytes(file_bytes[i..i + 4].try_into().unwrap());
    let params = argon2::Params::new(cost(6), cost(10), cost(14), Some(32)).unwrap();
    let mut kek = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(PASSPHRASE.as_bytes(), &file_bytes[18..34], &mut kek)
        .unwrap();
    let kek = AeadKey::new(&KeyMaterial::from_slice(&kek).unwrap()).unwrap();
    secrets.push(kek.open(&file_bytes[..34], &file_bytes[34..]).unwrap());
    record(
        "vault debug",
        format!(
            "{vault:?} {:?} {:#?}",
            vault.data_key("acme", "bob").unwrap(),
            KeyMaterial::generate().unwrap()
        ),
    );
    assert_eq!(
        secrets.len(),
        7,
        "root, wrapping, index, data key, two derived, key file root"
    );

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("tenant keys created"),
        "logging was not captured"
    );
    let everything = format!("{}\n{logs}", out.borrow());
    for secret in &secrets {
        let hex = hex::encode(secret);
        let decimal = format!("{secret:?}");
        let forms = [
            hex.clone(),
            hex.to_uppercase(),
            STANDARD.encode(secret),
            STANDARD_NO_PAD.encode(secret),
            URL_SAFE.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            decimal[1..decimal.len() - 1].to_owned(),
            hex[..16].to_owned(),
        ];
        for form in forms {
            assert!(
                !everything.contains(&form),
                "key material found in output: {form}"
            );
        }
    }
    for plain in PLAINTEXTS.iter().copied().chain([PASSPHRASE]) {
        assert!(!everything.contains(plain), "{plain:?} found in output");
    }
}
