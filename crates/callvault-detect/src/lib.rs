//! callvault's PII detection engine: text (and conversation context) in, findings out.
//!
//! Data flow for one turn: `lex` cuts the text once into tokens and looks each word up in the
//! `lexicon` (gazetteers and closed word classes); `cues` finds context phrases and `numbers`
//! turns written and spoken numbers into digit strings with a map back to the original bytes.
//! Recognizers (`classify` for numbers, `textual`, `dates`, `places`, `names`) read that shared
//! scan and propose candidates; `resolve` keeps the strongest non-overlapping ones. A
//! [`Conversation`] carries context from turn to turn; a [`StreamRedactor`] redacts interim
//! results with a bounded hold-back; [`redact`] applies a [`Policy`] and numbers labels.
//!
//! The crate does no I/O, holds no keys and never panics on any input: `detect` is total.

#![forbid(unsafe_code)]

mod checks;
mod classify;
mod cues;
mod dates;
mod detector;
mod finding;
mod lex;
mod lexicon;
mod names;
mod numbers;
mod places;
mod policy;
mod resolve;
mod scan;
mod stream;
mod textual;

pub use checks::{
    aba_valid, card_issuer_known, date_valid, iban_valid, itin_valid, luhn, nanp_valid, ssn_valid,
};
pub use detector::{Conversation, Detector, CONTEXT_TURNS, MAX_SCAN_BYTES};
pub use finding::{EntityType, Finding, NormalizedValue};
pub use policy::{redact, Action, Labeler, Policy, Replacement};
pub use stream::{hold_back_point, Redacted, StreamRedactor, MAX_HOLD_BACK, PENDING};

/// Detects personal data in one text with no conversation context.
pub fn detect(text: &str) -> Vec<Finding> {
    Detector::new().detect(text)
}
