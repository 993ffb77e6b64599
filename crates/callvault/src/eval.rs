//! `callvault eval`: scores predicted spans against gold spans, per label and overall.
//!
//! Metrics (offsets in code points):
//! - span leak rate: share of gold spans with any non-whitespace character that no predicted
//!   span (of any type) covers. White space carries no information, so it is not counted.
//! - character precision: share of predicted non-whitespace characters that lie inside some gold
//!   span (of any gold label: a labelled organization or date is not a false alarm).
//! - typed lenient recall / precision / F1: a gold span counts as found when a predicted span of
//!   the same type overlaps it (`STREET_ADDRESS` and `ADDRESS` are the same type); a predicted
//!   span counts as correct when a gold span of its type overlaps it.

use crate::interchange::{CodePoints, SpanOut};
use anyhow::{bail, Result};
use callvault_detect::Conversation;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::ExitCode;

pub const DEFAULT_LABELS: &[&str] = &[
    "PERSON",
    "ADDRESS",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "ZIP_CODE",
    "US_DRIVER_LICENSE",
    "LOCATION",
];

#[derive(Deserialize)]
struct GoldLine {
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    speaker: Option<String>,
    #[serde(default)]
    conversation: Option<serde_json::Value>,
    #[serde(default)]
    spans: Vec<SpanOut>,
}

#[derive(Deserialize)]
struct PredLine {
    id: serde_json::Value,
    #[serde(default)]
    spans: Vec<SpanOut>,
}

/// Canonical label for comparing types across detectors.
fn canon(label: &str) -> &str {
    match label {
        "STREET_ADDRESS" => "ADDRESS",
        other => other,
    }
}

#[derive(Default, Clone, serde::Serialize)]
pub struct LabelScore {
    pub gold: usize,
    pub leaked: usize,
    pub found: usize,
    pub predicted: usize,
    pub predicted_correct: usize,
}

#[derive(Default, serde::Serialize)]
pub struct Report {
    pub texts: usize,
    pub per_label: BTreeMap<String, LabelScore>,
    pub overall: LabelScore,
    pub predicted_chars: usize,
    pub predicted_chars_in_gold: usize,
}

impl LabelScore {
    fn leak_rate(&self) -> f64 {
        ratio(self.leaked, self.gold)
    }
    fn recall(&self) -> f64 {
        ratio(self.found, self.gold)
    }
    fn precision(&self) -> f64 {
        ratio(self.predicted_correct, self.predicted)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

pub fn run(
    gold: &Path,
    pred: Option<&Path>,
    labels: Option<Vec<String>>,
    json: bool,
) -> Result<ExitCode> {
    let labels: Vec<String> =
        labels.unwrap_or_else(|| DEFAULT_LABELS.iter().map(|s| s.to_string()).collect());
    let golds: Vec<GoldLine> = crate::interchange::read_jsonl(gold)?;
    let preds: HashMap<String, Vec<SpanOut>> = match pred {
        Some(p) => crate::interchange::read_jsonl::<PredLine>(p)?
            .into_iter()
            .map(|l| (l.id.to_string(), l.spans))
            .collect(),
        None => predict(&golds),
    };
    if golds.is_empty() {
        bail!("{}: no gold lines", gold.display());
    }
    let report = score(&golds, &preds, &labels);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn predict(golds: &[GoldLine]) -> HashMap<String, Vec<SpanOut>> {
    let mut calls: HashMap<String, Conversation> = HashMap::new();
    let mut out = HashMap::new();
    for (n, g) in golds.iter().enumerate() {
        let key = crate::interchange::conversation_key(&g.conversation, n);
        let conv = calls.entry(key).or_default();
        let findings = conv.push(g.speaker.as_deref(), &g.text);
        let cps = CodePoints::new(&g.text);
        let spans = findings
            .iter()
            .map(|f| SpanOut {
                start: cps.of_byte(f.start),
                end: cps.of_byte(f.end),
                entity: f.entity.as_str().to_string(),
                score: f.score,
            })
            .collect();
        out.insert(g.id.to_string(), spans);
    }
    out
}

fn score(golds: &[GoldLine], preds: &HashMap<String, Vec<SpanOut>>, labels: &[String]) -> Report {
    let mut r = Report {
        texts: golds.len(),
        ..Report::default()
    };
    let in_scope = |l: &str| labels.iter().any(|x| canon(x) == canon(l));
    let empty = Vec::new();
    for g in golds {
        let chars: Vec<char> = g.text.chars().collect();
        let pred = preds.get(&g.id.to_string()).unwrap_or(&empty);
        let mut covered = vec![false; chars.len()];
        for p in pred {
            for c in covered
                .iter_mut()
                .take(p.end.min(chars.len()))
                .skip(p.start)
            {
                *c = true;
            }
        }
        let mut in_gold = vec![false; chars.len()];
        for s in &g.spans {
            for c in in_gold
                .iter_mut()
                .take(s.end.min(chars.len()))
                .skip(s.start)
            {
                *c = true;
            }
        }
        for s in g.spans.iter().filter(|s| in_scope(&s.entity)) {
            let e = r.per_label.entry(canon(&s.entity).to_string()).or_default();
            e.gold += 1;
            let leaked =
                (s.start..s.end.min(chars.len())).any(|i| !covered[i] && !chars[i].is_whitespace());
            let found = pred.iter().any(|p| {
                canon(&p.entity) == canon(&s.entity) && p.start < s.end && s.start < p.end
            });
            e.leaked += usize::from(leaked);
            e.found += usize::from(found);
        }
        for p in pred {
            for i in p.start..p.end.min(chars.len()) {
                if !chars[i].is_whitespace() {
                    r.predicted_chars += 1;
                    r.predicted_chars_in_gold += usize::from(in_gold[i]);
                }
            }
            if !in_scope(&p.entity) {
                continue;
            }
            let e = r.per_label.entry(canon(&p.entity).to_string()).or_default();
            e.predicted += 1;
            let ok = g.spans.iter().any(|s| {
                canon(&s.entity) == canon(&p.entity) && p.start < s.end && s.start < p.end
            });
            e.predicted_correct += usize::from(ok);
        }
    }
    for s in r.per_label.values() {
        r.overall.gold += s.gold;
        r.overall.leaked += s.leaked;
        r.overall.found += s.found;
        r.overall.predicted += s.predicted;
        r.overall.predicted_correct += s.predicted_correct;
    }
    r
}

fn print_table(r: &Report) {
    println!(
        "texts: {}   character precision: {:.3}",
        r.texts,
        ratio(r.predicted_chars_in_gold, r.predicted_chars)
    );
    println!(
        "{:<20} {:>6} {:>8} {:>8} {:>8} {:>8}",
        "label", "gold", "leak%", "recall", "prec", "F1"
    );
    let row = |name: &str, s: &LabelScore| {
        println!(
            "{:<20} {:>6} {:>7.1}% {:>8.3} {:>8.3} {:>8.3}",
            name,
            s.gold,
            100.0 * s.leak_rate(),
            s.recall(),
            s.precision(),
            s.f1()
        );
    };
    for (l, s) in &r.per_label {
        row(l, s);
    }
    row("OVERALL", &r.overall);
}
