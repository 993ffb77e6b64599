//! Format-preserving tokens: FF1 (NIST SP 800-38G Rev. 1) through the `fpe` crate.
//!
//! For systems downstream that need a value shaped like the original (a 16-digit "card" that
//! passes their field validation), FF1 maps a string over an alphabet to another string of the
//! same length over the same alphabet, reversibly under the key. Rev. 1 requires
//! `radix^length >= 1,000,000`; shorter inputs are refused, not weakly encrypted (the 12
//! small-domain Wycheproof cases check this). Optionally the last four digits stay in the clear,
//! as card receipts show them; the other digits are then encrypted with the last four in the
//! tweak.

use aes::{Aes128, Aes192, Aes256};
use fpe::ff1::{FlexibleNumeralString, FF1};

use crate::VaultError;

/// Smallest domain SP 800-38G Rev. 1 allows.
pub const MIN_DOMAIN: u64 = 1_000_000;
/// Longest input accepted (FF1 allows more; a token field never needs it).
pub const MAX_LEN: usize = 1024;

/// The digits alphabet (radix 10).
pub const DIGITS: &str = "0123456789";
/// Digits then lower-case letters (radix 36), as NIST's radix-36 samples use.
pub const ALPHANUMERIC: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

enum Cipher {
    Aes128(FF1<Aes128>),
    Aes192(FF1<Aes192>),
    Aes256(FF1<Aes256>),
}

/// An FF1 key over one alphabet. The AES key schedule is zeroized on drop (`aes`'s `zeroize`
/// feature).
pub struct Ff1 {
    cipher: Cipher,
    alphabet: Vec<char>,
}

impl Ff1 {
    /// `key` is 16, 24 or 32 bytes (callvault's own tokens use 32); `alphabet` lists the
    /// characters in numeral order, 2 to 65536 distinct characters.
    pub fn new(key: &[u8], alphabet: &str) -> Result<Ff1, VaultError> {
        let alphabet: Vec<char> = alphabet.chars().collect();
        let mut sorted = alphabet.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != alphabet.len() || alphabet.len() < 2 || alphabet.len() > 65536 {
            return Err(VaultError::Invalid(
                "FF1 alphabet must have 2 to 65536 distinct characters",
            ));
        }
        let radix = alphabet.len() as u32;
        let bad_radix = |_| VaultError::Invalid("FF1 radix");
        let cipher = match key.len() {
            16 => Cipher::Aes128(FF1::new(key, radix).map_err(bad_radix)?),
            24 => Cipher::Aes192(FF1::new(key, radix).map_err(bad_radix)?),
            32 => Cipher::Aes256(FF1::new(key, radix).map_err(bad_radix)?),
            _ => return Err(VaultError::Invalid("FF1 key must be 16, 24 or 32 bytes")),
        };
        Ok(Ff1 { cipher, alphabet })
    }

    pub fn encrypt(&self, tweak: &[u8], text: &str) -> Result<String, VaultError> {
        self.apply(tweak, text, Direction::Encrypt)
    }

    pub fn decrypt(&self, tweak: &[u8], text: &str) -> Result<String, VaultError> {
        self.apply(tweak, text, Direction::Decrypt)
    }

    /// A card-shaped token for a string of digits. With `keep_last_four`, the last four digits
    /// are kept and bound into the tweak; the rest must still meet the minimum domain.
    pub fn digits_token(
        &self,
        tweak: &[u8],
        digits: &str,
        keep_last_four: bool,
    ) -> Result<String, VaultError> {
        self.digits(tweak, digits, keep_last_four, Direction::Encrypt)
    }

    /// Reverses [`Ff1::digits_token`].
    pub fn digits_detokenize(
        &self,
        tweak: &[u8],
        token: &str,
        keep_last_four: bool,
    ) -> Result<String, VaultError> {
        self.digits(tweak, token, keep_last_four, Direction::Decrypt)
    }

