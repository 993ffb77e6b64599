//! Number runs: maximal stretches of a turn that spell a number, written ("408-247-8880"),
//! spoken ("four oh eight, double two") or mixed ("4 1 1 1 one one one one"). Each run is
//! normalized into its digit string (the "shadow text") with a map from digit chunks back to the
//! original bytes, so every finding built on a run points at original characters.
//! This module only reads numbers; deciding what a number *is* happens in `classify`.

use crate::lex::{Token, TokenKind};
use crate::lexicon::{number_value, WordFlags};

/// A piece of a run that produced some digits, with the bytes it came from.
#[derive(Clone, Debug)]
pub(crate) struct Chunk {
    pub digits: u8,
    /// The separator written right after this chunk (' ' for white space, '\0' for none).
    pub sep_after: char,
    /// Produced by a digit token (not by number words).
    pub written: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct NumberRun {
    /// Token index range, inclusive start, exclusive end.
    pub first: usize,
    pub last: usize,
    pub start: usize,
    pub end: usize,
    pub digits: String,
    pub chunks: Vec<Chunk>,
    pub spoken: bool,
    pub written: bool,
    /// Preceded by '+' (international format).
    pub plus: bool,
    /// Written with a thousands comma or a decimal point ("1,299", "49.99"), or next to a
    /// currency or percent sign: a quantity, not an identifier.
    pub quantity: bool,
}

impl NumberRun {
    pub fn len(&self) -> usize {
        self.digits.len()
    }

    /// Digit counts of the written groups, e.g. [3, 2, 4] for "078-05-1120".
    pub fn groups(&self) -> Vec<u8> {
        self.chunks.iter().map(|c| c.digits).collect()
    }

    pub fn separators(&self) -> impl Iterator<Item = char> + '_ {
        self.chunks[..self.chunks.len().saturating_sub(1)]
            .iter()
            .map(|c| c.sep_after)
    }
}

fn is_unit_word(t: &Token) -> Option<u32> {
    if !t.has(WordFlags::NUMBER_WORD) {
        return None;
    }
    number_value(&t.lower)
}

/// Can token `i` take part in a run (given whether a run is already open)?
fn numberish(tokens: &[Token], i: usize, open: bool) -> bool {
    let t = &tokens[i];
    match t.kind {
        TokenKind::Num => true,
        TokenKind::Alnum => open && !t.space_before && extension(&t.lower).is_some(),
        TokenKind::Word => {
            let Some(v) = is_unit_word(t) else {
                return false;
            };
            let next_is_number = tokens.get(i + 1).is_some_and(|n| {
                n.kind == TokenKind::Num || (n.kind == TokenKind::Word && is_unit_word(n).is_some())
            });
            match &*t.lower {
                // "oh" and "o" are zero only between other number words; "double"/"triple"
                // only before one.
                "oh" | "o" => open || next_is_number,
                "double" | "triple" => next_is_number,
                "hundred" | "thousand" => open,
                _ => v < 1000,
            }
        }
        _ => false,
    }
}

