//! People's names: after a cue ("my name is", "this is", "Dr."), from first- and last-name
//! gazetteers (US Census and SSA lists, see `data/README.md`), from capitalization, and from the
//! previous turn's question ("who am I speaking with?"). Works on lower-case ASR text, where
//! only cues and gazetteers can speak, and on written text, where capitals help.

use crate::cues::Cue;
use crate::finding::EntityType as T;
use crate::lex::{Token, TokenKind};
use crate::lexicon::WordFlags as F;
use crate::scan::Scan;

const NAMES: F = F::FIRST_NAME.union(F::SURNAME);
const NOT_NAME: F = F::STOP
    .union(F::NUMBER_WORD)
    .union(F::MONTH)
    .union(F::STREET_SUFFIX)
    .union(F::UNIT)
    .union(F::ORG)
    .union(F::TITLE);

pub(crate) fn recognize(scan: &mut Scan<'_>) {
    let mut spans: Vec<(usize, usize, f32)> = Vec::new();
    let toks = &scan.tokens;
    let n = toks.len();

    // 1. Cues. A strong cue takes the next name-like words; a weak one only a known name or a
    //    capitalized word.
    for hit in &scan.cues {
        let strong = match hit.cue {
            Cue::Name => true,
            Cue::NameWeak => false,
            _ => continue,
        };
        let mut j = hit.after;
        while j < n
            && (toks[j].is_punct(':')
                || toks[j].is_punct(',')
                || matches!(&*toks[j].lower, "is" | "it's" | "was"))
        {
            j += 1;
        }
        // Question and answer in one text: "What's your name? User: Maja S Hermansen".
        if strong && toks.get(j).is_some_and(|t| t.is_punct('?')) {
            j += 1;
            if toks.get(j + 1).is_some_and(|t| t.is_punct(':'))
                && toks
                    .get(j)
                    .is_some_and(|t| matches!(&*t.lower, "user" | "customer" | "caller" | "client"))
            {
                j += 2;
            }
        }
        let end = take_name(scan, j, strong);
        let kin = matches!(
            &*toks[hit.start_token].lower,
            "uncle" | "aunt" | "cousin" | "grandma" | "grandpa"
        );
        if end > j {
            // "uncle Richard": the kinship word belongs to how the person is named.
            spans.push((
                if kin { hit.start_token } else { j },
                end,
                if strong { 0.85 } else { 0.7 },
            ));
        } else if matches!(&*toks[hit.start_token].lower, "to" | "of")
            && j < n
            && matches!(
                &*toks[j].lower,
                "mom"
                    | "dad"
                    | "mother"
                    | "father"
                    | "grandma"
                    | "grandpa"
                    | "grandmother"
                    | "grandfather"
            )
            && toks
                .get(j + 1)
                .is_none_or(|u| !u.is_word() || u.has(F::STOP))
        {
            // A transfer "to mom": the recipient is a person known to the caller.
            spans.push((j, j + 1, 0.6));
        }
    }
    // A title: "Mr. Nekrasov", "Dr. Emily Stone".
    for i in 0..n {
        if toks[i].has(F::TITLE) && (toks[i].capitalized || scan.caseless) {
            let mut j = i + 1;
            if j < n && toks[j].is_punct('.') {
                j += 1;
            }
            // Lower-case "doctor" is a word more often than a title: only before a known name.
            // An abbreviation with its period ("dr.", "mrs.") is a title in any case.
            let abbreviated = j > i + 1 && toks[i].lower.len() <= 4;
            let end = take_name(scan, j, !scan.caseless || abbreviated);
            if end > j {
                spans.push((i, end, 0.85));
            }
        }
    }
    // 2. The previous turn asked for a name: the answer's first name-like words. (Only the
    // turn right after the question: later turns seldom open with the name.)
    if scan
        .ctx
        .asked
        .iter()
        .any(|a| a.cue == Cue::Name && a.age == 0)
    {
        let mut j = 0;
        while j < n
            && (toks[j].has(F::STOP) || toks[j].kind != TokenKind::Word || toks[j].has(F::TITLE))
            && j < 4
        {
            j += 1;
        }
        let end = take_name(scan, j, true);
        if end > j {
            spans.push((j, end, 0.8));
        }
        // Spelled names: "d o e".
        let mut i = 0;
        while i < n {
            let mut j = i;
            while j < n && toks[j].is_word() && toks[j].lower.chars().count() == 1 {
                j += 1;
            }
            if j - i >= 3 {
                spans.push((i, j, 0.75));
                i = j;
            } else {
                i += 1;
            }
        }
    }
    // 3. Gazetteers: a known first name or surname, widened over neighbouring name-like words.
    let mut i = 0;
    while i < n {
        let t = &toks[i];
        let known = t.is_word() && t.flags.intersects(NAMES) && !t.flags.intersects(NOT_NAME);
        // Written text with a name typed in lower case ("with leininger anne"): a word that can
        // only be a first name, and the words around it, are read as in lower-case speech.
        let lower_name = !scan.caseless && !t.capitalized && only_first_name(t);
        let shaped = scan.caseless || t.capitalized && !all_caps(scan, t) || lower_name;
        if !(known && shaped) {
            i += 1;
            continue;
        }
        let caseless = scan.caseless || lower_name;
        // In lower-case text a lone surname is too weak (many are words); a first name is not.
        let mut start = i;
        while start > 0
            && (neighbour(scan, caseless, &toks[start - 1]) || hyphen_joined(toks, start - 1))
            && !toks[start].newline_before
        {
            start -= if hyphen_joined(toks, start - 1) && start >= 2 {
                2
            } else {
                1
            };
        }
        let mut end = i + 1;
        while end < n && !toks[end].newline_before && end - start < 5 {
            if initial(toks, end) {
                end += if toks.get(end + 1).is_some_and(|p| p.is_punct('.')) {
                    2
                } else {
                    1
                };
            } else if neighbour(scan, caseless, &toks[end])
                || (caseless && t.has(F::FIRST_NAME) && end > i && unknown_word(&toks[end]))
            {
                end += 1;
            } else {
                break;
            }
        }
        while end > start + 1 && toks[end - 1].kind != TokenKind::Word {
            end -= 1;
        }
        // Directory order, surname first: "bacosa frances", "with bacheler Janet" (a lower-case
        // word no list knows), "brown brooke a" in lower-case speech (a name that is also a
        // word, then a first name and an initial).
        if start == i && i > 0 && t.has(F::FIRST_NAME) && !toks[i].newline_before {
            let p = &toks[i - 1];
            let ends_on_initial = end > i + 1 && toks[end - 1].lower.chars().count() == 1;
            let name_word = p.is_word()
                && p.flags.intersects(NAMES.union(F::AMBIGUOUS_NAME))
                && !p.flags.intersects(NOT_NAME)
                && !aux_word(p);
            let unknown = unknown_word(p) && (caseless || !p.capitalized);
            if unknown || caseless && name_word && ends_on_initial {
                start -= 1;
            }
        }
        // A first name no list knows before a known surname, in lower-case speech: "priya
        // patel".
        if caseless
            && start == i
            && i > 0
            && t.has(F::SURNAME)
            && !t.has(F::FIRST_NAME)
            && unknown_word(&toks[i - 1])
            && !toks[i].newline_before
        {
            start -= 1;
        }
        let lone = end - start == 1;
        let first_name = t.has(F::FIRST_NAME);
        let sentence_start =
            start == 0 || toks[start - 1].is_punct('.') || toks[start - 1].newline_before;
        let keep = if caseless {
            !lone || first_name
        } else {
            !lone || first_name || !sentence_start
        };
        if keep {
            spans.push((start, end.min(n), if lone { 0.55 } else { 0.75 }));
        }
        i = end.max(i + 1);
    }
    // 4. The written shape "Adam E. Pollock": two capitalized words around a middle initial with
    //    its period, whatever the lists say about the first word.
    if !scan.caseless {
        for i in 0..n.saturating_sub(3) {
            let word = |t: &Token| title_word(scan, t) && !t.flags.intersects(NOT_NAME);
            if word(&toks[i])
                && toks[i + 1].capitalized
                && initial(toks, i + 1)
                && toks[i + 2].is_punct('.')
                && !toks[i + 2].space_before
                && word(&toks[i + 3])
                && !toks[i + 1].newline_before
                && !toks[i + 3].newline_before
            {
                spans.push((i, i + 4, 0.75));
            }
        }
    }
    // 5. Names no list knows, by their written shape: two or three capitalized words in a row,
    //    none of them an ordinary word or a place, at least one unknown to every list
    //    ("Krisztián Szöllösy", "Tomomi Nishiyama", "Esat Jeknić").
    if !scan.caseless {
        let foreign = |t: &Token| {
            title_word(scan, t)
                && (t.flags.is_empty()
                    || t.flags.intersects(NAMES) && !t.flags.intersects(NOT_NAME.union(F::WORD)))
        };
        let mut i = 0;
        while i < n {
            let mut e = i;
            while e < n && e - i < 3 && foreign(&toks[e]) && (e == i || !toks[e].newline_before) {
                e += 1;
            }
            let unknown = toks[i..e].iter().any(|t| t.flags.is_empty());
            if e - i >= 2 && unknown {
                spans.push((i, e, 0.5));
                i = e;
            } else {
                i += 1;
            }
        }
    }
    // 6. A lone capitalized word no list knows (not a name, place or ordinary word) where a
    //    person stands: before "is", "was", "spent", "began" ... or after "by", "says", "hi".
    if !scan.caseless {
        for i in 0..n {
            let t = &toks[i];
            if !(title_word(scan, t)
                && t.flags.is_empty()
                && t.lower.chars().count() > 2
                // "I've", "We'll": contractions are not names.
                && !t.lower.contains(['\'', '\u{2019}']))
            {
                continue;
            }
            let verb_after = toks.get(i + 1).is_some_and(|u| {
                matches!(
                    &*u.lower,
                    "is" | "was"
                        | "has"
                        | "had"
                        | "will"
                        | "spent"
                        | "began"
                        | "lives"
                        | "said"
                        | "says"
                        | "told"
                        | "wants"
                        | "called"
                        | "shouted"
                        | "asked"
                        | "works"
                )
            });
            let cue_before = i > 0
                && matches!(
                    &*toks[i - 1].lower,
                    "by" | "says" | "said" | "dear" | "hi" | "hello" | "thanks" | "ex"
                );
            if verb_after || cue_before {
                spans.push((i, i + 1, 0.5));
            }
        }
    }
    // 7. A speaker label at the start of a line: "Ubul: What a wife." - a capitalized word that
    //    is not an ordinary word ("Agent:", "Note:" are).
    if !scan.caseless {
        for i in 0..n.saturating_sub(1) {
            let t = &toks[i];
            let line_start = i == 0 || t.newline_before;
            if line_start
                && toks[i + 1].is_punct(':')
                && title_word(scan, t)
                && (t.flags.is_empty() || t.flags.intersects(NAMES))
                && !t.flags.intersects(NOT_NAME.union(F::WORD))
            {
                spans.push((i, i + 1, 0.6));
            }
        }
    }
    payees(scan, &mut spans);
    coordinated(scan, &mut spans);
    for span in &mut spans {
        span.1 = post_nominals(toks, span.1);
    }
    mentioned_again(scan, &mut spans);
    for (s, e, score) in spans {
        scan.push_tokens(T::Person, s, e, score);
    }
}