    fn digits(
        &self,
        tweak: &[u8],
        digits: &str,
        keep_last_four: bool,
        dir: Direction,
    ) -> Result<String, VaultError> {
        if self.alphabet.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VaultError::Invalid(
                "digit tokens need the digits alphabet and digits only",
            ));
        }
        if !keep_last_four {
            return self.apply(tweak, digits, dir);
        }
        if digits.len() < 4 {
            return Err(VaultError::Invalid("FF1 input below the minimum domain"));
        }
        let (head, last_four) = digits.split_at(digits.len() - 4);
        let mut bound_tweak = Vec::with_capacity(tweak.len() + 5);
        bound_tweak.extend_from_slice(tweak);
        bound_tweak.push(0);
        bound_tweak.extend_from_slice(last_four.as_bytes());
        let mut out = self.apply(&bound_tweak, head, dir)?;
        out.push_str(last_four);
        Ok(out)
    }

    fn apply(&self, tweak: &[u8], text: &str, dir: Direction) -> Result<String, VaultError> {
        let numerals = text
            .chars()
            .map(|c| self.alphabet.iter().position(|a| *a == c).map(|i| i as u16))
            .collect::<Option<Vec<u16>>>()
            .ok_or(VaultError::Invalid(
                "FF1 input has characters outside the alphabet",
            ))?;
        if numerals.len() > MAX_LEN {
            return Err(VaultError::Invalid("FF1 input too long"));
        }
        let domain = (self.alphabet.len() as u64)
            .checked_pow(numerals.len() as u32)
            .unwrap_or(u64::MAX);
        if domain < MIN_DOMAIN {
            return Err(VaultError::Invalid("FF1 input below the minimum domain"));
        }
        let ns = FlexibleNumeralString::from(numerals);
        let result = match (&self.cipher, dir) {
            (Cipher::Aes128(c), Direction::Encrypt) => c.encrypt(tweak, &ns),
            (Cipher::Aes128(c), Direction::Decrypt) => c.decrypt(tweak, &ns),
            (Cipher::Aes192(c), Direction::Encrypt) => c.encrypt(tweak, &ns),
            (Cipher::Aes192(c), Direction::Decrypt) => c.decrypt(tweak, &ns),
            (Cipher::Aes256(c), Direction::Encrypt) => c.encrypt(tweak, &ns),
            (Cipher::Aes256(c), Direction::Decrypt) => c.decrypt(tweak, &ns),
        }
        .map_err(|_| VaultError::Invalid("FF1 rejected the input"))?;
        Ok(Vec::<u16>::from(result)
            .into_iter()
            .map(|n| self.alphabet[usize::from(n)])
            .collect())
    }
}

impl std::fmt::Debug for Ff1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ff1(radix {}, key <redacted>)", self.alphabet.len())
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Encrypt,
    Decrypt,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_token_keeps_shape_and_last_four() {
        let ff1 = Ff1::new(&[7u8; 32], DIGITS).unwrap();
        let card = "4111111111111111";
        let token = ff1.digits_token(b"acme/CREDIT_CARD", card, true).unwrap();
        assert_eq!(token.len(), 16);
        assert!(token.ends_with("1111"));
        assert_ne!(token, card);
        assert_eq!(
            ff1.digits_detokenize(b"acme/CREDIT_CARD", &token, true)
                .unwrap(),
            card
        );
        let full = ff1.digits_token(b"acme/CREDIT_CARD", card, false).unwrap();
        assert_eq!(
            ff1.digits_detokenize(b"acme/CREDIT_CARD", &full, false)
                .unwrap(),
            card
        );
    }

    #[test]
    fn small_domains_and_foreign_characters_are_refused() {
        let ff1 = Ff1::new(&[7u8; 32], DIGITS).unwrap();
        assert!(ff1.encrypt(b"", "12345").is_err());
        assert!(ff1.encrypt(b"", "123456").is_ok());
        assert!(ff1.encrypt(b"", "12a456").is_err());
        assert!(ff1.digits_token(b"", "1234567890", true).is_ok());
        assert!(ff1.digits_token(b"", "123456789", true).is_err());
        assert!(Ff1::new(&[0u8; 20], DIGITS).is_err());
        assert!(Ff1::new(&[0u8; 32], "00").is_err());
    }
}