/// Finds every number run in a token list.
pub(crate) fn number_runs(tokens: &[Token]) -> Vec<NumberRun> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if !numberish(tokens, i, false) {
            i += 1;
            continue;
        }
        let first = i;
        let mut last = i + 1;
        // Extend over number tokens, allowing one separator character between them.
        loop {
            if last < tokens.len() && numberish(tokens, last, true) && !tokens[last].newline_before
            {
                last += 1;
                continue;
            }
            if last + 1 < tokens.len()
                && matches!(
                    tokens[last].kind,
                    TokenKind::Punct('-' | '.' | '/' | '(' | ')')
                )
                && !tokens[last + 1].newline_before
                && numberish(tokens, last + 1, true)
                && !(tokens[last].is_punct('.')
                    && tokens[last + 1].space_before
                    && tokens[last].space_before)
            {
                last += 2;
                continue;
            }
            // A spoken separator: "seven seven one dash five oh dash two two nine eight".
            if last + 1 < tokens.len()
                && is_spoken_dash(&tokens[last])
                && !tokens[last].newline_before
                && !tokens[last + 1].newline_before
                && numberish(tokens, last + 1, true)
            {
                last += 2;
                continue;
            }
            // "(0)" inside international numbers and "(555)" openings.
            if last + 2 < tokens.len()
                && tokens[last].is_punct('(')
                && tokens[last + 1].kind == TokenKind::Num
                && tokens[last + 2].is_punct(')')
            {
                last += 3;
                continue;
            }
            break;
        }
        let mut run = build_run(tokens, first, last);
        // An opening parenthesis written right before: "(579)888-3058".
        if first > 0 && tokens[first - 1].is_punct('(') && !tokens[first].space_before {
            run.start = tokens[first - 1].start;
        }
        if first > 0 && tokens[first - 1].is_punct('+') {
            run.plus = true;
            run.start = tokens[first - 1].start;
        }
        if first > 0 {
            let p = &tokens[first - 1];
            if matches!(p.kind, TokenKind::Punct('$' | '€' | '£' | '¥')) {
                run.quantity = true;
            }
        }
        if let Some(n) = tokens.get(last) {
            if matches!(n.kind, TokenKind::Punct('%' | '°')) {
                run.quantity = true;
            }
            // A comma followed right away by three digits is a thousands separator.
            if n.is_punct(',')
                && !n.space_before
                && tokens.get(last + 1).is_some_and(|d| {
                    d.kind == TokenKind::Num && !d.space_before && d.end - d.start == 3
                })
            {
                run.quantity = true;
            }
        }
        if !run.digits.is_empty() {
            runs.push(run);
        }
        i = last.max(first + 1);
    }
    runs
}

/// "dash" or "hyphen" said between the groups of a number.
fn is_spoken_dash(t: &Token) -> bool {
    t.is_word() && matches!(&*t.lower, "dash" | "hyphen")
}

fn build_run(tokens: &[Token], first: usize, last: usize) -> NumberRun {
    let mut run = NumberRun {
        first,
        last,
        start: tokens[first].start,
        end: tokens[last - 1].end,
        digits: String::new(),
        chunks: Vec::new(),
        spoken: false,
        written: false,
        plus: false,
        quantity: false,
    };
    let mut i = first;
    while i < last {
        let t = &tokens[i];
        match t.kind {
            TokenKind::Num => {
                run.written = true;
                push(&mut run, &t.lower, true);
                i += 1;
            }
            TokenKind::Word if is_spoken_dash(t) => {
                if let Some(ch) = run.chunks.last_mut() {
                    if ch.sep_after == ' ' || ch.sep_after == '\0' {
                        ch.sep_after = '-';
                    }
                }
                i += 1;
                continue;
            }
            TokenKind::Word => {
                run.spoken = true;
                i = spoken_number(&mut run, tokens, i, last);
            }
            TokenKind::Punct(c) => {
                if let Some(ch) = run.chunks.last_mut() {
                    if ch.sep_after == ' ' || ch.sep_after == '\0' {
                        ch.sep_after = c;
                    }
                }
                // "49.99": one dot between two digit tokens with no space is a decimal point
                // only when 1 or 2 digits follow and no more groups come.
                i += 1;
                continue;
            }
            TokenKind::Alnum => {
                // "3560x4587": the number, then its extension (kept in the span, not the digits).
                if let Some(head) = extension(&t.lower) {
                    run.written = true;
                    push(&mut run, head, true);
                }
                i += 1;
            }
        }
        if let Some(ch) = run.chunks.last_mut() {
            if i < last && tokens[i].space_before && ch.sep_after == '\0' {
                ch.sep_after = ' ';
            }
        }
    }
    let decimal = run.chunks.len() == 2
        && run.chunks[0].sep_after == '.'
        && run.chunks[1].digits <= 2
        && run.chunks.iter().all(|c| c.written);
    if decimal {
        run.quantity = true;
    }
    run
}

/// "3560x4587" → Some("3560"): digits, an 'x', digits.
fn extension(lower: &str) -> Option<&str> {
    let (head, ext) = lower.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(head) && digits(ext) && ext.len() <= 5).then_some(head)
}

fn push(run: &mut NumberRun, digits: &str, written: bool) {
    run.digits.push_str(digits);
    run.chunks.push(Chunk {
        digits: digits.len() as u8,
        sep_after: '\0',
        written,
    });
}

