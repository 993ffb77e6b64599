# Shared by run.sh and soak.sh (sourced, not run): make a data directory, wait for a port,
# create conversations, and write the wrk script that posts SGD dev turns to them.
# Expects B (the callvault binary) and CONVERSATIONS in the environment.

init() { # data dir, extra args
    $B init --data-dir "$1" --key-file "$1.key" --kdf-memory-mib 8 --kdf-passes 1 "${@:2}" 2>/dev/null
}

wait_port() {
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done
    echo "server on $1 did not start" >&2; exit 1
}

lua() { # token, ids file, out
    python3 - "$1" "$2" "$3" <<'PY'
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
}

conversations() { # port, token, out
    for n in $(seq "$CONVERSATIONS"); do
        curl -s -H "Authorization: Bearer $2" -H 'content-type: application/json' \
            -d "{\"customer_ref\":\"bench-$n\"}" "http://127.0.0.1:$1/v1/conversations" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
    done > "$3"
}