/// Names in a list are names alike: "founders: Kónya, Becker and Vasquez", "Usamov and Bowers",
/// "They had 6: Gaetane, Hannah, Anthony". A capitalized word that is not an ordinary word,
/// joined by a comma, "and" or "&" to a word already read as a one-word name, is one too.
fn coordinated(scan: &Scan<'_>, spans: &mut Vec<(usize, usize, f32)>) {
    // Most turns have no one-word name to start from: no work, no allocation.
    if scan.caseless || !spans.iter().any(|&(s, e, _)| e == s + 1) {
        return;
    }
    let toks = &scan.tokens;
    let n = toks.len();
    let mut named = vec![false; n];
    for &(s, e, _) in spans.iter() {
        if e == s + 1 {
            named[s] = true;
        }
    }
    let candidate = |t: &Token| {
        title_word(scan, t)
            && !t
                .flags
                .intersects(NOT_NAME.union(F::WORD).union(F::CITY).union(F::COUNTRY))
    };
    let joiner = |t: &Token| t.is_punct(',') || t.is_punct('&') || &*t.lower == "and";
    // Sweep both ways until nothing changes (lists are short).
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..n {
            if named[i] || !candidate(&toks[i]) {
                continue;
            }
            let left = i >= 2 && joiner(&toks[i - 1]) && named[i - 2];
            let right = i + 2 < n && joiner(&toks[i + 1]) && named[i + 2];
            // "Kónya, Becker and Vasquez": one step further over a comma and "and".
            let right2 = i + 3 < n
                && toks[i + 1].is_punct(',')
                && &*toks[i + 2].lower == "and"
                && named[i + 3];
            if left || right || right2 {
                named[i] = true;
                spans.push((i, i + 1, 0.55));
                changed = true;
            }
        }
    }
}

