//! C2SP tlog-checkpoint: the signed statement "this log, at this size, has this root".
//!
//! The body is `origin\n`, the tree size in decimal (no leading zeros), the base64 root hash,
//! each followed by a newline, then optional non-empty extension lines. The fields of a
//! [`Checkpoint`] are public; [`Checkpoint::check`] states the rules, [`Checkpoint::sign`]
//! refuses a checkpoint that breaks them (so no signed body fails [`Checkpoint::parse`]), and
//! [`Checkpoint::new`] checks them up front. Signing and opening go through [`crate::note`].
//!
//! This module does not check that the origin names the log the caller expects, nor that the
//! new checkpoint is consistent with an older one: callers compare the origin and
//! run [`crate::merkle::verify_consistency`].

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::merkle::Hash;
use crate::note::{self, NoteSigner, NoteVerifier};
use crate::AuditError;

/// A transparency log checkpoint (the note text, without signatures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity (first line): non-empty, no control character.
    pub origin: String,
    /// The number of leaves in the tree.
    pub size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// Extension lines, without their newlines: each non-empty, no control character.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    ///
    /// # Errors
    /// [`AuditError::MalformedCheckpoint`] if the origin is empty or holds a control character
    /// (newline included).
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, AuditError> {
        Self::with_extensions(origin, size, root, Vec::new())
    }

    /// A checkpoint with extension lines.
    ///
    /// # Errors
    /// [`AuditError::MalformedCheckpoint`] if the origin or an extension line is empty or
    /// holds a control character (newline included).
    pub fn with_extensions(
        origin: &str,
        size: u64,
        root: Hash,
        extensions: Vec<String>,
    ) -> Result<Self, AuditError> {
        let checkpoint = Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        };
        checkpoint.check()?;
        Ok(checkpoint)
    }

    /// Checks the rules on the text fields.
    ///
    /// # Errors
    /// [`AuditError::MalformedCheckpoint`] if the origin or an extension line is empty or
    /// holds a control character (newline included).
    pub fn check(&self) -> Result<(), AuditError> {
        check_line(&self.origin, "origin is empty or holds a control character")?;
        for line in &self.extensions {
            check_line(line, "extension line is empty or holds a control character")?;
        }
        Ok(())
    }

    /// The note text: every line ends in a newline. Parses back to `self` when
    /// [`Checkpoint::check`] passes.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint body (the text of an opened note).
    ///
    /// # Errors
    /// [`AuditError::MalformedCheckpoint`] for a missing final newline, fewer than three lines,
    /// an empty origin or extension line, a control character, a size with a sign, leading
    /// zeros or out of range, or a root that is not canonical base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, AuditError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(AuditError::MalformedCheckpoint("missing final newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(AuditError::MalformedCheckpoint("fewer than three lines"));
        };
        let size = parse_size(size)?;
        let root: Hash = STANDARD
            .decode(root)
            .ok()
            .and_then(|raw| raw.try_into().ok())
            .ok_or(AuditError::MalformedCheckpoint(
                "root is not base64 of 32 bytes",
            ))?;
        Self::with_extensions(origin, size, root, lines.map(str::to_owned).collect())
    }

    /// Signs the checkpoint and returns the signed note.
    ///
    /// # Errors
    /// [`AuditError::MalformedCheckpoint`] if [`Checkpoint::check`] fails;
    /// [`AuditError::Crypto`] if signing fails.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, AuditError> {
        self.check()?;
        signer.sign(&self.to_text())
    }

    /// Opens a signed checkpoint that must carry a valid signature by `verifier`, and parses
    /// its body. Other signatures are ignored unless they are malformed.
    ///
    /// # Errors
    /// Any error of [`note::open`], or of [`Checkpoint::parse`] on the text.
    pub fn open_signed(note: &[u8], verifier: &NoteVerifier) -> Result<Self, AuditError> {
        let opened = note::open(note, std::slice::from_ref(verifier))?;
        Self::parse(opened.text())
    }
}

/// Decimal, no sign, no leading zeros except "0" itself.
fn parse_size(s: &str) -> Result<u64, AuditError> {
    let bad = AuditError::MalformedCheckpoint("tree size is not a canonical decimal number");
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(bad);
    }
    s.parse().map_err(|_| bad)
}

fn check_line(line: &str, why: &'static str) -> Result<(), AuditError> {
    if line.is_empty() || line.chars().any(char::is_control) {
        return Err(AuditError::MalformedCheckpoint(why));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";

    #[test]
    fn spec_example_body_parses_and_prints_back() {
        let text = format!("example.com/behind-the-sofa\n20852163\n{ROOT}\n");
        let c = Checkpoint::parse(&text).unwrap();
        assert_eq!(c.origin, "example.com/behind-the-sofa");
        assert_eq!(c.size, 20_852_163);
        assert!(c.extensions.is_empty());
        assert_eq!(c.to_text(), text);
        let with_ext = format!("{text}ext one\nx\n");
        let c = Checkpoint::parse(&with_ext).unwrap();
        assert_eq!(c.extensions, ["ext one", "x"]);
        assert_eq!(c.to_text(), with_ext);
    }

    #[test]
    fn strict_parsing() {
        let ok = |size: &str, root: &str| format!("o\n{size}\n{root}\n");
        assert_eq!(Checkpoint::parse(&ok("0", ROOT)).unwrap().size, 0);
        assert_eq!(
            Checkpoint::parse(&ok("18446744073709551615", ROOT))
                .unwrap()
                .size,
            u64::MAX
        );
        let bad = [
            ok("01", ROOT),
            ok("00", ROOT),
            ok("+1", ROOT),
            ok("-1", ROOT),
            ok(" 1", ROOT),
            ok("", ROOT),
            ok("1e3", ROOT),
            ok("18446744073709551616", ROOT),
            ok("1", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I"),
            ok("1", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J="),
            ok("1", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx"),
            ok("1", "AAAA"),
            ok("1", ""),
            format!("\n1\n{ROOT}\n"),
            format!("o\n1\n{ROOT}"),
            format!("o\n1\n{ROOT}\n\n"),
            format!("o\n1\n{ROOT}\next\n\n"),
            "o\n1\n".to_string(),
            format!("o\t\n1\n{ROOT}\n"),
            String::new(),
        ];
        for text in &bad {
            assert!(
                matches!(
                    Checkpoint::parse(text),
                    Err(AuditError::MalformedCheckpoint(_))
                ),
                "{text:?}"
            );
        }
        assert!(Checkpoint::new("", 1, [0; 32]).is_err());
        assert!(Checkpoint::new("a\nb", 1, [0; 32]).is_err());
        assert!(Checkpoint::with_extensions("a", 1, [0; 32], vec![String::new()]).is_err());
        // Built field by field, a bad checkpoint is refused at signing.
        let signer = crate::NoteSigner::from_seed("a", &[3; 32]).unwrap();
        let mut c = Checkpoint::new("a", 1, [0; 32]).unwrap();
        c.origin = "a\n2\nAAAA".into();
        assert!(matches!(
            c.sign(&signer),
            Err(AuditError::MalformedCheckpoint(_))
        ));
        c.origin = "a".into();
        c.extensions.push("x\u{1}".into());
        assert!(matches!(
            c.sign(&signer),
            Err(AuditError::MalformedCheckpoint(_))
        ));
    }
}
