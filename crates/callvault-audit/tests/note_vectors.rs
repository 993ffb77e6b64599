//! Published signed-note vectors (sources in `tests/vectors/signed-note/README.md`): the C2SP
//! spec's example and introductory notes, and every key, note and outcome from Go's
//! `sumdb/note` tests. Outcomes are compared as accept/reject-and-why, not as Go's wording.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callvault_audit::note::{open, sign_note};
use callvault_audit::{AuditError, NoteSigner, NoteVerifier, Signature};
use serde::Deserialize;
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/signed-note")
}

fn read(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[derive(Deserialize, Debug, Clone)]
struct Sig {
    name: String,
    key_id_hex: String,
    base64: String,
}

impl Sig {
    fn to_signature(&self) -> Signature {
        Signature {
            name: self.name.clone(),
            key_id: u32::from_str_radix(&self.key_id_hex, 16).unwrap(),
            base64: self.base64.clone(),
        }
    }
}

fn sigs(v: &Value) -> Vec<Signature> {
    let list: Vec<Sig> = serde_json::from_value(v.clone()).unwrap();
    list.iter().map(Sig::to_signature).collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

struct GoKeys {
    peter: NoteSigner,
    peter_v: NoteVerifier,
    enoch_v: NoteVerifier,
}

fn go_keys(go: &Value) -> GoKeys {
    let keys = &go["keys"];
    GoKeys {
        peter: NoteSigner::from_skey(str_of(&keys["PeterNeumann"], "skey")).unwrap(),
        peter_v: NoteVerifier::from_vkey(str_of(&keys["PeterNeumann"], "vkey")).unwrap(),
        enoch_v: NoteVerifier::from_vkey(str_of(&keys["EnochRoot"], "vkey")).unwrap(),
    }
}

#[test]
fn c2sp_example_verifies_byte_for_byte() {
    let spec = json("c2sp_signed_note.json");
    let v = &spec["vectors"][0];
    let file = read("c2sp_example.note");
    assert_eq!(file, str_of(v, "signed_note").as_bytes());

    let verifier = NoteVerifier::from_vkey(str_of(v, "vkey")).unwrap();
    assert_eq!(verifier.vkey(), str_of(v, "vkey"));
    assert_eq!(verifier.name(), "example.com/foo");
    assert_eq!(verifier.key_id(), 0x530d_903a);

    let note = open(&file, std::slice::from_ref(&verifier)).unwrap();
    assert_eq!(note.text(), str_of(v, "note_text"));
    assert_eq!(note.signatures(), sigs(&v["signatures"]));
    assert!(note.unverified().is_empty());

    // The note is exactly text, blank line, signature line.
    let rebuilt = sign_note(note.text(), note.signatures(), &[]).unwrap();
    assert_eq!(rebuilt.as_bytes(), file);
}

#[test]
fn c2sp_quasimodo_has_no_verifiable_signature_and_splits_at_the_last_blank_line() {
    let spec = json("c2sp_signed_note.json");
    let example = NoteVerifier::from_vkey(str_of(&spec["vectors"][0], "vkey")).unwrap();
    let v = &spec["vectors"][1];
    assert!(v["vkey"].is_null());
    let file = read("c2sp_quasimodo.note");
    assert_eq!(file, str_of(v, "signed_note").as_bytes());
    for verifiers in [vec![], vec![example]] {
        assert_eq!(
            open(&file, &verifiers),
            Err(AuditError::NoVerifiedSignature)
        );
    }

    // Add a signature of ours over the expected text: it verifies only if the text ends at the
    // last blank line, and the note then lists the quasimodo signature as unverified.
    let ours = NoteSigner::generate("callvault.test/quasimodo").unwrap();
    let text = str_of(v, "note_text");
    let quasimodo = sigs(&v["signatures"]);
    let cosigned = sign_note(text, &quasimodo, &[&ours]).unwrap();
    assert!(cosigned.as_bytes().starts_with(&file));
    let note = open(cosigned.as_bytes(), &[ours.verifier()]).unwrap();
    assert_eq!(note.text(), text);
    assert_eq!(note.unverified(), quasimodo);
    assert_eq!(note.signatures().len(), 1);
}

#[test]
fn go_keys_round_trip() {
    let go = json("golang_mod_sumdb_note.json");
    let k = go_keys(&go);
    let keys = &go["keys"];
    assert_eq!(
        k.peter.skey().as_str(),
        str_of(&keys["PeterNeumann"], "skey")
    );
    assert_eq!(k.peter.verifier(), k.peter_v);
    assert_eq!(k.peter_v.vkey(), str_of(&keys["PeterNeumann"], "vkey"));
    assert_eq!(k.enoch_v.vkey(), str_of(&keys["EnochRoot"], "vkey"));
    assert_eq!(k.peter.key_id(), 0xc74f_20a3);
    assert_eq!(k.enoch_v.key_id(), 0xaf0c_fe78);
    assert!(keys["EnochRoot"]["skey"].is_null());
}

#[test]
fn go_sign_cases() {
    let go = json("golang_mod_sumdb_note.json");
    let k = go_keys(&go);
    let text = str_of(&go, "text");
    let expected_note = format!("{text}\n{}", str_of(&go["signature_lines"], "PeterNeumann"));
    assert_eq!(k.peter.sign(text).unwrap(), expected_note);
    assert_eq!(read("peterneumann.note"), expected_note.as_bytes());

    let cases = go["sign"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = str_of(case, "name");
        let signers: Vec<&NoteSigner> = match case["skey"].as_str() {
            Some("PeterNeumann") => vec![&k.peter],
            None => vec![],
            Some(other) => panic!("{name}: unknown signer {other}"),
        };
        let existing = sigs(&case["existing_sigs"]);
        let got = sign_note(str_of(case, "text"), &existing, &signers);
        match case["want"].as_str() {
            Some(want) => assert_eq!(got.as_deref(), Ok(want), "{name}"),
            None => {
                assert_eq!(str_of(case, "want_error"), "malformed note", "{name}");
                assert!(
                    matches!(got, Err(AuditError::MalformedNote(_))),
                    "{name}: {got:?}"
                );
            }
        }
    }
}

/// Every proper non-empty substring and every single-byte +1 mutation of `key`.
fn mutations(key: &str) -> Vec<Vec<u8>> {
    let b = key.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len() {
        for j in i + 1..=b.len() {
            if (i, j) != (0, b.len()) {
                out.push(b[i..j].to_vec());
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] = m[i].wrapping_add(1);
        out.push(m);
    }
    out
}

#[test]
fn go_new_verifier() {
    let go = json("golang_mod_sumdb_note.json");
    let nv = &go["new_verifier"];
    for vkey in nv["valid"].as_array().unwrap() {
        let vkey = vkey.as_str().unwrap();
        assert_eq!(NoteVerifier::from_vkey(vkey).unwrap().vkey(), vkey);
    }
    let invalid = nv["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 2);
    for case in invalid {
        let got = NoteVerifier::from_vkey(str_of(case, "vkey"));
        assert!(
            matches!(got, Err(AuditError::MalformedKey(_))),
            "{}",
            str_of(case, "why")
        );
    }

    let valid = str_of(&go["keys"]["PeterNeumann"], "vkey");
    let all = mutations(valid);
    assert_eq!(all.len(), 2276);
    for m in &all {
        // Bytes that are not UTF-8 cannot even reach the parser, which takes &str.
        if let Ok(s) = std::str::from_utf8(m) {
            assert!(NoteVerifier::from_vkey(s).is_err(), "accepted {s:?}");
        }
    }
}

#[test]
fn go_new_signer() {
    let go = json("golang_mod_sumdb_note.json");
    let ns = &go["new_signer"];
    for skey in ns["valid"].as_array().unwrap() {
        let skey = skey.as_str().unwrap();
        assert_eq!(NoteSigner::from_skey(skey).unwrap().skey().as_str(), skey);
    }
    let valid = str_of(&go["keys"]["PeterNeumann"], "skey");
    let all = mutations(valid);
    assert_eq!(all.len(), 3158);
    for m in &all {
        if let Ok(s) = std::str::from_utf8(m) {
            match NoteSigner::from_skey(s) {
                Err(AuditError::MalformedKey(why)) => {
                    // The reason is a fixed description, never the key.
                    assert!(!why.contains("AYEKF"), "{why}");
                }
                other => panic!("{s:?}: {other:?}"),
            }
        }
    }
}

/// Go's lookups in [PeterNeumann, EnochRoot, EnochRoot], made through `open`: a note carrying
/// PeterNeumann's real signature plus a probe line with the looked-up (name, key ID).
#[test]
fn go_verifier_list() {
    let go = json("golang_mod_sumdb_note.json");
    let k = go_keys(&go);
    let list = [k.peter_v.clone(), k.enoch_v.clone(), k.enoch_v.clone()];
    let text = str_of(&go, "text");
    let peter_line = str_of(&go["signature_lines"], "PeterNeumann");
    let peter_sig = STANDARD
        .decode(peter_line.rsplit(' ').next().unwrap().trim_end())
        .unwrap();
    let lookups = go["verifier_list"]["lookups"].as_array().unwrap();
    assert_eq!(lookups.len(), 4);
    for lookup in lookups {
        let name = str_of(lookup, "name");
        let id = u32::from_str_radix(str_of(lookup, "key_id_hex"), 16).unwrap();
        let mut raw = id.to_be_bytes().to_vec();
        raw.extend_from_slice(&peter_sig[4..]);
        let probe = Signature {
            name: name.to_owned(),
            key_id: id,
            base64: STANDARD.encode(&raw),
        };
        let note = format!("{text}\n{peter_line}\u{2014} {name} {}\n", probe.base64);
        let got = open(note.as_bytes(), &list);
        match (lookup["want"].as_str(), lookup["want_error"].as_str()) {
            (Some("PeterNeumann"), _) => {
                let note = got.unwrap();
                assert_eq!(note.signatures().len(), 1);
                assert_eq!(note.signatures()[0].name, "PeterNeumann");
                assert!(note.unverified().is_empty());
            }
            (None, Some(e)) if e.starts_with("unknown key") => {
                assert_eq!(got.unwrap().unverified(), [probe], "{e}");
            }
            (None, Some(e)) if e.starts_with("ambiguous key") => {
                assert_eq!(
                    got,
                    Err(AuditError::AmbiguousKey {
                        name: name.to_owned(),
                        key_id: id
                    })
                );
            }
            other => panic!("unexpected case {other:?}"),
        }
    }
}

#[test]
fn go_open_cases() {
    let go = json("golang_mod_sumdb_note.json");
    let k = go_keys(&go);
    let cases = go["open"].as_array().unwrap();
    assert_eq!(cases.len(), 18);
    for case in cases {
        let name = str_of(case, "name");
        let msg = STANDARD.decode(str_of(case, "msg_base64")).unwrap();
        match case["msg"].as_str() {
            Some(m) => assert_eq!(m.as_bytes(), msg, "{name}"),
            None => assert!(std::str::from_utf8(&msg).is_err(), "{name}"),
        }
        let verifiers: Vec<NoteVerifier> = case["verifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| match v.as_str().unwrap() {
                // Go's test lookup returns PeterNeumann for anything; ours looks up by
                // (name, key ID), so PeterNeumann's verifier is the faithful stand-in.
                "PeterNeumann" | "*->PeterNeumann" => k.peter_v.clone(),
                "EnochRoot" => k.enoch_v.clone(),
                other => panic!("{name}: unknown verifier {other}"),
            })
            .collect();
        let got = open(&msg, &verifiers);
        if case["want"].is_object() {
            let want = &case["want"];
            let note = got.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(note.text(), str_of(want, "text"), "{name}");
            assert_eq!(note.signatures(), sigs(&want["sigs"]), "{name}");
            assert_eq!(note.unverified(), sigs(&want["unverified_sigs"]), "{name}");
            continue;
        }
        let err = str_of(case, "want_error");
        let ok = match &got {
            Err(AuditError::MalformedNote(_)) => err == "malformed note",
            Err(AuditError::NoVerifiedSignature) => {
                err == "note has no verifiable signatures"
                    || err == "verifier name or hash doesn't match signature"
            }
            Err(AuditError::AmbiguousKey { name, key_id }) => {
                err == format!("ambiguous key {name}+{key_id:08x}")
            }
            Err(AuditError::InvalidSignature { name, key_id }) => {
                err == format!("invalid signature for key {name}+{key_id:08x}")
            }
            _ => false,
        };
        assert!(ok, "{name}: want {err:?}, got {got:?}");
    }
}
