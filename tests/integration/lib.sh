# Sourced by integration tests: starts the real `micro server` on ephemeral
# loopback ports with a temporary MICRO_HOME, learns the bound addresses from its
# log, and stops it (and removes the home) when the test exits.
set -euo pipefail
: "${MICRO_BIN:?MICRO_BIN must point at the micro binary}"
: "${MICRO_SRC:?MICRO_SRC must point at the source tree}"
PY=/usr/bin/python3   # Debian's python, which has python3-grpcio

SERVER_PID=""
fail() {
  echo "FAIL: $*" >&2
  if [ -n "${MICRO_HOME:-}" ] && [ -f "$MICRO_HOME/server.log" ]; then
    echo "--- server log" >&2; tail -40 "$MICRO_HOME/server.log" >&2
  fi
  exit 1
}

micro_cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  [ -n "${MICRO_HOME:-}" ] && [ -d "$MICRO_HOME" ] && rm -rf "$MICRO_HOME"
  return 0
}

# log_addr LABEL: the address logged as "<LABEL> listening on ADDR".
log_addr() {
  sed -n "s/.*$1 listening on \([^ ]*\).*/\1/p" "$MICRO_HOME/server.log" | head -1
}

micro_start_server() {
  MICRO_HOME=$(mktemp -d /tmp/micro-it.XXXXXX)
  export MICRO_HOME
  trap micro_cleanup EXIT
  "$MICRO_BIN" server --api_address 127.0.0.1:0 --proxy_address 127.0.0.1:0 \
     --web_address 127.0.0.1:0 "$@" >"$MICRO_HOME/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    grep -q 'web dashboard listening on' "$MICRO_HOME/server.log" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited during start"
    sleep 0.05
  done
  API_ADDR=$(log_addr 'API gateway')
  PROXY_ADDR=$(log_addr 'gRPC proxy')
  WEB_ADDR=$(log_addr 'web dashboard')
  [ -n "$API_ADDR" ] && [ -n "$PROXY_ADDR" ] && [ -n "$WEB_ADDR" ] || fail "server did not report its addresses"
  export API_ADDR PROXY_ADDR WEB_ADDR
}

# expect_eq WHAT GOT WANT
expect_eq() {
  [ "$2" == "$3" ] || fail "$1: got '$2', want '$3'"
}

expect_contains() {
  case "$2" in *"$3"*) ;; *) fail "$1: '$2' does not contain '$3'" ;; esac
}
