//! Context words: the phrases around a value (or in the previous turn's question) that say what
//! a bare number or word is ("my pin is ...", "what's your date of birth?"). Found in the same
//! token scan, by the phrase's first word, so the cost is one lookup per word.

use crate::finding::EntityType;
use crate::lex::Token;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Cue {
    Card,
    Cvv,
    Expiry,
    Ssn,
    Itin,
    Phone,
    Email,
    Birth,
    /// A strong name cue: "my name is", "speaking with", "name:".
    Name,
    /// A weak name cue: "this is", "i'm", "appointment with", "transfer to".
    NameWeak,
    Address,
    /// Where someone is, comes from or goes: "grew up in", "flew to", "based in".
    Place,
    Zip,
    Account,
    Bank,
    Routing,
    Secret,
    DriverLicense,
    Passport,
    MedicalRecord,
    HealthPlan,
    Ip,
}

impl Cue {
    /// For how many turns a question with this cue stays open without an answer. Words said
    /// all the time without asking for a value ("my checking account", "this is", "the
    /// address") reach only the next turn.
    pub fn open_turns(self) -> u8 {
        match self {
            Cue::Account | Cue::Bank | Cue::Address | Cue::Place | Cue::Name | Cue::NameWeak => 1,
            _ => 3,
        }
    }

    /// Whether a value of this type answers the cue (closes the question it asked).
    pub fn answered_by(self, t: EntityType) -> bool {
        use EntityType as T;
        match self {
            Cue::Card => t == T::CreditCard,
            Cue::Cvv => t == T::CardCvv,
            Cue::Expiry => t == T::CardExpiry,
            Cue::Ssn | Cue::Itin => matches!(t, T::UsSsn | T::UsItin),
            Cue::Phone => t == T::PhoneNumber,
            Cue::Email => t == T::EmailAddress,
            Cue::Birth => t == T::DateOfBirth,
            Cue::Name | Cue::NameWeak => t == T::Person,
            Cue::Address => t == T::StreetAddress,
            Cue::Place => matches!(t, T::Location | T::StreetAddress),
            Cue::Zip => t == T::ZipCode,
            Cue::Account => matches!(t, T::AccountId | T::BankAccount),
            Cue::Bank => matches!(t, T::BankAccount | T::AccountId | T::IbanCode),
            Cue::Routing => t == T::AbaRouting,
            Cue::Secret => t == T::Credential,
            Cue::DriverLicense => t == T::UsDriverLicense,
            Cue::Passport => t == T::UsPassport,
            Cue::MedicalRecord => t == T::MedicalRecordNumber,
            Cue::HealthPlan => t == T::HealthPlanId,
            Cue::Ip => t == T::IpAddress,
        }
    }
}

/// Phrases of someone fetching a value ("hold on", "let me grab it"): a turn saying one keeps
/// the open questions open.
const HOLDS: &[&[&str]] = &[
    &["hold", "on"],
    &["hang", "on"],
    &["one", "sec"],
    &["one", "second"],
    &["one", "moment"],
    &["just", "a", "sec"],
    &["just", "a", "second"],
    &["just", "a", "moment"],
    &["give", "me", "a"],
    &["let", "me", "check"],
    &["let", "me", "find"],
    &["let", "me", "get"],
    &["let", "me", "grab"],
    &["let", "me", "look"],
    &["bear", "with", "me"],
];

/// Whether a turn asks the other party to wait while the speaker fetches something.
pub(crate) fn holds(tokens: &[Token]) -> bool {
    (0..tokens.len()).any(|i| {
        HOLDS
            .iter()
            .any(|words| *tokens[i].lower == *words[0] && match_phrase(tokens, i, words).is_some())
    })
}

/// A cue found in a turn: its kind and the index of the token right after the phrase.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CueHit {
    pub cue: Cue,
    pub start_token: usize,
    pub after: usize,
}

