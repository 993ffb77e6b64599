//! C2SP signed notes with Ed25519 keys: [`NoteSigner`] signs, [`open`] verifies with a list of
//! [`NoteVerifier`]s and returns the [`Note`].
//!
//! A note is UTF-8 text ending in a newline, a blank line, and signature lines
//! `— <key name> <base64(key ID || signature)>`. Key IDs are
//! `SHA-256(name || 0x0A || 0x01 || public key)[:4]`; keys travel as Go-compatible strings
//! (`name+hexid+base64(0x01 || public key)` for verifiers,
//! `PRIVATE+KEY+name+hexid+base64(0x01 || seed)` for signers).
//!
//! Parsing is strict where the spec leaves room: base64 must be canonical, key IDs are eight
//! lowercase hex digits, every signature line from a known key is verified (not only the
//! first), and a note has at most [`MAX_SIGNATURES`] signature lines. Only Ed25519 (signature
//! type 0x01) is supported; signatures of other types are simply from unknown keys. This module
//! does not decide which keys to trust or what the text means.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use zeroize::Zeroizing;

use crate::AuditError;

/// The most signature lines [`open`] accepts (the spec asks for at least 16; Go allows 100).
pub const MAX_SIGNATURES: usize = 100;

/// The signature type byte of Ed25519 in key IDs and key strings.
const ALG_ED25519: u8 = 0x01;

/// The start of every signature line: U+2014 EM DASH and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// One signature line of a note.
///
/// This is data, not a proof of anything: only the list [`Note::signatures`] is verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The key name.
    pub name: String,
    /// The key ID (the first four bytes of the decoded signature, big-endian).
    pub key_id: u32,
    /// The base64 of `key ID || signature`, exactly as on the line.
    pub base64: String,
}

/// A note that [`open`] accepted: its text and the signatures found on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<Signature>,
    unverified: Vec<Signature>,
}

impl Note {
    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Signatures that verified with a known key; never empty. One per key.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// Signatures from keys the caller did not pass (listed, not verified, duplicates dropped).
    pub fn unverified(&self) -> &[Signature] {
        &self.unverified
    }
}

/// An Ed25519 verifier key for notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    public_key: [u8; 32],
}

impl NoteVerifier {
    /// Parses a verifier key `name+hexid+base64(0x01 || 32-byte public key)`.
    ///
    /// # Errors
    /// [`AuditError::MalformedKey`] if any part is malformed, the algorithm is not Ed25519, the
    /// key is not 32 bytes, or the key ID does not match the name and key.
    pub fn from_vkey(vkey: &str) -> Result<Self, AuditError> {
        let (name, rest) = vkey
            .split_once('+')
            .ok_or(AuditError::MalformedKey("missing key ID"))?;
        let (id_hex, key_b64) = rest
            .split_once('+')
            .ok_or(AuditError::MalformedKey("missing key"))?;
        check_name(name).map_err(|_| AuditError::MalformedKey("invalid key name"))?;
        let key_id = parse_key_id(id_hex)?;
        let raw = STANDARD
            .decode(key_b64)
            .map_err(|_| AuditError::MalformedKey("key is not canonical base64"))?;
        let Some((&alg, public)) = raw.split_first() else {
            return Err(AuditError::MalformedKey("empty key"));
        };
        if alg != ALG_ED25519 {
            return Err(AuditError::MalformedKey("unknown signature algorithm"));
        }
        let public_key: [u8; 32] = public
            .try_into()
            .map_err(|_| AuditError::MalformedKey("Ed25519 public key is not 32 bytes"))?;
        if compute_key_id(name, &public_key) != key_id {
            return Err(AuditError::MalformedKey("key ID does not match the key"));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id,
            public_key,
        })
    }

    /// The verifier key string, as [`NoteVerifier::from_vkey`] reads it.
    pub fn vkey(&self) -> String {
        let mut raw = [0u8; 33];
        raw[0] = ALG_ED25519;
        raw[1..].copy_from_slice(&self.public_key);
        format!("{}+{:08x}+{}", self.name, self.key_id, STANDARD.encode(raw))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.public_key)
            .verify(msg, signature)
            .is_ok()
    }
}

