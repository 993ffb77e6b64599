//! What a number run is: a card, an SSN, a phone number, an account id... decided by checksums,
//! numbering rules, written grouping and the cue words around it (or in the previous turn).
//! Quantities (prices, percentages, decimals) and short numbers without a cue are left alone.

use crate::checks::{aba_valid, card_issuer_known, itin_valid, luhn, nanp_valid, ssn_valid};
use crate::cues::Cue;
use crate::finding::EntityType as T;
use crate::numbers::NumberRun;
use crate::scan::Scan;

const CUE_WINDOW: usize = 8;

pub(crate) fn classify_runs(scan: &mut Scan<'_>) {
    let runs = std::mem::take(&mut scan.runs);
    for (i, run) in runs.iter().enumerate() {
        let trailing = i + 1 == runs.len() && trailing(scan, run);
        if let Some((entity, score)) = classify(scan, run, trailing) {
            scan.push(entity, run.start, run.end, score, run.digits.clone());
        }
    }
    scan.runs = runs;
}

/// Nothing but punctuation follows the run: the speaker may go on with it in their next turn.
pub(crate) fn trailing(scan: &Scan<'_>, run: &NumberRun) -> bool {
    scan.tokens[run.last..]
        .iter()
        .all(|t| matches!(t.kind, crate::lex::TokenKind::Punct(_)))
}

fn classify(scan: &Scan<'_>, run: &NumberRun, trailing: bool) -> Option<(T, f32)> {
    let d = run.digits.as_str();
    let n = d.len();
    let groups = run.groups();
    let seps: Vec<char> = run.separators().collect();
    // The cue just before the number, then the questions still open, newest first: the
    // first the number fits types it ("the code on my card is 123" after "what's the
    // security code?" is the code). A name cue ("this is", "it's") says nothing about a
    // number after it.
    let local = scan
        .cue_before(run.first, CUE_WINDOW)
        .filter(|c| !matches!(c, Cue::Name | Cue::NameWeak));
    let cues: Vec<Cue> = local.into_iter().chain(scan.asked_cues()).collect();

    if run.quantity && !cues.iter().any(|c| matches!(c, Cue::Secret | Cue::Account)) {
        return None;
    }
    // IPv4 is read as text by `textual`; a dotted quad is never a phone number.
    if groups.len() == 4 && seps.iter().all(|&c| c == '.') && run.written && n <= 12 {
        return None;
    }
    // A question from an earlier turn is weaker evidence than a cue said right before: an
    // address's house number still wins over it.
    let asked_from = usize::from(local.is_some());
    if let Some((i, (t, score))) = cues
        .iter()
        .enumerate()
        .find_map(|(i, &c)| by_cue(c, run, d, &groups).map(|hit| (i, hit)))
    {
        return Some((t, if i >= asked_from { score * 0.75 } else { score }));
    }
    // The start of a value the speaker may finish in their next turn ("my number is four
    // one five ..."): typed by its cue now, so no part of it goes out in the clear.
    // Not the part after a thousands comma ("$3,500").
    let after_comma = run.first > 0 && scan.tokens[run.first - 1].is_punct(',');
    if trailing && !after_comma {
        if let Some(hit) = cues.iter().find_map(|&c| begun(c, n)) {
            return Some(hit);
        }
    }
    // Continuation of a number the same speaker began in the previous turn.
    if let Some((prev, ty)) = &scan.ctx.pending_digits {
        if run.first <= 1 {
            let joined = format!("{prev}{d}");
            if (12..=19).contains(&joined.len()) && luhn(&joined) {
                return Some((T::CreditCard, 0.9));
            }
            // Digits that go on a value of a known type, while the whole still fits the type
            // (a CVV said at the end of one turn is not the start of the card in the next).
            if let Some(t) = ty {
                if n >= 2 && joined.len() <= most_digits(*t) {
                    return Some((*t, 0.7));
                }
            }
            if matches!(ty, None | Some(T::PhoneNumber))
                && (7..=15).contains(&joined.len())
                && n >= 3
            {
                return Some((T::PhoneNumber, 0.6));
            }
        }
    }
    if (13..=19).contains(&n) && luhn(d) && card_issuer_known(d) {
        return Some((T::CreditCard, 0.95));
    }
    if n == 9 && groups == [3, 2, 4] && run.written && seps.iter().all(|&c| c == '-' || c == ' ') {
        if itin_valid(d) {
            return Some((T::UsItin, 0.85));
        }
        if ssn_valid(d) {
            return Some((T::UsSsn, 0.85));
        }
    }
    if run.plus && (8..=15).contains(&n) {
        return Some((T::PhoneNumber, 0.9));
    }
    if n == 10 && nanp_valid(d) || n == 11 && d.starts_with('1') && nanp_valid(&d[1..]) {
        return Some((T::PhoneNumber, 0.85));
    }
    if (12..=19).contains(&n) && luhn(d) && card_issuer_known(d) {
        return Some((T::CreditCard, 0.7));
    }
    if (7..=15).contains(&n) {
        // A long digit string with no other reading is an identifier of a person: most often
        // a phone number.
        return Some((T::PhoneNumber, if groups.len() > 1 { 0.6 } else { 0.5 }));
    }
    // A long Luhn-valid number outside the issuer table is still most likely a card (test
    // generators and new issuers use prefixes the table does not know); 1 in 10 random numbers
    // passes Luhn, so it scores low.
    if (16..=19).contains(&n) && luhn(d) {
        return Some((T::CreditCard, 0.6));
    }
    if n > 15 {
        return Some((T::AccountId, 0.5));
    }
    None
}