/// Can this word of a name stand for the person on its own later ("Antti", "jasbir")?
fn memorable(t: &Token) -> bool {
    t.is_word() && t.lower.chars().count() > 2 && !t.flags.intersects(NOT_NAME.union(F::WORD))
}

/// A name said once is the same name when it comes again, in the turn or later in the call:
/// "My name is Antti Poutiainen but everyone calls me Antti", "directed by Philip Latourelle
/// and starring Latourelle".
fn mentioned_again(scan: &Scan<'_>, spans: &mut Vec<(usize, usize, f32)>) {
    if spans.is_empty() && scan.ctx.names.is_empty() {
        return;
    }
    let toks = &scan.tokens;
    let mut words: Vec<&str> = scan.ctx.names.iter().map(String::as_str).collect();
    let mut covered = vec![false; toks.len()];
    for &(s, e, _) in spans.iter() {
        for (k, t) in toks.iter().enumerate().take(e).skip(s) {
            covered[k] = true;
            if memorable(t) {
                words.push(&t.lower);
            }
        }
    }
    if words.is_empty() {
        return;
    }
    for (k, t) in toks.iter().enumerate() {
        if !covered[k]
            && t.is_word()
            && (scan.caseless || t.capitalized)
            && words.contains(&&*t.lower)
        {
            spans.push((k, k + 1, 0.6));
        }
    }
}

