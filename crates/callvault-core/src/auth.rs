//! Service tokens: 256 random bits, shown once, stored as SHA-256. A token is long and random,
//! so a fast hash is enough (there is nothing to brute-force); lookups are by hash, so the token
//! itself is never compared or stored.

use zeroize::Zeroizing;

use crate::CoreError;

/// Prefix of every service token (lets secret scanners find leaked ones).
pub const TOKEN_PREFIX: &str = "cvt_";

/// A new service token (the secret, to show once) and its hash (to store).
pub fn new_token() -> Result<(Zeroizing<String>, [u8; 32]), CoreError> {
    let mut raw = Zeroizing::new([0u8; 32]);
    aws_lc_rs::rand::fill(&mut raw[..]).map_err(|_| CoreError::Internal)?;
    let mut token = Zeroizing::new(String::with_capacity(TOKEN_PREFIX.len() + 64));
    token.push_str(TOKEN_PREFIX);
    for b in raw.iter() {
        token.push_str(&format!("{b:02x}"));
    }
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
