//! The entry points: `Detector::detect` for one text, and `Conversation` for a call's turns in
//! order, carrying context (the other party's question, a number continued from the same
//! speaker's previous turn) from one turn to the next. Detection is total: any input yields a
//! list of findings, possibly empty, never an error or a panic.

use crate::cues::Cue;
use crate::finding::{EntityType, Finding};
use crate::lexicon::Lexicon;
use crate::resolve::resolve;
use crate::scan::{Asked, Scan, TurnContext};
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
    /// Cues no value of their type followed in the turn: questions still open ("what's your
    /// card number?").
    cues: Vec<Cue>,
    /// The types of the values the turn gave: they answer the questions of that type.
    found: Vec<EntityType>,
    /// A whole card number was given (not the first group of one).
    whole_card: bool,
    /// Digits at the end that may go on in the speaker's next turn.
    pending: Pending,
    /// Name words to recognize when they come back.
    names: Vec<String>,
}

/// How many of a call's last turns carry its context forward: replaying them into a new
/// [`Conversation`] restores the questions still open (at most three turns: "what's the
/// CVV?" / "hold on" / "okay, got it" / "123") and the digits a speaker began.
pub const CONTEXT_TURNS: usize = 4;

/// How many questions stay open at once (the oldest goes first).
const MAX_OPEN: usize = 6;

/// How many turns of the other party (without a value: "okay", "mhm") may come between a
/// number the speaker began and its end.
const PENDING_TURNS: u8 = 2;

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
    // A cue with a value of its type in the same turn ("my card is 4111 ...", "415 555 0134
    // is the contact number") was answered there; only the others are a question for the
    // next turns. (Carrying an answered one made the next number of the call, a phone
    // number, another card; closing a cue on any value lost the question in "what's the CVV
    // for the card ending in 4242?".)
    let cues: Vec<Cue> = scan
        .cues
        .iter()
        .map(|h| h.cue)
        .filter(|c| !findings.iter().any(|f| c.answered_by(f.entity)))
        .collect();
    let found: Vec<EntityType> = findings.iter().map(|f| f.entity).collect();
    let whole_card = findings.iter().any(|f| {
        f.entity == EntityType::CreditCard
            && classify::complete(f.entity, f.value.expose_secret(), false)
    });
    // A number at the very end of the turn may continue in the speaker's next turn, unless
    // it is whole already. One that went on from the speaker's previous turn carries all its
    // digits so far ("four one five" / "five five five" / "zero one three four").
    let pending = scan.runs.last().and_then(|r| {
        if !classify::trailing(&scan, r) || r.quantity || r.len() < 3 {
            return None;
        }
        let ty = findings
            .iter()
            .find(|f| f.start <= r.start && r.end <= f.end)
            .map(|f| f.entity);
        let mut digits = r.digits.clone();
        if let (Some((prev, prev_ty)), Some(t)) = (&ctx.pending_digits, ty) {
            if r.first <= 1 && prev_ty.is_none_or(|p| p == t) {
                digits.insert_str(0, prev);
            }
        }
        if ty.is_some_and(|t| classify::complete(t, &digits, r.plus)) {
            zeroize::Zeroize::zeroize(&mut digits);
            return None;
        }
        Some((digits, ty))
    });
    let names = names::remembered(&scan, &findings);
    let carry = Carry {
        cues,
        found,
        whole_card,
        pending,
        names,
    };
    (findings, carry)
}

/// One call's turns, in order. Context flows from turn to turn: questions not answered yet
/// (for a few turns) and a number a speaker began (to that speaker's next turn).
#[derive(Clone, Debug, Default)]
pub struct Conversation {
    ctx: TurnContext,
    /// Who said the pending digits, and how many turns of the other party came since.
    pending_by: Option<String>,
    pending_age: u8,
}

impl Conversation {
    pub fn new() -> Conversation {
        Conversation::default()
    }

    /// Detects in the next turn, then remembers what the turn after it needs.
    pub fn push(&mut self, speaker: Option<&str>, text: &str) -> Vec<Finding> {
        // Another speaker's digits are set aside for this turn (zeroized if not kept).
        let aside = if self.pending_is(speaker) {
            None
        } else {
            self.ctx.pending_digits.take()
        };
        let (findings, carry) = detect_with(text, &self.ctx);
        self.commit(speaker, aside, carry);
        findings
    }

    /// Whether the pending digits are this speaker's (an unknown speaker never continues).
    fn pending_is(&self, speaker: Option<&str>) -> bool {
        speaker.is_some() && speaker == self.pending_by.as_deref()
    }

    /// Detects in a turn as context would have it, without advancing the conversation
    /// (for interim results).
    pub fn peek(&self, speaker: Option<&str>, text: &str) -> Vec<Finding> {
        let mut ctx = self.ctx.clone();
        if !self.pending_is(speaker) {
            ctx.set_pending(None);
        }
        detect_with(text, &ctx).0
    }

    fn commit(&mut self, speaker: Option<&str>, aside: Pending, carry: Carry) {
        let Carry {
            cues,
            found,
            whole_card,
            pending,
            names,
        } = carry;
        // Open questions grow a turn older; those the turn answered with a value of their
        // type close, so do those asked too long ago; the turn's own open cues join.
        for a in &mut self.ctx.asked {
            a.age += 1;
        }
        self.ctx
            .asked
            .retain(|a| a.age < a.cue.open_turns() && !found.iter().any(|&t| a.cue.answered_by(t)));
        for cue in cues {
            self.ctx.asked.retain(|a| a.cue != cue);
            self.ctx.asked.push(Asked { cue, age: 0 });
        }
        // A card given asks for its expiry and code without a word: they come next, often
        // bare ("04 27" / "123"). Those implicit questions are tried after the asked ones.
        if whole_card {
            for cue in [Cue::Cvv, Cue::Expiry] {
                let answered = found.iter().any(|&t| cue.answered_by(t));
                if !answered && !self.ctx.asked.iter().any(|a| a.cue == cue) {
                    self.ctx.asked.insert(0, Asked { cue, age: 0 });
                }
            }
        }
        if self.ctx.asked.len() > MAX_OPEN {
            let extra = self.ctx.asked.len() - MAX_OPEN;
            self.ctx.asked.drain(..extra);
        }
        // The turn's trailing digits are the new pending ones. Without any, the speaker who
        // began a number has moved on; the other party's turn without a value ("okay") keeps
        // them, for a while.
        let keep_aside = pending.is_none() && found.is_empty() && self.pending_age < PENDING_TURNS;
        match (pending, aside) {
            (Some(p), aside) => {
                wipe(aside);
                self.ctx.set_pending(Some(p));
                self.pending_by = speaker.map(str::to_owned);
                self.pending_age = 0;
            }
            (None, Some(kept)) if keep_aside => {
                self.pending_age += 1;
                self.ctx.set_pending(Some(kept));
            }
            (None, aside) => {
                wipe(aside);
                self.ctx.set_pending(None);
                self.pending_by = None;
            }
        }
        for name in names {
            if !self.ctx.names.contains(&name) {
                if self.ctx.names.len() == crate::scan::MAX_REMEMBERED_NAMES {
                    let mut oldest = self.ctx.names.remove(0);
                    zeroize::Zeroize::zeroize(&mut oldest);
                }
                self.ctx.names.push(name);
            }
        }
    }
}

/// Zeroizes digits no longer needed.
fn wipe(pending: Pending) {
    if let Some((mut digits, _)) = pending {
        zeroize::Zeroize::zeroize(&mut digits);
    }
}