/// The name words of a turn's person findings, for the turns that follow.
pub(crate) fn remembered(scan: &Scan<'_>, findings: &[crate::Finding]) -> Vec<String> {
    let mut out = Vec::new();
    for f in findings.iter().filter(|f| f.entity == T::Person) {
        for t in scan
            .tokens
            .iter()
            .filter(|t| f.start <= t.start && t.end <= f.end)
        {
            if memorable(t) && !out.iter().any(|w: &String| **w == *t.lower) {
                out.push(t.lower.to_string());
            }
        }
    }
    out
}

/// Kinship words a caller uses for a payee: "send it to mom".
const KIN: &[&str] = &[
    "mom",
    "mum",
    "dad",
    "mother",
    "father",
    "mama",
    "papa",
    "grandma",
    "grandpa",
    "grandmother",
    "grandfather",
    "sister",
    "brother",
    "wife",
    "husband",
    "son",
    "daughter",
    "aunt",
    "uncle",
    "cousin",
    "niece",
    "nephew",
];

/// In a money transfer, the payee is a person: "send $50 to jasbir", "transfer it to grace's
/// checking account", "the checking account for Grace", "Send Dad 160 dollars", "$1,400 jasbir
/// checking", "Jasbir will receive the money". X must be a name, a word no list knows, or a
/// kinship word; it must stand where a payee stands (after "to", "for", "account of", a sending
/// verb or an amount) and end where a name ends (punctuation, "'s", a function word, the
/// account it goes to).
fn payees(scan: &Scan<'_>, spans: &mut Vec<(usize, usize, f32)>) {
    let toks = &scan.tokens;
    let transfer = toks.iter().any(|t| {
        t.is_punct('$')
            || matches!(
                &*t.lower,
                "send"
                    | "sending"
                    | "sent"
                    | "transfer"
                    | "transferring"
                    | "transferred"
                    | "pay"
                    | "paying"
                    | "wire"
                    | "zelle"
                    | "venmo"
                    | "money"
                    | "bucks"
                    | "dollars"
                    | "give"
                    | "receive"
                    | "recipient"
                    | "payee"
            )
    });
    if !transfer {
        return;
    }
    let n = toks.len();
    for j in 0..n {
        let t = &toks[j];
        if !t.is_word() {
            continue;
        }
        let kin = KIN.contains(&&*t.lower);
        // In written text a payee is capitalized, or a lower-case word that can only be a first
        // name ("to philip") or that no list knows ("to jasbir").
        let shaped = scan.caseless
            || t.capitalized
            || unknown_word(t)
            || t.has(F::FIRST_NAME) && !t.flags.intersects(F::WORD.union(F::AMBIGUOUS_NAME));
        let name = !t.flags.intersects(NOT_NAME)
            && !aux_word(t)
            && (t.flags.intersects(NAMES.union(F::AMBIGUOUS_NAME)) || unknown_word(t))
            && shaped;
        if !(kin || name) {
            continue;
        }
        let mut end = j + 1;
        while end < n && toks[end].is_word() && toks[end].flags.intersects(NAMES) && !kin {
            end += 1;
        }
        let account_after = toks.get(end).is_some_and(|u| {
            matches!(&*u.lower, "checking" | "savings" | "account")
                || u.is_punct('\'')
                || u.is_punct('\u{2019}')
        });
        let will_receive = toks
            .get(end)
            .is_some_and(|u| matches!(&*u.lower, "will" | "should" | "can"))
            && toks
                .get(end + 1)
                .is_some_and(|u| matches!(&*u.lower, "receive" | "get"));
        let receives = will_receive
            || toks
                .get(end)
                .is_some_and(|u| matches!(&*u.lower, "receives" | "gets"));
        let ends = boundary(toks, end) || account_after || receives;
        // What stands before: "to (my) X", "for X", "account of X", "send X", "$1,400 X".
        let mut p = j;
        let mut article = false;
        if p > 0
            && matches!(
                &*toks[p - 1].lower,
                "my" | "your" | "his" | "her" | "their" | "our"
            )
        {
            p -= 1;
        } else if p > 0 && &*toks[p - 1].lower == "the" {
            p -= 1;
            article = true;
        }
        let cue = p.checked_sub(1).is_some_and(|q| {
            let b = &toks[q];
            matches!(&*b.lower, "to" | "for")
                || &*b.lower == "of" && q > 0 && &*toks[q - 1].lower == "account"
                || !article
                    // "send money to ...": right after the verb, an ordinary word is the thing
                    // sent, not the payee.
                    && (matches!(&*b.lower, "send" | "pay" | "give" | "wire" | "venmo")
                        && (kin || !t.has(F::WORD))
                        || b.kind == TokenKind::Num && amount_before(toks, q))
        }) || j == 0 && receives;
        // "pay $15 for shipping to Denver": a place is a payee only when the money lands in its
        // account.
        let place = t
            .flags
            .intersects(F::CITY.union(F::STATE).union(F::COUNTRY));
        if cue && ends && (!article || account_after) && (!place || account_after || receives) {
            spans.push((j, end, 0.7));
        }
    }
}

