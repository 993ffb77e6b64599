//! Streaming redaction of interim (partial) speech-recognizer results. A partial is redacted
//! with the conversation's context, and its tail is held back while it may still be growing into
//! a value: the last word (it may be cut mid-word) and any number still being spoken. The
//! hold-back is bounded: a tail longer than `MAX_HOLD_BACK` characters is shown as `[…]` until
//! the final result arrives, so a partial never shows the digits of a number in progress and
//! never lags more than the bound. The final result supersedes every partial.

use crate::detector::Conversation;
use crate::finding::Finding;
use crate::lex::{lex, TokenKind};
use crate::lexicon::{Lexicon, WordFlags};
use crate::policy::{redact, Labeler, Policy};

/// The longest tail (in characters) a partial may hold back before it is masked instead.
pub const MAX_HOLD_BACK: usize = 96;

/// The placeholder for a held-back tail that exceeds `MAX_HOLD_BACK`.
pub const PENDING: &str = "[…]";

/// Redacts one speaker stream of a call: partials in, redacted partials out; finals advance the
/// conversation.
#[derive(Debug, Default)]
pub struct StreamRedactor {
    conversation: Conversation,
    labeler: Labeler,
    policy: Policy,
}

/// A redacted interim or final result.
#[derive(Debug)]
pub struct Redacted {
    pub text: String,
    /// Findings of the shown text (byte offsets into the input).
    pub findings: Vec<Finding>,
    /// Bytes of the input withheld at the end (0 for a final).
    pub held_back: usize,
}

impl StreamRedactor {
    pub fn new(policy: Policy) -> StreamRedactor {
        StreamRedactor {
            conversation: Conversation::new(),
            labeler: Labeler::new(),
            policy,
        }
    }

    /// Redacts an interim result. Nothing about the conversation changes.
    pub fn partial(&mut self, speaker: Option<&str>, text: &str) -> Redacted {
        let cut = hold_back_point(text);
        let findings = self.conversation.peek(speaker, text);
        // A finding that crosses the cut is held back whole.
        let cut = findings
            .iter()
            .filter(|f| f.end > cut && f.start < cut)
            .map(|f| f.start)
            .min()
            .unwrap_or(cut);
        let shown: Vec<Finding> = findings.into_iter().filter(|f| f.end <= cut).collect();
        let (mut out, _) = redact(&text[..cut], &shown, &self.policy, &mut self.labeler);
        let tail = &text[cut..];
        if tail.chars().count() > MAX_HOLD_BACK {
            out.push_str(PENDING);
        }
        Redacted {
            text: out,
            findings: shown,
            held_back: text.len() - cut,
        }
    }

    /// Redacts a final result and advances the conversation.
    pub fn finalize(&mut self, speaker: Option<&str>, text: &str) -> Redacted {
        let findings = self.conversation.push(speaker, text);
        let (out, _) = redact(text, &findings, &self.policy, &mut self.labeler);
        Redacted {
            text: out,
            findings,
            held_back: 0,
        }
    }
}

/// Where the stable part of a partial ends: before a trailing number (written or spoken) and
/// before a last word that may still be cut.
/// The byte offset up to which an interim result can be shown: the tail after it may still grow
/// into a value (digits, number words, an e-mail being spelled).
pub fn hold_back_point(text: &str) -> usize {
    let toks = lex(text, Lexicon::global());
    let mut cut = text.len();
    let mut i = toks.len();
    // The last token is incomplete unless white space follows it.
    if i > 0 && !text.ends_with(char::is_whitespace) {
        i -= 1;
        cut = toks[i].start;
    }
    // Walk back over a trailing number and the separators and connectors inside it.
    while i > 0 {
        let t = &toks[i - 1];
        let numberish = matches!(t.kind, TokenKind::Num | TokenKind::Alnum)
            || t.has(WordFlags::NUMBER_WORD)
            || matches!(
                t.kind,
                TokenKind::Punct('-' | '(' | ')' | '+' | '.' | '/' | '@')
            )
            || matches!(&*t.lower, "dot" | "at" | "dash" | "underscore")
            || (t.is_word() && t.lower.chars().count() == 1);
        if !numberish {
            break;
        }
        i -= 1;
        cut = t.start;
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_in_progress_never_shows() {
        let mut s = StreamRedactor::new(Policy::default());
        let p = s.partial(
            Some("customer"),
            "my card number is four one one one one one one one",
        );
        assert!(
            !p.text.contains("four") && !p.text.contains("one"),
            "{}",
            p.text
        );
        assert!(p.text.starts_with("my card number is"));
        let f = s.finalize(
            Some("customer"),
            "my card number is four one one one one one one one one one one one one one one one",
        );
        assert!(f.text.contains("[CREDIT_CARD_1]"), "{}", f.text);
    }

    #[test]
    fn long_tail_is_masked_not_shown() {
        let mut s = StreamRedactor::new(Policy::default());
        let digits = "one two three four five six seven eight nine zero ".repeat(3);
        let p = s.partial(None, &format!("the number is {digits}"));
        assert!(p.text.ends_with(PENDING));
        assert!(!p.text.contains("seven"));
    }
}
