//! Where a person lives: street addresses (a house number, a street name, a suffix, a unit; written
//! or spoken; with the city, state and postal code lines that follow), ZIP and postal codes, and
//! places (cities, states, countries) as `LOCATION`.

use crate::cues::Cue;
use crate::finding::EntityType as T;
use crate::lex::{Token, TokenKind};
use crate::lexicon::{Lexicon, WordFlags as F};
use crate::scan::Scan;

pub(crate) fn recognize(scan: &mut Scan<'_>) {
    let addresses = street_addresses(scan);
    for (first, last, score) in addresses {
        let last = extend_lines(scan, last);
        scan.push_tokens(T::StreetAddress, first, last, score);
    }
    locations(scan);
    cued_places(scan);
    zip_codes(scan);
}

/// After a place cue ("grew up in", "flew to", "based in"), a capitalized name that is not an
/// ordinary word is a place even when no list knows it: "in Flateyri", "to LEPPEN", "from
/// Villafranca del Cid". Written text only: in lower-case speech only the lists can speak.
fn cued_places(scan: &mut Scan<'_>) {
    if scan.caseless {
        return;
    }
    let toks = &scan.tokens;
    let mut found = Vec::new();
    // A plain "in" or "from" is a weaker cue: what follows must be a known place or a word no
    // list knows at all (not a name, not an ordinary word): "in Highveld", "from Tjæreborg".
    let plain = toks.iter().enumerate().filter_map(|(i, t)| {
        let next = toks.get(i + 1)?;
        let unknown = next.flags.is_empty() || next.intersects_place();
        (matches!(&*t.lower, "in" | "from") && unknown).then_some(i + 1)
    });
    let cued = scan
        .cues
        .iter()
        .filter(|h| h.cue == Cue::Place)
        .map(|h| h.after);
    let starts: Vec<usize> = cued.chain(plain).collect();
    for j in starts {
        let mut j = j;
        if toks.get(j).is_some_and(|t| t.is_punct(':')) {
            j += 1;
        }
        let mut k = j;
        let mut words = 0;
        while k < toks.len() && words < 4 && (k == j || !toks[k].newline_before) {
            let t = &toks[k];
            let name = t.is_word()
                && t.capitalized
                && (!t.flags.intersects(
                    F::STOP
                        .union(F::WORD)
                        .union(F::MONTH)
                        .union(F::TITLE)
                        .union(F::ORG)
                        .union(F::AMBIGUOUS_NAME),
                ) || t.intersects_place());
            // "Villafranca del Cid", "Kędzierzyn-Koźle", "Port O' Warren".
            let joiner = k > j
                && (t.is_word()
                    && matches!(
                        &*t.lower,
                        "de" | "del"
                            | "do"
                            | "da"
                            | "dos"
                            | "das"
                            | "la"
                            | "le"
                            | "nad"
                            | "pod"
                            | "van"
                            | "von"
                            | "der"
                            | "di"
                            | "sur"
                            | "upon"
                    )
                    || (t.is_punct('-') || t.is_punct('\'')) && !t.space_before)
                && toks
                    .get(k + 1)
                    .is_some_and(|u| u.is_word() && u.capitalized);
            if name {
                words += 1;
            } else if !joiner {
                break;
            }
            k += 1;
        }
        while k > j && !toks[k - 1].is_word() {
            k -= 1;
        }
        if words > 0 {
            found.push((j, k));
        }
    }
    for (s, e) in found {
        scan.push_tokens(T::Location, s, e, 0.6);
    }
}

/// Can this token be part of a street name?
fn street_word(scan: &Scan<'_>, t: &Token) -> bool {
    match t.kind {
        TokenKind::Word => {
            let place_head = t.capitalized && !scan.caseless && t.has(F::PLACE_HEAD);
            if t.has(F::STOP) && !t.has(F::STREET_SUFFIX) && !t.has(F::DIRECTION) && !place_head {
                return false;
            }
            scan.caseless
                || t.capitalized
                || t.has(F::STREET_SUFFIX)
                || t.has(F::DIRECTION)
                || t.lower.len() <= 3
                || !t.has(F::STOP)
        }
        // "2nd", "42nd", "5th".
        TokenKind::Alnum => {
            t.lower.ends_with("st")
                || t.lower.ends_with("nd")
                || t.lower.ends_with("rd")
                || t.lower.ends_with("th")
        }
        TokenKind::Num => false,
        TokenKind::Punct(c) => c == '.' || c == '\'' || c == '-',
    }
}

