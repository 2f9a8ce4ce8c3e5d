# Sourced by integration tests: starts the real `micro server` on ephemeral
# loopback ports with a temporary MICRO_HOME, learns the bound addresses from its
# log, and stops it (and removes the home) when the test exits.
set -euo pipefail
: "${MICRO_BIN:?MICRO_BIN must point at the micro binary}"
: "${MICRO_SRC:?MICRO_SRC must point at the source tree}"
PY=/usr/bin/python3   # Debian's python, which has python3-grpcio

SERVER_PID=""
MICRO_EXTRA_DIRS=()   # removed at exit with MICRO_HOME
MICRO_MOUNTS=()       # small disks (mount_small_disk), unmounted and removed at exit
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
  local d
  for d in "${MICRO_EXTRA_DIRS[@]}"; do rm -rf "$d"; done
  for d in "${MICRO_MOUNTS[@]}"; do
    mountpoint -q "$d" && umount -l "$d" 2>/dev/null
    rmdir "$d" 2>/dev/null || true
  done
  return 0
}

# log_addr LABEL: the address logged as "<LABEL> listening on ADDR".
log_addr() {
  sed -n "s/.*$1 listening on \([^ ]*\).*/\1/p" "$MICRO_HOME/server.log" | head -1
}

# Starts the server in the background on ephemeral ports (extra args are passed on)
# and waits until it logs its addresses; sets SERVER_PID, API_ADDR, PROXY_ADDR, WEB_ADDR.
micro_launch_server() {
  # MICRO_TEST_PROFILE=test runs the suite on the in-memory backends
  "$MICRO_BIN" server --api_address 127.0.0.1:0 --proxy_address 127.0.0.1:0 \
     --web_address 127.0.0.1:0 --profile "${MICRO_TEST_PROFILE:-local}" "$@" \
     >"$MICRO_HOME/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    # all three whole lines (a line can be seen half written)
    # (the log may not exist yet: no address, not a failure under set -e)
    API_ADDR=$(log_addr 'API gateway' 2>/dev/null || true)
    PROXY_ADDR=$(log_addr 'gRPC proxy' 2>/dev/null || true)
    WEB_ADDR=$(log_addr 'web dashboard' 2>/dev/null || true)
    [[ "$API_ADDR" == *:[0-9]* && "$PROXY_ADDR" == *:[0-9]* && "$WEB_ADDR" == *:[0-9]* ]] &&
      grep -q "web dashboard listening on $WEB_ADDR\b" "$MICRO_HOME/server.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited during start"
    sleep 0.05
  done
  [ -n "$API_ADDR" ] && [ -n "$PROXY_ADDR" ] && [ -n "$WEB_ADDR" ] || fail "server did not report its addresses"
  export API_ADDR PROXY_ADDR WEB_ADDR
}

micro_start_server() {
  MICRO_HOME=$(mktemp -d /tmp/micro-it.XXXXXX)
  export MICRO_HOME
  trap micro_cleanup EXIT
  micro_launch_server "$@"
}

# expect_eq WHAT GOT WANT
expect_eq() {
  [ "$2" == "$3" ] || fail "$1: got '$2', want '$3'"
}

expect_contains() {
  case "$2" in *"$3"*) ;; *) fail "$1: '$2' does not contain '$3'" ;; esac
}

# Starts the python helloworld service (tests/integration/helloworld_service.py) and
# sets HELLO_ADDR; it is stopped with the server at exit.
HELLO_PID=""
hello_start() {
  local portfile
  portfile=$(mktemp)
  $PY "$MICRO_SRC/tests/integration/helloworld_service.py" >"$portfile" 2>"$MICRO_HOME/hello.log" &
  HELLO_PID=$!
  for _ in $(seq 1 100); do grep -q '^port ' "$portfile" && break; sleep 0.05; done
  HELLO_ADDR="127.0.0.1:$(sed -n 's/^port //p' "$portfile")"
  rm -f "$portfile"
  [ "$HELLO_ADDR" != "127.0.0.1:" ] || fail "helloworld service did not start"
  trap 'hello_stop; micro_cleanup' EXIT
}

hello_stop() {
  if [ -n "$HELLO_PID" ]; then kill "$HELLO_PID" 2>/dev/null || true; wait "$HELLO_PID" 2>/dev/null || true; fi
  HELLO_PID=""
}

# Registers helloworld at HELLO_ADDR in domain ${1:-micro}, with any extra grpc_call args
# (for example -m authorization="Bearer $TOKEN").
hello_register() {
  local domain=${1:-micro}; shift || true
  "$GRPC_CALL" "$@" "$PROXY_ADDR" /registry.Registry/Register \
    "{\"name\":\"helloworld\",\"version\":\"latest\",\"nodes\":[{\"id\":\"helloworld-1\",\"address\":\"$HELLO_ADDR\"}],\"options\":{\"ttl\":\"90\",\"domain\":\"$domain\"}}" >/dev/null \
    || fail "cannot register helloworld"
}

