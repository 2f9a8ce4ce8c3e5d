#!/usr/bin/env bash
# The web dashboard (:8082) in headless Chromium: the real server on loopback, the
# python helloworld registered with endpoint schemas, and web.test.js driving Debian's
# chromium through playwright-core (installed from package-lock.json into
# tests/web/node_modules, ignored by git). Screenshots go to $MICRO_BUILD/web-screenshots.
set -euo pipefail
. "$MICRO_SRC/tests/integration/lib.sh"
: "${MICRO_BUILD:?MICRO_BUILD must point at the build directory}"
WEB_TESTS=$MICRO_SRC/tests/web
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

command -v node >/dev/null || fail "node is not installed (scripts/deps.sh)"
[ -x "$CHROMIUM" ] || fail "$CHROMIUM is not installed (scripts/deps.sh installs chromium)"
if [ ! -f "$WEB_TESTS/node_modules/playwright-core/package.json" ]; then
  (cd "$WEB_TESTS" && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/web failed"
fi

micro_start_server
hello_start
# helloworld with the schemas a real service publishes, so the dashboard can build its forms
TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "cannot log in as admin"
"$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /registry.Registry/Register "$(cat <<JSON
{"name":"helloworld","version":"latest",
 "endpoints":[
  {"name":"Helloworld.Call",
   "request":{"name":"CallRequest","type":"CallRequest","values":[{"name":"name","type":"string"}]},
   "response":{"name":"CallResponse","type":"CallResponse","values":[{"name":"msg","type":"string"}]},
   "metadata":{}},
  {"name":"Helloworld.Stream",
   "request":{"name":"StreamRequest","type":"StreamRequest","values":[{"name":"count","type":"int64"}]},
   "response":{"name":"StreamResponse","type":"StreamResponse","values":[{"name":"msg","type":"string"}]},
   "metadata":{"stream":"true","stream_kind":"server"}}],
 "nodes":[{"id":"helloworld-1","address":"$HELLO_ADDR"}],
 "options":{"ttl":"90","domain":"micro"}}
JSON
)" >"$MICRO_HOME/register.out" 2>&1 || { cat "$MICRO_HOME/register.out"; fail "cannot register helloworld"; }

SHOTS=$MICRO_BUILD/web-screenshots
rm -rf "$SHOTS" && mkdir -p "$SHOTS"
WEB_URL="http://$WEB_ADDR" API_URL="http://$API_ADDR" HELLO_ADDR="$HELLO_ADDR" SHOTS="$SHOTS" \
  CHROMIUM="$CHROMIUM" \
  timeout 150 node "$WEB_TESTS/web.test.js" || fail "web dashboard tests failed"

# `micro web` alone, against the same gateway and proxy: the page, its configuration, and
# a stream relayed through it to the proxy with the caller's token.
WEB_HOME=$(mktemp -d /tmp/micro-web.XXXXXX)
MICRO_EXTRA_DIRS+=("$WEB_HOME")
MICRO_HOME=$WEB_HOME MICRO_PROXY=$PROXY_ADDR "$MICRO_BIN" web --address 127.0.0.1:0 \
  --api_address "$API_ADDR" >"$WEB_HOME/web.log" 2>&1 &
STANDALONE_PID=$!
trap 'kill "$STANDALONE_PID" 2>/dev/null || true; hello_stop; micro_cleanup' EXIT
for _ in $(seq 1 100); do grep -q 'web dashboard listening on' "$WEB_HOME/web.log" && break; sleep 0.05; done
ALONE=$(sed -n 's/.*web dashboard listening on \([^ ]*\).*/\1/p' "$WEB_HOME/web.log")
[ -n "$ALONE" ] || fail "micro web did not start: $(cat "$WEB_HOME/web.log")"
expect_eq "micro web config" "$(curl -fsS "http://$ALONE/config.json")" \
  "{\"api\":\"http://$API_ADDR\",\"version\":\"$("$MICRO_BIN" --version | sed 's/^micro version //')\"}"
expect_eq "micro web without a token" "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://$ALONE/runtime")" \
  "302 http://$ALONE/login?next=/runtime"
got=$(curl -fsS -N -H "Cookie: micro-token=$TOKEN" -d '{"count":2}' "http://$ALONE/stream/helloworld/Helloworld.Stream")
expect_eq "micro web stream" "$got" '{"message":{"msg":"Hello 0"}}
{"message":{"msg":"Hello 1"}}
{"done":true}'
got=$(curl -fsS -N -d '{}' "http://$ALONE/stream/registry/Registry.Watch")
expect_eq "micro web stream without a token (auth rules apply)" "$got" \
  '{"error":{"id":"registry.Registry.Watch","code":401,"detail":"an account is required","status":"Unauthorized"}}'
kill -TERM "$STANDALONE_PID"
rc=0; wait "$STANDALONE_PID" || rc=$?
expect_eq "micro web exit code after SIGTERM" "$rc" "0"

# The server stops cleanly (exit 0, so no sanitizer report either) with a stream still open.
curl -sN -H "Authorization: Bearer $TOKEN" -d '{}' "http://$WEB_ADDR/stream/registry/Registry.Watch" \
  >"$WEB_HOME/watch.out" 2>&1 &
WATCH_PID=$!
sleep 0.3
curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"name":"shutdownwatch","nodes":[{"id":"s-1","address":"127.0.0.1:9"}]}' \
  "http://$API_ADDR/registry/Registry/Register" >/dev/null
for _ in $(seq 1 100); do grep -q shutdownwatch "$WEB_HOME/watch.out" && break; sleep 0.05; done
grep -q shutdownwatch "$WEB_HOME/watch.out" || fail "the watch stream did not deliver the registration"
hello_stop
kill -TERM "$SERVER_PID"
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=""
expect_eq "server exit code after SIGTERM with a stream open" "$rc" "0"
wait "$WATCH_PID" || true
echo "micro web and shutdown: 6 passed, 0 failed"