/// Suffixes that, after a number and a few words, make an address even in lower-case words.
fn strong_suffix(t: &Token) -> bool {
    matches!(
        &*t.lower,
        "street"
            | "st"
            | "avenue"
            | "ave"
            | "road"
            | "rd"
            | "drive"
            | "dr"
            | "boulevard"
            | "blvd"
            | "lane"
            | "ln"
            | "court"
            | "ct"
            | "parkway"
            | "pkwy"
            | "highway"
            | "hwy"
            | "terrace"
            | "circle"
            | "place"
            | "pl"
            | "square"
            | "plaza"
            | "way"
            | "common"
            | "row"
            | "trail"
    )
}

/// Token index range after the street suffix covering directions and units.
fn after_suffix(scan: &Scan<'_>, mut k: usize) -> usize {
    let toks = &scan.tokens;
    let n = toks.len();
    // A period after an abbreviation ("St.") belongs to it.
    if k < n && toks[k].is_punct('.') && !toks[k].space_before {
        k += 1;
    }
    // A second street name glued on: "Cheriton Dr Reuquén Extensions", "Crown Street Kishiev
    // Squares" - capitalized words ending on another suffix.
    let mut m = k;
    while m < n
        && m < k + 3
        && toks[m].is_word()
        && toks[m].capitalized
        && !toks[m].has(F::STOP)
        && !toks[m].newline_before
    {
        if toks[m].has(F::STREET_SUFFIX) && m > k {
            k = m + 1;
            break;
        }
        m += 1;
    }
    // The house number after the street, European order: "Trenerys gate 232", "u. 94.".
    if k < n
        && toks[k].kind == TokenKind::Num
        && toks[k].end - toks[k].start <= 4
        && !toks[k].newline_before
        && toks.get(k + 1).is_none_or(|u| {
            u.newline_before
                || u.is_punct(',')
                || u.is_punct('.')
                || u.has(F::UNIT)
                || u.is_word() && u.capitalized
        })
    {
        k += 1;
        if k < n && toks[k].is_punct('.') && !toks[k].space_before {
            k += 1;
        }
    }
    // "3180 peachtree road northeast": a direction shaped like the suffix before it.
    let suffix_lower = k > 0 && !toks[k - 1].capitalized;
    if k < n
        && toks[k].has(F::DIRECTION)
        && !toks[k].newline_before
        && (toks[k].capitalized || scan.caseless || suffix_lower || toks[k].lower.len() <= 2)
    {
        k += 1;
    }
    // "3468 Mount Diablo Boulevard B301": a unit code right after the street.
    if k < n
        && toks[k].kind == TokenKind::Alnum
        && !toks[k].newline_before
        && toks[k].capitalized
        && toks[k].end - toks[k].start <= 5
        && toks
            .get(k + 1)
            .is_none_or(|u| !u.is_word() || u.has(F::STOP))
    {
        return k + 1;
    }
    // "2nd Floor".
    if k + 1 < n
        && toks[k].kind == TokenKind::Alnum
        && toks[k + 1].has(F::UNIT)
        && !toks[k].newline_before
    {
        k += 2;
    }
    loop {
        if k >= n || toks[k].newline_before {
            return k;
        }
        let t = &toks[k];
        let mut m = k;
        if t.is_punct(',')
            && toks
                .get(k + 1)
                .is_some_and(|u| u.has(F::UNIT) || u.is_punct('#'))
        {
            m += 1;
        }
        let u = &toks[m.min(n - 1)];
        if u.is_punct('#') || u.has(F::UNIT) {
            m += 1;
            if m < n && toks[m].is_punct('.') {
                m += 1;
            }
            if m < n && toks[m].is_punct('#') {
                m += 1;
            }
            // The unit's number: digits, spoken digits, letters ("B201", "D").
            let mut took = false;
            while m < n
                && !toks[m].newline_before
                && (matches!(toks[m].kind, TokenKind::Num | TokenKind::Alnum)
                    || toks[m].has(F::NUMBER_WORD)
                    || (toks[m].is_word() && toks[m].lower.chars().count() == 1))
            {
                m += 1;
                took = true;
                if toks[m - 1].kind != TokenKind::Word
                    || toks[m - 1].lower.chars().count() == 1 && !toks[m - 1].has(F::NUMBER_WORD)
                {
                    // Written unit numbers are one token; spoken ones continue.
                    if !scan.caseless {
                        break;
                    }
                }
            }
            if !took {
                return k;
            }
            // "# A-1".
            while m + 1 < n
                && toks[m].is_punct('-')
                && !toks[m].space_before
                && !toks[m + 1].space_before
                && matches!(
                    toks[m + 1].kind,
                    TokenKind::Num | TokenKind::Alnum | TokenKind::Word
                )
            {
                m += 2;
            }
            k = m;
            continue;
        }
        // "4390 Telegraph Avenue D": a single capital letter right after the suffix.
        if t.is_word()
            && t.lower.chars().count() == 1
            && !scan.caseless
            && t.capitalized
            && &*t.lower != "a"
            && &*t.lower != "i"
        {
            return k + 1;
        }
        return k;
    }
}

