//! Overlap resolution: candidates from all recognizers compete, and the result is a sorted list
//! of non-overlapping findings. The stronger type (checksummed beats contextual) wins; among
//! equals the longer span, then the higher score.

use crate::finding::{EntityType, Finding};

pub(crate) fn resolve(mut cands: Vec<Finding>) -> Vec<Finding> {
    cands.sort_by(|a, b| {
        rank(b)
            .cmp(&rank(a))
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(b.score.total_cmp(&a.score))
            .then(a.start.cmp(&b.start))
    });
    // A weak number reading ("370 3911" as a phone, a house number typed by an earlier turn's
    // question) inside a street address is its house number: the address takes it.
    let addresses: Vec<(usize, usize)> = cands
        .iter()
        .filter(|c| c.entity == EntityType::StreetAddress)
        .map(|c| (c.start, c.end))
        .collect();
    cands.retain(|c| {
        !(!matches!(
            c.entity,
            EntityType::StreetAddress | EntityType::Location | EntityType::Person
        ) && c.score <= 0.675
            && addresses.iter().any(|&(s, e)| s <= c.start && c.end <= e))
    });
    // A weak number reading inside a date is part of it: "nineteen eighty two" in "march
    // third nineteen eighty two" is the year, not the last four of a social.
    let dates: Vec<(usize, usize)> = cands
        .iter()
        .filter(|c| matches!(c.entity, EntityType::DateOfBirth | EntityType::CardExpiry))
        .map(|c| (c.start, c.end))
        .collect();
    cands.retain(|c| {
        c.score > 0.7
            || matches!(
                c.entity,
                EntityType::DateOfBirth | EntityType::CardExpiry | EntityType::Person
            )
            || !dates
                .iter()
                .any(|&(s, e)| s <= c.start && c.end <= e && e - s > c.end - c.start)
    });
    let mut kept: Vec<Finding> = Vec::with_capacity(cands.len());
    for c in cands {
        // An address swallows the numbers, names and places inside it; other overlaps are
        // settled by priority.
        if kept.iter().any(|k| k.start < c.end && c.start < k.end) {
            continue;
        }
        kept.push(c);
    }
    kept.sort_by_key(|f| f.start);
    kept
}

/// A multi-word place name ("Santa Rosa") is surer than the person name a gazetteer sees in
/// one of its words ("Rosa").
fn rank(f: &Finding) -> u8 {
    match f.entity {
        EntityType::Location if f.value.expose_secret().contains(' ') => 42,
        e => e.priority(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::NormalizedValue;

    fn f(entity: EntityType, start: usize, end: usize) -> Finding {
        Finding {
            entity,
            start,
            end,
            score: 0.5,
            value: NormalizedValue::default(),
        }
    }

    #[test]
    fn stronger_type_wins_and_output_is_sorted() {
        let out = resolve(vec![
            f(EntityType::Location, 30, 40),
            f(EntityType::PhoneNumber, 0, 12),
            f(EntityType::CreditCard, 5, 20),
        ]);
        let types: Vec<_> = out.iter().map(|f| f.entity).collect();
        assert_eq!(types, vec![EntityType::CreditCard, EntityType::Location]);
    }
}
