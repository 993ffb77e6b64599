//! Checksums and numbering rules that separate real identifiers from look-alikes: Luhn and issuer
//! ranges for cards, SSA's invalid SSN ranges, the ABA routing checksum, IBAN mod 97, the North
//! American Numbering Plan, calendar validity. Pure functions over ASCII digit strings.

fn digit(b: u8) -> u32 {
    u32::from(b.wrapping_sub(b'0'))
}

/// The Luhn (mod 10) check used by payment cards.
pub fn luhn(digits: &str) -> bool {
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = digit(b);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether a card number's prefix and length belong to a known issuer (Visa, Mastercard, Amex,
/// Discover, Diners, JCB, UnionPay, Maestro).
pub fn card_issuer_known(d: &str) -> bool {
    let n = d.len();
    let p = |k: usize| d.get(..k).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    match d.as_bytes().first() {
        Some(b'4') => matches!(n, 13 | 16 | 19),
        Some(b'5') => {
            (51..=55).contains(&p(2)) && n == 16
                || (matches!(p(2), 50 | 56..=59) && (12..=19).contains(&n))
        }
        Some(b'2') => {
            ((2221..=2720).contains(&p(4)) && n == 16)
                || (p(4) == 2014 || p(4) == 2149) && n == 15
                || (p(1) == 2 && n == 16)
        }
        Some(b'3') => {
            (matches!(p(2), 34 | 37) && n == 15)
                || ((300..=305).contains(&p(3)) || p(2) == 36 || p(2) == 38 || p(2) == 39)
                    && (14..=19).contains(&n)
                || (3528..=3589).contains(&p(4)) && (16..=19).contains(&n)
        }
        Some(b'6') => (12..=19).contains(&n),
        Some(b'1') => n == 15, // UATP
        _ => false,
    }
}

/// SSA never issues area 000, 666 or 900-999, group 00 or serial 0000.
pub fn ssn_valid(d: &str) -> bool {
    if d.len() != 9 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let area = &d[..3];
    area != "000"
        && area != "666"
        && !area.starts_with('9')
        && &d[3..5] != "00"
        && &d[5..] != "0000"
}

/// An ITIN: 9xx-[50-65|70-88|90-92|94-99]-xxxx.
pub fn itin_valid(d: &str) -> bool {
    if d.len() != 9 || !d.starts_with('9') || !d.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let g: u32 = d[3..5].parse().unwrap_or(0);
    matches!(g, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

/// The ABA routing number checksum: 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10).
pub fn aba_valid(d: &str) -> bool {
    if d.len() != 9 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let b = d.as_bytes();
    let w = [3, 7, 1, 3, 7, 1, 3, 7, 1];
    let sum: u32 = b.iter().zip(w).map(|(&c, w)| digit(c) * w).sum();
    sum.is_multiple_of(10) && d != "000000000"
}

/// IBAN mod 97 (ISO 13616) over an upper-case alphanumeric string without spaces.
pub fn iban_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            digit(c)
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// A ten-digit North American number (without the leading 1): area and exchange codes start
/// with 2-9, and neither is an N11 service code.
pub fn nanp_valid(d: &str) -> bool {
    let b = d.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n11 = |x: &[u8]| x[1] == b'1' && x[2] == b'1';
    b[0] >= b'2' && b[3] >= b'2' && !n11(&b[0..3]) && !n11(&b[3..6])
}

/// A phone number's digits as they are indexed: a North American number without its country
/// code ("+1 415 555 0134" and "415-555-0134" are one value), any other as said.
pub fn canonical_phone(mut digits: String) -> String {
    if digits.len() == 11 && digits.starts_with('1') && nanp_valid(&digits[1..]) {
        digits.remove(0);
    }
    digits
}

/// A real calendar date (proleptic Gregorian), years 1900 to 2100.
pub fn date_valid(year: u32, month: u32, day: u32) -> bool {
    if !(1900..=2100).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_values() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("378282246310005"));
        assert!(!luhn("4111111111111112"));
        assert!(card_issuer_known("4111111111111111"));
        assert!(card_issuer_known("378282246310005"));
        assert!(card_issuer_known("6011111111111117"));
        assert!(!card_issuer_known("9111111111111111"));
    }

    #[test]
    fn ssn_ranges() {
        assert!(ssn_valid("078051120"));
        for bad in [
            "000123456",
            "666123456",
            "900123456",
            "123001234",
            "123450000",
        ] {
            assert!(!ssn_valid(bad), "{bad}");
        }
        assert!(itin_valid("912701234"));
        assert!(!itin_valid("912001234"));
    }

    #[test]
    fn aba_and_iban() {
        assert!(aba_valid("011000015"));
        assert!(aba_valid("021000021"));
        assert!(!aba_valid("021000022"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(iban_valid("DE89370400440532013000"));
        assert!(!iban_valid("GB82WEST12345698765433"));
    }

    #[test]
    fn nanp_and_dates() {
        assert!(nanp_valid("4082478880"));
        assert!(!nanp_valid("1082478880"));
        assert!(!nanp_valid("4111234567"));
        assert!(date_valid(2024, 2, 29));
        assert!(!date_valid(2023, 2, 29));
        assert!(!date_valid(1982, 4, 31));
    }
}
