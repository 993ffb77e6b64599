//! `callvault redact`: text mode and JSONL mode. Lines sharing a `conversation` value are turns
//! of one call: the detector carries context from one to the next and labels stay consistent.

use crate::interchange::{describe_json_error, CodePoints, InputLine, OutputLine, SpanOut};
use anyhow::{Context, Result};
use callvault_detect::{redact, Conversation, Labeler, Policy};
use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn open_input(input: Option<&Path>) -> Result<Box<dyn Read>> {
    Ok(match input {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(
            std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
        ),
    })
}

pub fn run(input: Option<&Path>, jsonl: bool) -> Result<ExitCode> {
    let reader = std::io::BufReader::new(open_input(input)?);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let policy = Policy::default();
    let mut failed = 0usize;
    if !jsonl {
        let mut conversation = Conversation::new();
        let mut labeler = Labeler::new();
        for (n, line) in reader.split(b'\n').enumerate() {
            let line = line.context("read error")?;
            let Ok(text) = std::str::from_utf8(&line) else {
                eprintln!("callvault: line {}: not valid UTF-8; line skipped", n + 1);
                failed += 1;
                continue;
            };
            let text = text.strip_suffix('\r').unwrap_or(text);
            let findings = conversation.push(None, text);
            let (red, _) = redact(text, &findings, &policy, &mut labeler);
            writeln!(out, "{red}")?;
        }
    } else {
        let mut calls: HashMap<String, (Conversation, Labeler)> = HashMap::new();
        for (n, line) in reader.split(b'\n').enumerate() {
            let line = line.context("read error")?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = std::str::from_utf8(&line)
                .map_err(|_| "not valid UTF-8".to_string())
                .and_then(|s| {
                    serde_json::from_str::<InputLine>(s).map_err(|e| describe_json_error(&e))
                });
            let rec = match parsed {
                Ok(r) => r,
                Err(why) => {
                    eprintln!("callvault: line {}: {why}; line skipped", n + 1);
                    failed += 1;
                    continue;
                }
            };
            let key = crate::interchange::conversation_key(&rec.conversation, n);
            let (conversation, labeler) = calls
                .entry(key.clone())
                .or_insert_with(|| (Conversation::new(), Labeler::new()));
            let findings = conversation.push(rec.speaker.as_deref(), &rec.text);
            let (red, _) = redact(&rec.text, &findings, &policy, labeler);
            let cps = CodePoints::new(&rec.text);
            let spans = findings
                .iter()
                .map(|f| SpanOut {
                    start: cps.of_byte(f.start),
                    end: cps.of_byte(f.end),
                    entity: f.entity.as_str().to_string(),
                    score: (f.score * 100.0).round() / 100.0,
                })
                .collect();
            serde_json::to_writer(
                &mut out,
                &OutputLine {
                    id: &rec.id,
                    redacted: red,
                    spans,
                },
            )?;
            out.write_all(b"\n")?;
            if rec.conversation.is_none() {
                calls.remove(&key);
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("callvault: {failed} line(s) rejected");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
