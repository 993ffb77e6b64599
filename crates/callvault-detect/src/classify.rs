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
    // The cue just before the number comes first, then the speaker's own number going on,
    // then the questions still open (`Scan::open_questions`: the newest turn's first): the
    // first the number fits types it ("the code on my card is 123" after "what's the
    // security code?" is the code). A name cue ("this is", "it's") says nothing about a
    // number after it.
    let local = scan
        .cue_before(run.first, CUE_WINDOW)
        .map(|h| h.cue)
        .filter(|c| !matches!(c, Cue::Name | Cue::NameWeak));
    // A short number right after an amount word ("the balance is 250") is not the code or
    // expiry a card given earlier implies. Only those implied questions yield to it: a question
    // said ("what's your account number?" / "the one on my bill is 48213") or a cue in the
    // turn still types the number.
    let amount = amount_word_before(scan, run);

    // An amount, a count or a time ("129 dollars", "$3,500", "2 nights") is no identifier,
    // whatever was asked before; only a cue right before it says otherwise ("my pin is 1,234").
    let quantity = run.quantity || after_thousands_comma(scan, run) || unit_after(scan, run);
    if quantity && !matches!(local, Some(Cue::Secret | Cue::Account)) {
        return None;
    }
    // IPv4 is read as text by `textual`; a dotted quad is never a phone number.
    if groups.len() == 4 && seps.iter().all(|&c| c == '.') && run.written && n <= 12 {
        return None;
    }
    // "12 34" is a four-digit code when nobody asked for an expiry, which it reads as first.
    let pairs_code =
        local != Some(Cue::Expiry) && !scan.open_questions().any(|a| a.cue == Cue::Expiry);
    let fit = |cue: Cue, near: bool| by_cue(cue, run, d, &groups, near, pairs_code);
    if let Some(hit) = local.and_then(|c| fit(c, true)) {
        return Some(hit);
    }
    if let Some(hit) = continuation(scan, run, d) {
        return Some(hit);
    }
    // A question from an earlier turn is weaker evidence than a cue said right before: an
    // address's house number still wins over it.
    if let Some((t, score)) = (scan.open_questions())
        .filter(|a| !(a.implicit && amount.is_some()))
        .find_map(|a| fit(a.cue, a.age == 0))
    {
        return Some((t, score * 0.75));
    }
    // The start of a value the speaker may finish in their next turn ("my number is four
    // one five ..."): typed by its cue now, so no part of it goes out in the clear. A
    // question counts only from the turn just before.
    if trailing {
        let just_asked = scan.open_questions().filter(|a| a.age == 0).map(|a| a.cue);
        if let Some(hit) = local
            .into_iter()
            .chain(just_asked)
            .find_map(|c| begun(c, n))
        {
            return Some(hit);
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

/// Digits going on a number the same speaker began at the end of a recent turn.
fn continuation(scan: &Scan<'_>, run: &NumberRun, d: &str) -> Option<(T, f32)> {
    let (prev, ty) = scan.ctx.pending_digits.as_ref()?;
    if run.first > 1 {
        return None;
    }
    let n = d.len();
    let joined = zeroize::Zeroizing::new(format!("{prev}{d}"));
    if (12..=19).contains(&joined.len()) && luhn(&joined) {
        return Some((T::CreditCard, 0.9));
    }
    // Digits that go on a value of a known type, while the whole still fits the type (a CVV
    // said at the end of one turn is not the start of the card in the next).
    if let Some(t) = ty {
        if n >= 2 && joined.len() <= most_digits(*t) {
            return Some((*t, 0.7));
        }
    }
    if matches!(ty, None | Some(T::PhoneNumber)) && (7..=15).contains(&joined.len()) && n >= 3 {
        return Some((T::PhoneNumber, 0.6));
    }
    None
}

/// The digits after a thousands comma ("$3,500": "500").
fn after_thousands_comma(scan: &Scan<'_>, run: &NumberRun) -> bool {
    let t = &scan.tokens;
    run.first >= 2
        && t[run.first - 1].is_punct(',')
        && !t[run.first].space_before
        && !t[run.first - 1].space_before
        && t[run.first - 2].kind == crate::lex::TokenKind::Num
}

/// An amount word at most two tokens before a number of up to six digits ("balance is 250",
/// "payment of 120", "owe 80").
fn amount_word_before(scan: &Scan<'_>, run: &NumberRun) -> Option<usize> {
    const AMOUNTS: &[&str] = &[
        "amount", "balance", "charge", "charged", "cost", "costs", "fee", "fees", "owe", "owed",
        "paid", "pay", "paying", "payment", "price", "refund", "rent", "total",
    ];
    if run.len() > 6 {
        return None;
    }
    (run.first.saturating_sub(2)..run.first)
        .rev()
        .find(|&i| AMOUNTS.contains(&&*scan.tokens[i].lower))
}

/// A unit word right after the number: an amount, a count or a time.
fn unit_after(scan: &Scan<'_>, run: &NumberRun) -> bool {
    const UNITS: &[&str] = &[
        "dollar", "dollars", "bucks", "cents", "euro", "euros", "pounds", "percent", "nights",
        "night", "days", "weeks", "months", "years", "hours", "minutes", "miles", "points",
        "items", "people", "am", "pm", "o'clock",
    ];
    scan.tokens
        .get(run.last)
        .is_some_and(|t| UNITS.contains(&&*t.lower))
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

/// Whether digits read as an expiry start with a month: "0427", "4 2027", "04 2027".
fn month_first(d: &str) -> bool {
    let two = |s: &str| s.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    match d.len() {
        3 | 5 => !d.starts_with('0'),
        _ => two(&d[..2]),
    }
}

/// Whether a value answers the question for its type: a whole number, not the first group
/// of one read in parts (the last four of a social are whole).
pub(crate) fn answers(t: T, value: &str) -> bool {
    let n = value.len();
    match t {
        T::CreditCard | T::PhoneNumber => complete(t, value, value.starts_with('+')),
        T::UsSsn | T::UsItin => n == 4 || n >= 9,
        T::ZipCode => n == 5 || n >= 9,
        _ => true,
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

/// The type a cue gives a number that fits it. `near`: the cue was said right before the
/// number or in the turn just before (an older question types only the clearer shapes).
/// `pairs_code`: no expiry was asked, so a written "12 34" may be a code.
fn by_cue(
    cue: Cue,
    run: &NumberRun,
    d: &str,
    groups: &[u8],
    near: bool,
    pairs_code: bool,
) -> Option<(T, f32)> {
    let n = d.len();
    // "04/27" is a date, never a code or a piece of a card; nor is "04 27" a code when an
    // expiry was asked too.
    let slashed = run.separators().any(|c| c == '/');
    let pairs = run.written && groups == [2, 2] && !pairs_code;
    let hit = match cue {
        Cue::Cvv if (3..=4).contains(&n) && !slashed && !pairs => (T::CardCvv, 0.9),
        Cue::Secret if (3..=12).contains(&n) => (T::Credential, 0.9),
        // MMYY, MYYYY or MMYYYY; three digits are a code rather than "4/27".
        Cue::Expiry if (4..=6).contains(&n) && month_first(d) => (T::CardExpiry, 0.85),
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
        Cue::Card if (4..=19).contains(&n) && near && !run.quantity && !slashed => {
            (T::CreditCard, 0.6)
        }
        Cue::Bank if (4..=17).contains(&n) => (T::BankAccount, 0.8),
        Cue::Account if (4..=20).contains(&n) => (T::AccountId, 0.8),
        Cue::DriverLicense if (4..=20).contains(&n) => (T::UsDriverLicense, 0.85),
        Cue::Passport if (6..=12).contains(&n) => (T::UsPassport, 0.85),
        Cue::MedicalRecord if (4..=15).contains(&n) => (T::MedicalRecordNumber, 0.85),
        Cue::HealthPlan if (5..=15).contains(&n) => (T::HealthPlanId, 0.8),
        Cue::Zip if n == 5 || n == 9 || near && (3..=8).contains(&n) && groups.len() <= 2 => {
            (T::ZipCode, 0.85)
        }
        Cue::Phone if (7..=15).contains(&n) => (T::PhoneNumber, 0.9),
        _ => return None,
    };
    Some(hit)
}
