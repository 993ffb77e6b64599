//! The entry points: `Detector::detect` for one text, and `Conversation` for a call's turns in
//! order, carrying context (the other party's question, a number continued from the same
//! speaker's previous turn) from one turn to the next. Detection is total: any input yields a
//! list of findings, possibly empty, never an error or a panic.

use crate::cues::Cue;
use crate::finding::{EntityType, Finding};
use crate::lexicon::Lexicon;
use crate::resolve::resolve;
use crate::scan::{Scan, TurnContext};
use crate::{classify, dates, names, places, textual};

/// Texts longer than this are scanned in windows of this size (on character boundaries), so
/// the cost per call stays linear and bounded in memory whatever a caller sends.
pub const MAX_SCAN_BYTES: usize = 64 * 1024;

/// The stateless detector. Cheap to clone; all tables are shared and built once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Detector {
    _private: (),
}

impl Detector {
    pub fn new() -> Detector {
        // Build the lexicon now rather than on the first turn of a call.
        let _ = Lexicon::global();
        Detector { _private: () }
    }

    /// Every piece of personal data in `text`, sorted, non-overlapping, byte offsets.
    pub fn detect(&self, text: &str) -> Vec<Finding> {
        detect_with(text, &TurnContext::default()).0
    }

    /// A conversation-aware detector for one call.
    pub fn conversation(&self) -> Conversation {
        Conversation::default()
    }
}

/// Digits at the end of a turn that may continue in the next, with the type they were given.
pub(crate) type Pending = Option<(String, Option<EntityType>)>;

/// What a turn leaves for the next.
#[derive(Default)]
pub(crate) struct Carry {
    /// Cues no value followed in the turn: a question still open ("what's your card number?").
    cues: Vec<Cue>,
    /// Digits at the end that may go on in the speaker's next turn.
    pending: Pending,
    /// Name words to recognize when they come back.
    names: Vec<String>,
    /// The turn gave a value: it answered the question asked before.
    answered: bool,
}

/// Scans one turn with context; also returns what the next turn should know.
pub(crate) fn detect_with(text: &str, ctx: &TurnContext) -> (Vec<Finding>, Carry) {
    if text.len() > MAX_SCAN_BYTES {
        let mut all = Vec::new();
        let mut off = 0;
        while off < text.len() {
            let mut end = (off + MAX_SCAN_BYTES).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            // Cut at the last white space so a value is not split between windows.
            if end < text.len() {
                if let Some(ws) = text[off..end].rfind(char::is_whitespace) {
                    if ws > 0 {
                        end = off + ws;
                    }
                }
            }
            let (found, _) = detect_with(&text[off..end], ctx);
            all.extend(found.into_iter().map(|mut f| {
                f.start += off;
                f.end += off;
                f
            }));
            off = end;
        }
        return (all, Carry::default());
    }
    let mut scan = Scan::new(text, ctx);
    classify::classify_runs(&mut scan);
    textual::recognize(&mut scan);
    dates::recognize(&mut scan);
    places::recognize(&mut scan);
    names::recognize(&mut scan);
    let findings = resolve(std::mem::take(&mut scan.out));
    // A cue a value followed in the same turn ("my card is 4111 ...") was answered there; only
    // the others are a question for the next turn. (Carrying an answered one made the next
    // number of the call, a phone number, another card.) A name after a cue for something
    // else is an address, not an answer: "what's your card number, John?".
    let cues: Vec<Cue> = scan
        .cues
        .iter()
        .filter(|h| {
            let after = scan.tokens.get(h.after).map_or(text.len(), |t| t.start);
            let name_cue = matches!(h.cue, Cue::Name | Cue::NameWeak);
            !findings
                .iter()
                .any(|f| f.start >= after && (name_cue || f.entity != EntityType::Person))
        })
        .map(|h| h.cue)
        .collect();
    let answered = !findings.is_empty();
    // A number at the very end of the turn may continue in the speaker's next turn.
    let pending = scan.runs.last().and_then(|r| {
        let trailing = scan.tokens[r.last..]
            .iter()
            .all(|t| matches!(t.kind, crate::lex::TokenKind::Punct(_)));
        if !trailing || r.quantity || r.len() < 3 {
            return None;
        }
        let ty = findings
            .iter()
            .find(|f| f.start <= r.start && r.end <= f.end)
            .map(|f| f.entity);
        Some((r.digits.clone(), ty))
    });
    let names = names::remembered(&scan, &findings);
    let carry = Carry {
        cues,
        pending,
        names,
        answered,
    };
    (findings, carry)
}

/// One call's turns, in order. Context flows from each turn to the next: the other party's
/// question and a number the same speaker began.
#[derive(Clone, Debug, Default)]
pub struct Conversation {
    ctx: TurnContext,
    last_speaker: Option<String>,
}

impl Conversation {
    pub fn new() -> Conversation {
        Conversation::default()
    }

    /// Detects in the next turn, then remembers what the turn after it needs.
    pub fn push(&mut self, speaker: Option<&str>, text: &str) -> Vec<Finding> {
        let same_speaker = speaker.is_some() && speaker == self.last_speaker.as_deref();
        if !same_speaker {
            self.ctx.set_pending(None);
        }
        let (findings, carry) = detect_with(text, &self.ctx);
        self.commit(speaker, same_speaker, carry);
        findings
    }

    /// Detects in a turn as context would have it, without advancing the conversation
    /// (for interim results).
    pub fn peek(&self, speaker: Option<&str>, text: &str) -> Vec<Finding> {
        let same_speaker = speaker.is_some() && speaker == self.last_speaker.as_deref();
        let mut ctx = self.ctx.clone();
        if !same_speaker {
            ctx.set_pending(None);
        }
        detect_with(text, &ctx).0
    }

    fn commit(&mut self, speaker: Option<&str>, same_speaker: bool, carry: Carry) {
        let Carry {
            cues,
            pending,
            names,
            answered,
        } = carry;
        // A question's open cues carry to the answer; the same speaker going on keeps the
        // question asked before until a number answers it.
        if !same_speaker || answered {
            self.ctx.asked = cues;
        } else if !cues.is_empty() {
            self.ctx.asked.extend(cues);
        }
        self.ctx.set_pending(pending);
        for name in names {
            if !self.ctx.names.contains(&name) {
                if self.ctx.names.len() == crate::scan::MAX_REMEMBERED_NAMES {
                    let mut oldest = self.ctx.names.remove(0);
                    zeroize::Zeroize::zeroize(&mut oldest);
                }
                self.ctx.names.push(name);
            }
        }
        self.last_speaker = speaker.map(str::to_owned);
    }
}
