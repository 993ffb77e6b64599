#!/usr/bin/env bash
# 10-minute soak of callvault serve (release, SQLite): wrk at full load, RSS sampled every 30 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
echo "results in $work (wrk.txt, rss.txt)"
cargo build --release -q -p callvault
export CALLVAULT_PASSPHRASE=bench-passphrase-not-secret
B=target/release/callvault
$B init --data-dir $work/cv --key-file $work/cv.key --kdf-memory-mib 8 --kdf-passes 1 > $work/cv.json 2>/dev/null
$B serve --data-dir $work/cv --listen 127.0.0.1:18099 2> $work/cv.log &
pid=$!
sleep 1
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ingest_token"])' $work/cv.json)
for n in $(seq 256); do curl -s -H "Authorization: Bearer $token" -H 'content-type: application/json' -d "{\"customer_ref\":\"soak-$n\"}" http://127.0.0.1:18099/v1/conversations | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; done > $work/ids
python3 - "$token" $work/ids $work/cv.lua <<'PY'
import json, sys
token, ids_file, out = sys.argv[1:]
ids = [l.strip() for l in open(ids_file) if l.strip()]
texts = [json.loads(l)["text"] for l in open("crates/callvault-detect/tests/data/sgd_dev_turns.jsonl")]
bodies = [json.dumps({"speaker": "customer", "text": t, "final": True}) for t in texts]
with open(out, "w") as f:
    f.write("local ids = {%s}\n" % ",".join('"%s"' % i for i in ids))
    f.write("local bodies = {%s}\n" % ",".join("[==[%s]==]" % b for b in bodies))
    f.write('local headers = {["Authorization"] = "Bearer %s", ["Content-Type"] = "application/json"}\n' % token)
    f.write("""local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/conversations/" .. ids[(i % #ids) + 1] .. "/turns", headers, bodies[(i % #bodies) + 1])
end
""")
PY
wrk -t1 -c64 -d600s --latency -s $work/cv.lua http://127.0.0.1:18099 > $work/wrk.txt &
for t in $(seq 0 30 600); do echo "$t s: $(ps -o rss= -p $pid) KiB"; sleep 30; done > $work/rss.txt
wait
kill $pid