impl FromStr for NoteVerifier {
    type Err = AuditError;

    fn from_str(vkey: &str) -> Result<Self, AuditError> {
        Self::from_vkey(vkey)
    }
}

/// An Ed25519 signer key for notes. The seed is zeroized on drop and never printed.
pub struct NoteSigner {
    name: String,
    key_id: u32,
    seed: Zeroizing<[u8; 32]>,
    key_pair: Ed25519KeyPair,
}

impl NoteSigner {
    /// Parses a Go signer key `PRIVATE+KEY+name+hexid+base64(0x01 || 32-byte seed)`.
    ///
    /// # Errors
    /// [`AuditError::MalformedKey`] if any part is malformed or the key ID does not match the
    /// key derived from the seed. The message never contains key material.
    pub fn from_skey(skey: &str) -> Result<Self, AuditError> {
        let mut parts = skey.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(id_hex), Some(key_b64)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(AuditError::MalformedKey(
                "signer key is not PRIVATE+KEY+name+id+key",
            ));
        };
        check_name(name).map_err(|_| AuditError::MalformedKey("invalid key name"))?;
        let key_id = parse_key_id(id_hex)?;
        let raw = Zeroizing::new(
            STANDARD
                .decode(key_b64)
                .map_err(|_| AuditError::MalformedKey("key is not canonical base64"))?,
        );
        let Some((&alg, seed)) = raw.split_first() else {
            return Err(AuditError::MalformedKey("empty key"));
        };
        if alg != ALG_ED25519 {
            return Err(AuditError::MalformedKey("unknown signature algorithm"));
        }
        let mut seed_bytes = Zeroizing::new([0u8; 32]);
        if seed.len() != seed_bytes.len() {
            return Err(AuditError::MalformedKey("Ed25519 seed is not 32 bytes"));
        }
        seed_bytes.copy_from_slice(seed);
        let signer = Self::from_seed(name, &seed_bytes)?;
        if signer.key_id != key_id {
            return Err(AuditError::MalformedKey("key ID does not match the key"));
        }
        Ok(signer)
    }

    /// A new random key named `name`.
    ///
    /// # Errors
    /// [`AuditError::MalformedKey`] for an invalid name; [`AuditError::Crypto`] if the system
    /// has no randomness.
    pub fn generate(name: &str) -> Result<Self, AuditError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(seed.as_mut_slice())
            .map_err(|_| AuditError::Crypto("no randomness for a new key"))?;
        Self::from_seed(name, &seed)
    }

    /// The key named `name` with this 32-byte Ed25519 seed (RFC 8032 private key).
    ///
    /// # Errors
    /// [`AuditError::MalformedKey`] for an invalid name; [`AuditError::Crypto`] if the
    /// cryptographic library refuses the seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, AuditError> {
        check_name(name).map_err(|_| AuditError::MalformedKey("invalid key name"))?;
        let key_pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| AuditError::Crypto("Ed25519 key derivation failed"))?;
        let public_key: [u8; 32] = key_pair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| AuditError::Crypto("Ed25519 public key is not 32 bytes"))?;
        Ok(Self {
            name: name.to_owned(),
            key_id: compute_key_id(name, &public_key),
            seed: Zeroizing::new(*seed),
            key_pair,
        })
    }

    /// The signer key string, as [`NoteSigner::from_skey`] reads it. Zeroized when dropped.
    pub fn skey(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new([0u8; 33]);
        raw[0] = ALG_ED25519;
        raw[1..].copy_from_slice(self.seed.as_slice());
        // Encode into a fixed buffer so no copy of the secret is left in a reallocated string.
        let mut encoded = Zeroizing::new([0u8; 44]);
        let mut out = Zeroizing::new(String::with_capacity(12 + self.name.len() + 10 + 44));
        out.push_str("PRIVATE+KEY+");
        out.push_str(&self.name);
        out.push_str(&format!("+{:08x}+", self.key_id));
        let n = STANDARD
            .encode_slice(raw.as_slice(), encoded.as_mut_slice())
            // 33 bytes encode to exactly 44 base64 characters, the buffer's size.
            .expect("33 bytes fit 44 base64 characters");
        out.extend(encoded[..n].iter().map(|&b| char::from(b)));
        out
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(self.key_pair.public_key().as_ref());
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key,
        }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Signs `text` and returns the whole signed note (text, blank line, one signature line).
    ///
    /// # Errors
    /// [`AuditError::MalformedNote`] unless `text` ends in a newline and holds no control
    /// characters other than newline; [`AuditError::Crypto`] if signing fails.
    pub fn sign(&self, text: &str) -> Result<String, AuditError> {
        sign_note(text, &[], &[self])
    }

    fn signature_line(&self, text: &str) -> Result<String, AuditError> {
        let signature = self
            .key_pair
            .try_sign(text.as_bytes())
            .map_err(|_| AuditError::Crypto("Ed25519 signing failed"))?;
        let mut raw = Vec::with_capacity(4 + 64);
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(signature.as_ref());
        Ok(format!(
            "{SIG_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(raw)
        ))
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .field("seed", &format_args!("<redacted>"))
            .finish()
    }
}

