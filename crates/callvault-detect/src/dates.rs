//! Dates that are personal data: a date of birth (a calendar-valid date near a birth cue, or
//! answering "what is your date of birth?") and a card's expiry ("exp 04/27", "april twenty
//! seven"). Other dates (appointments, deliveries, years) are left alone.

use crate::checks::date_valid;
use crate::cues::Cue;
use crate::finding::EntityType as T;
use crate::lex::TokenKind;
use crate::lexicon::{month_value, number_value, ordinal_value, WordFlags as F};
use crate::scan::Scan;

pub(crate) fn recognize(scan: &mut Scan<'_>) {
    let mut found = Vec::new();
    let toks = &scan.tokens;
    let mut i = 0;
    while i < toks.len() {
        let Some((end, value)) = date_at(scan, i) else {
            i += 1;
            continue;
        };
        let birth = scan.has_cue(i, 10, &[Cue::Birth]);
        let expiry = scan.has_cue(i, 6, &[Cue::Expiry]);
        if expiry && !birth {
            found.push((T::CardExpiry, i, end, value));
        } else if birth {
            found.push((T::DateOfBirth, i, end, value));
        }
        i = end;
    }
    for (t, s, e, v) in found {
        let (start, stop) = (scan.tokens[s].start, scan.tokens[e - 1].end);
        scan.push(t, start, stop, 0.85, v);
    }
}

/// A date starting at token `i`: returns the end token and the normalized "YYYY-MM-DD" (or
/// "YYYY-MM" for a card expiry).
fn date_at(scan: &Scan<'_>, i: usize) -> Option<(usize, String)> {
    let toks = &scan.tokens;
    let t = &toks[i];
    // Numeric: 03/15/1982, 1982-03-15, 15.03.1982, 04/27.
    if t.kind == TokenKind::Num {
        let run = scan.runs.iter().find(|r| r.first == i)?;
        let seps: Vec<char> = run.separators().collect();
        let g = run.groups();
        if seps.iter().all(|&c| c == '/' || c == '-' || c == '.') && run.written {
            let parts: Vec<u32> = {
                let mut v = Vec::new();
                let mut off = 0;
                for &len in &g {
                    v.push(run.digits[off..off + len as usize].parse().ok()?);
                    off += len as usize;
                }
                v
            };
            let (y, m, d) = match (g.as_slice(), parts.as_slice()) {
                ([4, 2, 2], [y, m, d]) => (*y, *m, *d),
                ([1 | 2, 1 | 2, 4], [a, b, y]) => {
                    if *a > 12 {
                        (*y, *b, *a)
                    } else {
                        (*y, *a, *b)
                    }
                }
                ([1 | 2, 1 | 2, 2], [a, b, y]) => {
                    (1900 + if *y > 30 { *y } else { *y + 100 }, *a, *b)
                }
                ([1 | 2, 2], [m, y]) if (1..=12).contains(m) => {
                    return Some((run.last, format!("20{y:02}-{m:02}")))
                }
                ([1 | 2, 4], [m, y]) if (1..=12).contains(m) => {
                    return Some((run.last, format!("{y}-{m:02}")))
                }
                _ => return None,
            };
            return date_valid(y, m, d).then(|| (run.last, format!("{y:04}-{m:02}-{d:02}")));
        }
        // "15 march 1982" / "the 3rd of march".
        let day: u32 = t.lower.parse().ok()?;
        let mut j = i + 1;
        if toks.get(j).is_some_and(|u| &*u.lower == "of") {
            j += 1;
        }
        let m = toks.get(j).and_then(|u| month_value(&u.lower))?;
        let (end, y) = year_at(scan, j + 1)?;
        return date_valid(y, m, day).then(|| (end, format!("{y:04}-{m:02}-{day:02}")));
    }
    if t.kind == TokenKind::Alnum || t.has(F::ORDINAL) || t.has(F::NUMBER_WORD) {
        // "3rd of march 1982", "third of march nineteen eighty two".
        let (j, day) = day_at(scan, i)?;
        let mut j = j;
        if toks.get(j).is_some_and(|u| &*u.lower == "of") {
            j += 1;
        }
        let m = toks.get(j).and_then(|u| month_value(&u.lower))?;
        let (end, y) = year_at(scan, j + 1)?;
        return date_valid(y, m, day).then(|| (end, format!("{y:04}-{m:02}-{day:02}")));
    }
    let m = month_value(&t.lower).filter(|_| t.has(F::MONTH))?;
    // "may" is a month only when a day or year follows.
    let mut j = i + 1;
    if toks.get(j).is_some_and(|u| u.is_punct('.')) {
        j += 1;
    }
    if toks.get(j).is_some_and(|u| &*u.lower == "the") {
        j += 1;
    }
    if let Some((after_day, day)) = day_at(scan, j) {
        let mut k = after_day;
        if toks.get(k).is_some_and(|u| u.is_punct(',')) {
            k += 1;
        }
        if let Some((end, y)) = year_at(scan, k) {
            return date_valid(y, m, day).then(|| (end, format!("{y:04}-{m:02}-{day:02}")));
        }
    }
    // Month and year only (a card's expiry): "april twenty seven", "april 2027".
    if let Some((end, y)) = year_at(scan, j).or_else(|| short_year_at(scan, j)) {
        return Some((end, format!("{y:04}-{m:02}")));
    }
    None
}

