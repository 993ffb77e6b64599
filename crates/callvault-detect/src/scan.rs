//! The per-turn scan state every recognizer reads: the tokens, the cue phrases, the number runs
//! and the context carried from the previous turn. Recognizers push candidate findings into
//! `Scan::out`; `resolve` then picks the non-overlapping winners.

use crate::cues::{find_cues, Cue, CueHit};
use crate::finding::{EntityType, Finding, NormalizedValue};
use crate::lex::{lex, Token};
use crate::lexicon::Lexicon;
use crate::numbers::{number_runs, NumberRun};

/// A question still open: a cue of an earlier turn that no value of its type has answered
/// yet, and how many turns ago it was asked (0: in the previous turn).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Asked {
    pub cue: Cue,
    pub age: u8,
    /// For how many turns it stays open.
    pub turns: u8,
    /// Not said but implied (a card given implies its expiry and code): it types only bare
    /// numbers, after the questions said.
    pub implicit: bool,
    /// Turns that did not age it because the answer was being fetched ("hold on").
    pub held: u8,
}

/// What the previous turns tell about this one. It holds personal data (digits, names): its
/// `Debug` shows only counts, and the buffers are zeroized on drop.
#[derive(Clone, Default)]
pub(crate) struct TurnContext {
    /// Questions still open, oldest first ("what's your date of birth?" two turns ago, with
    /// "hold on" in between).
    pub asked: Vec<Asked>,
    /// Digits this turn's speaker said at the very end of one of their recent turns (the
    /// other party may have said "okay" since), still unclassified or classified as a
    /// partial number, with the type it was given.
    pub pending_digits: Option<(String, Option<EntityType>)>,
    /// Lower-cased words of the names found in earlier turns of the call (a bounded list):
    /// "jasbir" said again three turns later is still a name.
    pub names: Vec<String>,
}

/// How many name words a call remembers.
pub(crate) const MAX_REMEMBERED_NAMES: usize = 32;

impl std::fmt::Debug for TurnContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnContext")
            .field("asked", &self.asked)
            .field(
                "pending_digits",
                &self.pending_digits.as_ref().map(|(d, t)| (d.len(), t)),
            )
            .field("names", &self.names.len())
            .finish()
    }
}

impl TurnContext {
    /// Replaces the pending digits, wiping the ones it drops.
    pub fn set_pending(&mut self, pending: Option<(String, Option<EntityType>)>) {
        if let Some((d, _)) = &mut self.pending_digits {
            zeroize::Zeroize::zeroize(d);
        }
        self.pending_digits = pending;
    }
}

impl Drop for TurnContext {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.set_pending(None);
        for n in &mut self.names {
            n.zeroize();
        }
    }
}

pub(crate) struct Scan<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token<'a>>,
    pub cues: Vec<CueHit>,
    pub runs: Vec<NumberRun>,
    /// The text has no upper-case letter at all (speech recognizer output): capitalization
    /// carries no information.
    pub caseless: bool,
    pub ctx: &'a TurnContext,
    pub out: Vec<Finding>,
}

impl<'a> Scan<'a> {
    pub fn new(text: &'a str, ctx: &'a TurnContext) -> Scan<'a> {
        let lexicon = Lexicon::global();
        let tokens = lex(text, lexicon);
        let cues = find_cues(&tokens);
        let runs = number_runs(&tokens);
        let caseless = !text.chars().any(char::is_uppercase);
        Scan {
            text,
            tokens,
            cues,
            runs,
            caseless,
            ctx,
            out: Vec::new(),
        }
    }

    /// The nearest cue that ends at most `window` tokens before token `i`.
    pub fn cue_before(&self, i: usize, window: usize) -> Option<CueHit> {
        self.cues
            .iter()
            .copied()
            .rev()
            .filter(|h| h.after <= i && i - h.after <= window)
            .find(|h| {
                // A question or exclamation mark between cue and value ends the cue's reach.
                !self.tokens[h.after..i]
                    .iter()
                    .any(|t| t.is_punct('?') || t.is_punct('!'))
            })
    }

    /// A cue of the wanted kind shortly before token `i`, or asked in the previous turn.
    pub fn has_cue(&self, i: usize, window: usize, want: &[Cue]) -> bool {
        self.cues
            .iter()
            .any(|h| want.contains(&h.cue) && h.after <= i && i - h.after <= window)
            || self.ctx.asked.iter().any(|a| {
                // A date is typed by the question just before it, or by a date-of-birth
                // question still open ("hold on" between): "expires" said in passing two turns
                // ago does not make every later date a card's expiry.
                want.contains(&a.cue) && !a.implicit && (a.age == 0 || a.cue == Cue::Birth)
            })
    }

    /// The open questions that may type a number: the newest turn's first, those of one
    /// turn in the order they were asked ("the card number and the security code?" is
    /// answered card first), implied ones last. Name cues say nothing about a number.
    pub fn open_questions(&self) -> impl Iterator<Item = Asked> {
        let mut open: Vec<Asked> = self
            .ctx
            .asked
            .iter()
            .copied()
            .filter(|a| !matches!(a.cue, Cue::Name | Cue::NameWeak))
            .collect();
        open.sort_by_key(|a| (a.implicit, a.age));
        open.into_iter()
    }

    pub fn push(
        &mut self,
        entity: EntityType,
        start: usize,
        end: usize,
        score: f32,
        value: String,
    ) {
        let value = if entity == EntityType::PhoneNumber {
            crate::checks::canonical_phone(value)
        } else {
            value
        };
        if start < end {
            self.out.push(Finding {
                entity,
                start,
                end,
                score,
                value: NormalizedValue::new(value),
            });
        }
    }

    /// Pushes a finding spanning tokens `first..last` (exclusive), normalized as lower-case
    /// words joined by single spaces.
    pub fn push_tokens(&mut self, entity: EntityType, first: usize, last: usize, score: f32) {
        if first >= last || last > self.tokens.len() {
            return;
        }
        let value = self.tokens[first..last]
            .iter()
            .filter(|t| t.is_word() || t.kind != crate::lex::TokenKind::Punct(','))
            .map(|t| &*t.lower)
            .collect::<Vec<_>>()
            .join(" ");
        let (s, e) = (self.tokens[first].start, self.tokens[last - 1].end);
        self.push(entity, s, e, score, value);
    }
}
