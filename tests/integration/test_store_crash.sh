#!/usr/bin/env bash
# The crash test of issue 3: records written through the HTTP gateway in batches,
# the server killed with SIGKILL right after each acknowledged batch (and once in
# the middle of a stream of writes) and restarted on the same MICRO_HOME: every
# acknowledged record must be there, byte for byte. Then, with `--profile test`,
# nothing is kept between starts.
. "$(dirname "$0")/lib.sh"
BATCHES=20
PER_BATCH=50

# writer BATCH COUNT ACKED_FILE: writes crash/BATCH/i for i < COUNT (COUNT 0: until
# killed) with one keep-alive connection, appending each acknowledged key to
# ACKED_FILE as soon as its 200 arrives.
writer() {
  $PY - "$API_ADDR" "$TOKEN" "$1" "$2" "$3" <<'EOF'
import base64, http.client, json, sys
addr, token, batch, count, acked = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
host, port = addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port), timeout=10)
hdrs = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
out = open(acked, "a")
i = 0
while count == 0 or i < count:
    key = "crash/%s/%04d" % (batch, i)
    val = base64.b64encode(("value of %s" % key).encode()).decode()
    body = json.dumps({"record": {"key": key, "value": val}, "options": {"table": "crash"}})
    try:
        conn.request("POST", "/store/write", body, hdrs)
        rsp = conn.getresponse()
        data = rsp.read()
    except OSError:
        break
    if rsp.status != 200:
        sys.exit("write %s: %d %s" % (key, rsp.status, data))
    out.write(key + "\n")
    out.flush()
    i += 1
EOF
}

# check ACKED_FILE: every acknowledged key is stored with its value (one prefix read).
check() {
  curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
    -d '{"key":"crash/","options":{"table":"crash","prefix":true}}' "http://$API_ADDR/store/read" |
  $PY -c '
import base64, json, sys
stored = {r["key"]: base64.b64decode(r["value"]).decode() for r in json.load(sys.stdin)["records"]}
acked = [k for k in open(sys.argv[1]).read().split("\n") if k]
missing = [k for k in acked if stored.get(k) != "value of " + k]
if missing:
    sys.exit("%d of %d acknowledged records lost or damaged, first %s" % (len(missing), len(acked), missing[0]))
print(len(acked))' "$1"
}

login() {
  TOKEN=$(micro_admin_token)
  [ -n "$TOKEN" ] || fail "cannot log in as admin"
}

micro_start_server
login
ACKED="$MICRO_HOME/acked"
: >"$ACKED"

if [ "${MICRO_TEST_PROFILE:-local}" != test ]; then
  for b in $(seq 1 $BATCHES); do
    writer "$b" "$PER_BATCH" "$ACKED" || fail "batch $b was not acknowledged"
    micro_restart_server   # kill -9 right after the batch's last answer, start again
    login
    n=$(check "$ACKED") || fail "after crash $b: $n"
    expect_eq "records after crash $b" "$n" "$((b * PER_BATCH))"
  done
  # a crash in the middle of a stream of writes: what was answered is there
  writer mid 0 "$ACKED" &
  wpid=$!
  for _ in $(seq 1 100); do [ "$(wc -l <"$ACKED")" -gt $((BATCHES * PER_BATCH + 20)) ] && break; sleep 0.02; done
  micro_restart_server
  wait "$wpid" 2>/dev/null || true
  login
  n=$(check "$ACKED") || fail "after a crash mid-write: $n"
  [ "$n" -gt $((BATCHES * PER_BATCH)) ] || fail "the mid-write writer wrote nothing"
  echo "store crash: $n acknowledged records survived $((BATCHES + 1)) crashes"
fi

# --profile test keeps nothing between starts, not even what the file store holds
export MICRO_TEST_PROFILE=test
micro_restart_server
login
out=$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
      -d '{"key":"crash/","options":{"table":"crash","prefix":true}}' "http://$API_ADDR/store/read")
expect_eq "test profile starts empty" "$out" '{"records":[]}'
writer mem 5 "$MICRO_HOME/acked-mem" || fail "writes on the test profile"
expect_eq "test profile stores" "$(check "$MICRO_HOME/acked-mem")" "5"
micro_restart_server
login
out=$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
      -d '{"key":"crash/mem/0000","options":{"table":"crash"}}' "http://$API_ADDR/store/read")
expect_eq "test profile forgets" "$out" '{"id":"store.Store.Read","code":404,"detail":"not found","status":"Not Found"}'
echo "store crash: ok"
