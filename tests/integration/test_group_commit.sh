#!/usr/bin/env bash
# Group commit (issue 9): store writes and event publishes that arrive in the same
# round of the server share one sqlite commit, and their answers wait for it. So:
# with 64 calls in flight over gRPC and the server killed with SIGKILL in the
# middle, every write and publish that was answered OK is there after the
# restart (byte for byte); and on a disk that fills up under the same load, every
# OK'd record is there while the refused ones got "no space left on the disk",
# never a false OK. The concurrent answers are checked on both profiles; the kill -9
# rounds need the sqlite profile (--profile test keeps nothing), and the full-disk
# part also needs root (a small tmpfs). CRASH_ROUNDS (3 in CI) sets how many kill -9
# rounds run: the long form runs 30.
. "$(dirname "$0")/lib.sh"
WRITER="$MICRO_SRC/tests/integration/grpc_writer.py"

login() { TOKEN=$(micro_admin_token); [ -n "$TOKEN" ] || fail "cannot log in as admin"; }

# stored_keys: the keys of table gc, one per line, each checked against its value
stored_keys() {
  curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
    -d '{"key":"","options":{"table":"gc","prefix":true}}' "http://$API_ADDR/store/read" |
  $PY -c '
import base64, json, sys
for r in json.load(sys.stdin).get("records", []):
    v = base64.b64decode(r.get("value", "")).decode()
    if v != "value of " + r["key"]:
        sys.exit("record %s has value %r" % (r["key"], v))
    print(r["key"])'
}

# stored_events: the payloads of topic gc, one per line
stored_events() {
  curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
    -d '{"topic":"gc","limit":1000000}' "http://$API_ADDR/events/store/read" |
  $PY -c '
import base64, json, sys
for e in json.load(sys.stdin).get("events", []):
    print(base64.b64decode(e.get("payload", "")).decode())'
}

# lost ACKED STORED: how many acknowledged names are missing from the stored ones
lost() { comm -23 <(sort -u "$1") <(sort -u "$2") | wc -l; }

micro_start_server
login
ACK_S="$MICRO_HOME/acked-store" ACK_E="$MICRO_HOME/acked-events"
: >"$ACK_S"; : >"$ACK_E"

# ---- a fixed number of concurrent writes: all answered OK and all readable
out=$($PY "$WRITER" "$PROXY_ADDR" "$TOKEN" store first 2000 64 "$ACK_S") || fail "store writes: $out"
expect_eq "2,000 concurrent store writes answered" "$out" "2000 0"
out=$($PY "$WRITER" "$PROXY_ADDR" "$TOKEN" events first 2000 64 "$ACK_E") || fail "publishes: $out"
expect_eq "2,000 concurrent publishes answered" "$out" "2000 0"
out=$($PY "$WRITER" "$API_ADDR" "$TOKEN" store-http firsthttp 1000 16 "$ACK_S") || fail "HTTP writes: $out"
expect_eq "1,000 concurrent store writes through the gateway answered" "$out" "1000 0"
stored_keys >"$MICRO_HOME/stored-store" || fail "store read: $(cat "$MICRO_HOME/stored-store")"
stored_events >"$MICRO_HOME/stored-events"
expect_eq "store writes readable" "$(lost "$ACK_S" "$MICRO_HOME/stored-store")" "0"
expect_eq "publishes readable" "$(lost "$ACK_E" "$MICRO_HOME/stored-events")" "0"

