#!/usr/bin/env bash
# The runtime service with the real server: services built from file:// git
# repositories made here (default branch, a branch, a commit, a bad ref), their
# statuses, environment and logs (tail and follow), a crash restarted with
# backoff, bad sources (no build file, a failing build), Delete, a kill -9 of the
# server (children die with it and come back on restart) and SIGTERM (no child
# left). Driven with grpc_call as the admin.
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null || { echo "SKIP: git not installed"; exit 0; }
command -v cc >/dev/null || { echo "SKIP: no C compiler"; exit 0; }
micro_start_server
TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "no admin token"
W=$(mktemp -d /tmp/micro-rt.XXXXXX)
MICRO_EXTRA_DIRS+=("$W")

call() { "$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" "$@"; }
# field JSON_LINE EXPR: a python expression on the decoded answer d
field() { $PY -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# svc NAME [VERSION]: the Service JSON of NAME from Runtime.Read ("" when absent)
svc() {
  local out
  out=$(call /runtime.Runtime/Read "{\"options\":{\"service\":\"$1\",\"version\":\"${2:-}\"}}") || fail "Read: $out"
  $PY -c 'import json,sys; s=json.loads(sys.argv[1]).get("services") or []; print(json.dumps(s[0]) if s else "")' "$out"
}
status_of() { local s; s=$(svc "$@"); [ -n "$s" ] && field "$s" 'd["status"]' || echo none; }
md_of() { local s; s=$(svc "$1" "${3:-}"); field "$s" "d['metadata'].get('$2','')"; }
# wait_status NAME STATUS [VERSION]: waits up to 60 s
wait_status() {
  local st=""
  for _ in $(seq 1 600); do
    st=$(status_of "$1" "${3:-}")
    [ "$st" == "$2" ] && return 0
    sleep 0.1
  done
  fail "$1: status $st, want $2 ($(svc "$1" "${3:-}"))"
}
create() {  # create NAME VERSION SOURCE [OPTIONS_JSON]
  local out
  out=$(call /runtime.Runtime/Create "{\"resource\":{\"service\":{\"name\":\"$1\",\"version\":\"$2\",\"source\":\"$3\"}},\"options\":${4:-{\}}}") ||
    fail "Create $1: $out"
}

# ---- a repository: main runs and ticks, branch crashy exits 3, tag v1 = first commit
R=$W/repo
mkdir -p "$R"
cat >"$R/main.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static const char *env(const char *k) { const char *v = getenv(k); return v ? v : "-"; }
int main(void)
{
    printf("hello pgid=%d name=%s version=%s ns=%s proxy=%s id=%s profile=%s foo=%s secret=%s\n",
           (int)getpgid(0), env("MICRO_SERVICE_NAME"), env("MICRO_SERVICE_VERSION"),
           env("MICRO_NAMESPACE"), env("MICRO_PROXY"), env("MICRO_AUTH_ID"), env("MICRO_PROFILE"),
           env("FOO"), getenv("MICRO_AUTH_SECRET") && *getenv("MICRO_AUTH_SECRET") ? "set" : "-");
    fflush(stdout);
    for (int i = 0;; i++) {
        printf("tick %d\n", i);
        fflush(stdout);
        usleep(100000);
    }
}
EOF
printf 'all:\n\tcc -o svc main.c && cp svc crashy && cp svc atcommit\n' >"$R/Makefile"
git -C "$R" init -q -b main
git -C "$R" -c user.email=t@t -c user.name=t add . >/dev/null
git -C "$R" -c user.email=t@t -c user.name=t commit -qm first
FIRST=$(git -C "$R" rev-parse HEAD)
git -C "$R" tag v1
git -C "$R" checkout -qb crashy
printf '#include <stdio.h>\nint main(void) { puts("crashing"); return 3; }\n' >"$R/main.c"
git -C "$R" -c user.email=t@t -c user.name=t commit -qam crash
git -C "$R" checkout -q main
echo '/* second */' >>"$R/main.c"
git -C "$R" -c user.email=t@t -c user.name=t commit -qam second
SECOND=$(git -C "$R" rev-parse HEAD)

# ---- default branch: pending/building → running, metadata, environment, logs
create svc latest "file://$R" '{"env":["FOO=bar"]}'
wait_status svc 4
expect_eq "build of default branch" "$(md_of svc build)" "$SECOND"
expect_eq "typed source" "$(md_of svc source)" "file://$R"
expect_eq "owner" "$(md_of svc owner)" "admin"
expect_eq "group" "$(md_of svc group)" "micro"
LOG=$MICRO_HOME/logs/micro/svc.log
[ -f "$LOG" ] || fail "no log file $LOG"
HELLO=$(grep '^hello' "$LOG" | head -1)
expect_contains "environment" "$HELLO" "name=svc version=latest ns=micro proxy=$PROXY_ADDR id=svc-latest profile=service foo=bar secret=set"
PGID=$(sed -n 's/^hello pgid=\([0-9]*\).*/\1/p' "$LOG" | head -1)
[ -n "$PGID" ] && pgrep -g "$PGID" >/dev/null || fail "service process group $PGID not running"
expect_eq "Create again is a no-op" "$(create svc latest "file://$R"; status_of svc)" "4"

# Logs: the last 2 lines, then following for a while
OUT=$(call /runtime.Runtime/Logs '{"service":"svc","count":2}') || fail "Logs: $OUT"
expect_eq "Logs count" "$(echo "$OUT" | wc -l)" "2"
expect_contains "Logs record" "$(echo "$OUT" | tail -1)" '"message":"tick '
OUT=$("$GRPC_CALL" -t 1500 -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /runtime.Runtime/Logs '{"service":"svc","count":1,"stream":true}' || true)
N=$(echo "$OUT" | grep -c '"message":"tick ' || true)
[ "$N" -ge 5 ] || fail "Logs stream: only $N records in 1.5 s: $OUT"
expect_contains "Logs stream ends at the deadline" "$(echo "$OUT" | tail -1)" "DEADLINE_EXCEEDED"
OUT=$(call /runtime.Runtime/Logs '{"service":"nope"}' || true)
expect_eq "Logs of an unknown service" "$OUT" "$(printf 'NOT_FOUND\t{"id":"runtime.Runtime.Logs","code":404,"detail":"service not found","status":"Not Found"}')"
# Logs since: the lines of the last second only (the log's time index), with or
# without a count; the whole log without since
for _ in $(seq 1 100); do [ "$(grep -c '^tick' "$LOG")" -ge 40 ] && break; sleep 0.1; done
ALL=$(call /runtime.Runtime/Logs '{"service":"svc"}' | wc -l)
RECENT=$(call /runtime.Runtime/Logs '{"service":"svc","since":1}' | grep -c '"message":"tick ' || true)
[ "$ALL" -ge 40 ] || fail "Logs without since: $ALL lines, want the whole log"
[ "$RECENT" -ge 1 ] && [ "$RECENT" -le 25 ] || fail "Logs since 1 s: $RECENT lines of $ALL"
expect_eq "Logs since with a count" "$(call /runtime.Runtime/Logs '{"service":"svc","since":1,"count":1}' | wc -l)" "1"
[ -s "$LOG.idx" ] || fail "no time index beside the log"
# Runtime changes go out on events topic "runtime": created, then each status
runtime_events() {
  call /events.Store/Read '{"topic":"runtime","limit":1000}' | $PY -c '
import base64, json, sys
for line in sys.stdin:
    for e in json.loads(line).get("events") or []:
        p = json.loads(base64.b64decode(e["payload"]))
        md = e.get("metadata") or {}
        assert md.get("type") == p["type"] and md.get("namespace") == p["namespace"], e
        print(p["type"], p["service"]["name"], p["service"]["status"])'
}
EV=$(runtime_events) || fail "events topic runtime: $EV"
expect_contains "event created" "$EV" "service.created svc 1"
expect_contains "event building" "$EV" "service.status svc 2"
expect_contains "event running" "$EV" "service.status svc 4"
# Build.Read: the build log
OUT=$(call /runtime.Build/Read '{"name":"svc","version":"latest"}') || fail "Build.Read: $OUT"
expect_contains "Build.Read" "$($PY -c 'import base64,json,sys; print("".join(base64.b64decode(json.loads(l)["data"]).decode() for l in sys.stdin))' <<<"$OUT")" "cc -o svc main.c"

# ---- @branch that crashes: error with retries, restarted with backoff
create crashy v2 "file://$R@crashy"
wait_status crashy 7 v2
for _ in $(seq 1 100); do
  [ "$(md_of crashy retries v2)" -ge 2 ] && break
  sleep 0.1
done
[ "$(md_of crashy retries v2)" -ge 2 ] || fail "crashy was not restarted: $(svc crashy v2)"
expect_contains "crash error" "$(md_of crashy error v2)" "process exited with status 3; restart "
[ "$(grep -c '^crashing' "$MICRO_HOME/logs/micro/crashy.log")" -ge 2 ] || fail "crashy ran once only"

# ---- @commit, and a tag as the version
create atcommit latest "file://$R@$FIRST"
wait_status atcommit 4
expect_eq "build of @commit" "$(md_of atcommit build)" "$FIRST"
# the ref as the version, the source without it (what upstream's CLI sends)
create atcommit v1 "file://$R"
wait_status atcommit 4 v1
expect_eq "build of @tag" "$(md_of atcommit build v1)" "$FIRST"

# ---- bad inputs: each ends in error with a reason, nothing else breaks
create badref latest "file://$R@nope"
wait_status badref 7
expect_eq "bad ref" "$(md_of badref error)" "git ref nope not found in file://$R"
create norepo latest "file://$W/missing"
wait_status norepo 7
expect_contains "missing repository" "$(md_of norepo error)" "cannot clone file://$W/missing: "
mkdir -p "$W/nobuild" && echo hi >"$W/nobuild/README"
git -C "$W/nobuild" init -q -b main && git -C "$W/nobuild" add . && git -C "$W/nobuild" -c user.email=t@t -c user.name=t commit -qm x
create nobuild latest "file://$W/nobuild"
wait_status nobuild 7
expect_eq "no build file" "$(md_of nobuild error)" "no CMakeLists.txt or Makefile in file://$W/nobuild"
mkdir -p "$W/badbuild" && printf 'all:\n\t@echo compiling; echo "oops: syntax error" >&2; false\n' >"$W/badbuild/Makefile"
git -C "$W/badbuild" init -q -b main && git -C "$W/badbuild" add . && git -C "$W/badbuild" -c user.email=t@t -c user.name=t commit -qm x
create badbuild latest "file://$W/badbuild"
wait_status badbuild 7
expect_contains "failing build" "$(md_of badbuild error)" "build failed (exited with status 2): compiling; oops: syntax error; make: *** [Makefile:2: all] Error 1"
OUT=$(call /runtime.Runtime/Create '{"resource":{"service":{"name":"local","source":"./here"}}}' || true)
expect_contains "local path refused" "$OUT" "local paths are not accepted by the server"
OUT=$(call /runtime.Runtime/Create '{"resource":{"service":{"name":"../x","source":"file:///x"}}}' || true)
expect_contains "bad name refused" "$OUT" "INVALID_ARGUMENT"
expect_eq "svc still running" "$(status_of svc)" "4"

# ---- Delete: the process and the record go
OUT=$(call /runtime.Runtime/Delete '{"resource":{"service":{"name":"atcommit","version":"v1"}}}') || fail "Delete: $OUT"
for _ in $(seq 1 100); do [ "$(status_of atcommit v1)" == none ] && break; sleep 0.1; done
expect_eq "deleted" "$(status_of atcommit v1)" "none"
[ ! -d "$MICRO_HOME/runtime/micro/atcommit/v1" ] || fail "source folder of a deleted service left"
expect_contains "event deleted" "$(runtime_events)" "service.deleted atcommit"
OUT=$(call /runtime.Runtime/Delete '{"resource":{"service":{"name":"atcommit","version":"v1"}}}' || true)
expect_eq "Delete twice" "$OUT" "$(printf 'NOT_FOUND\t{"id":"runtime.Runtime.Delete","code":404,"detail":"service not found","status":"Not Found"}')"

# ---- kill -9 of the server: its children die; a restart brings them back
# (the in-memory test profile keeps no records across a restart: there, only SIGTERM)
if [ "${MICRO_TEST_PROFILE:-local}" != test ]; then
  micro_kill9_server
  for _ in $(seq 1 50); do pgrep -g "$PGID" >/dev/null || break; sleep 0.1; done
  pgrep -g "$PGID" >/dev/null && fail "service survived kill -9 of the server"
  micro_restart_server
  TOKEN=$(micro_admin_token)
  wait_status svc 4
  expect_eq "error services stay in error" "$(status_of badref)" "7"
  PGID2=$(sed -n 's/^hello pgid=\([0-9]*\).*/\1/p' "$LOG" | tail -1)
  [ "$PGID2" != "$PGID" ] && pgrep -g "$PGID2" >/dev/null || fail "svc not restarted after kill -9"
  expect_contains "new proxy address" "$(grep '^hello' "$LOG" | tail -1)" "proxy=$PROXY_ADDR "
else
  PGID2=$PGID
fi

# ---- SIGTERM: every child stops
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
pgrep -g "$PGID2" >/dev/null && fail "service left running after SIGTERM"
PGID3=$(sed -n 's/^hello pgid=\([0-9]*\).*/\1/p' "$MICRO_HOME/logs/micro/atcommit.log" | tail -1)
[ -z "$PGID3" ] || ! pgrep -g "$PGID3" >/dev/null || fail "atcommit left running after SIGTERM"
echo "PASS test_runtime"