/// House number first: "377 Santana Row #1000", "one one five hartz avenue".
fn street_addresses(scan: &Scan<'_>) -> Vec<(usize, usize, f32)> {
    let toks = &scan.tokens;
    let mut out = Vec::new();
    for run in &scan.runs {
        // "370 3911 Fourth Avenue": a building number and a street number, written apart.
        let two_numbers = run.chunks.len() == 2
            && run.chunks.iter().all(|c| c.written && c.digits <= 5)
            && run.chunks[0].sep_after == ' ';
        if run.quantity || run.len() > 6 && !two_numbers || run.chunks.len() > 6 {
            continue;
        }
        let mut k = run.last;
        // "1400 N. Dutton", "123B Main".
        let mut name_words = 0;
        let mut found_suffix = None;
        while k < toks.len() && name_words <= 5 && !toks[k].newline_before {
            let t = &toks[k];
            // Hungarian "u." (utca): "Kálmán Imre u. 12."
            let utca = &*t.lower == "u"
                && name_words > 0
                && toks.get(k + 1).is_some_and(|p| p.is_punct('.'))
                && toks.get(k + 2).is_some_and(|p| p.kind == TokenKind::Num);
            if t.has(F::STREET_SUFFIX) && name_words > 0
                || utca
                || (t.has(F::STREET_SUFFIX) && matches!(&*t.lower, "broadway" | "alameda"))
            {
                // Prefer the last suffix in "Park Lane Road"? The first one that ends the name.
                let next_suffix = toks.get(k + 1).is_some_and(|u| {
                    u.has(F::STREET_SUFFIX) && !u.newline_before && (scan.caseless || u.capitalized)
                });
                if next_suffix {
                    k += 1;
                    name_words += 1;
                    continue;
                }
                let all_shaped = scan.caseless
                    || t.capitalized
                    || toks[run.last..k]
                        .iter()
                        .all(|w| !w.is_word() || w.capitalized || w.lower.chars().count() == 1);
                if all_shaped || strong_suffix(t) || utca {
                    found_suffix = Some(k);
                }
                break;
            }
            // Spoken ordinals: "two nd street".
            let ordinal = t.is_word() && matches!(&*t.lower, "st" | "nd" | "rd" | "th")
                || t.is_word() && t.capitalized && t.lower.chars().count() == 1;
            if !(street_word(scan, t)
                || ordinal
                || (t.has(F::NUMBER_WORD) && scan.caseless && name_words == 0))
            {
                break;
            }
            if t.is_word() || t.kind == TokenKind::Alnum {
                name_words += 1;
            }
            k += 1;
        }
        if let Some(s) = found_suffix {
            let end = after_suffix(scan, s + 1);
            out.push((run.first, end, 0.85));
            continue;
        }
        // A street-type word after the number: "34 Rue Jean Mermoz", "58 Jalan Ang Seng".
        let k = run.last;
        if k < toks.len()
            && toks[k].has(F::STREET_PREFIX)
            && (scan.caseless || toks[k].capitalized)
            && !toks[k].newline_before
        {
            let mut m = k + 1;
            while m < toks.len()
                && m < k + 6
                && !toks[m].newline_before
                && (toks[m].is_word()
                    && !toks[m].has(F::STOP)
                    && (scan.caseless || toks[m].capitalized || toks[m].lower.chars().count() <= 3)
                    || toks[m].kind == TokenKind::Num)
            {
                m += 1;
            }
            if m > k + 1 {
                out.push((run.first, after_suffix(scan, m), 0.7));
                continue;
            }
        }
        // European order inside a line: "6750 Koskikatu 25", "62314 Mellemvej 32",
        // "6614 Luite tee 87", "6639 Canónigo Valiño 70": a capitalized name of up to three
        // words, then the house number, then the end of the line or a unit.
        if !scan.caseless
            && k < toks.len()
            && toks[k].is_word()
            && toks[k].capitalized
            && !toks[k].has(F::STOP)
            && !toks[k].has(F::MONTH)
        {
            let mut m = k + 1;
            while m < toks.len()
                && m < k + 3
                && toks[m].is_word()
                && !toks[m].has(F::STOP)
                && !toks[m].has(F::MONTH)
                && !toks[m].newline_before
            {
                m += 1;
            }
            if toks.get(m).is_some_and(|t| {
                t.kind == TokenKind::Num && !t.newline_before && t.end - t.start <= 4
            }) && toks.get(m + 1).is_none_or(|t| {
                t.newline_before
                    || t.has(F::UNIT)
                    || t.has(F::STREET_SUFFIX) && t.capitalized
                    || t.is_punct(',')
                    || t.is_punct('.')
            }) {
                let end = after_suffix(scan, m + 1);
                out.push((run.first, end, 0.6));
            }
        }
    }
    // Street name first: "Rua do Arenque 1634", "Harjukuja 54", "ul. Narewska 94",
    // "P.O. Box 242".
    for i in 0..toks.len() {
        let t = &toks[i];
        // "ul." is a street in any case.
        let abbreviated = &*t.lower == "ul" && toks.get(i + 1).is_some_and(|p| p.is_punct('.'));
        let europe = t.is_word()
            && (t.capitalized || abbreviated)
            && (ends_with_street_word(&t.lower) || t.has(F::STREET_PREFIX));
        if !europe {
            continue;
        }
        let mut k = i + 1;
        while k < toks.len()
            && k < i + 5
            && !toks[k].newline_before
            && (toks[k].is_word() && !toks[k].has(F::STOP) || toks[k].is_punct('.'))
        {
            k += 1;
        }
        if k < toks.len()
            && toks[k].kind == TokenKind::Num
            && !toks[k].newline_before
            && toks[k].end - toks[k].start <= 5
        {
            let end = after_suffix(scan, k + 1);
            out.push((box_start(toks, i), end, 0.6));
        }
    }
    // A named street without a number, written with capitals: "at Swinton Street".
    if !scan.caseless {
        for i in 0..toks.len() {
            let t = &toks[i];
            if !(t.capitalized && strong_suffix(t) && t.lower.len() > 3) || i == 0 {
                continue;
            }
            let mut s = i;
            while s > 0
                && i - s < 3
                && toks[s - 1].is_word()
                && toks[s - 1].capitalized
                && !toks[s - 1].has(F::STOP)
                && !toks[s - 1].newline_before
            {
                s -= 1;
            }
            let covered = out.iter().any(|&(a, b, _)| a <= i && i < b);
            if s < i && !covered && s > 0 && !toks[s].newline_before {
                out.push((s, after_suffix(scan, i + 1), 0.5));
            }
        }
    }
    out.extend(military(toks));
    // A crossing: "the corner of 159 Eleftheriou Venizelou str and Rennie Union".
    for i in 0..toks.len() {
        if &*toks[i].lower != "corner" || toks.get(i + 1).is_none_or(|t| &*t.lower != "of") {
            continue;
        }
        let start = if i > 0 && &*toks[i - 1].lower == "the" {
            i - 1
        } else {
            i
        };
        let mut m = i + 2;
        let mut and_at = None;
        while m < toks.len() && m < i + 16 && !toks[m].newline_before {
            let t = &toks[m];
            let next_glued = toks
                .get(m + 1)
                .is_some_and(|u| &*u.lower == "and" || !u.space_before);
            let part = match t.kind {
                TokenKind::Num | TokenKind::Alnum => true,
                TokenKind::Word if &*t.lower == "and" => {
                    and_at.get_or_insert(m);
                    true
                }
                TokenKind::Word => !t.has(F::STOP) || t.has(F::STREET_SUFFIX),
                TokenKind::Punct(c) => c == '.' && next_glued || c == '-' && !t.space_before,
            };
            if !part {
                break;
            }
            m += 1;
        }
        while m > i + 2 && !matches!(toks[m - 1].kind, TokenKind::Word | TokenKind::Num) {
            m -= 1;
        }
        if and_at.is_some_and(|a| a > i + 2 && a + 1 < m) {
            out.push((start, m, 0.7));
        }
    }
    // After an address cue ("lives at", "my address is", "Address:"), the line that follows
    // when it starts like an address.
    for hit in &scan.cues {
        if hit.cue != Cue::Address {
            continue;
        }
        let mut j = hit.after;
        while j < toks.len()
            && j < hit.after + 4
            && (matches!(
                &*toks[j].lower,
                "is" | "at" | "in" | "the" | "to" | "was" | "of"
            ) || matches!(toks[j].kind, TokenKind::Punct(':' | '-' | ',')))
        {
            j += 1;
        }
        let starts_like = toks.get(j).is_some_and(|t| {
            t.kind == TokenKind::Num
                || t.has(F::STREET_PREFIX)
                || t.is_word() && ends_with_street_word(&t.lower)
                || t.is_word() && t.has(F::NUMBER_WORD) && scan.caseless
        });
        if !starts_like {
            continue;
        }
        let mut m = j;
        while m < toks.len() && m < j + 14 && (m == j || !toks[m].newline_before) {
            let t = &toks[m];
            let stop = t.is_punct('?')
                || t.is_punct('!')
                || t.is_word()
                    && t.has(F::STOP)
                    && !t.has(F::STREET_SUFFIX)
                    && !t.has(F::DIRECTION)
                    && !t.has(F::NUMBER_WORD)
                || t.is_punct('.')
                    && toks
                        .get(m + 1)
                        .is_none_or(|u| u.space_before && (u.capitalized || u.newline_before));
            if stop {
                break;
            }
            m += 1;
        }
        while m > j && matches!(toks[m - 1].kind, TokenKind::Punct(',' | '.' | '-')) {
            m -= 1;
        }
        if m > j + 1 {
            out.push((j, m, 0.7));
        }
    }
    out
}

