#!/usr/bin/env bash
# `micro run`, `status`, `logs`, `update` and `kill` against the real server
# (spec §3.2, §3.5, §3.7, §10) with services that need no libmicro: a
# Makefile turns a shell script into the executable `./<name>`, which the
# runtime builds and runs like any user service. Covers a local folder
# (packed and uploaded), a git repository by file:// URL with @branch and
# @commit, --env_vars, the status table, logs (-n, -o json, -f), kill, the
# errors of a folder with no build file, a failing build and a git URL that
# does not exist, and the progress indicator on a terminal.
. "$(dirname "$0")/lib.sh"

micro_start_server
cli_harness
SRC=$(mktemp -d /tmp/micro-run-src.XXXXXX)
MICRO_EXTRA_DIRS+=("$SRC")

# A service of a Makefile and a script: it prints its environment and a few
# lines, then waits for SIGTERM. make_service DIR NAME
make_service() {
  mkdir -p "$1"
  cat >"$1/$2.sh" <<EOF
#!/bin/sh
trap 'echo "$2 stopping"; exit 0' TERM INT
echo "$2 starting name=\$MICRO_SERVICE_NAME version=\$MICRO_SERVICE_VERSION ns=\$MICRO_NAMESPACE foo=\$FOO"
for i in 1 2 3; do echo "$2 line \$i"; done
while :; do sleep 0.1; done
EOF
  printf '%s: %s.sh\n\tcp %s.sh %s && chmod +x %s\n' "$2" "$2" "$2" "$2" "$2" >"$1/Makefile"
}

# wait_status NAME STATUS [VERSION]: polls `micro status NAME VERSION` until its
# row shows STATUS.
wait_status() {
  for _ in $(seq 1 300); do
    m status "$1" "${3:-latest}" 2>/dev/null |
      awk -v n="$1" -v s="$2" '$1 == n && $4 == s { f = 1 } END { exit !f }' && return 0
    sleep 0.1
  done
  fail "$1 never became $2: $(m status 2>&1)"
}

# wait_logs NAME TEXT: polls `micro logs NAME` until TEXT shows up.
wait_logs() {
  for _ in $(seq 1 100); do
    m logs "$1" 2>/dev/null | grep -qF -- "$2" && return 0
    sleep 0.1
  done
  fail "no '$2' in the logs of $1: $(m logs "$1" 2>&1)"
}

# `micro status` with its times masked: "12s ago" -> "Ns ago"
status_masked() { run status "$@"; sed -E 's/[0-9]+s ago/Ns ago/' "$T/out" >"$T/masked"; }

run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""

# --- nothing runs yet: no output at all (the transcript's step)
ok status

# --- client-side errors: nothing reaches the server
run run "$SRC/nope"; expect "missing folder" 128 "" "No folder at $SRC/nope\n"
mkdir -p "$SRC/bad name"
run run "$SRC/bad name"; expect "bad name" 128 "" "Invalid service name 'bad name': set one with --name\n"
run run --metadata x "$SRC/bad name"; expect "bad metadata" 128 "" "Invalid metadata 'x': expected key=value\n"
run run github.com/onlyorg; expect "bad git source" 128 "" "Invalid source 'github.com/onlyorg': expected host/org/repo[/folder]\n"
run run; expect "run without a source shows help" 0 "$(m run --help)\n" ""

# --- a local folder: uploaded, built, running; `micro run` prints nothing
make_service "$SRC/ticker" ticker
mkdir -p "$SRC/ticker/.git" "$SRC/ticker/build"
echo junk >"$SRC/ticker/build/junk"
(cd "$SRC" && ok run ./ticker --env_vars FOO=bar)
wait_status ticker running
status_masked
cmp -s "$T/masked" <(printf 'NAME\tVERSION\tSOURCE\t\tSTATUS\tBUILD\tUPDATED\tMETADATA\nticker\tlatest\t./ticker\trunning\tn/a\tNs ago\towner=admin, group=micro\n') ||
  fail "status table: $(cat -A "$T/out")"
# NAME and VERSION: the service by its folder
status_masked ticker
grep -q '^ticker	latest	./ticker	running' "$T/masked" || fail "status ticker: $(cat "$T/out")"
run status "$SRC/ticker" latest
grep -q '^ticker	' "$T/out" || fail "status by folder: $(cat "$T/out")"
run status nosuch
expect "status of an unknown service" 0 "" ""

# --- logs: the environment of spec §10 and --env_vars reached the service
wait_logs ticker "ticker line 3"
run logs ticker
expect_contains "logs" "$(cat "$T/out")" "ticker starting name=ticker version=latest ns=micro foo=bar"
expect_contains "logs" "$(cat "$T/out")" $'ticker line 1\nticker line 2\nticker line 3'
run logs ticker -n 1
expect "logs -n 1" 0 "ticker line 3\n" ""
run logs ticker -n 1 -o json
expect "logs -o json" 0 '{"Message":"ticker line 3","Metadata":null}\n' ""
run logs nosuch
expect "logs of an unknown service" 1 "" "Service not found\n"
# --since: the ticker printed its lines at start and nothing since
run logs ticker --since 1h
expect_contains "logs --since 1h" "$(cat "$T/out")" "ticker line 3"
sleep 2.2
run logs ticker --since 1s
expect "logs --since 1s: nothing that recent" 0 "" ""
run logs ticker --since soon
expect "logs --since bad" 128 "" "Invalid --since: time: invalid duration \"soon\"\n"
# -f keeps following until stopped
m logs ticker -f >"$T/follow" 2>&1 </dev/null &
FOLLOW=$!
sleep 1
kill -0 "$FOLLOW" 2>/dev/null || fail "logs -f ended: $(cat "$T/follow")"
kill "$FOLLOW"; wait "$FOLLOW" 2>/dev/null || true
grep -q 'ticker line 3' "$T/follow" || fail "logs -f printed: $(cat "$T/follow")"

