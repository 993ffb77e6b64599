//! Recognizers over written character shapes rather than numbers: e-mail addresses (written and
//! spoken: "j smith at gmail dot com"), IPv4/IPv6 addresses, IBANs, alphanumeric ids after a cue
//! (driver's licenses, passports), and secrets after a cue ("my password is sunshine42").

use crate::checks::iban_valid;
use crate::cues::Cue;
use crate::finding::EntityType as T;
use crate::lex::TokenKind;
use crate::lexicon::WordFlags;
use crate::scan::Scan;
use std::net::{Ipv4Addr, Ipv6Addr};

pub(crate) fn recognize(scan: &mut Scan<'_>) {
    written_emails(scan);
    spoken_emails(scan);
    ip_addresses(scan);
    ibans(scan);
    ids_after_cues(scan);
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

fn written_emails(scan: &mut Scan<'_>) {
    let text = scan.text;
    let mut from = 0;
    while let Some(off) = text[from..].find('@') {
        let at = from + off;
        from = at + 1;
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_local_char(c))
            .last()
            .map_or(at, |(i, _)| i);
        let mut end = at + 1;
        for (i, c) in text[at + 1..].char_indices() {
            if c.is_alphanumeric() || c == '-' || c == '.' {
                end = at + 1 + i + c.len_utf8();
            } else {
                break;
            }
        }
        let domain = text[at + 1..end].trim_end_matches('.');
        let end = at + 1 + domain.len();
        let local = text[start..at].trim_start_matches('.');
        let start = at - local.len();
        let tld_ok = domain
            .rsplit('.')
            .next()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(char::is_alphabetic));
        if !local.is_empty() && domain.contains('.') && tld_ok {
            let value = text[start..end].to_lowercase();
            scan.push(T::EmailAddress, start, end, 0.95, value);
        }
    }
}

/// "john dot smith at gmail dot com", "j underscore doe at yahoo dot co dot uk".
fn spoken_emails(scan: &mut Scan<'_>) {
    let toks = &scan.tokens;
    let mut found = Vec::new();
    for i in 1..toks.len() {
        if &*toks[i].lower != "at" {
            continue;
        }
        // Domain: word (dot word)+ ending in a TLD.
        let mut j = i + 1;
        let mut domain = String::new();
        let mut labels = 0;
        while j < toks.len()
            && matches!(
                toks[j].kind,
                TokenKind::Word | TokenKind::Alnum | TokenKind::Num
            )
        {
            domain.push_str(&toks[j].lower);
            labels += 1;
            let dot = toks
                .get(j + 1)
                .is_some_and(|t| &*t.lower == "dot" || t.is_punct('.'));
            let next_ok = toks
                .get(j + 2)
                .is_some_and(|t| matches!(t.kind, TokenKind::Word | TokenKind::Alnum));
            if dot && next_ok {
                domain.push('.');
                j += 2;
            } else {
                break;
            }
        }
        if labels < 2 || j >= toks.len() || !toks[j].has(WordFlags::TLD) {
            continue;
        }
        let last = j;
        // Local part: words, letters and digits joined by spoken connectors, read backwards.
        let mut k = i;
        let mut local_parts: Vec<String> = Vec::new();
        let mut expect_part = true;
        while k > 0 {
            let t = &toks[k - 1];
            let lw = &*t.lower;
            let connector = match lw {
                "dot" | "period" => Some('.'),
                "underscore" => Some('_'),
                "dash" | "hyphen" | "minus" => Some('-'),
                _ => None,
            };
            if let Some(c) = connector {
                if expect_part {
                    break;
                }
                local_parts.push(c.to_string());
                expect_part = true;
                k -= 1;
                continue;
            }
            let part_ok = matches!(t.kind, TokenKind::Word | TokenKind::Alnum | TokenKind::Num)
                && !t.has(WordFlags::STOP)
                && !matches!(lw, "email" | "mail" | "address" | "e");
            let single = lw.chars().count() == 1
                || t.kind == TokenKind::Num
                || t.has(WordFlags::NUMBER_WORD);
            if part_ok && (expect_part || single) {
                local_parts.push(lw.to_string());
                expect_part = false;
                k -= 1;
                if local_parts.len() > 12 {
                    break;
                }
                continue;
            }
            break;
        }
        if local_parts.is_empty() || expect_part && local_parts.len() == 1 {
            continue;
        }
        let first = if expect_part { k + 1 } else { k };
        local_parts.reverse();
        let local: String = local_parts.concat();
        found.push((
            toks[first].start,
            toks[last].end,
            format!("{local}@{domain}"),
        ));
    }
    for (s, e, v) in found {
        scan.push(T::EmailAddress, s, e, 0.85, v);
    }
}

