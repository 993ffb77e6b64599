//! The one scan every recognizer shares: a turn is cut once into tokens (letter runs, digit runs,
//! mixed alphanumeric runs, single punctuation characters), each with its byte span and its
//! lexicon flags. Recognizers then walk this token array; none of them rescans the text.
//! The lexer never fails: any `&str` yields a token list, possibly empty.

use std::borrow::Cow;

use crate::lexicon::{Lexicon, WordFlags};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Letters only (apostrophes inside allowed: "driver's", "o'brien").
    Word,
    /// ASCII digits only.
    Num,
    /// Letters and digits mixed: "2nd", "B201", "GB31YGJR4627".
    Alnum,
    /// One character that is neither a letter, a digit nor white space.
    Punct(char),
}

#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    /// Lower-cased text of the token (ASCII fast path; full Unicode lower-casing otherwise),
    /// borrowed from the turn when it is lower case already.
    pub lower: Cow<'a, str>,
    pub flags: WordFlags,
    /// First character is upper case.
    pub capitalized: bool,
    /// White space (of any kind) separates this token from the previous one.
    pub space_before: bool,
    /// A line break lies between this token and the previous one.
    pub newline_before: bool,
}

impl Token<'_> {
    pub fn is_word(&self) -> bool {
        self.kind == TokenKind::Word
    }
    pub fn is_punct(&self, c: char) -> bool {
        self.kind == TokenKind::Punct(c)
    }
    pub fn has(&self, f: WordFlags) -> bool {
        self.flags.contains(f)
    }
}

/// Cuts `text` into tokens and looks every word up in the lexicon once.
pub(crate) fn lex<'a>(text: &'a str, lexicon: &Lexicon) -> Vec<Token<'a>> {
    let mut tokens = Vec::with_capacity(text.len() / 4 + 1);
    let mut chars = text.char_indices().peekable();
    let mut space_before = false;
    let mut newline_before = false;
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            space_before = true;
            if c == '\n' || c == '\r' {
                newline_before = true;
            }
            continue;
        }
        let mut end = start + c.len_utf8();
        let kind = if c.is_alphanumeric() {
            let mut letters = c.is_alphabetic();
            let mut digits = c.is_ascii_digit();
            while let Some(&(i, d)) = chars.peek() {
                if d.is_alphanumeric() {
                    letters |= d.is_alphabetic();
                    digits |= d.is_ascii_digit();
                } else if (d == '\'' || d == '\u{2019}') && letters && !digits {
                    // An apostrophe continues a word only when a letter follows it.
                    let after = text[i + d.len_utf8()..].chars().next();
                    if !after.is_some_and(char::is_alphabetic) {
                        break;
                    }
                } else {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            match (letters, digits) {
                (true, false) => TokenKind::Word,
                (false, true) if text[start..end].bytes().all(|b| b.is_ascii_digit()) => {
                    TokenKind::Num
                }
                _ => TokenKind::Alnum,
            }
        } else {
            TokenKind::Punct(c)
        };
        let raw = &text[start..end];
        let lower = if raw.is_ascii() {
            if raw.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(raw.to_ascii_lowercase())
            } else {
                Cow::Borrowed(raw)
            }
        } else {
            match raw.to_lowercase() {
                same if same == raw => Cow::Borrowed(raw),
                lowered => Cow::Owned(lowered),
            }
        };
        let flags = match kind {
            TokenKind::Word | TokenKind::Alnum => lexicon.flags(&lower),
            _ => WordFlags::empty(),
        };
        tokens.push(Token {
            kind,
            start,
            end,
            capitalized: c.is_uppercase(),
            lower,
            flags,
            space_before,
            newline_before,
        });
        space_before = false;
        newline_before = false;
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_words_numbers_and_punctuation() {
        let lx = Lexicon::global();
        let t = lex("It's 408-247-8880, Apt B201.", lx);
        let kinds: Vec<_> = t.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                TokenKind::Word,
                TokenKind::Num,
                TokenKind::Punct('-'),
                TokenKind::Num,
                TokenKind::Punct('-'),
                TokenKind::Num,
                TokenKind::Punct(','),
                TokenKind::Word,
                TokenKind::Alnum,
                TokenKind::Punct('.'),
            ]
        );
        assert_eq!(&*t[0].lower, "it's");
    }

    #[test]
    fn offsets_are_char_boundaries_for_any_text() {
        let lx = Lexicon::global();
        let text = "Krisztián Szöllösy ג€“ 𝔘 e\u{301}\r\n٣٤";
        for t in lex(text, lx) {
            assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            assert!(t.start < t.end);
        }
    }
}