const PHRASES: &[(&str, Cue)] = &[
    ("card", Cue::Card),
    ("card number", Cue::Card),
    ("credit card", Cue::Card),
    ("debit card", Cue::Card),
    ("visa", Cue::Card),
    ("mastercard", Cue::Card),
    ("amex", Cue::Card),
    ("american express", Cue::Card),
    ("discover card", Cue::Card),
    ("long number", Cue::Card),
    ("cvv", Cue::Cvv),
    ("cvc", Cue::Cvv),
    ("cvv2", Cue::Cvv),
    ("cid", Cue::Cvv),
    ("security code", Cue::Cvv),
    ("three digits", Cue::Cvv),
    ("3 digits", Cue::Cvv),
    ("three digit code", Cue::Cvv),
    ("four digit code on the front", Cue::Cvv),
    ("digits on the back", Cue::Cvv),
    ("code on the back", Cue::Cvv),
    ("exp", Cue::Expiry),
    ("expiry", Cue::Expiry),
    ("expiration", Cue::Expiry),
    ("expires", Cue::Expiry),
    ("expiring", Cue::Expiry),
    ("valid thru", Cue::Expiry),
    ("valid through", Cue::Expiry),
    ("social", Cue::Ssn),
    ("social's", Cue::Ssn),
    ("social security", Cue::Ssn),
    ("ssn", Cue::Ssn),
    ("itin", Cue::Itin),
    ("taxpayer identification", Cue::Itin),
    ("phone", Cue::Phone),
    ("telephone", Cue::Phone),
    ("cell", Cue::Phone),
    ("mobile", Cue::Phone),
    ("fax", Cue::Phone),
    ("desk", Cue::Phone),
    ("tel", Cue::Phone),
    ("call", Cue::Phone),
    ("reach", Cue::Phone),
    ("callback", Cue::Phone),
    ("call back", Cue::Phone),
    ("text me", Cue::Phone),
    ("contact number", Cue::Phone),
    ("email", Cue::Email),
    ("e mail", Cue::Email),
    ("mail", Cue::Email),
    ("date of birth", Cue::Birth),
    ("dob", Cue::Birth),
    ("d o b", Cue::Birth),
    ("born", Cue::Birth),
    ("birthday", Cue::Birth),
    ("birth date", Cue::Birth),
    ("birthdate", Cue::Birth),
    ("my name is", Cue::Name),
    ("name is", Cue::Name),
    ("name's", Cue::Name),
    ("full name", Cue::Name),
    ("first name", Cue::Name),
    ("last name", Cue::Name),
    ("name", Cue::Name),
    ("speaking with", Cue::Name),
    ("speaking to", Cue::Name),
    ("who am i speaking", Cue::Name),
    ("spell your name", Cue::Name),
    ("named", Cue::Name),
    ("account of", Cue::Name),
    ("my friend", Cue::Name),
    ("friend", Cue::Name),
    ("recipient", Cue::Name),
    ("payee", Cue::Name),
    ("uncle", Cue::Name),
    ("aunt", Cue::Name),
    ("cousin", Cue::Name),
    ("grandma", Cue::Name),
    ("grandpa", Cue::Name),
    ("call me", Cue::NameWeak),
    ("calls me", Cue::NameWeak),
    ("hi", Cue::NameWeak),
    ("hello", Cue::NameWeak),
    ("dear", Cue::NameWeak),
    ("my kid", Cue::NameWeak),
    ("sending", Cue::NameWeak),
    ("send", Cue::NameWeak),
    ("pay", Cue::NameWeak),
    ("this is", Cue::NameWeak),
    ("i'm", Cue::NameWeak),
    ("i am", Cue::NameWeak),
    ("it's", Cue::NameWeak),
    ("with", Cue::NameWeak),
    ("to", Cue::NameWeak),
    ("see", Cue::NameWeak),
    ("dear", Cue::NameWeak),
    ("address", Cue::Address),
    ("live at", Cue::Address),
    ("lives at", Cue::Address),
    ("located at", Cue::Address),
    ("ship to", Cue::Address),
    ("grew up in", Cue::Place),
    ("moved here from", Cue::Place),
    ("moved from", Cue::Place),
    ("moved to", Cue::Place),
    ("originally from", Cue::Place),
    ("flew to", Cue::Place),
    ("flying to", Cue::Place),
    ("fly to", Cue::Place),
    ("based in", Cue::Place),
    ("live in", Cue::Place),
    ("lives in", Cue::Place),
    ("living in", Cue::Place),
    ("i'm in", Cue::Place),
    ("i am in", Cue::Place),
    ("home city", Cue::Place),
    ("hometown", Cue::Place),
    ("calling from", Cue::Place),
    ("traveling to", Cue::Place),
    ("travelling to", Cue::Place),
    ("year in", Cue::Place),
    ("arrived at", Cue::Place),
    ("arrived in", Cue::Place),
    ("returned to", Cue::Place),
    ("street in", Cue::Place),
    ("where", Cue::Place),
    ("zip", Cue::Zip),
    ("zip code", Cue::Zip),
    ("zipcode", Cue::Zip),
    ("postal code", Cue::Zip),
    ("postcode", Cue::Zip),
    ("account", Cue::Account),
    ("account number", Cue::Account),
    ("member", Cue::Account),
    ("member id", Cue::Account),
    ("membership", Cue::Account),
    ("order number", Cue::Account),
    ("policy number", Cue::Account),
    ("policy", Cue::Account),
    ("ticket number", Cue::Account),
    ("confirmation number", Cue::Account),
    ("confirmation code", Cue::Account),
    ("reference number", Cue::Account),
    ("customer number", Cue::Account),
    ("customer id", Cue::Account),
    ("case number", Cue::Account),
    ("claim number", Cue::Account),
    ("tracking number", Cue::Account),
    ("invoice number", Cue::Account),
    ("loyalty number", Cue::Account),
    ("bank account", Cue::Bank),
    ("checking account", Cue::Bank),
    ("savings account", Cue::Bank),
    ("checking", Cue::Bank),
    ("savings", Cue::Bank),
    ("iban", Cue::Bank),
    ("routing", Cue::Routing),
    ("routing number", Cue::Routing),
    ("aba", Cue::Routing),
    ("pin", Cue::Secret),
    ("pin number", Cue::Secret),
    ("passcode", Cue::Secret),
    ("password", Cue::Secret),
    ("pass code", Cue::Secret),
    ("security answer", Cue::Secret),
    ("security question", Cue::Secret),
    ("maiden name", Cue::Secret),
    ("secret word", Cue::Secret),
    ("access code", Cue::Secret),
    ("verification code", Cue::Secret),
    ("one time code", Cue::Secret),
    ("otp", Cue::Secret),
    ("driver's license", Cue::DriverLicense),
    ("drivers license", Cue::DriverLicense),
    ("driver license", Cue::DriverLicense),
    ("driving licence", Cue::DriverLicense),
    ("driver's licence", Cue::DriverLicense),
    ("license number", Cue::DriverLicense),
    ("licence number", Cue::DriverLicense),
    ("passport", Cue::Passport),
    ("medical record", Cue::MedicalRecord),
    ("mrn", Cue::MedicalRecord),
    ("patient id", Cue::MedicalRecord),
    ("chart number", Cue::MedicalRecord),
    ("insurance", Cue::HealthPlan),
    ("health plan", Cue::HealthPlan),
    ("medicare", Cue::HealthPlan),
    ("medicaid", Cue::HealthPlan),
    ("subscriber id", Cue::HealthPlan),
    ("group number", Cue::HealthPlan),
    ("ip", Cue::Ip),
    ("ip address", Cue::Ip),
];

