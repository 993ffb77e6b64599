//! What happens to each type of finding, and the redacted text: tokenize (replaced by a label
//! such as `[CREDIT_CARD_1]`, the original kept sealed elsewhere), mask (replaced by `[CARD_CVV]`,
//! the original dropped), or keep. `CARD_CVV` and `CREDENTIAL` are masked by default: PCI DSS
//! forbids storing sensitive authentication data, sealed or not.

use crate::finding::{EntityType, Finding};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Tokenize,
    Mask,
    Keep,
}

/// A per-type action table.
#[derive(Clone, Debug)]
pub struct Policy {
    actions: HashMap<EntityType, Action>,
}

impl Default for Policy {
    fn default() -> Policy {
        let mut actions: HashMap<EntityType, Action> = EntityType::ALL
            .iter()
            .map(|t| (*t, Action::Tokenize))
            .collect();
        actions.insert(EntityType::CardCvv, Action::Mask);
        actions.insert(EntityType::Credential, Action::Mask);
        Policy { actions }
    }
}

impl Policy {
    pub fn action(&self, t: EntityType) -> Action {
        self.actions.get(&t).copied().unwrap_or(Action::Tokenize)
    }

    /// Sets the action for a type. Masked-by-law types cannot be set to keep or tokenize.
    pub fn set(&mut self, t: EntityType, action: Action) {
        if matches!(t, EntityType::CardCvv | EntityType::Credential) {
            return;
        }
        self.actions.insert(t, action);
    }
}

/// Numbers labels within one conversation: the same type and normalized value always get the
/// same label, `[PHONE_NUMBER_1]`, `[PHONE_NUMBER_2]`, ...
#[derive(Debug, Default)]
pub struct Labeler {
    seen: HashMap<(EntityType, String), u32>,
    next: HashMap<EntityType, u32>,
}

impl Labeler {
    pub fn new() -> Labeler {
        Labeler::default()
    }

    /// The label for a finding (without brackets), e.g. `CREDIT_CARD_1`.
    pub fn label(&mut self, f: &Finding) -> String {
        let key = (f.entity, f.value.expose_secret().to_owned());
        let n = match self.seen.get(&key) {
            Some(n) => *n,
            None => {
                let n = self.next.entry(f.entity).or_insert(0);
                *n += 1;
                let n = *n;
                self.seen.insert(key, n);
                n
            }
        };
        format!("{}_{}", f.entity.as_str(), n)
    }
}

impl Drop for Labeler {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for ((_, mut v), _) in self.seen.drain() {
            v.zeroize();
        }
    }
}

/// One replaced span of the redacted output.
#[derive(Clone, Debug)]
pub struct Replacement {
    pub finding_index: usize,
    pub action: Action,
    /// The label written (`[CREDIT_CARD_1]` or `[CARD_CVV]`), empty for `Keep`.
    pub label: String,
}

/// Writes `text` with every finding replaced according to `policy`. Findings must be sorted and
/// non-overlapping (as the detector returns them).
pub fn redact(
    text: &str,
    findings: &[Finding],
    policy: &Policy,
    labeler: &mut Labeler,
) -> (String, Vec<Replacement>) {
    let mut out = String::with_capacity(text.len());
    let mut reps = Vec::with_capacity(findings.len());
    let mut pos = 0;
    for (i, f) in findings.iter().enumerate() {
        if f.start < pos || f.end > text.len() {
            continue;
        }
        let action = policy.action(f.entity);
        let label = match action {
            Action::Keep => String::new(),
            Action::Mask => format!("[{}]", f.entity.as_str()),
            Action::Tokenize => format!("[{}]", labeler.label(f)),
        };
        out.push_str(&text[pos..f.start]);
        if action == Action::Keep {
            out.push_str(&text[f.start..f.end]);
        } else {
            out.push_str(&label);
        }
        pos = f.end;
        reps.push(Replacement {
            finding_index: i,
            action,
            label,
        });
    }
    out.push_str(&text[pos..]);
    (out, reps)
}
