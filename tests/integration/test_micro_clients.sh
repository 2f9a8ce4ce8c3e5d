#!/usr/bin/env bash
# libmicro's clients against the real server, driven by the probe service
# (tests/integration/probe, written only against micro.h): the store in the
# service's own table, config getters and scan, calls to another service that
# carry metadata onward (proto and JSON) and forward its micro errors, broker
# publish/subscribe and events publish/consume, subscribers listed in the
# registration as upstream lists them.
. "$(dirname "$0")/lib.sh"
: "${MICRO_BUILD:?MICRO_BUILD must point at the build tree}"
: "${GRPC_CALL:?GRPC_CALL must point at the grpc_call tool}"
export PKG_CONFIG_PATH=$MICRO_BUILD/pkgconfig-uninstalled
CC=$(pkg-config --variable=cc libmicro)
export CC

micro_start_server
cli_harness
PIDS=()
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_all; micro_cleanup' EXIT
run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""
ADMIN=$(micro_admin_token)
[ -n "$ADMIN" ] || fail "no admin token"

SRC="$T/probe"
cp -r "$MICRO_SRC/tests/integration/probe" "$SRC"
cmake -S "$SRC" -B "$SRC/.micro/build" >"$T/build.log" 2>&1 && cmake --build "$SRC/.micro/build" -j2 >>"$T/build.log" 2>&1 ||
  { cat "$T/build.log" >&2; fail "probe does not build"; }

# start NAME [ENV...]: the probe binary as service NAME with its own service account.
start() {
  local name=$1 secret; shift
  secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"id\":\"$name-latest\",\"secret\":\"$secret\",\"type\":\"service\",\"scopes\":[\"service\"]}" \
    "http://$API_ADDR/auth/auth/generate")
  expect_eq "generate account $name" "$code" "200"
  env MICRO_SERVICE_NAME="$name" MICRO_NAMESPACE=micro MICRO_PROXY="$PROXY_ADDR" \
    MICRO_AUTH_ID="$name-latest" MICRO_AUTH_SECRET="$secret" "$@" "$SRC/.micro/build/probe" >"$T/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do m services | grep -qx "$name" && return 0; sleep 0.05; done
  cat "$T/$name.log" >&2; fail "$name did not register"
}
start probe PROBE_SUBSCRIBE=1
start probe2
# gc PATH JSON [ARGS]: a call through the proxy as admin.
gc() {
  local path=$1 body=$2; shift 2
  "$GRPC_CALL" -m authorization="Bearer $ADMIN" "$@" "$PROXY_ADDR" "$path" "$body"
}

# --- the store: write, read, list, delete in the service's own table (database
# micro, table probe: where `micro store --table probe` writes)
ok store write --table probe pre 1
out=$(gc /probe.Probe/Store '{"key":"k1","value":"v1","ttl":"60"}') || fail "store: $out"
expect_eq "store" "$out" '{"result":"v1|k1,pre|gone","items":[]}'
run store list --table probe
expect "store list" 0 "pre\n" ""

# --- config: typed getters, defaults and the scan
code=$(curl -s -o "$T/cfg" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"namespace":"micro","path":"probe","value":{"data":"{\"name\":\"p1\",\"debug\":true,\"hosts\":[\"a\",\"b\"],\"labels\":{\"team\":\"core\"},\"db\":{\"host\":\"db.local\",\"port\":5432,\"tls\":true,\"ratio\":0.5,\"timeout\":\"1m30s\"}}","format":"json"}}' \
  "http://$API_ADDR/config/Config/Set")
expect_eq "config set" "$code" "200"
out=$(gc /probe.Probe/Config '{}') || fail "config: $out"
expect_eq "config" "$out" '{"result":"","items":["name=p1","debug=1","retries=3","hosts=2:b","labels=team=core","db=5:db.local:5432:1:0.5:90000"]}'

# --- calls: metadata carried across services, proto and JSON, errors forwarded
out=$(gc /probe.Probe/Chain '{"target":"probe2","value":"c1"}' -m x-user=ann) || fail "chain: $out"
expect_eq "chain" "$out" '{"result":"probe2|c1|ann","items":[]}'
out=$(gc /probe.Probe/Chain '{"target":"probe2","value":"c2","key":"json"}' -m x-user=bo) || fail "chain json: $out"
expect_eq "chain json" "$out" '{"result":"{\"result\":\"probe2|c2|bo\",\"items\":[]}","items":[]}'
out=$(gc /probe.Probe/Chain '{"target":"probe2","value":"v","key":"fail"}') && fail "chain fail succeeded"
expect_contains "forwarded error" "$out" '{"id":"probe2","code":409,"detail":"echo refused v","status":"Conflict"}'
out=$(gc /probe.Probe/Chain '{"target":"nosuch","value":"v"}') && fail "chain to nosuch succeeded"
expect_contains "route error" "$out" '"detail":"service nosuch: route not found"'

# --- the registration lists the subscribers as upstream does
run registry getService --service=probe
$PY - "$T/out" <<'EOF' || fail "subscribers: $(cat "$T/out")"
import json, sys
svc = json.load(open(sys.argv[1]))["services"][0]
subs = sorted(e["metadata"]["topic"] for e in svc["endpoints"] if e["name"] == "Func")
assert subs == ["news", "orders"], subs
for e in svc["endpoints"]:
    if e["name"] == "Func":
        assert e["metadata"]["subscriber"] == "true", e
EOF

# --- broker and events: published and received by probe (through the server)
gc /probe.Probe/Publish '{"key":"news","value":"hello"}' >/dev/null || fail "publish news"
gc /probe.Probe/Publish '{"key":"orders","value":"o1"}' >/dev/null || fail "publish orders"
for _ in $(seq 1 100); do
  out=$(gc /probe.Probe/Received '{}')
  case "$out" in *'"b:hello"'*'"e:o1"'*|*'"e:o1"'*'"b:hello"'*) break ;; esac
  sleep 0.05
done
expect_contains "broker delivery" "$out" '"b:hello"'
expect_contains "events delivery" "$out" '"e:o1"'
# the event on topic news and the broker message on orders reached nobody
case "$out" in *'"e:hello"'*|*'"b:o1"'*) fail "delivered to the wrong subscriber: $out" ;; esac

# a consumer that nacks gets the event again (explicit acks are libmicro's default)
gc /probe.Probe/Publish '{"key":"orders","value":"nack-once"}' >/dev/null || fail "publish nack-once"
for _ in $(seq 1 100); do
  out=$(gc /probe.Probe/Received '{}')
  case "$out" in *'"n:nack-once"'*'"e:nack-once"'*) break ;; esac
  sleep 0.05
done
expect_contains "nacked event refused" "$out" '"n:nack-once"'
expect_contains "nacked event redelivered" "$out" '"e:nack-once"'

# SIGTERM: both exit 0 (under ASan: no leak, no error) and deregister
for p in "${PIDS[@]}"; do
  kill -TERM "$p"; rc=0; wait "$p" || rc=$?
  [ "$rc" = 0 ] || fail "probe $p exited $rc: $(cat "$T/probe.log" "$T/probe2.log")"
done
PIDS=()
m services | grep -Eqx 'probe2?' && fail "probe still registered"
echo "micro clients: ok"