/// Military mail: "USNS Møller\nFPO AA 85844", "Unit 1009 Box 0219\nDPO AP 51065", "PSC 5420,
/// Box 2708\nAPO AA 33879". The "FPO AA 12345" line is unmistakable; the ship or unit line
/// above it belongs to it.
fn military(toks: &[Token]) -> Vec<(usize, usize, f32)> {
    let mut out = Vec::new();
    for i in 0..toks.len().saturating_sub(2) {
        let post = matches!(&*toks[i].lower, "fpo" | "apo" | "dpo")
            && matches!(&*toks[i + 1].lower, "aa" | "ae" | "ap")
            && toks[i + 2].kind == TokenKind::Num
            && toks[i + 2].end - toks[i + 2].start == 5;
        if !post {
            continue;
        }
        let mut start = i;
        // The ship or unit named within the few tokens before: "USNS Møller", "Unit 1009 Box
        // 0219", "PSC 5420, Box 2708".
        let mut k = i;
        while k > 0 && i - k < 6 {
            k -= 1;
            let head = &*toks[k].lower;
            if matches!(
                head,
                "uss" | "usns" | "usnv" | "uscgc" | "unit" | "psc" | "cmr"
            ) {
                start = k;
                break;
            }
        }
        out.push((start, i + 3, 0.8));
    }
    out
}