/// Signs `text` with each of `signers` and returns the signed note, keeping the `existing`
/// signature lines (for example [`Note::signatures`] and [`Note::unverified`] of an opened
/// note) except those of a key that signs again here, which are replaced.
///
/// Existing lines come first, then the new ones, in order.
///
/// # Errors
/// [`AuditError::MalformedNote`] if `text` does not end in a newline or holds control
/// characters, if an existing signature that is kept has an invalid name or a base64 that does
/// not start with its key ID, or if the result would have no signature at all;
/// [`AuditError::Crypto`] if signing fails.
pub fn sign_note(
    text: &str,
    existing: &[Signature],
    signers: &[&NoteSigner],
) -> Result<String, AuditError> {
    if !text.ends_with('\n') {
        return Err(AuditError::MalformedNote("text does not end in a newline"));
    }
    check_characters(text)?;
    let mut out = String::with_capacity(text.len() + 1 + 120 * (existing.len() + signers.len()));
    out.push_str(text);
    out.push('\n');
    let mut lines = 0usize;
    for sig in existing {
        if signers
            .iter()
            .any(|s| s.name == sig.name && s.key_id == sig.key_id)
        {
            continue;
        }
        check_name(&sig.name)?;
        let raw = STANDARD
            .decode(&sig.base64)
            .map_err(|_| AuditError::MalformedNote("signature is not canonical base64"))?;
        if raw.len() < 5 || raw[..4] != sig.key_id.to_be_bytes() {
            return Err(AuditError::MalformedNote(
                "signature does not start with its key ID",
            ));
        }
        out.push_str(&format!("{SIG_PREFIX}{} {}\n", sig.name, sig.base64));
        lines += 1;
    }
    for signer in signers {
        out.push_str(&signer.signature_line(text)?);
        lines += 1;
    }
    if lines == 0 {
        return Err(AuditError::MalformedNote(
            "a note needs at least one signature",
        ));
    }
    Ok(out)
}