/// The most digits a value of this type has, as `by_cue` and `classify` give the type.
fn most_digits(t: T) -> usize {
    match t {
        T::CardCvv => 4,
        T::CardExpiry => 6,
        T::DateOfBirth => 8,
        T::UsSsn | T::UsItin | T::AbaRouting | T::ZipCode => 9,
        T::UsPassport | T::Credential => 12,
        T::PhoneNumber | T::MedicalRecordNumber | T::HealthPlanId => 15,
        T::BankAccount => 17,
        T::CreditCard => 19,
        _ => 20,
    }
}

/// Whether digits given this type are the whole value: then nothing said next continues it
/// (a CVV said after a full card is not more card).
pub(crate) fn complete(t: T, d: &str, plus: bool) -> bool {
    let n = d.len();
    match t {
        T::CreditCard => (13..=19).contains(&n) && luhn(d) || n >= 19,
        T::PhoneNumber => {
            n == 10 && nanp_valid(d)
                || n == 11 && d.starts_with('1') && nanp_valid(&d[1..])
                || plus && n >= 8
                || n >= 15
        }
        T::CardCvv => n >= 3,
        T::CardExpiry => n >= 4,
        T::ZipCode => n == 5 || n >= 9,
        t => n >= most_digits(t),
    }
}

/// Whether digits read as an expiry start with a month: "427", "0427", "04 2027".
fn month_first(d: &str) -> bool {
    let two = |s: &str| s.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    match d.len() {
        3 | 5 => !d.starts_with('0'),
        _ => two(&d[..2]),
    }
}

/// A run too short for its cue's type, at the very end of a turn: the start of that value.
fn begun(cue: Cue, n: usize) -> Option<(T, f32)> {
    let t = match cue {
        Cue::Phone if (3..7).contains(&n) => T::PhoneNumber,
        Cue::Card if n == 3 => T::CreditCard,
        Cue::Ssn | Cue::Itin if (3..9).contains(&n) && n != 4 => T::UsSsn,
        Cue::Routing if (3..9).contains(&n) => T::AbaRouting,
        Cue::Bank | Cue::Account if n == 3 => T::AccountId,
        _ => return None,
    };
    Some((t, 0.5))
}

fn by_cue(cue: Cue, run: &NumberRun, d: &str, groups: &[u8]) -> Option<(T, f32)> {
    let n = d.len();
    // "04/27" is a date, never a code or a piece of a card.
    let slashed = run.separators().any(|c| c == '/');
    let hit = match cue {
        // A code is said in one breath: "04 27" after a card is its expiry.
        Cue::Cvv if (3..=4).contains(&n) && !slashed && (!run.written || groups.len() == 1) => {
            (T::CardCvv, 0.9)
        }
        Cue::Secret if (3..=12).contains(&n) => (T::Credential, 0.9),
        Cue::Expiry if (3..=6).contains(&n) && month_first(d) => (T::CardExpiry, 0.85),
        Cue::Routing if n == 9 => (T::AbaRouting, if aba_valid(d) { 0.95 } else { 0.6 }),
        Cue::Ssn | Cue::Itin if n == 9 => {
            if itin_valid(d) {
                (T::UsItin, 0.9)
            } else {
                (T::UsSsn, 0.9)
            }
        }
        Cue::Ssn if n == 4 => (T::UsSsn, 0.7),
        Cue::Card if (12..=19).contains(&n) && luhn(d) => (T::CreditCard, 0.97),
        Cue::Card if (4..=19).contains(&n) && !run.quantity && !slashed => (T::CreditCard, 0.6),
        Cue::Bank if (4..=17).contains(&n) => (T::BankAccount, 0.8),
        Cue::Account if (4..=20).contains(&n) => (T::AccountId, 0.8),
        Cue::DriverLicense if (4..=20).contains(&n) => (T::UsDriverLicense, 0.85),
        Cue::Passport if (6..=12).contains(&n) => (T::UsPassport, 0.85),
        Cue::MedicalRecord if (4..=15).contains(&n) => (T::MedicalRecordNumber, 0.85),
        Cue::HealthPlan if (5..=15).contains(&n) => (T::HealthPlanId, 0.8),
        Cue::Zip if n == 5 || n == 9 || (3..=8).contains(&n) && groups.len() <= 2 => {
            (T::ZipCode, 0.85)
        }
        Cue::Phone if (7..=15).contains(&n) => (T::PhoneNumber, 0.9),
        _ => return None,
    };
    Some(hit)
}
