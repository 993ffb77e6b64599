#!/usr/bin/env bash
# Soak of callvault serve (release, SQLite): wrk at full load for DURATION seconds (default
# 600), the server's RSS sampled every 30 s. Results: wrk's report and the RSS series.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-600}
CONVERSATIONS=${CONVERSATIONS:-256}
command -v wrk >/dev/null || { echo "install wrk (Debian package wrk)" >&2; exit 1; }
cargo build --release -q -p callvault
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
export CALLVAULT_PASSPHRASE=bench-passphrase-not-secret
B=target/release/callvault
. bench/ingest/lib.sh

init "$work/cv" > "$work/cv.json"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ingest_token"])' "$work/cv.json")
$B serve --data-dir "$work/cv" --listen 127.0.0.1:18099 2> "$work/cv.log" &
pid=$!
wait_port 18099
conversations 18099 "$token" "$work/ids"
lua "$token" "$work/ids" "$work/cv.lua"
wrk -t1 -c64 -d"${DURATION}s" --latency -s "$work/cv.lua" http://127.0.0.1:18099 > "$work/wrk.txt" &
load=$!
for t in $(seq 0 30 "$DURATION"); do
    echo "$t s: $(ps -o rss= -p $pid) KiB"
    sleep 30
done
wait $load
cat "$work/wrk.txt"
ls -l "$work/cv"
kill $pid