/// Where an address that starts with a street-type word really starts: "P.O. Box 242", "PO Box",
/// "Unit 4719 Box 7394", "PSC 0725, Box 6031", and a number in front ("45818 P.O. Box 242",
/// "9383 ul. Chrzanowska 61").
fn box_start(toks: &[Token], mut i: usize) -> usize {
    let same_line = |k: usize| !toks[k + 1].newline_before;
    if &*toks[i].lower == "box" {
        // "P.O." / "P. O." / "PO" / "Post Office".
        let mut k = i;
        while k > 0
            && same_line(k - 1)
            && (toks[k - 1].is_punct('.') || matches!(&*toks[k - 1].lower, "p" | "o" | "po"))
        {
            k -= 1;
        }
        if k >= 2 && &*toks[k - 1].lower == "office" && &*toks[k - 2].lower == "post" {
            k -= 2;
        }
        // "Unit 4719 Box", "PSC 0725, Box".
        let mut m = k;
        if m > 0 && toks[m - 1].is_punct(',') {
            m -= 1;
        }
        if m >= 2
            && toks[m - 1].kind == TokenKind::Num
            && matches!(&*toks[m - 2].lower, "unit" | "psc" | "cmr")
        {
            k = m - 2;
        }
        i = k;
    }
    if i > 0 && toks[i - 1].kind == TokenKind::Num && same_line(i - 1) {
        i -= 1;
    }
    i
}