/// Parses a signed note and verifies its signatures with `verifiers`.
///
/// Signatures whose (name, key ID) no verifier has are listed in [`Note::unverified`]. Every
/// signature from a known key must verify.
///
/// # Errors
/// - [`AuditError::MalformedNote`]: not UTF-8, a control character other than newline, no
///   blank line before the signatures, a line that is not a signature line, a missing final
///   newline, or more than [`MAX_SIGNATURES`] signature lines;
/// - [`AuditError::AmbiguousKey`]: a signature's (name, key ID) matches more than one verifier;
/// - [`AuditError::InvalidSignature`]: a signature from a known key does not verify;
/// - [`AuditError::NoVerifiedSignature`]: no signature is from a known key.
pub fn open(note: &[u8], verifiers: &[NoteVerifier]) -> Result<Note, AuditError> {
    let msg = std::str::from_utf8(note).map_err(|_| AuditError::MalformedNote("not UTF-8"))?;
    check_characters(msg)?;
    let split = msg.rfind("\n\n").ok_or(AuditError::MalformedNote(
        "no blank line before the signatures",
    ))?;
    let (text, block) = (&msg[..split + 1], &msg[split + 2..]);
    let Some(block) = block.strip_suffix('\n') else {
        return Err(AuditError::MalformedNote(
            "signature block does not end in a newline",
        ));
    };
    // Count before parsing, so a huge note costs no base64 decoding or signature checks.
    if block.split('\n').count() > MAX_SIGNATURES {
        return Err(AuditError::MalformedNote("too many signature lines"));
    }

    let mut signatures: Vec<Signature> = Vec::new();
    let mut unverified: Vec<Signature> = Vec::new();
    for line in block.split('\n') {
        let (sig, raw) = parse_signature_line(line)?;
        let mut known = verifiers
            .iter()
            .filter(|v| v.name == sig.name && v.key_id == sig.key_id);
        let Some(verifier) = known.next() else {
            if !unverified.contains(&sig) {
                unverified.push(sig);
            }
            continue;
        };
        if known.next().is_some() {
            return Err(AuditError::AmbiguousKey {
                name: sig.name,
                key_id: sig.key_id,
            });
        }
        if signatures.contains(&sig) {
            continue;
        }
        if !verifier.verify(text.as_bytes(), raw.get(4..).unwrap_or_default()) {
            return Err(AuditError::InvalidSignature {
                name: sig.name,
                key_id: sig.key_id,
            });
        }
        // A key that signed twice (two different valid encodings) is listed once.
        if !signatures
            .iter()
            .any(|s| s.name == sig.name && s.key_id == sig.key_id)
        {
            signatures.push(sig);
        }
    }
    if signatures.is_empty() {
        return Err(AuditError::NoVerifiedSignature);
    }
    Ok(Note {
        text: text.to_owned(),
        signatures,
        unverified,
    })
}

/// Parses `— name base64` (without the newline) into a signature and its decoded bytes
/// (key ID and at least one signature byte).
fn parse_signature_line(line: &str) -> Result<(Signature, Vec<u8>), AuditError> {
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or(AuditError::MalformedNote(
            "line after the blank line is not a signature",
        ))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(AuditError::MalformedNote("signature line has no signature"))?;
    check_name(name)?;
    let raw = STANDARD
        .decode(b64)
        .map_err(|_| AuditError::MalformedNote("signature is not canonical base64"))?;
    let (Some(id), true) = (raw.first_chunk::<4>(), raw.len() > 4) else {
        return Err(AuditError::MalformedNote("signature is too short"));
    };
    let sig = Signature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes(*id),
        base64: b64.to_owned(),
    };
    Ok((sig, raw))
}

/// Key names: non-empty, no Unicode space, no '+', no control character.
fn check_name(name: &str) -> Result<(), AuditError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c == '+' || c.is_whitespace() || c.is_control())
    {
        return Err(AuditError::MalformedNote("invalid key name"));
    }
    Ok(())
}

/// Notes hold no ASCII control character other than newline.
fn check_characters(text: &str) -> Result<(), AuditError> {
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(AuditError::MalformedNote("control character"));
    }
    Ok(())
}

