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
    /// The types of the whole values the turn gave: they answer the questions of that type.
    found: Vec<EntityType>,
    /// A whole card number was given (not the first group of one).
    whole_card: bool,
    /// Digits at the end that may go on in the speaker's next turn.
    pending: Pending,
    /// Name words to recognize when they come back.
    names: Vec<String>,
    /// The turn only asks to wait ("hold on, let me grab it"): open questions do not age.
    holds: bool,
}

/// How many of a call's last turns carry its context forward: replaying them into a new
/// [`Conversation`] restores the questions still open (three turns, and two more of "hold
/// on": "what's the CVV?" / "hold on" / "one sec" / "okay" / "got it" / "123") and the
/// digits a speaker began.
pub const CONTEXT_TURNS: usize = 6;

/// How many questions stay open at once (the oldest goes first).
const MAX_OPEN: usize = 6;

/// How many turns asking to wait may keep a question open beyond its turns.
const MAX_HELD: u8 = 2;

/// How many turns of other speakers ("okay", "mhm", a read-back of the digits) may come
/// between a number a speaker began and its end.
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
    // A cue with a value of its type after it ("my card is 4111 ...", "the card ending in
    // 1111"), or anywhere in a turn that asks nothing after the cue ("415 555 0134 is the
    // contact number"), was answered there; only the others are a question for the next
    // turns. (Carrying an answered one made the next number of the call, a phone number,
    // another card; closing a cue on any value lost the question in "what's the CVV for the
    // card ending in 4242?".)
    let cues: Vec<Cue> = scan
        .cues
        .iter()
        .filter(|h| {
            let after = scan.tokens.get(h.after).map_or(text.len(), |t| t.start);
            let asks = scan.tokens[h.after.min(scan.tokens.len())..]
                .iter()
                .any(|t| t.is_punct('?'));
            !findings
                .iter()
                .any(|f| h.cue.answered_by(f.entity) && (f.start >= after || !asks))
        })
        .map(|h| h.cue)
        .collect();
    // The values that answer an earlier question: whole numbers, not the first group of one
    // ("4532" of a card read in fours leaves the question open for the rest).
    let found: Vec<&Finding> = findings
        .iter()
        .filter(|f| classify::answers(f.entity, f.value.expose_secret()))
        .collect();
    let whole_card = found.iter().any(|f| f.entity == EntityType::CreditCard);
    let found: Vec<EntityType> = found.iter().map(|f| f.entity).collect();
    // A number at the very end of the turn may continue in the speaker's next turn, unless
    // it is whole already. One that went on from the speaker's previous turn carries all its
    // digits so far ("four one five" / "five five five" / "zero one three four").
    let pending = scan.runs.last().and_then(|r| {
        if !classify::trailing(&scan, r) || r.quantity {
            return None;
        }
        let ty = findings
            .iter()
            .find(|f| f.start <= r.start && r.end <= f.end)
            .map(|f| f.entity);
        let mut digits = r.digits.clone();
        if let Some((prev, prev_ty)) = &ctx.pending_digits {
            if r.first <= 1 && (ty.is_none() || prev_ty.is_none() || *prev_ty == ty) {
                digits.insert_str(0, prev);
            }
        }
        if digits.len() < 3 || ty.is_some_and(|t| classify::complete(t, &digits, r.plus)) {
            zeroize::Zeroize::zeroize(&mut digits);
            return None;
        }
        Some((digits, ty))
    });
    let names = names::remembered(&scan, &findings);
    let holds = findings.is_empty() && crate::cues::holds(&scan.tokens);
    let carry = Carry {
        cues,
        found,
        whole_card,
        pending,
        names,
        holds,
    };
    (findings, carry)
}

/// One call's turns, in order. Context flows from turn to turn: questions not answered yet
/// (for a few turns) and a number a speaker began (to that speaker's next turn).
#[derive(Clone, Debug, Default)]
pub struct Conversation {
    ctx: TurnContext,
    /// Digits each speaker left open at the end of a recent turn (at most one per speaker,
    /// two speakers): the customer's "415" survives the agent's read-back "415, okay".
    pending: Vec<PendingDigits>,
}

/// A speaker's open digits; `Debug` shows no digit, and they are zeroized on drop.
#[derive(Clone)]
struct PendingDigits {
    speaker: String,
    digits: zeroize::Zeroizing<String>,
    ty: Option<EntityType>,
    /// Turns of other speakers since.
    age: u8,
}