# --- update restarts it from the folder again
(cd "$SRC" && ok update ./ticker)
wait_status ticker running

# --- kill: gone from status
ok kill ticker
for _ in $(seq 1 100); do [ -z "$(m status)" ] && break; sleep 0.1; done
run status; expect "status after kill" 0 "" ""

# --- errors shown by status: no build file, a failing build, a missing repository
mkdir -p "$SRC/empty"; echo 'nothing to build' >"$SRC/empty/README"
ok run "$SRC/empty"
wait_status empty error
run status empty
expect_contains "no build file" "$(cat "$T/out")" "error=no CMakeLists.txt or Makefile in"
mkdir -p "$SRC/broken"; printf 'broken:\n\t@echo compiling broken; exit 3\n' >"$SRC/broken/Makefile"
ok run "$SRC/broken"
wait_status broken error
run status broken
grep -q '^broken	.*error=.' "$T/out" || fail "failing build: $(cat "$T/out")"
ok run "file://$SRC/no-such-repo"
wait_status no-such-repo error
ok kill empty; ok kill broken; ok kill no-such-repo

# --- a terminal shows the progress and the reason of a failure (exit 1)
if command -v script >/dev/null; then
  RC=0
  MICRO_HOME=$CLI_HOME MICRO_PROXY=$PROXY_ADDR script -qec "'$MICRO_BIN' run '$SRC/broken'" /dev/null \
    >"$T/tty" </dev/null || RC=$?
  expect_eq "tty run of a failing build: exit" "$RC" 1
  grep -q 'Uploading broken' "$T/tty" || fail "no upload progress: $(cat -A "$T/tty")"
  grep -q 'broken failed: ' "$T/tty" || fail "no failure reason: $(cat -A "$T/tty")"
  ok kill broken
fi

# --- a git repository: @branch and @commit
REPO=$SRC/gitsvc
make_service "$REPO" gitsvc
git -C "$REPO" init -q -b main
git -C "$REPO" -c user.email=t@t -c user.name=t add -A
git -C "$REPO" -c user.email=t@t -c user.name=t commit -qm one
git -C "$REPO" checkout -q -b dev
sed -i 's/line \$i/dev line $i/' "$REPO/gitsvc.sh"
git -C "$REPO" -c user.email=t@t -c user.name=t commit -qam two
COMMIT=$(git -C "$REPO" rev-parse main)
# a ref the repository does not have: an error in status, nothing else breaks
ok run "file://$REPO@no-such-branch"
wait_status gitsvc error no-such-branch
ok kill gitsvc@no-such-branch
ok run "file://$REPO@dev"
wait_status gitsvc running dev
run status gitsvc dev
grep -q "^gitsvc	dev	file://$REPO@dev	running	$(git -C "$REPO" rev-parse --short=7 dev)	" "$T/out" ||
  fail "git status: $(cat "$T/out")"
wait_logs gitsvc@dev "gitsvc dev line 3"
ok run "file://$REPO@$COMMIT"
wait_status gitsvc running "$COMMIT"
run status gitsvc "$COMMIT"
grep -q "^gitsvc	$COMMIT	.*running	${COMMIT:0:7}	" "$T/out" || fail "status @commit: $(cat "$T/out")"
ok kill "gitsvc@dev"
ok kill "gitsvc@$COMMIT"
for _ in $(seq 1 100); do [ -z "$(m status)" ] && break; sleep 0.1; done
run status; expect "all killed" 0 "" ""
# --- run --watch: an edited source is uploaded again and the service restarted
mkdir -p "$SRC/watched"
printf '#!/bin/sh\n' >"$SRC/watched/run.sh"
printf 'echo "watched version one"; while :; do sleep 0.1; done\n' >"$SRC/watched/msg.h"
printf 'watched: run.sh msg.h\n\tcat run.sh msg.h >watched && chmod +x watched\n' >"$SRC/watched/Makefile"
run run "$SRC/nope" --watch; expect "watch of a missing folder" 128 "" "No folder at $SRC/nope\n"
run run "file://$SRC/watched" --watch; expect "watch of a repository" 128 "" "--watch needs a local folder, not file://$SRC/watched\n"
(cd "$SRC" && m run ./watched --watch --watch_delay 100 >"$T/watch.out" 2>"$T/watch.err") &
WATCHER=$!
wait_logs watched "watched version one"
grep -q "Watching .*watched for changes" "$T/watch.err" || fail "run --watch said: $(cat "$T/watch.err")"
sleep 0.2
printf 'echo "watched version two"; while :; do sleep 0.1; done\n' >"$SRC/watched/msg.h"
wait_logs watched "watched version two"
wait_status watched running
grep -q "Change detected in .*watched, restarting watched" "$T/watch.err" || fail "no change reported: $(cat "$T/watch.err")"
# a file that is not a source (an editor's backup) changes nothing
touch "$SRC/watched/msg.h~"; sleep 0.5
[ "$(grep -c 'Change detected' "$T/watch.err")" = 1 ] || fail "restarted for a non-source: $(cat "$T/watch.err")"
# (a background job ignores SIGINT in a script, so the test stops it with SIGTERM)
pkill -TERM -P "$WATCHER" || fail "no run --watch process"
for _ in $(seq 1 50); do kill -0 "$WATCHER" 2>/dev/null || break; sleep 0.1; done
kill -0 "$WATCHER" 2>/dev/null && fail "run --watch still running after SIGTERM"
ok kill watched

echo "cli run: ok"