fn ends_with_street_word(lower: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "katu", "kuja", "tie", "vej", "veien", "vegen", "gatan", "gata", "vägen", "straße",
        "strasse", "weg", "gasse", "platz", "allee", "utca", "straat", "laan", "gade", "stien",
        "svej", "torget", "tori", "väg", "polku", "rinne", "ulica", "ulice", "stræde",
    ];
    lower.chars().count() > 4 && ENDINGS.iter().any(|e| lower.ends_with(e))
}

/// Lines right below an address that continue it: "Suite 464", "OULU", "Finland 80896",
/// ", CO", "Aalborg NO 9100".
fn extend_lines(scan: &Scan<'_>, mut end: usize) -> usize {
    let toks = &scan.tokens;
    // Same line: ", City, ST 12345".
    let mut k = end;
    if k < toks.len() && toks[k].is_punct(',') && !toks[k].newline_before {
        let mut m = k + 1;
        let mut words = 0;
        while m < toks.len()
            && !toks[m].newline_before
            && words < 9
            && (place_word(scan, &toks[m])
                || toks[m].is_punct(',')
                || postcode_part(&toks[m])
                // "District of Columbia".
                || &*toks[m].lower == "of"
                    && m > k + 1
                    && place_word(scan, &toks[m - 1])
                    && toks.get(m + 1).is_some_and(|u| place_word(scan, u)))
        {
            if !toks[m].is_punct(',') {
                words += 1;
            }
            m += 1;
        }
        while m > k + 1 && toks[m - 1].is_punct(',') {
            m -= 1;
        }
        let shaped = toks
            .get(k + 1)
            .is_some_and(|t| scan.caseless || t.capitalized || postcode_part(t));
        if words > 0 && shaped {
            end = m;
            k = m;
        }
    }
    if scan.caseless {
        return end;
    }
    // Same line without a comma: "Apt. 678 Velenje nan", "Suite 215 NUNGATTA Australia",
    // "Apt. 050 Coalville South Africa": names of places (capitalized, not ordinary words, or
    // known places), a region code, a postal code, up to the end of the line or sentence.
    let after_period = k > 0 && toks[k - 1].is_punct('.');
    if k == end && k < toks.len() && !toks[k].newline_before && !after_period {
        let mut m = k;
        let mut words = 0;
        while m < toks.len() && !toks[m].newline_before && m < k + 6 {
            let t = &toks[m];
            let place = t.is_word()
                && t.capitalized
                && (!t.flags.intersects(F::WORD.union(F::STOP).union(F::MONTH))
                    || t.intersects_place()
                    || words > 0 && t.has(F::PLACE_HEAD));
            let code =
                t.is_word() && (&*t.lower == "nan" || t.lower.len() == 2 && all_upper(scan, t));
            if place || code && words > 0 || words > 0 && postcode_part(t) {
                words += 1;
                m += 1;
            } else {
                break;
            }
        }
        let ends = toks.get(m).is_none_or(|t| {
            t.newline_before
                || matches!(t.kind, TokenKind::Punct(',' | '.' | '?' | '!' | ';'))
                || t.is_word() && !t.capitalized
        });
        if words > 0 && ends {
            return m;
        }
    }
    let mut lines = 0;
    while k < toks.len() && toks[k].newline_before && lines < 5 {
        let mut m = k;
        let mut ok = true;
        let mut words = 0;
        loop {
            let t = &toks[m];
            let fits = place_word(scan, t)
                || matches!(t.kind, TokenKind::Num | TokenKind::Alnum)
                || t.has(F::UNIT)
                || matches!(
                    t.kind,
                    TokenKind::Punct(',' | '.' | '-' | '>' | '(' | ')' | '?')
                )
                || &*t.lower == "nan";
            if !fits {
                // The address ends inside this line: "Cyprus 36903? I am in ...", "DPO AP
                // 70942 in case of an issue".
                let ends_here = t.is_punct('?')
                    || t.is_punct('!')
                    || t.is_word() && (t.has(F::STOP) || !t.capitalized);
                let mut e = m;
                while e > k && matches!(toks[e - 1].kind, TokenKind::Punct(_)) {
                    e -= 1;
                }
                // A line of bare numbers followed by a word is a phone number ("416 60 039
                // office"), not the end of the address.
                let has_word = toks[k..e].iter().any(Token::is_word);
                if has_word && ends_here && e > k {
                    return e;
                }
                ok = false;
                break;
            }
            words += 1;
            m += 1;
            if m >= toks.len() || toks[m].newline_before {
                break;
            }
        }
        // "28-64-66-98": a line of three or more digit groups is a phone number.
        let numbers = toks[k..m]
            .iter()
            .filter(|t| t.kind == TokenKind::Num)
            .count();
        let only_numbers = toks[k..m].iter().all(|t| !t.is_word());
        if !ok || words > 8 || only_numbers && numbers >= 3 {
            break;
        }
        end = m;
        k = m;
        lines += 1;
    }
    end
}