impl std::fmt::Debug for PendingDigits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingDigits")
            .field("speaker", &self.speaker)
            .field("digits", &self.digits.len())
            .field("ty", &self.ty)
            .field("age", &self.age)
            .finish()
    }
}

impl Conversation {
    pub fn new() -> Conversation {
        Conversation::default()
    }

    /// Detects in the next turn, then remembers what the turn after it needs.
    pub fn push(&mut self, speaker: Option<&str>, text: &str) -> Vec<Finding> {
        let own = self.pending_of(speaker);
        self.ctx.set_pending(own);
        let (findings, carry) = detect_with(text, &self.ctx);
        self.ctx.set_pending(None);
        self.commit(speaker, carry);
        findings
    }

    /// The digits this speaker left open (an unknown speaker never continues).
    fn pending_of(&self, speaker: Option<&str>) -> Pending {
        let speaker = speaker?;
        self.pending
            .iter()
            .find(|p| p.speaker == speaker)
            .map(|p| (p.digits.to_string(), p.ty))
    }

    /// Detects in a turn as context would have it, without advancing the conversation
    /// (for interim results).
    pub fn peek(&self, speaker: Option<&str>, text: &str) -> Vec<Finding> {
        let mut ctx = self.ctx.clone();
        ctx.set_pending(self.pending_of(speaker));
        detect_with(text, &ctx).0
    }

    fn commit(&mut self, speaker: Option<&str>, carry: Carry) {
        let Carry {
            cues,
            found,
            whole_card,
            pending,
            names,
            holds,
        } = carry;
        // Open questions grow a turn older; those the turn answered with a value of their
        // type close, so do those asked too long ago; the turn's own open cues join.
        // Which of the card's implicit questions were open, and whether this turn answered one.
        let implicit: Vec<Cue> = (self.ctx.asked.iter())
            .filter(|a| a.implicit)
            .map(|a| a.cue)
            .collect();
        let in_turn = implicit
            .iter()
            .any(|c| found.iter().any(|&t| c.answered_by(t)));
        // A turn asking to wait ("hold on, let me grab it") does not age them, twice at most.
        for a in &mut self.ctx.asked {
            if holds && a.held < MAX_HELD {
                a.held += 1;
            } else {
                a.age += 1;
            }
        }
        self.ctx
            .asked
            .retain(|a| a.age < a.turns && !found.iter().any(|&t| a.cue.answered_by(t)));
        for cue in cues {
            self.ctx.asked.retain(|a| a.cue != cue);
            let turns = cue.open_turns();
            self.ctx.asked.push(Asked {
                cue,
                age: 0,
                turns,
                implicit: false,
                held: 0,
            });
        }
        // A card given asks for its expiry and code without a word: they often come next,
        // bare ("04 27, 123"). Those implicit questions last one turn (one more each time one
        // of them is answered), type only bare numbers (not dates) and are tried after the
        // asked ones.
        let implied = if whole_card {
            vec![Cue::Cvv, Cue::Expiry]
        } else if in_turn {
            implicit
        } else {
            Vec::new()
        };
        for cue in implied {
            let answered = found.iter().any(|&t| cue.answered_by(t));
            if !answered && !self.ctx.asked.iter().any(|a| a.cue == cue) {
                let implicit = Asked {
                    cue,
                    age: 0,
                    turns: 1,
                    implicit: true,
                    held: 0,
                };
                self.ctx.asked.insert(0, implicit);
            }
        }
        if self.ctx.asked.len() > MAX_OPEN {
            let extra = self.ctx.asked.len() - MAX_OPEN;
            self.ctx.asked.drain(..extra);
        }
        // The turn's trailing digits replace its speaker's; without any, that speaker has
        // moved on. Other speakers' digits wait a couple of turns ("okay", "mhm", a read-back).
        let Some(speaker) = speaker else {
            self.pending.clear();
            wipe(pending);
            return self.remember(names);
        };
        self.pending.retain(|p| p.speaker != speaker);
        for p in &mut self.pending {
            p.age += 1;
        }
        self.pending.retain(|p| p.age <= PENDING_TURNS);
        if let Some((digits, ty)) = pending {
            self.pending.push(PendingDigits {
                speaker: speaker.to_owned(),
                digits: zeroize::Zeroizing::new(digits),
                ty,
                age: 0,
            });
        }
        if self.pending.len() > 2 {
            self.pending.remove(0);
        }
        self.remember(names);
    }

    /// Remembers the name words of a turn (a bounded list, the oldest forgotten first).
    fn remember(&mut self, names: Vec<String>) {
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
