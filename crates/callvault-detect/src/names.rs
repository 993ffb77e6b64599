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
            let end = take_name(scan, j, !scan.caseless);
            if end > j {
                spans.push((i, end, 0.85));
            }
        }
    }
    // 2. The previous turn asked for a name: the answer's first name-like words.
    if scan.ctx.asked.contains(&Cue::Name) {
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
        let shaped = scan.caseless || t.capitalized && !all_caps(scan, t);
        if !(known && shaped) {
            i += 1;
            continue;
        }
        // In lower-case text a lone surname is too weak (many are words); a first name is not.
        let mut start = i;
        while start > 0
            && (neighbour(scan, &toks[start - 1]) || hyphen_joined(toks, start - 1))
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
            } else if neighbour(scan, &toks[end])
                || (scan.caseless && t.has(F::FIRST_NAME) && end > i && unknown_word(&toks[end]))
            {
                end += 1;
            } else {
                break;
            }
        }
        while end > start + 1 && toks[end - 1].kind != TokenKind::Word {
            end -= 1;
        }
        let lone = end - start == 1;
        let first_name = t.has(F::FIRST_NAME);
        let sentence_start =
            start == 0 || toks[start - 1].is_punct('.') || toks[start - 1].newline_before;
        let keep = if scan.caseless {
            !lone || first_name
        } else {
            !lone || first_name || !sentence_start
        };
        if keep {
            spans.push((start, end.min(n), if lone { 0.55 } else { 0.75 }));
        }
        i = end.max(i + 1);
    }
    for (s, e, score) in spans {
        scan.push_tokens(T::Person, s, e, score);
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

fn all_caps(scan: &Scan<'_>, t: &Token) -> bool {
    let s = &scan.text[t.start..t.end];
    s.chars().count() > 1 && s.chars().all(|c| !c.is_lowercase())
}

/// A word that can stand next to a known name inside the same name.
fn neighbour(scan: &Scan<'_>, t: &Token) -> bool {
    if !t.is_word()
        || t.flags.intersects(NOT_NAME)
        || t.flags
            .intersects(F::CITY.union(F::COUNTRY).union(F::STATE))
            && !t.flags.intersects(NAMES)
    {
        return false;
    }
    if scan.caseless {
        t.flags.intersects(NAMES)
    } else {
        t.capitalized && !all_caps(scan, t)
    }
}

/// "A." or "P" as a middle initial.
fn initial(toks: &[Token], i: usize) -> bool {
    let t = &toks[i];
    let after_name = i > 0 && toks[i - 1].is_word() && toks[i - 1].flags.intersects(NAMES);
    t.is_word()
        && t.lower.chars().count() == 1
        && &*t.lower != "i"
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
        let ok = if scan.caseless {
            known || strong && k == j || strong && k > j && !t.has(F::STOP)
        } else {
            (t.capitalized && !all_caps(scan, t)) || (known && strong)
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