/// Is the number ending at token `k` an amount of money ("$1,400")?
fn amount_before(toks: &[Token], mut k: usize) -> bool {
    while k > 0
        && (toks[k].kind == TokenKind::Num || toks[k].is_punct(',') || toks[k].is_punct('.'))
    {
        k -= 1;
    }
    toks[k].is_punct('$')
}

/// Where a name can end: the end of the turn, punctuation, a function word.
fn boundary(toks: &[Token], k: usize) -> bool {
    toks.get(k)
        .is_none_or(|u| matches!(u.kind, TokenKind::Punct(_) | TokenKind::Num) || u.has(F::STOP))
}

/// Name-list words that are mostly verbs or answers in speech: never taken on their own.
fn aux_word(t: &Token) -> bool {
    matches!(
        &*t.lower,
        "will"
            | "may"
            | "can"
            | "do"
            | "so"
            | "see"
            | "no"
            | "ok"
            | "okay"
            | "an"
            | "my"
            | "miss"
            | "more"
            | "best"
            | "call"
            | "check"
            | "order"
            | "card"
            | "number"
            | "cash"
            | "total"
    )
}

/// Degrees and credentials written after a name belong to it: "pamela culver, psy",
/// "florence p. creighton, lcsw", "charles barton, jr", "david matz - psychologist".
fn post_nominals(toks: &[Token], mut e: usize) -> usize {
    const TITLES: &[&str] = &[
        "jr",
        "sr",
        "ii",
        "iii",
        "iv",
        "phd",
        "md",
        "psyd",
        "psy",
        "lcsw",
        "lmft",
        "mft",
        "mfc",
        "mfcc",
        "lpc",
        "lpcc",
        "msw",
        "ms",
        "ma",
        "np",
        "rn",
        "dds",
        "dmd",
        "esq",
        "cpa",
        "psychologist",
        "psychotherapist",
        "therapist",
        "psychiatrist",
        "counselor",
    ];
    loop {
        let mut k = e;
        while toks
            .get(k)
            .is_some_and(|t| (t.is_punct(',') || t.is_punct('-')) && k < e + 2)
        {
            k += 1;
        }
        let Some(t) = toks.get(k) else { return e };
        let bare = k == e && matches!(&*t.lower, "jr" | "sr" | "ii" | "iii" | "phd" | "md");
        if t.newline_before || !t.is_word() || !(k > e || bare) || !TITLES.contains(&&*t.lower) {
            return e;
        }
        e = k + 1;
    }
}

