#!/usr/bin/env bash
# What `micro run`, `update`, `kill`, `status` and `logs` send and print, with
# the CLI pointed straight at a stand-in for the runtime endpoints
# (runtime_fake.py, which logs every request): the Source.Upload client
# stream (the archive's entries, the service on the first message, 64 KiB
# chunks), Runtime.Create/Update/Delete/Read/Logs bodies for every flag and
# kind of source (folder, URL, host/org/repo, short name under git.baseurl),
# the status table and log lines from canned answers, and the progress on a
# terminal. The real runtime is tested in test_cli_run.sh.
set -euo pipefail
: "${MICRO_BIN:?MICRO_BIN must point at the micro binary}"
: "${MICRO_SRC:?MICRO_SRC must point at the source tree}"
PY=/usr/bin/python3
W=$(mktemp -d /tmp/micro-run-wire.XXXXXX)
FAKE_PID=""
cleanup() {
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$W/fake" "$W/home"
FAKE_DIR=$W/fake $PY "$MICRO_SRC/tests/integration/runtime_fake.py" >"$W/port" 2>"$W/fake.log" &
FAKE_PID=$!
for _ in $(seq 1 100); do grep -q '^port ' "$W/port" && break; sleep 0.05; done
PORT=$(sed -n 's/^port //p' "$W/port")
[ -n "$PORT" ] || fail "the fake runtime did not start: $(cat "$W/fake.log")"
m() { MICRO_HOME=$W/home MICRO_PROXY=127.0.0.1:$PORT "$MICRO_BIN" "$@"; }
run() { RC=0; m "$@" >"$W/out" 2>"$W/err" </dev/null || RC=$?; }
expect() { # WHAT RC OUT ERR (printf %b)
  [ "$RC" == "$2" ] || fail "$1: exit $RC, want $2 (stderr: $(cat "$W/err"))"
  cmp -s "$W/out" <(printf '%b' "$3") || fail "$1: stdout '$(cat -A "$W/out")'"
  cmp -s "$W/err" <(printf '%b' "$4") || fail "$1: stderr '$(cat "$W/err")'"
}
ok() { run "$@"; expect "$*" 0 "" ""; }
# last_request: the last request the fake got, as sorted JSON
last_request() { tail -1 "$W/fake/requests"; }
expect_request() { # WHAT JSON
  local got; got=$(last_request)
  [ "$got" == "$2" ] || fail "$1: request $got, want $2"
}

# --- a local folder: packed without .git, .micro and build/, uploaded, created
S=$W/src/hello
mkdir -p "$S/proto" "$S/.git" "$S/.micro/build" "$S/build"
echo 'project(hello C)' >"$S/CMakeLists.txt"
echo 'syntax = "proto3";' >"$S/proto/hello.proto"
head -c 200000 /dev/zero | tr '\0' 'x' >"$S/big.txt"
echo ref >"$S/.git/HEAD"; echo o >"$S/build/o"; echo o >"$S/.micro/build/o"
ln -s /etc/passwd "$S/link"
(cd "$W/src" && ok run ./hello --env_vars 'A=1, B=2' --env_vars C=3 --metadata k=v -i 2 --force)
tail -2 "$W/fake/requests" | head -1 >"$W/upload.req"
[ "$(cat "$W/upload.req")" == '{"method": "Source.Upload", "req": {"bytes": 204288, "messages": 4, "service": {"name": "hello", "version": "latest"}}}' ] ||
  fail "upload: $(cat "$W/upload.req")"
expect_request "create from a folder" '{"method": "Runtime.Create", "req": {"options": {"env": ["A=1", "B=2", "C=3"], "force": true, "instances": 2, "namespace": "micro"}, "resource": {"service": {"metadata": {"k": "v", "source": "./hello"}, "name": "hello", "source": "source://hello:latest", "version": "latest"}}}}'
[ "$(tar -tf "$W/fake/upload.tar" | tr '\n' ' ')" == "CMakeLists.txt big.txt proto/ proto/hello.proto " ] ||
  fail "archive: $(tar -tf "$W/fake/upload.tar")"
tar -xOf "$W/fake/upload.tar" big.txt | cmp -s - "$S/big.txt" || fail "big.txt changed on the way"

# "." is named after the folder; --name, --entrypoint, --command, --args, --type
(cd "$S" && ok run . --name hw --entrypoint sub --command "a b" --args "c  d" --type svc)
expect_request "create with every option" '{"method": "Runtime.Create", "req": {"options": {"args": ["c", "d"], "command": ["a", "b"], "entrypoint": "sub", "instances": 1, "namespace": "micro", "type": "svc"}, "resource": {"service": {"metadata": {"source": "."}, "name": "hw", "source": "source://hw:latest", "version": "latest"}}}}'

# --- git sources go to the runtime as they are, the @ref as the version
ok run github.com/micro/services/helloworld@abc123
expect_request "host/org/repo/folder@ref" '{"method": "Runtime.Create", "req": {"options": {"entrypoint": "helloworld", "instances": 1, "namespace": "micro"}, "resource": {"service": {"metadata": {"source": "github.com/micro/services/helloworld@abc123"}, "name": "helloworld", "source": "https://github.com/micro/services", "version": "abc123"}}}}'
ok run "file:///srv/git/greeter.git@dev"
expect_request "file URL" '{"method": "Runtime.Create", "req": {"options": {"instances": 1, "namespace": "micro"}, "resource": {"service": {"metadata": {"source": "file:///srv/git/greeter.git@dev"}, "name": "greeter", "source": "file:///srv/git/greeter.git", "version": "dev"}}}}'
ok run helloworld
expect_request "short name" '{"method": "Runtime.Create", "req": {"options": {"entrypoint": "helloworld", "instances": 1, "namespace": "micro"}, "resource": {"service": {"metadata": {"source": "helloworld"}, "name": "helloworld", "source": "https://github.com/micro/services", "version": "latest"}}}}'
ok user config set git.baseurl example.com/org/repo
ok run invite@v2
expect_request "git.baseurl" '{"method": "Runtime.Create", "req": {"options": {"entrypoint": "invite", "instances": 1, "namespace": "micro"}, "resource": {"service": {"metadata": {"source": "invite@v2"}, "name": "invite", "source": "https://example.com/org/repo", "version": "v2"}}}}'
ok user config set git.local.baseurl file:///srv/git
ok run invite
expect_request "git.<env>.baseurl first" '{"method": "Runtime.Create", "req": {"options": {"instances": 1, "namespace": "micro"}, "resource": {"service": {"metadata": {"source": "invite"}, "name": "invite", "source": "file:///srv/git/invite", "version": "latest"}}}}'

# --- errors before anything is sent
N=$(wc -l <"$W/fake/requests")
run run "$W/nope"; expect "missing folder" 128 "" "No folder at $W/nope\n"
run run --metadata novalue "$S"; expect "bad metadata" 128 "" "Invalid metadata 'novalue': expected key=value\n"
run run github.com/x; expect "bad source" 128 "" "Invalid source 'github.com/x': expected host/org/repo[/folder]\n"
run run helloworld@; expect "empty ref" 128 "" "Invalid version in 'helloworld@'\n"
run run a b; [ "$RC" == 1 ] || fail "two sources: exit $RC"
[ "$(wc -l <"$W/fake/requests")" == "$N" ] || fail "a refused run reached the runtime: $(last_request)"

# --- status: the table of spec §3.5 from a canned answer
ok status
expect_request "status" '{"method": "Runtime.Read", "req": {"options": {"namespace": "micro"}}}'
STARTED=$(date -u -d '-5 sec' +%Y-%m-%dT%H:%M:%SZ)
cat >"$W/fake/read.json" <<EOF
{"services":[{"name":"zeta","version":"latest","source":"source://zeta:latest","status":4,
  "metadata":{"source":"./zeta","owner":"admin","group":"micro","started":"$STARTED"}},
 {"name":"broken","version":"v1","source":"https://github.com/a/b","status":7,
  "metadata":{"error":"no CMakeLists.txt or Makefile in /src","build":"0123456789abcdef"}},
 {"name":"alpha","status":2}]}
EOF
run status
sed -E 's/[0-9]s ago/Ns ago/' "$W/out" >"$W/masked"
cmp -s "$W/masked" <(printf '%s\n' \
  $'NAME\tVERSION\tSOURCE\t\t\tSTATUS\t\tBUILD\tUPDATED\tMETADATA' \
  $'alpha\tn/a\tn/a\t\t\tbuilding\tn/a\tunknown\towner=n/a, group=n/a' \
  $'broken\tv1\thttps://github.com/a/b\terror\t\t0123456\tunknown\towner=n/a, group=n/a, error=no CMakeLists.txt or Makefile in /src' \
  $'zeta\tlatest\t./zeta\t\t\trunning\t\tn/a\tNs ago\towner=admin, group=micro') ||
  fail "status table: $(cat -A "$W/out")"
run status ./zeta v3
expect_request "status NAME VERSION" '{"method": "Runtime.Read", "req": {"options": {"namespace": "micro", "service": "zeta", "version": "v3"}}}'
run status --type=svc github.com/micro/services/helloworld
expect_request "status of a source" '{"method": "Runtime.Read", "req": {"options": {"namespace": "micro", "service": "helloworld", "type": "svc", "version": "latest"}}}'

# --- logs
printf '%s\n' '{"message":"Starting [service] zeta"}' '{"message":"a <b>","metadata":{"k":"v"}}' >"$W/fake/logs.json"
run logs zeta; expect "logs" 0 'Starting [service] zeta\na <b>\n' ""
expect_request "logs request" '{"method": "Runtime.Logs", "req": {"count": 15, "options": {"namespace": "micro"}, "service": "zeta", "stream": false}}'
run logs zeta@v2 -n 3 -o json --since 1h30m -f
expect "logs json" 0 '{"Message":"Starting [service] zeta","Metadata":null}\n{"Message":"a \\u003cb\\u003e","Metadata":{"k":"v"}}\n' ""
expect_request "logs flags" '{"method": "Runtime.Logs", "req": {"count": 3, "options": {"namespace": "micro"}, "service": "zeta", "since": 5400, "stream": true, "version": "v2"}}'
run logs nope; expect "logs of an unknown service" 1 "" "Service not found\n"
run logs zeta --since yesterday; expect "bad --since" 128 "" "Invalid --since: time: invalid duration \"yesterday\"\n"

# --- kill
ok kill zeta@v2
expect_request "kill name@version" '{"method": "Runtime.Delete", "req": {"options": {"namespace": "micro"}, "resource": {"service": {"name": "zeta", "version": "v2"}}}}'
(cd "$S" && ok kill .)
expect_request "kill ." '{"method": "Runtime.Delete", "req": {"options": {"namespace": "micro"}, "resource": {"service": {"name": "hello", "version": "latest"}}}}'
ok kill github.com/micro/services/helloworld
expect_request "kill a source" '{"method": "Runtime.Delete", "req": {"options": {"namespace": "micro"}, "resource": {"service": {"name": "helloworld", "version": "latest"}}}}'

# --- update: a name reuses the source the service was started from
cat >"$W/fake/read.json" <<'EOF'
{"services":[{"name":"hw","version":"latest","status":4,"metadata":{"source":"example.com/org/repo/helloworld@dev"}}]}
EOF
ok update hw
expect_request "update by name" '{"method": "Runtime.Update", "req": {"options": {"entrypoint": "helloworld", "namespace": "micro"}, "resource": {"service": {"metadata": {"source": "example.com/org/repo/helloworld@dev"}, "name": "hw", "source": "https://example.com/org/repo", "version": "dev"}}}}'
(cd "$W/src" && ok update ./hello -i 3)
expect_request "update a folder" '{"method": "Runtime.Update", "req": {"options": {"instances": 3, "namespace": "micro"}, "resource": {"service": {"metadata": {"source": "./hello"}, "name": "hello", "source": "source://hello:latest", "version": "latest"}}}}'

# --- on a terminal: progress while uploading and building, then the error
if command -v script >/dev/null; then
  cat >"$W/fake/read.json" <<'EOF'
{"services":[{"name":"hello","version":"latest","status":7,"metadata":{"error":"build failed: exit status 2"}}]}
EOF
  RC=0
  MICRO_HOME=$W/home MICRO_PROXY=127.0.0.1:$PORT script -qec "'$MICRO_BIN' run '$S'" /dev/null \
    >"$W/tty" </dev/null || RC=$?
  [ "$RC" == 1 ] || fail "tty run: exit $RC ($(cat -A "$W/tty"))"
  [ "$(cat "$W/tty")" == $'Uploading hello (200 KiB)...\r\e[K\r\e[Khello failed: Build failed: exit status 2\r' ] ||
    fail "tty run: $(cat -A "$W/tty")"
fi
echo "cli run wire: ok"