/// A day of the month: "3", "3rd", "third", "twenty third", "twenty-three".
fn day_at(scan: &Scan<'_>, i: usize) -> Option<(usize, u32)> {
    let toks = &scan.tokens;
    let t = toks.get(i)?;
    match t.kind {
        TokenKind::Num => {
            let d: u32 = t.lower.parse().ok()?;
            let mut end = i + 1;
            if toks
                .get(end)
                .is_some_and(|u| matches!(&*u.lower, "st" | "nd" | "rd" | "th"))
            {
                end += 1;
            }
            (1..=31).contains(&d).then_some((end, d))
        }
        TokenKind::Alnum => {
            let digits: String = t.lower.chars().take_while(char::is_ascii_digit).collect();
            let rest = &t.lower[digits.len()..];
            let d: u32 = digits.parse().ok()?;
            (matches!(rest, "st" | "nd" | "rd" | "th") && (1..=31).contains(&d))
                .then_some((i + 1, d))
        }
        TokenKind::Word => {
            if let Some(v) = ordinal_value(&t.lower).filter(|v| *v > 0) {
                return Some((i + 1, v));
            }
            let tens = number_value(&t.lower).filter(|v| *v == 20 || *v == 30)?;
            let mut j = i + 1;
            if toks.get(j).is_some_and(|u| u.is_punct('-')) {
                j += 1;
            }
            let u = toks.get(j)?;
            let unit = ordinal_value(&u.lower).filter(|v| (1..10).contains(v))?;
            Some((j + 1, tens + unit))
        }
        TokenKind::Punct(_) => None,
    }
}

/// A four-digit year, written or spoken ("nineteen eighty two", "two thousand five").
fn year_at(scan: &Scan<'_>, i: usize) -> Option<(usize, u32)> {
    let run = scan.runs.iter().find(|r| r.first == i)?;
    if run.digits.len() != 4 {
        return None;
    }
    let y: u32 = run.digits.parse().ok()?;
    (1900..=2100).contains(&y).then_some((run.last, y))
}

/// A two-digit year of a card expiry: "twenty seven", "27".
fn short_year_at(scan: &Scan<'_>, i: usize) -> Option<(usize, u32)> {
    let run = scan.runs.iter().find(|r| r.first == i)?;
    if run.digits.len() != 2 {
        return None;
    }
    let y: u32 = run.digits.parse().ok()?;
    Some((run.last, 2000 + y))
}
