#!/usr/bin/env bash
# examples/helloworld built with libmicro like any user service: compiled with
# CMake against the build tree's uninstalled libmicro (pkg-config), started by
# hand with MICRO_PROXY at a real server and the credentials of a generated
# service account. It must register with its endpoint schemas, answer through
# the proxy (:8081: dynamic command, `call`, `stream`) and the gateway (:8080),
# log each call, re-register, and deregister and exit 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"
: "${MICRO_BUILD:?MICRO_BUILD must point at the build tree}"
export PKG_CONFIG_PATH=$MICRO_BUILD/pkgconfig-uninstalled
# A sanitized libmicro must be linked by the compiler that built it.
CC=$(pkg-config --variable=cc libmicro)
export CC

micro_start_server
cli_harness
HW_PID=""
stop_hw() {
  if [ -n "$HW_PID" ]; then kill -TERM "$HW_PID" 2>/dev/null || true; wait "$HW_PID" 2>/dev/null || true; fi
  HW_PID=""
}
trap 'stop_hw; micro_cleanup' EXIT

# --- build: out of tree, the example folder stays clean
SRC="$T/helloworld"
cp -r "$MICRO_SRC/examples/helloworld" "$SRC"
cmake -S "$SRC" -B "$SRC/.micro/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$T/build.log" 2>&1 &&
  cmake --build "$SRC/.micro/build" -j2 >>"$T/build.log" 2>&1 || { cat "$T/build.log" >&2; fail "helloworld does not build"; }
[ -x "$SRC/.micro/build/helloworld" ] || fail "no helloworld executable"

# --- a service account, as the runtime generates it (type service, scope service)
ADMIN=$(micro_admin_token)
[ -n "$ADMIN" ] || fail "no admin token"
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
code=$(curl -s -o "$T/acc" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d "{\"id\":\"helloworld-latest\",\"secret\":\"$SECRET\",\"type\":\"service\",\"scopes\":[\"service\"]}" \
  "http://$API_ADDR/auth/auth/generate")
expect_eq "generate account" "$code" "200"

start_hw() {
  (cd "$SRC" && exec env MICRO_SERVICE_NAME=helloworld MICRO_SERVICE_VERSION=latest \
      MICRO_NAMESPACE=micro MICRO_PROXY="$PROXY_ADDR" MICRO_PROFILE=service \
      MICRO_AUTH_ID=helloworld-latest MICRO_AUTH_SECRET="$SECRET" "$@" \
      "$SRC/.micro/build/helloworld") >"$T/hw.log" 2>&1 &
  HW_PID=$!
}
wait_registered() {
  for _ in $(seq 1 100); do m services | grep -qx helloworld && return 0; sleep 0.05; done
  cat "$T/hw.log" >&2; fail "helloworld did not register"
}
run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""
start_hw
wait_registered

# --- the log: upstream's lines, in upstream's format
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}  file=[^ ]+ level=info Starting \[service\] helloworld$' "$T/hw.log" ||
  fail "no Starting line: $(cat "$T/hw.log")"
grep -Eq 'level=info Server \[grpc\] Listening on 127\.0\.0\.1:[0-9]+$' "$T/hw.log" || fail "no Listening line"
grep -Eq 'level=info Registry \[service\] Registering node: helloworld-[0-9a-f-]{36}$' "$T/hw.log" ||
  fail "no Registering line"
NODE_ADDR=$(sed -n 's/.*Server \[grpc\] Listening on \([^ ]*\)$/\1/p' "$T/hw.log")

# --- the registration: the node at its real address, TTL'd, with endpoint schemas
run registry getService --service=helloworld
expect_eq "getService rc" "$RC" "0"
$PY - "$T/out" "$NODE_ADDR" <<'EOF' || fail "registration: $(cat "$T/out")"
import json, sys
svc = json.load(open(sys.argv[1]))["services"][0]
assert svc["name"] == "helloworld" and svc["version"] == "latest", svc
node = svc["nodes"][0]
assert node["address"] == sys.argv[2], node
assert node["id"].startswith("helloworld-"), node
eps = {e["name"]: e for e in svc["endpoints"]}
assert set(eps) == {"Helloworld.Call", "Helloworld.Stream"}, eps.keys()
call = eps["Helloworld.Call"]
assert call["request"]["type"] == "CallRequest", call
assert [v["name"] for v in call["request"]["values"]] == ["name"], call
assert [(v["name"], v["type"]) for v in call["response"]["values"]] == [("msg", "string")], call
assert call.get("metadata", {}).get("stream") is None, call
st = eps["Helloworld.Stream"]
assert st["metadata"]["stream"] == "true", st
assert [(v["name"], v["type"]) for v in st["request"]["values"]] == [("name", "string"), ("count", "int64")], st
EOF

# --- calls through the proxy (:8081) and the gateway (:8080)
run helloworld --name=Alice
expect "dynamic call" 0 '{\n\t"msg": "Hello Alice"\n}\n' ""
run call helloworld Helloworld.Call '{"name":"Bob"}'
expect "call" 0 '{\n\t"msg": "Hello Bob"\n}\n' ""
expect_eq "gateway" "$(curl -s "http://$API_ADDR/helloworld/Call?name=Alice")" '{"msg":"Hello Alice"}'
expect_eq "gateway, handler path" "$(curl -s "http://$API_ADDR/helloworld/Helloworld/Call?name=Eve")" '{"msg":"Hello Eve"}'
out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Stream '{"name":"Ann","count":"3"}') || fail "stream: $out"
expect_eq "stream" "$out" '{"msg":"Hello Ann","count":"1"}
{"msg":"Hello Ann","count":"2"}
{"msg":"Hello Ann","count":"3"}'
# a micro error from a handler reaches the caller as it was made
out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Stream '{"name":"Ann","count":"5000"}') && fail "stream accepted 5000"
expect_contains "stream error" "$out" '{"id":"helloworld","code":400,"detail":"count must be between 0 and 1000","status":"Bad Request"}'
grep -q 'level=info Received Helloworld.Call request: name=Alice$' "$T/hw.log" || fail "no call log line"
grep -q 'level=info Received Helloworld.Stream request: name=Ann count=3$' "$T/hw.log" || fail "no stream log line"

# --- SIGTERM: deregistered, exit 0
kill -TERM "$HW_PID"
rc=0; wait "$HW_PID" || rc=$?
HW_PID=""
expect_eq "exit status after SIGTERM" "$rc" "0"
m services | grep -qx helloworld && fail "helloworld still registered after SIGTERM"
grep -q 'Deregistering node: helloworld-' "$T/hw.log" || fail "no deregistration logged"

# --- bad credentials: the first registration fails, the service says why and exits 1
start_hw MICRO_AUTH_SECRET=wrong
rc=0; wait "$HW_PID" || rc=$?
HW_PID=""
expect_eq "exit status with a wrong secret" "$rc" "1"
grep -q 'level=error cannot get a token for account helloworld-latest' "$T/hw.log" ||
  fail "no token error: $(cat "$T/hw.log")"
echo "helloworld: ok"
