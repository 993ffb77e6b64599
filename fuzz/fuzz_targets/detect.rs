//! Fuzz target: any bytes, read as (lossy) UTF-8, through single-turn detection, a two-turn
//! conversation and the streaming redactor. Detection must never panic and every finding must
//! lie on character boundaries without overlap. Run: `cargo +nightly fuzz run detect`.
#![no_main]

use callvault_detect::{detect, Conversation, Policy, StreamRedactor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut last = 0;
    for f in detect(&text) {
        assert!(f.start >= last && f.start < f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        last = f.end;
    }
    let mut c = Conversation::new();
    let _ = c.push(Some("agent"), &text);
    let _ = c.push(Some("customer"), &text);
    let mut s = StreamRedactor::new(Policy::default());
    let _ = s.partial(Some("customer"), &text);
    let _ = s.finalize(Some("customer"), &text);
});