/// "Whang-Ramos": a capitalized word glued to the next one by a hyphen.
fn hyphen_joined(toks: &[Token], i: usize) -> bool {
    toks[i].is_punct('-')
        && !toks[i].space_before
        && i > 0
        && toks[i - 1].is_word()
        && toks[i - 1].capitalized
}

/// A word no list knows: in lower-case speech, the likely surname after a known first name.
fn unknown_word(t: &Token) -> bool {
    t.is_word() && t.flags.is_empty() && t.lower.chars().count() > 1
}

/// A word written like a name in cased text: capitalized, not all capitals, two letters or more.
fn title_word(scan: &Scan<'_>, t: &Token) -> bool {
    t.is_word() && t.capitalized && !all_caps(scan, t) && t.lower.chars().count() > 1
}

fn all_caps(scan: &Scan<'_>, t: &Token) -> bool {
    let s = &scan.text[t.start..t.end];
    s.chars().count() > 1 && s.chars().all(|c| !c.is_lowercase())
}

/// A word that can only be a first name: no list of words or places knows it otherwise.
fn only_first_name(t: &Token) -> bool {
    t.is_word()
        && t.has(F::FIRST_NAME)
        && t.lower.chars().count() > 2
        && !t.flags.intersects(
            F::WORD
                .union(F::AMBIGUOUS_NAME)
                .union(NOT_NAME)
                .union(F::CITY)
                .union(F::STATE)
                .union(F::COUNTRY),
        )
}

