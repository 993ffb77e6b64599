#!/usr/bin/env bash
# Turn ingest over HTTP on loopback, durable: `callvault serve` against the plain baseline
# (crates/callvault-server/examples/plain_baseline.rs: same HTTP stack, store and group commit,
# no detection, no sealing), back to back with the same load.
#
#   bench/ingest/run.sh                      # SQLite (the embedded default)
#   STORE_URL=postgres://.../cv_bench bench/ingest/run.sh   # PostgreSQL: two fresh, empty
#       databases, cv_bench for callvault and cv_bench_plain for the baseline
#
# Load: wrk, CONNECTIONS connections (default 64) over CONVERSATIONS conversations (default
# 256), DURATION seconds (default 20), turn texts from the SGD dev set (PII, written). Results
# are wrk's own report; copy them to BENCHMARKS.md with this command line.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-64}
CONVERSATIONS=${CONVERSATIONS:-256}
THREADS=${THREADS:-1}
command -v wrk >/dev/null || { echo "install wrk (Debian package wrk)" >&2; exit 1; }
cargo build --release -q -p callvault
cargo build --release -q -p callvault-server --example plain_baseline
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export CALLVAULT_PASSPHRASE=bench-passphrase-not-secret
B=target/release/callvault

. bench/ingest/lib.sh

if [ -n "${STORE_URL:-}" ]; then store=postgres; else store=sqlite; fi
echo "== callvault serve ($store) =="
init "$work/cv" ${STORE_URL:+--store-url "$STORE_URL"} > "$work/cv.json"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ingest_token"])' "$work/cv.json")
$B serve --data-dir "$work/cv" --listen 127.0.0.1:18090 2> "$work/cv.log" &
cv_pid=$!
wait_port 18090
conversations 18090 "$token" "$work/ids"
lua "$token" "$work/ids" "$work/cv.lua"
ps -o rss= -p $cv_pid | awk '{print "RSS before: " $1/1024 " MiB"}'
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/cv.lua" http://127.0.0.1:18090
ps -o rss= -p $cv_pid | awk '{print "RSS after: " $1/1024 " MiB"}'
kill $cv_pid; wait $cv_pid 2>/dev/null || true

# The baseline on the same store kind: a fresh database of its own for PostgreSQL
# (BASELINE_STORE_URL, default: STORE_URL with "_plain" appended to the database name).
echo "== plain baseline ($store, no detection, no sealing) =="
if [ -n "${STORE_URL:-}" ]; then
    init "$work/plain" --store-url "${BASELINE_STORE_URL:-${STORE_URL}_plain}" > "$work/plain.json"
else
    init "$work/plain" > "$work/plain.json"
fi
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ingest_token"])' "$work/plain.json")
target/release/examples/plain_baseline "$work/plain" 127.0.0.1:18091 2> "$work/plain.log" &
plain_pid=$!
wait_port 18091
conversations 18091 "$token" "$work/plain-ids"
lua "$token" "$work/plain-ids" "$work/plain.lua"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/plain.lua" http://127.0.0.1:18091
kill $plain_pid