fn all_upper(scan: &Scan<'_>, t: &Token) -> bool {
    scan.text[t.start..t.end].chars().all(|c| !c.is_lowercase())
}

/// A postal code or a piece of one on an address line: "75017", "2008", "M9W 5E7".
fn postcode_part(t: &Token) -> bool {
    let len = t.end - t.start;
    match t.kind {
        TokenKind::Num => (4..=6).contains(&len),
        TokenKind::Alnum => len <= 4,
        _ => false,
    }
}

fn place_word(scan: &Scan<'_>, t: &Token) -> bool {
    t.is_word()
        // "New South Wales": a capitalized function word that starts a place name.
        && (!t.has(F::STOP) || t.capitalized && t.has(F::PLACE_HEAD))
        && (t.capitalized || scan.caseless)
        && !matches!(
            &*t.lower,
            "phone" | "mobile" | "desk" | "fax" | "office" | "email" | "e" | "name"
        )
}

/// Cities, states and countries from the gazetteers. In cased text they must be capitalized.
fn locations(scan: &mut Scan<'_>) {
    let lx = Lexicon::global();
    let mut found = Vec::new();
    let toks = &scan.tokens;
    let mut i = 0;
    let mut buf = String::new();
    while i < toks.len() {
        let t = &toks[i];
        if !t.is_word() || !(scan.caseless || t.capitalized) {
            i += 1;
            continue;
        }
        let mut matched = None;
        if t.has(F::PLACE_HEAD) {
            buf.clear();
            buf.push_str(&t.lower);
            let mut j = i + 1;
            while j < toks.len()
                && j - i < lx.longest_place()
                && toks[j].is_word()
                && !toks[j].newline_before
            {
                buf.push(' ');
                buf.push_str(&toks[j].lower);
                if lx.place(&buf).is_some() {
                    matched = Some(j + 1);
                }
                j += 1;
            }
        }
        if matched.is_none() && t.intersects_place() {
            // Lower-case speech: a one-word city must not be an everyday word (the list has
            // none) and must not be a person's first name.
            if !(scan.caseless && t.has(F::FIRST_NAME)) {
                matched = Some(i + 1);
            }
        }
        if let Some(end) = matched {
            found.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
    // State codes are places only in an address shape: ", CA" or "CA 94107".
    for i in 1..toks.len() {
        let t = &toks[i];
        if t.has(F::STATE_CODE)
            && scan.text[t.start..t.end]
                .chars()
                .all(|c| c.is_ascii_uppercase())
        {
            let after_comma = toks[i - 1].is_punct(',');
            let before_zip = toks
                .get(i + 1)
                .is_some_and(|n| n.kind == TokenKind::Num && n.end - n.start == 5);
            if after_comma || before_zip {
                found.push((i, i + 1));
            }
        }
    }
    for (s, e) in found {
        scan.push_tokens(T::Location, s, e, 0.6);
    }
}

impl Token<'_> {
    fn intersects_place(&self) -> bool {
        self.flags
            .intersects(F::CITY.union(F::STATE).union(F::COUNTRY))
    }
}

/// Five-digit (or ZIP+4) codes after a state, and postal codes after a "zip" cue.
fn zip_codes(scan: &mut Scan<'_>) {
    let mut found = Vec::new();
    for run in &scan.runs {
        let n = run.len();
        if run.quantity || !(n == 5 || n == 9) {
            continue;
        }
        let prev = run.first.checked_sub(1).map(|p| &scan.tokens[p]);
        let prev = match prev {
            Some(p) if p.is_punct(',') => run.first.checked_sub(2).map(|p| &scan.tokens[p]),
            other => other,
        };
        let after_place = prev.is_some_and(|p| {
            p.flags.intersects(
                F::STATE
                    .union(F::STATE_CODE)
                    .union(F::CITY)
                    .union(F::COUNTRY),
            )
        });
        if after_place || scan.has_cue(run.first, 4, &[Cue::Zip]) {
            found.push((run.start, run.end, run.digits.clone()));
        }
    }
    for (s, e, v) in found {
        scan.push(T::ZipCode, s, e, 0.8, v);
    }
    // Postal codes with letters after a cue: "ZIP: 7412 SL", "B0J 2H0".
    let mut found = Vec::new();
    for hit in &scan.cues {
        if hit.cue != Cue::Zip {
            continue;
        }
        let mut j = hit.after;
        while scan
            .tokens
            .get(j)
            .is_some_and(|t| matches!(&*t.lower, "is" | ":" | "code" | "was"))
        {
            j += 1;
        }
        let start = j;
        while j < scan.tokens.len()
            && j < start + 3
            && matches!(
                scan.tokens[j].kind,
                TokenKind::Num | TokenKind::Alnum | TokenKind::Punct('-')
            )
        {
            j += 1;
        }
        if j < scan.tokens.len()
            && j > start
            && scan.tokens[j].is_word()
            && scan.tokens[j].lower.len() == 2
            && !scan.caseless
            && scan.text[scan.tokens[j].start..scan.tokens[j].end]
                .chars()
                .all(|c| c.is_uppercase())
        {
            j += 1;
        }
        if j > start {
            found.push((start, j));
        }
    }
    // Canadian postal codes have a shape no other token has: "M9W 5E7".
    let shape = |t: &Token, letters_at: [bool; 3]| {
        let s = &scan.text[t.start..t.end];
        t.kind == TokenKind::Alnum
            && s.len() == 3
            && s.chars().zip(letters_at).all(|(c, letter)| {
                if letter {
                    c.is_ascii_uppercase()
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    for i in 0..scan.tokens.len().saturating_sub(1) {
        let (a, b) = (&scan.tokens[i], &scan.tokens[i + 1]);
        if shape(a, [true, false, true]) && shape(b, [false, true, false]) && !b.newline_before {
            found.push((i, i + 2));
        }
    }
    for (s, e) in found {
        scan.push_tokens(T::ZipCode, s, e, 0.75);
    }
}
