#!/usr/bin/env bash
# A service made by `micro new`, unedited, builds against the build tree's
# uninstalled libmicro and runs on a real server with a generated service
# account: it registers its three endpoints (unary, server stream, bidi) and
# answers each through the proxy and the gateway, then stops cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"
: "${MICRO_BUILD:?MICRO_BUILD must point at the build tree}"
export PKG_CONFIG_PATH=$MICRO_BUILD/pkgconfig-uninstalled
CC=$(pkg-config --variable=cc libmicro)
export CC

micro_start_server
cli_harness
SVC_PID=""
stop_svc() {
  if [ -n "$SVC_PID" ]; then kill -TERM "$SVC_PID" 2>/dev/null || true; wait "$SVC_PID" 2>/dev/null || true; fi
  SVC_PID=""
}
trap 'stop_svc; micro_cleanup' EXIT
run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""

# --- scaffold
WORK="$T/work"; mkdir -p "$WORK"
(cd "$WORK" && run new greeter && [ "$RC" = 0 ]) || fail "micro new greeter: $(cat "$T/out" "$T/err")"
for f in CMakeLists.txt proto/greeter.proto main.c handler.c handler.h README.md .gitignore; do
  [ -s "$WORK/greeter/$f" ] || fail "scaffold has no $f"
done
grep -q 'rpc PingPong(stream Ping) returns (stream Pong) {}' "$WORK/greeter/proto/greeter.proto" ||
  fail "scaffold proto has no bidi endpoint"

# --- build, as the runtime does
SRC="$WORK/greeter"
cmake -S "$SRC" -B "$SRC/.micro/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$T/build.log" 2>&1 &&
  cmake --build "$SRC/.micro/build" -j2 >>"$T/build.log" 2>&1 || { cat "$T/build.log" >&2; fail "the scaffold does not build"; }
grep -q 'warning:' "$T/build.log" && fail "the scaffold builds with warnings: $(grep warning: "$T/build.log")"

# --- run with a generated service account
ADMIN=$(micro_admin_token)
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d "{\"id\":\"greeter-latest\",\"secret\":\"$SECRET\",\"type\":\"service\",\"scopes\":[\"service\"]}" \
  "http://$API_ADDR/auth/auth/generate")
expect_eq "generate account" "$code" "200"
(cd "$SRC" && exec env MICRO_SERVICE_NAME=greeter MICRO_SERVICE_VERSION=latest MICRO_NAMESPACE=micro \
    MICRO_PROXY="$PROXY_ADDR" MICRO_AUTH_ID=greeter-latest MICRO_AUTH_SECRET="$SECRET" \
    "$SRC/.micro/build/greeter") >"$T/svc.log" 2>&1 &
SVC_PID=$!
for _ in $(seq 1 100); do m services | grep -qx greeter && break; sleep 0.05; done
m services | grep -qx greeter || { cat "$T/svc.log" >&2; fail "greeter did not register"; }

run registry getService --service=greeter
$PY - "$T/out" <<'EOF' || fail "registration: $(cat "$T/out")"
import json, sys
svc = json.load(open(sys.argv[1]))["services"][0]
eps = {e["name"]: e.get("metadata", {}) for e in svc["endpoints"]}
assert eps == {"Greeter.Call": {}, "Greeter.Stream": {"stream": "true", "stream_kind": "server"},
               "Greeter.PingPong": {"stream": "true", "stream_kind": "bidi"}}, eps
EOF

# --- every endpoint answers, without edits
run greeter --name=Alice
expect "dynamic call" 0 '{\n\t"msg": "Hello Alice"\n}\n' ""
expect_eq "gateway" "$(curl -s "http://$API_ADDR/greeter/Call?name=Bob")" '{"msg":"Hello Bob"}'
out=$("$GRPC_CALL" "$PROXY_ADDR" /greeter.Greeter/Stream '{"count":"2"}') || fail "stream: $out"
expect_eq "stream" "$out" '{"count":"0"}
{"count":"1"}'
out=$("$GRPC_CALL" "$PROXY_ADDR" /greeter.Greeter/PingPong '{"stroke":"7"}' '{"stroke":"8"}') || fail "pingpong: $out"
expect_eq "pingpong" "$out" '{"stroke":"7"}
{"stroke":"8"}'
grep -q 'level=info Received Greeter.Call request: name=Alice$' "$T/svc.log" || fail "no call log line"
grep -q 'level=info Got ping 8$' "$T/svc.log" || fail "no ping log line"

kill -TERM "$SVC_PID"; rc=0; wait "$SVC_PID" || rc=$?; SVC_PID=""
expect_eq "exit status after SIGTERM" "$rc" "0"
m services | grep -qx greeter && fail "greeter still registered after SIGTERM"
echo "micro new: ok"