if [ "${MICRO_TEST_PROFILE:-local}" != test ]; then
  # ---- kill -9 in the middle of both streams of writes, three times
  for round in $(seq 1 "${CRASH_ROUNDS:-3}"); do
    before_s=$(wc -l <"$ACK_S") before_e=$(wc -l <"$ACK_E")
    $PY "$WRITER" "$PROXY_ADDR" "$TOKEN" store "crash$round" 0 64 "$ACK_S" >/dev/null 2>&1 &
    ws=$!
    $PY "$WRITER" "$PROXY_ADDR" "$TOKEN" events "crash$round" 0 64 "$ACK_E" >/dev/null 2>&1 &
    we=$!
    $PY "$WRITER" "$API_ADDR" "$TOKEN" store-http "crashhttp$round" 0 16 "$ACK_S" >/dev/null 2>&1 &
    wh=$!
    for _ in $(seq 1 200); do
      [ "$(wc -l <"$ACK_S")" -gt $((before_s + 500)) ] && [ "$(wc -l <"$ACK_E")" -gt $((before_e + 500)) ] && break
      sleep 0.02
    done
    micro_kill9_server
    expect_eq "kill -9 round $round: integrity" "$(integrity "$MICRO_HOME/store/store.db")" "ok"
    micro_restart_server
    wait "$ws" "$we" "$wh" 2>/dev/null || true
    login
    [ "$(wc -l <"$ACK_S")" -gt $((before_s + 100)) ] || fail "round $round: few store writes before the kill"
    stored_keys >"$MICRO_HOME/stored-store" || fail "store read: $(cat "$MICRO_HOME/stored-store")"
    stored_events >"$MICRO_HOME/stored-events"
    expect_eq "kill -9 round $round: acknowledged store writes lost" \
      "$(lost "$ACK_S" "$MICRO_HOME/stored-store")" "0"
    expect_eq "kill -9 round $round: acknowledged publishes lost" \
      "$(lost "$ACK_E" "$MICRO_HOME/stored-events")" "0"
    echo "round $round: $(wc -l <"$ACK_S") store writes and $(wc -l <"$ACK_E") publishes acknowledged, none lost"
  done
fi
micro_kill9_server

# ---- a disk filling up under concurrent writes
if can_mount; then
  mount_small_disk 4m
  MICRO_EXTRA_DIRS+=("$MICRO_HOME")   # the first home, left for one on the small disk
  export MICRO_HOME=$MNT/home
  mkdir -p "$MICRO_HOME"
  MICRO_TEST_PROFILE=local micro_launch_server
  login
  # the bookkeeping stays off the small disk
  SCRATCH=$(mktemp -d /tmp/micro-gc.XXXXXX)
  MICRO_EXTRA_DIRS+=("$SCRATCH")
  ACK="$SCRATCH/acked" ERRF="$SCRATCH/err"; : >"$ACK"
  # records of ~1 KB: 20,000 of them cannot fit in 4 MB; through gRPC and the
  # gateway at once
  pad=$(head -c 900 /dev/zero | tr '\0' x)
  $PY "$WRITER" "$API_ADDR" "$TOKEN" store-http "fullhttp-$pad" 10000 16 "$ACK" >"$SCRATCH/http.out" 2>"$ERRF.http" &
  wh=$!
  out=$($PY "$WRITER" "$PROXY_ADDR" "$TOKEN" store "full-$pad" 20000 64 "$ACK" 2>"$ERRF") \
    || fail "writes on a full disk: $out $(cat "$ERRF")"
  wait "$wh" || fail "HTTP writes on a full disk: $(cat "$SCRATCH/http.out" "$ERRF.http")"
  read -r okd refused <<<"$out"
  read -r okd_http refused_http <"$SCRATCH/http.out"
  [ "$refused" -gt 0 ] || fail "20,000 records of 1 KB fitted on a 4 MB disk"
  [ "$refused_http" -gt 0 ] || fail "the gateway's writes all fitted on a full disk"
  [ $((okd + okd_http)) -gt 100 ] || fail "only $((okd + okd_http)) records before the disk was full"
  expect_contains "refused writes say why" "$(cat "$ERRF")" "no space left on the disk"
  expect_contains "refused writes say why, through the gateway" "$(cat "$ERRF.http")" "no space left on the disk"
  okd=$((okd + okd_http)) refused=$((refused + refused_http))
  stored_keys >"$SCRATCH/stored" 2>&1 || fail "store read after the disk filled: $(cat "$SCRATCH/stored")"
  expect_eq "acknowledged records lost on a full disk" "$(lost "$ACK" "$SCRATCH/stored")" "0"
  echo "full disk: $okd writes acknowledged and all stored, $refused refused"
  micro_kill9_server
  expect_eq "integrity after a full disk and kill -9" "$(integrity "$MICRO_HOME/store/store.db")" "ok"
else
  echo "group commit on a full disk: skipped (needs root to mount a tmpfs)"
fi
echo "group commit: ok"