fn ip_addresses(scan: &mut Scan<'_>) {
    let text = scan.text;
    let toks = &scan.tokens;
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // A run of tokens glued together (no spaces) made of hex digits, dots and colons.
        let mut j = i;
        while j < toks.len()
            && (j == i || !toks[j].space_before)
            && matches!(
                toks[j].kind,
                TokenKind::Num | TokenKind::Alnum | TokenKind::Word | TokenKind::Punct('.' | ':')
            )
        {
            j += 1;
        }
        let s = toks[i].start;
        let e = toks[j.max(i + 1) - 1].end;
        let cand = text[s..e].trim_end_matches(['.', ':']);
        let e = s + cand.len();
        if cand.matches('.').count() == 3 && cand.parse::<Ipv4Addr>().is_ok() {
            found.push((s, e, cand.to_string()));
        } else if cand.matches(':').count() >= 2 {
            if let Ok(a) = cand.parse::<Ipv6Addr>() {
                found.push((s, e, a.to_string()));
            }
        }
        i = j.max(i + 1);
    }
    for (s, e, v) in found {
        scan.push(T::IpAddress, s, e, 0.9, v);
    }
}

fn ibans(scan: &mut Scan<'_>) {
    let toks = &scan.tokens;
    let mut found = Vec::new();
    for i in 0..toks.len() {
        // Upper-cased first: speech and chat write IBANs in lower case; mod 97 keeps it safe.
        let t = scan.text[toks[i].start..toks[i].end].to_ascii_uppercase();
        let b = t.as_bytes();
        if b.len() < 4
            || !b[..2].iter().all(u8::is_ascii_uppercase)
            || !b[2..4].iter().all(u8::is_ascii_digit)
        {
            continue;
        }
        // Gather the IBAN, written in one piece or in groups of four.
        let mut value = t.clone();
        let mut best = None;
        let mut j = i;
        loop {
            if iban_valid(&value) {
                best = Some((j, value.clone()));
            }
            let Some(n) = toks.get(j + 1) else { break };
            if !n.space_before
                || n.newline_before
                || !matches!(n.kind, TokenKind::Num | TokenKind::Alnum | TokenKind::Word)
                || n.end - n.start > 4
                || value.len() >= 34
            {
                break;
            }
            value.push_str(&scan.text[n.start..n.end].to_ascii_uppercase());
            j += 1;
        }
        if let Some((j, v)) = best {
            found.push((toks[i].start, toks[j].end, v));
        }
    }
    for (s, e, v) in found {
        scan.push(T::IbanCode, s, e, 0.97, v);
    }
}

/// Alphanumeric ids right after a cue ("license number is F162823540116"), and secrets
/// ("my password is sunshine42", "mother's maiden name is smith").
fn ids_after_cues(scan: &mut Scan<'_>) {
    let mut found = Vec::new();
    for hit in &scan.cues {
        let entity = match hit.cue {
            Cue::DriverLicense => T::UsDriverLicense,
            Cue::Passport => T::UsPassport,
            Cue::MedicalRecord => T::MedicalRecordNumber,
            Cue::HealthPlan => T::HealthPlanId,
            Cue::Account => T::AccountId,
            Cue::Secret => T::Credential,
            _ => continue,
        };
        // Skip filler: "number", "is", ":", "was", "it's".
        let mut j = hit.after;
        while let Some(t) = scan.tokens.get(j) {
            let filler = matches!(
                &*t.lower,
                "number"
                    | "is"
                    | "was"
                    | "it's"
                    | "id"
                    | "my"
                    | "the"
                    | "its"
                    | "it"
                    | "code"
                    | "of"
            ) || matches!(t.kind, TokenKind::Punct(':' | '#' | ','));
            if !filler || j > hit.after + 4 {
                break;
            }
            j += 1;
        }
        let Some(t) = scan.tokens.get(j) else {
            continue;
        };
        let ok = match t.kind {
            TokenKind::Alnum => true,
            // A secret can be any word; other ids must carry digits (handled by number runs).
            TokenKind::Word => {
                entity == T::Credential && !t.has(WordFlags::STOP) && !t.has(WordFlags::NUMBER_WORD)
            }
            _ => false,
        };
        if ok {
            // Extend over glued pieces ("ab-12-cd").
            let mut k = j + 1;
            while k + 1 < scan.tokens.len()
                && !scan.tokens[k].space_before
                && matches!(
                    scan.tokens[k].kind,
                    TokenKind::Punct('-' | '_' | '!' | '@' | '$')
                )
                && !scan.tokens[k + 1].space_before
                && scan.tokens[k + 1].kind != TokenKind::Punct('.')
            {
                k += 2;
            }
            found.push((entity, j, k));
        }
    }
    for (e, j, k) in found {
        scan.push_tokens(e, j, k, 0.85);
    }
}