type PhraseTable = HashMap<&'static str, Vec<(Vec<&'static str>, Cue)>>;

fn table() -> &'static PhraseTable {
    static TABLE: OnceLock<PhraseTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: PhraseTable = HashMap::new();
        for (phrase, cue) in PHRASES {
            let words: Vec<&'static str> = phrase.split(' ').collect();
            t.entry(words[0]).or_default().push((words, *cue));
        }
        // Longest phrase first, so "credit card" wins over "card".
        for v in t.values_mut() {
            v.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        }
        t
    })
}

/// Every cue phrase in the turn. Punctuation between the words of a phrase is skipped
/// ("e-mail", "date-of-birth").
pub(crate) fn find_cues(tokens: &[Token]) -> Vec<CueHit> {
    let table = table();
    let mut hits: Vec<CueHit> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !t.is_word() && t.kind != crate::lex::TokenKind::Alnum {
            continue;
        }
        // A word inside a phrase already matched ("account" of "checking account") is not a
        // cue of its own.
        let inside = hits.last().map(|h| h.after).filter(|&a| i < a);
        let Some(cands) = table.get(&*t.lower) else {
            continue;
        };
        for (words, cue) in cands {
            if let Some(after) =
                match_phrase(tokens, i, words).filter(|&a| inside.is_none_or(|end| a > end))
            {
                hits.push(CueHit {
                    cue: *cue,
                    start_token: i,
                    after,
                });
                break;
            }
        }
    }
    hits
}

fn match_phrase(tokens: &[Token], i: usize, words: &[&str]) -> Option<usize> {
    let mut j = i;
    for w in words {
        while tokens
            .get(j)
            .is_some_and(|t| matches!(t.kind, crate::lex::TokenKind::Punct('-' | '\'' | '.')))
            && j > i
        {
            j += 1;
        }
        let t = tokens.get(j)?;
        if &*t.lower != *w {
            return None;
        }
        j += 1;
    }
    Some(j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;
    use crate::lexicon::Lexicon;

    #[test]
    fn finds_longest_phrase() {
        let t = lex(
            "My credit card number, and my e-mail and date of birth",
            Lexicon::global(),
        );
        let cues: Vec<Cue> = find_cues(&t).iter().map(|h| h.cue).collect();
        assert!(cues.contains(&Cue::Card));
        assert!(cues.contains(&Cue::Email));
        assert!(cues.contains(&Cue::Birth));
    }
}