/// Eight lowercase hex digits.
fn parse_key_id(hex: &str) -> Result<u32, AuditError> {
    if hex.len() != 8
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(AuditError::MalformedKey(
            "key ID is not 8 lowercase hex digits",
        ));
    }
    u32::from_str_radix(hex, 16).map_err(|_| AuditError::MalformedKey("key ID is not hex"))
}

/// `SHA-256(name || 0x0A || 0x01 || public key)[:4]`, big-endian.
fn compute_key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(name.as_bytes());
    ctx.update(&[b'\n', ALG_ED25519]);
    ctx.update(public_key);
    let d = ctx.finish();
    let mut id = [0u8; 4];
    // SHA-256 output is 32 bytes, so the first four always exist.
    id.copy_from_slice(&d.as_ref()[..4]);
    u32::from_be_bytes(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip() {
        let signer = NoteSigner::generate("example.com/log").unwrap();
        let again = NoteSigner::from_skey(&signer.skey()).unwrap();
        assert_eq!(again.verifier(), signer.verifier());
        let v = NoteVerifier::from_vkey(&signer.verifier().vkey()).unwrap();
        assert_eq!(v, signer.verifier());
        let note = signer.sign("hello\n\nworld\n").unwrap();
        let opened = open(note.as_bytes(), &[v]).unwrap();
        assert_eq!(opened.text(), "hello\n\nworld\n");
        assert_eq!(opened.signatures().len(), 1);
        assert!(opened.unverified().is_empty());
    }

    #[test]
    fn debug_hides_the_seed() {
        let seed = [7u8; 32];
        let signer = NoteSigner::from_seed("k", &seed).unwrap();
        let shown = format!("{signer:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        let skey = signer.skey();
        let b64 = skey.rsplit('+').next().unwrap();
        assert!(!shown.contains(b64), "{shown}");
        assert!(!shown.contains(&hex_of(&seed)), "{shown}");
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn bad_names_and_texts() {
        for name in ["", "a+b", "a b", "a\tb", "a\u{a0}b", "a\u{7f}b"] {
            assert!(NoteSigner::from_seed(name, &[1; 32]).is_err(), "{name:?}");
        }
        let s = NoteSigner::from_seed("k", &[1; 32]).unwrap();
        assert!(s.sign("no newline").is_err());
        assert!(s.sign("").is_err());
        assert!(s.sign("bell\u{7}\n").is_err());
        // A text ending in a blank line still opens to the same text.
        let note = s.sign("a\n\n").unwrap();
        assert_eq!(
            open(note.as_bytes(), &[s.verifier()]).unwrap().text(),
            "a\n\n"
        );
    }

    #[test]
    fn second_bad_signature_from_a_known_key_rejects() {
        let s = NoteSigner::from_seed("k", &[1; 32]).unwrap();
        let other = NoteSigner::from_seed("k", &[2; 32]).unwrap();
        let good = s.sign("t\n").unwrap();
        // Same name and key ID, but a signature over another text.
        let wrong = s.signature_line("u\n").unwrap();
        let note = format!("{good}{wrong}");
        assert!(matches!(
            open(note.as_bytes(), &[s.verifier()]),
            Err(AuditError::InvalidSignature { .. })
        ));
        // The other key is unknown: listed, not verified.
        let note = format!("{good}{}", other.signature_line("t\n").unwrap());
        let opened = open(note.as_bytes(), &[s.verifier()]).unwrap();
        assert_eq!(opened.unverified().len(), 1);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let s = NoteSigner::from_seed("k", &[1; 32]).unwrap();
        let note = s.sign("t\n").unwrap().into_bytes();
        let v = [s.verifier()];
        for i in 0..note.len() {
            for delta in [1u8, 0x80, 0xff] {
                let mut m = note.clone();
                m[i] = m[i].wrapping_add(delta);
                assert!(open(&m, &v).is_err(), "byte {i} +{delta}");
            }
            let _ = open(&note[..i], &v);
            let _ = open(&note[i..], &v);
        }
    }
}
