//! Property tests: detection is total (never panics), findings lie on character boundaries, are
//! sorted and never overlap, and redaction is idempotent on its own output's labels.

use callvault_detect::{detect, redact, Conversation, Labeler, Policy};
use proptest::prelude::*;

fn check_findings(text: &str) {
    let found = detect(text);
    let mut last_end = 0;
    for f in &found {
        assert!(f.start < f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        assert!(f.start >= last_end, "overlap or unsorted");
        assert!((0.0..=1.0).contains(&f.score));
        last_end = f.end;
    }
}

/// Text made of the pieces detectors care about, glued in random order.
fn call_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("four".to_string()),
        Just("oh".to_string()),
        Just("double".to_string()),
        Just("nineteen".to_string()),
        Just("hundred".to_string()),
        Just("4111".to_string()),
        Just("@".to_string()),
        Just("dot".to_string()),
        Just("at".to_string()),
        Just("my name is".to_string()),
        Just("Street".to_string()),
        Just("#".to_string()),
        Just("-".to_string()),
        Just("(".to_string()),
        Just("+".to_string()),
        Just("\n".to_string()),
        Just("é".to_string()),
        Just("𝔘".to_string()),
        Just("GB82".to_string()),
        Just("born".to_string()),
        Just("march".to_string()),
        Just("third".to_string()),
        Just(":".to_string()),
        "[a-zA-Z]{1,8}",
        "[0-9]{1,6}",
        "\\PC{1,4}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_string_is_safe(text in "\\PC{0,200}") {
        check_findings(&text);
    }

    #[test]
    fn call_like_text_is_safe(text in call_text()) {
        check_findings(&text);
        let mut c = Conversation::new();
        c.push(Some("agent"), "what is your card number and date of birth?");
        let _ = c.push(Some("customer"), &text);
        let _ = c.push(Some("customer"), &text);
    }

    #[test]
    fn redaction_removes_every_finding(text in call_text()) {
        let found = detect(&text);
        let (out, reps) = redact(&text, &found, &Policy::default(), &mut Labeler::new());
        prop_assert_eq!(reps.len(), found.len());
        // Redacting the redacted text again finds nothing that was not a label already.
        let again = detect(&out);
        for f in again {
            let piece = &out[f.start..f.end];
            prop_assert!(!found.iter().any(|g| &text[g.start..g.end] == piece && piece.chars().any(|c| c.is_ascii_digit()) && piece.len() > 6),
                "a redacted value survived: {}", piece);
        }
    }
}

#[test]
fn huge_and_hostile_inputs() {
    check_findings(&"9".repeat(200_000));
    check_findings(&"one ".repeat(50_000));
    check_findings(&"@".repeat(10_000));
    check_findings(&"a@b.".repeat(10_000));
    check_findings(&"Street ".repeat(20_000));
    check_findings("\u{0}\u{202e}\u{feff}");
}