# The admin's access token (admin/micro) when the auth service answers, else "".
micro_admin_token() {
  curl -s -H 'Content-Type: application/json' -d '{"id":"admin","secret":"micro"}' \
    "http://$API_ADDR/auth/auth/token" |
    $PY -c 'import json,sys
try: print(json.load(sys.stdin)["token"]["access_token"])
except Exception: print("")'
}

# Crash and restart (test_store_crash.sh). micro_kill9_server kills the server with
# SIGKILL, as a crash would; micro_restart_server starts it again on the same
# MICRO_HOME (new ephemeral ports, re-exported; extra args go to `micro server`).
# Earlier logs are kept as server.log.N.
micro_kill9_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

MICRO_RESTARTS=0
micro_restart_server() {
  micro_kill9_server
  MICRO_RESTARTS=$((MICRO_RESTARTS + 1))
  mv "$MICRO_HOME/server.log" "$MICRO_HOME/server.log.$MICRO_RESTARTS"
  micro_launch_server "$@"
}

# The harness of the CLI tests (after micro_start_server): the client gets a home
# of its own (CLI_HOME) and talks to the test server; T is a scratch folder.
#   m ARGS...            runs micro
#   run ARGS...          runs micro, stdin /dev/null; stdout, stderr, exit in $T/out, $T/err, RC
#   expect WHAT RC OUT ERR   RC and both outputs byte for byte (OUT/ERR through printf %b)
#   ok ARGS...           run + expect success with no output at all
cli_harness() {
  CLI_HOME=$(mktemp -d /tmp/micro-cli.XXXXXX)
  T=$(mktemp -d /tmp/micro-cli-out.XXXXXX)
  MICRO_EXTRA_DIRS+=("$CLI_HOME" "$T")
  m() { MICRO_HOME=$CLI_HOME MICRO_PROXY=$PROXY_ADDR "$MICRO_BIN" "$@"; }
  run() { RC=0; m "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?; }
  expect() {
    printf '%b' "$3" >"$T/want_out"; printf '%b' "$4" >"$T/want_err"
    [ "$RC" == "$2" ] || fail "$1: exit $RC, want $2 (stdout: $(cat "$T/out") stderr: $(cat "$T/err"))"
    cmp -s "$T/out" "$T/want_out" || fail "$1: stdout '$(cat -A "$T/out")', want '$(cat -A "$T/want_out")'"
    cmp -s "$T/err" "$T/want_err" || fail "$1: stderr '$(cat "$T/err")', want '$(cat "$T/want_err")'"
  }
  ok() { run "$@"; expect "$*" 0 "" ""; }
}

# Faults (test_faults.sh, test_group_commit.sh). can_mount: whether this test may
# mount small tmpfs disks (root, and a kernel that lets it); integrity FILE:
# sqlite's own check of a store file (python's sqlite3, no CLI needed).
can_mount() {
  [ "$(id -u)" = 0 ] || return 1
  local probe
  probe=$(mktemp -d /tmp/micro-mnt.XXXXXX)
  if mount -t tmpfs -o size=64k tmpfs "$probe" 2>/dev/null; then
    umount "$probe"; rmdir "$probe"; return 0
  fi
  rmdir "$probe"; return 1
}
# mount_small_disk SIZE: a tmpfs of SIZE (e.g. 3m) mounted on a new folder, MNT
# (after can_mount); micro_cleanup unmounts and removes it.
mount_small_disk() {
  MNT=$(mktemp -d /tmp/micro-full.XXXXXX)
  MICRO_MOUNTS+=("$MNT")
  mount -t tmpfs -o "size=$1" tmpfs "$MNT" || fail "cannot mount a tmpfs"
}
integrity() {
  $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("pragma integrity_check").fetchone()[0])' "$1"
}

# The gateway tests' HTTP helpers (test_auth.sh, test_abuse.sh) defined by
# http_helpers: call ARGS... runs curl and prints the status (the body goes to
# $MICRO_HOME/body, which body prints); json ARGS... runs curl with a JSON
# content type; field A.B.C prints that field of the JSON on stdin.
http_helpers() {
  call() { curl -s -o "$MICRO_HOME/body" -w '%{http_code}' "$@"; }
  body() { cat "$MICRO_HOME/body"; }
  json() { curl -s -H 'Content-Type: application/json' "$@"; }
  field() { $PY -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"; }
}