/// A word that can stand next to a known name inside the same name.
fn neighbour(scan: &Scan<'_>, caseless: bool, t: &Token) -> bool {
    if !t.is_word()
        || t.flags.intersects(NOT_NAME)
        || t.flags
            .intersects(F::CITY.union(F::COUNTRY).union(F::STATE))
            && !t.flags.intersects(NAMES)
    {
        return false;
    }
    if caseless {
        t.flags.intersects(NAMES)
    } else {
        t.capitalized && !all_caps(scan, t)
    }
}

/// "A." or "P" as a middle initial.
fn initial(toks: &[Token], i: usize) -> bool {
    let t = &toks[i];
    let after_name = i > 0 && toks[i - 1].is_word() && toks[i - 1].flags.intersects(NAMES);
    // "Kalpana I. Nathan": "I" is an initial only between two capitalized words, with its period.
    let i_initial = i > 0
        && toks[i - 1].is_word()
        && toks[i - 1].capitalized
        && toks
            .get(i + 1)
            .is_some_and(|p| p.is_punct('.') && !p.space_before)
        && toks
            .get(i + 2)
            .is_some_and(|u| u.is_word() && u.capitalized && !u.newline_before);
    t.is_word()
        && t.lower.chars().count() == 1
        && (&*t.lower != "i" || t.capitalized && i_initial)
        && (t.capitalized && &*t.lower != "a" || after_name)
}

/// Takes up to four name words from `j`; returns the end (exclusive).
fn take_name(scan: &Scan<'_>, j: usize, strong: bool) -> usize {
    let toks = &scan.tokens;
    let n = toks.len();
    let mut k = j;
    while k < n && k - j < 4 {
        let t = &toks[k];
        if k > j && t.newline_before {
            break;
        }
        if k > j && initial(toks, k) {
            k += if toks.get(k + 1).is_some_and(|p| p.is_punct('.')) {
                2
            } else {
                1
            };
            continue;
        }
        if k > j
            && t.is_punct('-')
            && toks
                .get(k + 1)
                .is_some_and(|u| u.is_word() && !u.space_before)
        {
            k += 1;
            continue;
        }
        if !t.is_word() || t.flags.intersects(NOT_NAME) && !(strong && t.has(F::AMBIGUOUS_NAME)) {
            break;
        }
        if t.flags.intersects(F::CITY.union(F::COUNTRY))
            && !t.flags.intersects(NAMES)
            && k == j
            && !strong
        {
            break;
        }
        let known = t.flags.intersects(NAMES) || t.has(F::AMBIGUOUS_NAME) && strong;
        // "with auer patience at": after a known name, a name that is also a word (or a word
        // no list knows) when the name ends right after it.
        let second = k > j
            && toks[k - 1].flags.intersects(NAMES)
            && (t.has(F::AMBIGUOUS_NAME) && !aux_word(t) || unknown_word(t))
            && boundary(toks, k + 1);
        // After a weak cue ("hi", "this is", "to"), an ordinary capitalized word is a product or
        // a company more often than a person: "Hi, Spectrum support here".
        let plain_word = !strong
            && k == j
            && t.has(F::WORD)
            && !t.flags.intersects(NAMES.union(F::AMBIGUOUS_NAME));
        let ok = if scan.caseless {
            known || second || strong && k == j || strong && k > j && !t.has(F::STOP)
        } else {
            (t.capitalized && !all_caps(scan, t) && !plain_word) || (known && strong)
        };
        if !ok {
            break;
        }
        // In lower-case speech after a strong cue, stop after two words unless the third is a
        // known name: "my name is jane doe and ..." but not "... jane doe calling about".
        if scan.caseless && k - j >= 2 && !known {
            break;
        }
        k += 1;
    }
    // Do not end on a dangling punctuation token.
    while k > j && toks[k - 1].kind != TokenKind::Word {
        k -= 1;
    }
    k
}
