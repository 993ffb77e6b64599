//! The JSONL interchange format (brief, section 4): input lines `{"id", "text", "speaker"?,
//! "conversation"?}`, output lines `{"id", "redacted", "spans": [{"start", "end", "type",
//! "score"}]}` with offsets in Unicode code points. Also the code-point/byte conversions, and
//! error messages that never echo input content.

use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct InputLine {
    #[serde(default)]
    pub id: serde_json::Value,
    pub text: String,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default)]
    pub conversation: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct SpanOut {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type", alias = "label")]
    pub entity: String,
    #[serde(default)]
    pub score: f32,
}

#[derive(Serialize)]
pub struct OutputLine<'a> {
    pub id: &'a serde_json::Value,
    pub redacted: String,
    pub spans: Vec<SpanOut>,
}

/// Maps byte offsets of `text` to code-point offsets.
pub struct CodePoints {
    /// `starts[k]` is the byte offset of code point k.
    starts: Vec<usize>,
}

impl CodePoints {
    pub fn new(text: &str) -> CodePoints {
        let mut starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        starts.push(text.len());
        CodePoints { starts }
    }

    /// Code-point index of a byte offset that lies on a character boundary.
    pub fn of_byte(&self, byte: usize) -> usize {
        self.starts.partition_point(|&b| b < byte)
    }
}

/// A parse error described without any of the input's content (serde's messages can quote
/// values, which may be personal data).
pub fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "malformed JSON",
        Category::Data => {
            "wrong shape (a field is missing or has the wrong type; \"text\" must be a string)"
        }
        Category::Eof => "truncated JSON",
    };
    format!("{what} at column {}", e.column())
}

/// The key that groups lines into calls: the `conversation` value, or, for a line without one,
/// a key of its own (no JSON text starts with NUL, so the two never collide).
pub fn conversation_key(conversation: &Option<serde_json::Value>, line: usize) -> String {
    match conversation {
        Some(c) if !c.is_null() => c.to_string(),
        _ => format!("\u{0}{line}"),
    }
}

/// Reads a whole JSONL file into records; blank lines are skipped, and the first bad line is an
/// error naming the file and line (never its content).
pub fn read_jsonl<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> anyhow::Result<Vec<T>> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).map_err(|e| {
                anyhow::anyhow!(
                    "{}: line {}: {}",
                    path.display(),
                    n + 1,
                    describe_json_error(&e)
                )
            })
        })
        .collect()
}
