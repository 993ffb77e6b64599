#!/usr/bin/env python3
"""Standalone span evaluator (stdlib only): a cross-check for `callvault eval`.

Usage: eval_spans.py GOLD.jsonl PRED.jsonl [--min-score X] [--json]

GOLD: {"id", "text", "spans": [{"start", "end", "label"}]} (as in shared/data/dev/*.jsonl).
PRED: {"id", "spans": [{"start", "end", "type", "score"?}]}; "label" is accepted for "type".
Offsets are Unicode code points (Python str indices), end exclusive. A gold record with no
prediction line counts as predicting nothing.

Metrics, per gold label in LABELS and overall (micro, over gold spans with a label in LABELS):
  leak %       share of gold spans that have at least one non-whitespace character not covered
               by any predicted span of any type.
  typed rec %  typed lenient recall: share of gold spans overlapped (>= 1 character) by a
               predicted span of the same type (predicted STREET_ADDRESS counts as ADDRESS).
  char prec %  share of predicted non-whitespace characters that lie inside any gold span of any
               label (all gold labels count as true, including ORGANIZATION, DATE_TIME, ...).
               Per label: characters predicted with that type. Overall: the union of all
               predicted characters of every type. Overlapping predictions count a character once.
"""

import argparse
import json
import sys
from collections import defaultdict

LABELS = [
    "PERSON", "ADDRESS", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN",
    "IBAN_CODE", "IP_ADDRESS", "ZIP_CODE", "US_DRIVER_LICENSE", "LOCATION",
]
PRED_TYPE_ALIASES = {"STREET_ADDRESS": "ADDRESS"}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except ValueError as e:
                    sys.exit(f"{path}:{lineno}: bad JSON: {e}")


def span_label(s, *keys):
    for k in keys:
        if s.get(k) is not None:
            return s[k]
    return None


def evaluate(gold_path, pred_path, min_score=0.0):
    preds = {}
    for rec in read_jsonl(pred_path):
        if rec.get("id") in preds:
            sys.exit(f"{pred_path}: duplicate id {rec.get('id')!r}")
        preds[rec.get("id")] = rec.get("spans") or []

    gold_n = defaultdict(int)
    leaked = defaultdict(int)
    found = defaultdict(int)
    pred_chars = defaultdict(int)  # per predicted type, non-whitespace chars
    pred_tp = defaultdict(int)
    all_chars = all_tp = 0
    n_records = n_missing = n_clipped = 0
    seen = set()

    for rec in read_jsonl(gold_path):
        n_records += 1
        rid = rec.get("id")
        text = rec["text"]
        n = len(text)
        if rid not in preds:
            n_missing += 1
        seen.add(rid)

        spans = []
        for s in preds.get(rid, []):
            if min_score and s.get("score") is not None and s["score"] < min_score:
                continue
            t = span_label(s, "type", "label", "entity_type")
            t = PRED_TYPE_ALIASES.get(t, t)
            a, b = int(s["start"]), int(s["end"])
            if a < 0 or b > n or a > b:
                n_clipped += 1
                a, b = max(0, a), min(n, b)
            if a < b:
                spans.append((a, b, t))

        covered = bytearray(n)
        by_type = defaultdict(lambda: bytearray(n))
        for a, b, t in spans:
            covered[a:b] = b"\x01" * (b - a)
            by_type[t][a:b] = b"\x01" * (b - a)

        in_gold = bytearray(n)
        for g in rec.get("spans") or []:
            in_gold[g["start"]:g["end"]] = b"\x01" * (g["end"] - g["start"])

        nonws = [not c.isspace() for c in text]
        for i in range(n):
            if covered[i] and nonws[i]:
                all_chars += 1
                all_tp += in_gold[i]
        for t, mask in by_type.items():
            for i in range(n):
                if mask[i] and nonws[i]:
                    pred_chars[t] += 1
                    pred_tp[t] += in_gold[i]

        for g in rec.get("spans") or []:
            lab = span_label(g, "label", "type")
            if lab not in LABELS:
                continue
            a, b = g["start"], g["end"]
            gold_n[lab] += 1
            if any(nonws[i] and not covered[i] for i in range(a, b)):
                leaked[lab] += 1
            if any(t == lab and pa < b and a < pb for pa, pb, t in spans):
                found[lab] += 1

    extra = set(preds) - seen
    return {
        "gold": gold_path,
        "pred": pred_path,
        "min_score": min_score,
        "records": n_records,
        "records_without_prediction": n_missing,
        "prediction_ids_not_in_gold": len(extra),
        "pred_spans_clipped": n_clipped,
        "labels": {
            lab: {
                "gold_spans": gold_n[lab],
                "leaked": leaked[lab],
                "typed_found": found[lab],
                "pred_chars": pred_chars[lab],
                "pred_chars_in_gold": pred_tp[lab],
            }
            for lab in LABELS
        },
        "other_pred_types": {
            t: {"pred_chars": pred_chars[t], "pred_chars_in_gold": pred_tp[t]}
            for t in sorted(pred_chars)
            if t not in LABELS
        },
        "overall": {
            "gold_spans": sum(gold_n.values()),
            "leaked": sum(leaked.values()),
            "typed_found": sum(found.values()),
            "pred_chars": all_chars,
            "pred_chars_in_gold": all_tp,
        },
    }


def pct(num, den):
    return None if den == 0 else 100.0 * num / den


def fmt(v):
    return "     -" if v is None else f"{v:6.1f}"


def report(res):
    out = []
    out.append(f"gold {res['gold']}")
    out.append(f"pred {res['pred']}" + (f"  (min score {res['min_score']})" if res["min_score"] else ""))
    out.append(
        f"{res['records']} records, {res['records_without_prediction']} without prediction, "
        f"{res['prediction_ids_not_in_gold']} prediction ids not in gold, "
        f"{res['pred_spans_clipped']} predicted spans clipped"
    )
    out.append("")
    out.append(f"{'label':<18} {'gold':>5} {'leaked':>6} {'leak%':>6} {'typed rec%':>10} "
               f"{'pred chars':>10} {'char prec%':>10}")

    def row(name, d):
        return (f"{name:<18} {d['gold_spans']:>5} {d['leaked']:>6} "
                f"{fmt(pct(d['leaked'], d['gold_spans']))} "
                f"{fmt(pct(d['typed_found'], d['gold_spans'])):>10} "
                f"{d['pred_chars']:>10} {fmt(pct(d['pred_chars_in_gold'], d['pred_chars'])):>10}")

    for lab in LABELS:
        d = res["labels"][lab]
        if d["gold_spans"] or d["pred_chars"]:
            out.append(row(lab, d))
    for t, d in res["other_pred_types"].items():
        out.append(f"{'(pred) ' + str(t):<18} {'':>5} {'':>6} {'':>6} {'':>10} "
                   f"{d['pred_chars']:>10} {fmt(pct(d['pred_chars_in_gold'], d['pred_chars'])):>10}")
    out.append(row("OVERALL", res["overall"]))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gold")
    ap.add_argument("pred")
    ap.add_argument("--min-score", type=float, default=0.0,
                    help="ignore predicted spans whose score is below this (default: keep all)")
    ap.add_argument("--json", action="store_true", help="print the raw counts as JSON")
    args = ap.parse_args()
    res = evaluate(args.gold, args.pred, args.min_score)
    print(json.dumps(res, indent=2) if args.json else report(res))


if __name__ == "__main__":
    main()
