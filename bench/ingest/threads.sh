#!/usr/bin/env bash
# Where a turn's cost goes, per thread: runs one server under the run.sh load and reads each
# thread's CPU time and bytes written from /proc before and after, divided by the turns served.
#
#   bench/ingest/threads.sh            # callvault serve (SQLite)
#   bench/ingest/threads.sh plain      # the plain baseline
#
# DURATION seconds of load (default 15), CONNECTIONS (default 64). Prints wrk's rate and
# latencies, the writer thread's time on CPU and waiting for one, the machine's CPU split, then
# per thread name: bytes written per turn and CPU µs per turn. Build first (run.sh does).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-64}
CONVERSATIONS=${CONVERSATIONS:-256}
export CALLVAULT_PASSPHRASE=bench-passphrase-not-secret
B=target/release/callvault
. bench/ingest/lib.sh
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
init "$work/cv" > "$work/cv.json"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ingest_token"])' "$work/cv.json")
if [ "${1:-}" = plain ]; then
    target/release/examples/plain_baseline "$work/cv" 127.0.0.1:18092 2> "$work/cv.log" &
else
    $B serve --data-dir "$work/cv" --listen 127.0.0.1:18092 2> "$work/cv.log" &
fi
pid=$!
wait_port 18092
conversations 18092 "$token" "$work/ids"
lua "$token" "$work/ids" "$work/cv.lua"
# thread name, bytes written, CPU ticks (user + system), summed over threads of that name
snap() {
    for t in /proc/$pid/task/*; do
        echo "$(cat "$t/comm") $(awk '/^wchar/{print $2}' "$t/io") $(awk '{print $14+$15}' "$t/stat")"
    done | awk '{w[$1]+=$2; c[$1]+=$3} END {for (k in w) print k, w[k], c[k]}' | sort
}
writer=$(grep -l callvault-write /proc/$pid/task/*/comm | head -1 | xargs dirname)
cat "$writer/schedstat" > "$work/wa"; snap > "$work/a"; head -1 /proc/stat > "$work/sa"
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/cv.lua" http://127.0.0.1:18092 > "$work/wrk.txt"
snap > "$work/b"; cat "$writer/schedstat" > "$work/wb"; head -1 /proc/stat > "$work/sb"
paste "$work/wa" "$work/wb" | awk -v d="$DURATION" '{printf "writer thread: on CPU %.0f%%, waiting for a CPU %.0f%% of the time\n", ($4-$1)/d/1e7, ($5-$2)/d/1e7}'
paste "$work/sa" "$work/sb" | awk '{n=NF/2; t=0; for(i=2;i<=n;i++){d[i]=$(i+n)-$i; t+=d[i]}; printf "machine: user %.0f%% sys %.0f%% idle %.0f%% iowait %.0f%% softirq %.0f%%\n", 100*d[2]/t,100*d[4]/t,100*d[5]/t,100*d[6]/t,100*d[8]/t}'
grep -E "Requests/sec|50%|99%" "$work/wrk.txt"
n=$(awk '/requests in/{print $1}' "$work/wrk.txt")
join "$work/a" "$work/b" | awk -v n="$n" -v hz="$(getconf CLK_TCK)" '{printf "%-18s written/turn %7.0f B  CPU/turn %6.1f us\n", $1, ($4-$2)/n, ($5-$3)*1e6/hz/n}'
