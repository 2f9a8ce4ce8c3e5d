#!/usr/bin/env bash
# `micro server` boots on the three addresses, answers GET / with its version,
# keeps its state in MICRO_HOME (0700), stops within a second on SIGTERM and
# SIGINT, and rejects bad flags and busy ports with a one-line error.
. "$(dirname "$0")/lib.sh"

micro_start_server

# GET / on the API gateway: {"version": "<version>"} as upstream.
body=$(curl -fsS "http://$API_ADDR/")
expect_eq "GET /" "$body" "{\"version\": \"$("$MICRO_BIN" --version | sed 's/^micro version //')\"}"
headers=$(curl -fsS -D - -o /dev/null -H 'Origin: http://example.test' "http://$API_ADDR/")
expect_contains "CORS origin" "$headers" "Access-Control-Allow-Origin: http://example.test"
expect_contains "CORS credentials" "$headers" "Access-Control-Allow-Credentials: true"

# The web dashboard answers on its own address (its pages want a login first).
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$WEB_ADDR/login")
expect_eq "web GET /login" "$code" "200"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://$WEB_ADDR/")
expect_eq "web GET / without a token" "$code" "302 http://$WEB_ADDR/login"

# State directory exists and is private.
expect_eq "MICRO_HOME mode" "$(stat -c %a "$MICRO_HOME")" "700"

# SIGTERM stops it within a second, exit code 0.
start=$(date +%s%N)
kill -TERM "$SERVER_PID"
rc=0; wait "$SERVER_PID" || rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
SERVER_PID=""
expect_eq "exit code after SIGTERM" "$rc" "0"
[ "$elapsed_ms" -lt 1000 ] || fail "SIGTERM took ${elapsed_ms} ms"
grep -q 'level=info Stopped server' "$MICRO_HOME/server.log" || fail "no 'Stopped server' log line"

# SIGINT as well; addresses from the environment this time.
home2=$(mktemp -d /tmp/micro-it.XXXXXX)
MICRO_HOME=$home2 MICRO_API_ADDRESS=127.0.0.1:0 MICRO_PROXY_ADDRESS=127.0.0.1:0 \
  MICRO_WEB_ADDRESS=127.0.0.1:0 "$MICRO_BIN" server >"$home2/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q 'web dashboard listening on' "$home2/server.log" && break; sleep 0.05; done
grep -q 'API gateway listening on 127.0.0.1:' "$home2/server.log" || fail "env addresses not used"
start=$(date +%s%N)
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "exit code after SIGINT" "$rc" "0"
[ "$elapsed_ms" -lt 1000 ] || fail "SIGINT took ${elapsed_ms} ms"
rm -rf "$home2"

# A bad flag: one line on stderr, exit 2.
rc=0; err=$("$MICRO_BIN" server --bogus 2>&1 >/dev/null) || rc=$?
expect_eq "bad flag exit" "$rc" "2"
expect_eq "bad flag message" "$err" "micro server: flag provided but not defined: -bogus"

# An unknown profile: a clear startup error, exit 1; --help lists the profiles.
home4=$(mktemp -d /tmp/micro-it.XXXXXX)
rc=0; err=$(MICRO_HOME=$home4 "$MICRO_BIN" server --profile cloud \
  --api_address 127.0.0.1:0 --proxy_address 127.0.0.1:0 --web_address 127.0.0.1:0 2>&1) || rc=$?
rm -rf "$home4"
expect_eq "unknown profile exit" "$rc" "1"
expect_contains "unknown profile message" "$err" 'micro server: unknown profile "cloud" (want local or test)'
"$MICRO_BIN" server --help | grep -q 'local (sqlite3 under $MICRO_HOME) or test' || fail "--help does not list the profiles"

# A busy port: a clear error naming the address, non-zero exit.
portfile=$(mktemp)
$PY -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen()
open(sys.argv[1],"w").write(str(s.getsockname()[1])); time.sleep(5)' "$portfile" &
hold=$!
for _ in $(seq 1 50); do [ -s "$portfile" ] && break; sleep 0.05; done
port=$(cat "$portfile"); rm -f "$portfile"
home3=$(mktemp -d /tmp/micro-it.XXXXXX)
rc=0; err=$(MICRO_HOME=$home3 "$MICRO_BIN" server --api_address "127.0.0.1:$port" \
  --proxy_address 127.0.0.1:0 --web_address 127.0.0.1:0 2>&1) || rc=$?
kill "$hold" 2>/dev/null || true
rm -rf "$home3"
[ "$rc" -ne 0 ] || fail "server started on a busy port"
expect_contains "busy port message" "$err" "cannot listen on '127.0.0.1:$port'"
echo "server boot: ok"
