# shellcheck shell=bash
# Sourced by the bench/run-* scripts: the helpers they all need. The caller sets
# LOAD_PID="" (bounded keeps its load step there, for the caller's cleanup) and
# may set BOUNDED_LIMIT (seconds a load step may take; 300 by default).
BENCH_NAME=$(basename "$0")
LOAD_PID=""

# stop_pid PID [TENTHS]: SIGTERM, up to TENTHS tenths of a second (50) to exit, then SIGKILL.
stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 "${2:-50}"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# need_num FLAG VALUE LO HI: VALUE is an integer in LO..HI, else a usage error (exit 2).
need_num() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || (( $2 < $3 || $2 > $4 )); then
    echo "$BENCH_NAME: $1 wants $3..$4" >&2; exit 2
  fi
}

# free_port: a TCP port free on 127.0.0.1 just now (for peers that cannot take port 0).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bounded CMD...: one load step in the background, at most BOUNDED_LIMIT seconds, so
# that a signal reaches the caller's trap at once (LOAD_PID is the step meanwhile).
bounded() {
  timeout "${BOUNDED_LIMIT:-300}" "$@" &
  LOAD_PID=$!
  local rc=0
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  return $rc
}

# rss_mib PID: the resident memory of PID in MiB, one decimal.
rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