/// Reads one spoken number starting at word `i` and returns the index after it.
fn spoken_number(run: &mut NumberRun, tokens: &[Token], i: usize, last: usize) -> usize {
    let val = |j: usize| -> Option<u32> {
        if j < last && tokens[j].kind == TokenKind::Word {
            is_unit_word(&tokens[j])
        } else {
            None
        }
    };
    let word = |j: usize| -> &str {
        if j < last {
            &tokens[j].lower
        } else {
            ""
        }
    };
    let v = val(i).unwrap_or(0);
    let w = word(i);
    if w == "double" || w == "triple" {
        let times = if w == "double" { 2 } else { 3 };
        if let Some(d) = val(i + 1).filter(|d| *d < 10) {
            let s: String = std::iter::repeat_n(char::from(b'0' + d as u8), times).collect();
            push(run, &s, false);
            return i + 2;
        }
        return i + 1;
    }
    // Tens + unit: "seventy three".
    let tens_unit = |j: usize| -> Option<(u32, usize)> {
        let t = val(j)?;
        if (20..100).contains(&t) && t % 10 == 0 {
            if let Some(u) = val(j + 1)
                .filter(|u| (1..10).contains(u) && word(j + 1) != "o" && word(j + 1) != "oh")
            {
                return Some((t + u, j + 2));
            }
            return Some((t, j + 1));
        }
        if t < 20 && word(j) != "double" && word(j) != "triple" {
            return Some((t, j + 1));
        }
        None
    };
    // "five hundred (and) twenty", "nineteen hundred eighty two".
    if (1..20).contains(&v) && word(i + 1) == "hundred" {
        let mut j = i + 2;
        if word(j) == "and" {
            j += 1;
        }
        let (rest, next) = tens_unit(j).filter(|(r, _)| *r < 100).unwrap_or((0, i + 2));
        let s = format!("{:0>3}", v * 100 + rest);
        push(run, &s, false);
        return next;
    }
    if (1..10).contains(&v) && word(i + 1) == "thousand" {
        let mut j = i + 2;
        let mut value = v * 1000;
        if (1..10).contains(&val(j).unwrap_or(0)) && word(j + 1) == "hundred" {
            value += val(j).unwrap_or(0) * 100;
            j += 2;
        }
        if word(j) == "and" {
            j += 1;
        }
        if let Some((rest, next)) = tens_unit(j).filter(|(r, _)| *r < 100) {
            value += rest;
            j = next;
        }
        push(run, &value.to_string(), false);
        return j;
    }
    if let Some((value, next)) = tens_unit(i) {
        let s = if value < 10 {
            value.to_string()
        } else {
            format!("{value:02}")
        };
        push(run, &s, false);
        return next;
    }
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;
    use crate::lexicon::Lexicon;

    fn digits(text: &str) -> Vec<String> {
        let t = lex(text, Lexicon::global());
        number_runs(&t).into_iter().map(|r| r.digits).collect()
    }

    #[test]
    fn written_forms() {
        assert_eq!(digits("call 408-247-8880 now"), vec!["4082478880"]);
        assert_eq!(digits("(579)888-3058"), vec!["5798883058"]);
        assert_eq!(
            digits("+46 (0)8 928 571 38"),
            vec!["46089285713 8".replace(' ', "")]
        );
    }

    #[test]
    fn spoken_forms() {
        assert_eq!(
            digits("four one five five five five one two one two"),
            vec!["4155551212"]
        );
        assert_eq!(digits("oh eight double five triple seven"), vec!["0855777"]);
        assert_eq!(digits("seventy three twenty one"), vec!["7321"]);
        assert_eq!(digits("nineteen eighty two"), vec!["1982"]);
        assert_eq!(digits("five hundred twenty"), vec!["520"]);
        assert_eq!(digits("two thousand five"), vec!["2005"]);
        assert_eq!(digits("4 1 1 1 one one one one"), vec!["41111111"]);
    }

    #[test]
    fn oh_alone_is_not_zero() {
        assert!(digits("oh, okay").is_empty());
        assert!(digits("double check").is_empty());
    }

    #[test]
    fn quantities_are_marked() {
        let t = lex("$1,299.99 and 49.99", Lexicon::global());
        let runs = number_runs(&t);
        assert!(runs.iter().all(|r| r.quantity));
    }
}
