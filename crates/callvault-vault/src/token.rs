//! Tokens: the labels a redacted transcript shows and the opaque ids the API uses.
//!
//! Within one conversation the same value always gets the same label (`[CREDIT_CARD_1]`), and
//! each label is backed by a random [`TokenId`]. [`ConversationTokens`] keys labels by blind
//! index, not by plaintext, so the map itself holds nothing readable.

use std::collections::HashMap;

use crate::index::BlindIndex;
use crate::VaultError;

/// An opaque token id, written `tok_` and 32 hex digits: 48 bits of creation time (milliseconds
/// since the Unix epoch) then 80 random bits. The time prefix makes new ids sort after old
/// ones, so a store's index on them grows at one end (one page per batch, not one random page
/// per token); the random part keeps them unguessable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenId([u8; 16]);

impl TokenId {
    pub fn generate() -> Result<TokenId, VaultError> {
        let mut id = [0u8; 16];
        aws_lc_rs::rand::fill(&mut id[6..]).map_err(|_| VaultError::Crypto("random generator"))?;
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        id[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
        Ok(TokenId(id))
    }

    /// Parses the `tok_…` form.
    pub fn parse(text: &str) -> Option<TokenId> {
        let hex = text.strip_prefix("tok_")?;
        if hex.len() != 32
            || !hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(TokenId(id))
    }
}

impl std::fmt::Display for TokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = [0u8; 32];
        // Cannot fail: the buffer is exactly twice the id's length.
        hex::encode_to_slice(self.0, &mut text).map_err(|_| std::fmt::Error)?;
        f.write_str("tok_")?;
        f.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
    }
}

/// A token as a transcript and the API see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Without brackets: `CREDIT_CARD_1`.
    pub label: String,
    pub id: TokenId,
}

/// Labels and ids for one conversation.
///
/// Keyed by blind index alone: the index is an HMAC over the entity type and the value, so two
/// types never share one. The type is kept beside the token and checked on every lookup all the
/// same, so a caller that pairs an index with the wrong type finds nothing.
#[derive(Clone, Debug, Default)]
pub struct ConversationTokens {
    by_value: HashMap<BlindIndex, (Box<str>, Token)>,
    /// Per entity type, the highest label number given so far.
    last: HashMap<Box<str>, u32>,
}

impl ConversationTokens {
    pub fn new() -> ConversationTokens {
        ConversationTokens::default()
    }

    /// Rebuilds the map from stored tokens (entity type, blind index, token), e.g. when a
    /// conversation resumes on another server.
    pub fn restore(&mut self, entity: &str, index: BlindIndex, token: Token) {
        let n = self.last_number(entity).max(label_number(&token.label));
        self.set_last_number(entity, n);
        self.by_value.insert(index, (entity.into(), token));
    }

    /// The token this conversation already gave a value, if any (interim results show it).
    pub fn get(&self, entity: &str, index: BlindIndex) -> Option<&Token> {
        self.by_value
            .get(&index)
            .filter(|(kind, _)| &**kind == entity)
            .map(|(_, token)| token)
    }

    /// The token for a value: the existing one if this conversation has seen the value, else a
    /// new one with the next number for its type. The flag says whether it is new.
    pub fn token_for(
        &mut self,
        entity: &str,
        index: BlindIndex,
    ) -> Result<(Token, bool), VaultError> {
        match self.by_value.get(&index) {
            Some((kind, token)) if &**kind == entity => return Ok((token.clone(), false)),
            Some(_) => {
                return Err(VaultError::Invalid(
                    "a blind index met under two entity types",
                ))
            }
            None => {}
        }
        let n = self
            .last_number(entity)
            .checked_add(1)
            .ok_or(VaultError::Invalid(
                "too many tokens of one type in a conversation",
            ))?;
        self.set_last_number(entity, n);
        let token = Token {
            label: format!("{entity}_{n}"),
            id: TokenId::generate()?,
        };
        self.by_value.insert(index, (entity.into(), token.clone()));
        Ok((token, true))
    }

    /// The highest label number given to `entity` so far (0 before the first).
    fn last_number(&self, entity: &str) -> u32 {
        self.last.get(entity).copied().unwrap_or(0)
    }

    fn set_last_number(&mut self, entity: &str, n: u32) {
        match self.last.get_mut(entity) {
            Some(last) => *last = n,
            None => {
                self.last.insert(entity.into(), n);
            }
        }
    }
}

fn label_number(label: &str) -> u32 {
    label
        .rsplit('_')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_label_new_value_next_number() {
        let mut tokens = ConversationTokens::new();
        let a = BlindIndex::from_bytes([1; 32]);
        let b = BlindIndex::from_bytes([2; 32]);
        let (t1, new1) = tokens.token_for("CREDIT_CARD", a).unwrap();
        let (t2, new2) = tokens.token_for("CREDIT_CARD", a).unwrap();
        let (t3, _) = tokens.token_for("CREDIT_CARD", b).unwrap();
        let c = BlindIndex::from_bytes([3; 32]);
        let (t4, _) = tokens.token_for("PHONE_NUMBER", c).unwrap();
        assert!(new1 && !new2);
        assert_eq!(t1, t2);
        assert_eq!(t1.label, "CREDIT_CARD_1");
        assert_eq!(t3.label, "CREDIT_CARD_2");
        assert_eq!(t4.label, "PHONE_NUMBER_1");
        assert_ne!(t1.id, t3.id);
        assert_eq!(TokenId::parse(&t1.id.to_string()), Some(t1.id));
        assert_eq!(TokenId::parse("tok_XYZ"), None);

        // A real index binds its type (the HMAC covers it); an index met again under another
        // type is a caller's mistake, refused rather than answered with the other type's token.
        assert!(tokens.get("PHONE_NUMBER", a).is_none());
        assert!(tokens.token_for("PHONE_NUMBER", a).is_err());

        let mut resumed = ConversationTokens::new();
        resumed.restore("CREDIT_CARD", a, t1.clone());
        assert_eq!(
            resumed.token_for("CREDIT_CARD", b).unwrap().0.label,
            "CREDIT_CARD_2"
        );
    }
}
