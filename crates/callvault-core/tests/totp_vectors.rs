//! The TOTP implementation (totp-rs, as callvault configures it) against RFC 6238 Appendix B,
//! and callvault's own generator: six digits, one step of skew, each code checked at the step
//! it names.

use callvault_core::people::totp;

#[test]
fn rfc6238_appendix_b() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/rfc6238.json"
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for (name, algorithm) in [
        ("SHA1", totp_rs::Algorithm::SHA1),
        ("SHA256", totp_rs::Algorithm::SHA256),
        ("SHA512", totp_rs::Algorithm::SHA512),
    ] {
        let seed = doc["seeds"][name].as_str().unwrap().as_bytes().to_vec();
        let generator = totp_rs::Builder::new()
            .with_algorithm(algorithm)
            .with_digits(8)
            .with_step_duration(30)
            .with_skew(0)
            .with_secret(seed)
            .build()
            .unwrap();
        for v in doc["vectors"].as_array().unwrap() {
            let time = v["time"].as_u64().unwrap();
            let want = v[name].as_str().unwrap();
            assert_eq!(
                generator.generate(time).to_string(),
                want,
                "{name} at {time}"
            );
            assert_eq!(generator.check(want, time), Some(time / 30));
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}

#[test]
fn callvault_codes_are_six_digits_with_one_step_of_skew() {
    let secret = [7u8; 32];
    let g = totp(&secret, "acme", "ana").unwrap();
    let now = 1_800_000_000u64;
    let code = g.generate(now).to_string();
    assert_eq!(code.len(), 6);
    assert_eq!(g.check(&code, now), Some(now / 30));
    assert_eq!(g.check(&code, now + 30), Some(now / 30), "one step late");
    assert_eq!(g.check(&code, now - 30), Some(now / 30), "one step early");
    assert_eq!(g.check(&code, now + 60), None, "two steps late");
    assert_eq!(g.check("000000x", now), None);
    let uri = g.to_url().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains("issuer=callvault"), "{uri}");
}
