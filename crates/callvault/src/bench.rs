//! `callvault bench`: detection speed on a JSONL file, single thread, this build. Each text is
//! timed on its own (conversation context included, as `redact --jsonl` runs it); reports
//! texts/s, MB/s (UTF-8 bytes / 1e6 / sum of per-text times), nearest-rank p50/p99 latency and
//! the process's peak resident memory.

use crate::interchange::InputLine;
use anyhow::{bail, Result};
use callvault_detect::{Conversation, Detector};
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

pub fn run(input: &Path, repeat: u32, json: bool) -> Result<ExitCode> {
    let lines: Vec<InputLine> = crate::interchange::read_jsonl(input)?;
    if lines.is_empty() {
        bail!("{}: no lines", input.display());
    }
    let _ = Detector::new();
    let mut times: Vec<u64> = Vec::with_capacity(lines.len() * repeat as usize);
    let mut bytes = 0usize;
    let mut findings = 0usize;
    for pass in 0..=repeat {
        let mut calls: HashMap<String, Conversation> = HashMap::new();
        for (n, l) in lines.iter().enumerate() {
            let key = crate::interchange::conversation_key(&l.conversation, n);
            let conv = calls.entry(key).or_default();
            let t0 = Instant::now();
            let f = conv.push(l.speaker.as_deref(), &l.text);
            let dt = t0.elapsed().as_nanos() as u64;
            if pass > 0 {
                times.push(dt);
                bytes += l.text.len();
                findings += f.len();
            }
            if l.conversation.is_none() {
                calls.clear();
            }
        }
    }
    let total_ns: u64 = times.iter().sum();
    times.sort_unstable();
    let pct = |p: f64| -> f64 {
        let k = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
        times[k] as f64 / 1000.0
    };
    let secs = total_ns as f64 / 1e9;
    let texts = times.len();
    let report = serde_json::json!({
        "engine": "callvault",
        "texts": lines.len(),
        "timed_texts": texts,
        "texts_per_s": texts as f64 / secs,
        "mb_per_s": bytes as f64 / 1e6 / secs,
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "max_us": times.last().copied().unwrap_or(0) as f64 / 1000.0,
        "peak_rss_mb": peak_rss_mib(),
        "findings": findings,
    });
    if json {
        println!("{report}");
    } else {
        println!(
            "{} texts x {repeat}: {:.0} texts/s, {:.1} MB/s, p50 {:.1} µs, p99 {:.1} µs, peak RSS {:.1} MiB",
            lines.len(),
            report["texts_per_s"].as_f64().unwrap_or(0.0),
            report["mb_per_s"].as_f64().unwrap_or(0.0),
            pct(0.5),
            pct(0.99),
            peak_rss_mib()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Peak resident set size of this process (Linux `VmHWM`), in MiB; 0 where unknown.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
