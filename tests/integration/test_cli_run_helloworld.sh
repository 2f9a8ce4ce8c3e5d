#!/usr/bin/env bash
# The quickstart ("Start helloworld") with the local example and the real
# `micro`: run ./examples/helloworld (built on the server against libmicro,
# found through PKG_CONFIG_PATH), status shows it running, services lists it,
# the dynamic command and the HTTP gateway call it, logs shows its start, kill
# removes it. Then the same from a service made by `micro new`, unedited.
. "$(dirname "$0")/lib.sh"
: "${MICRO_BUILD:?MICRO_BUILD must point at the build tree}"
# the runtime hands its environment to the builds: libmicro without installing it
export PKG_CONFIG_PATH=$MICRO_BUILD/pkgconfig-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

micro_start_server
cli_harness
WORK=$(mktemp -d /tmp/micro-run-hw.XXXXXX)
MICRO_EXTRA_DIRS+=("$WORK")
cp -r "$MICRO_SRC/examples/helloworld" "$WORK/helloworld"
rm -rf "$WORK/helloworld/.micro" "$WORK/helloworld/build"

# wait_running NAME: a build with cmake takes a while, on a loaded machine longer
wait_running() {
  for _ in $(seq 1 1200); do
    m status "$1" 2>/dev/null | awk -v n="$1" '$1 == n && $4 == "running" { f = 1 } END { exit !f }' && return 0
    m status "$1" 2>/dev/null | awk -v n="$1" '$1 == n && $4 == "error" { f = 1 } END { exit !f }' &&
      fail "$1 failed: $(m status "$1")"
    sleep 0.1
  done
  fail "$1 never ran: $(m status 2>&1)"
}

# wait_registered NAME: the service registers itself once it runs
wait_registered() {
  for _ in $(seq 1 200); do m services 2>/dev/null | grep -qx "$1" && return 0; sleep 0.1; done
  fail "$1 never registered: $(m services 2>&1)"
}

run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""

(cd "$WORK" && ok run ./helloworld)
wait_running helloworld
run status
sed -E 's/[0-9dhm]*[0-9]+s ago/T ago/' "$T/out" >"$T/masked"
cmp -s "$T/masked" <(printf 'NAME\t\tVERSION\tSOURCE\t\tSTATUS\tBUILD\tUPDATED\tMETADATA\nhelloworld\tlatest\t./helloworld\trunning\tn/a\tT ago\towner=admin, group=micro\n') ||
  fail "status: $(cat -A "$T/out")"
wait_registered helloworld

run helloworld --name=Alice
expect "dynamic call" 0 '{\n\t"msg": "Hello Alice"\n}\n' ""
expect_eq "gateway" "$(curl -s "http://$API_ADDR/helloworld/Call?name=Alice")" '{"msg":"Hello Alice"}'

run logs helloworld
expect_contains "logs" "$(cat "$T/out")" "Starting [service] helloworld"
expect_contains "logs" "$(cat "$T/out")" "Server [grpc] Listening on 127.0.0.1:"

ok kill helloworld
for _ in $(seq 1 100); do [ -z "$(m status)" ] && break; sleep 0.1; done
run status; expect "status after kill" 0 "" ""
for _ in $(seq 1 100); do m services | grep -qx helloworld || break; sleep 0.1; done
m services | grep -qx helloworld && fail "helloworld still registered after kill"

# --- the same example from a git repository: a branch and a commit, built with
# cmake on the server from what libgit2 fetched
HW=$WORK/git/helloworld   # the service is named after the repository
mkdir -p "$WORK/git"
cp -r "$WORK/helloworld" "$HW"
git -C "$HW" init -q -b main
git -C "$HW" -c user.email=t@t -c user.name=t add -A
git -C "$HW" -c user.email=t@t -c user.name=t commit -qm one
HWCOMMIT=$(git -C "$HW" rev-parse HEAD)
git -C "$HW" branch stable
ok run "file://$HW@stable"
ok run "file://$HW@$HWCOMMIT"
for v in stable "$HWCOMMIT"; do
  for _ in $(seq 1 1200); do
    m status helloworld "$v" 2>/dev/null | awk -v v="$v" '$2 == v && $4 == "running" { f = 1 } END { exit !f }' && break
    m status helloworld "$v" 2>/dev/null | awk -v v="$v" '$2 == v && $4 == "error" { f = 1 } END { exit !f }' &&
      fail "helloworld@$v failed: $(m status helloworld "$v")"
    sleep 0.1
  done
  m status helloworld "$v" | grep -q "running	${HWCOMMIT:0:7}" || fail "helloworld@$v: $(m status helloworld "$v")"
done
# both versions register as helloworld
for _ in $(seq 1 200); do [ "$(m services | grep -cx helloworld)" = 1 ] && break; sleep 0.1; done
run helloworld --name=Git
expect "helloworld from git" 0 '{\n\t"msg": "Hello Git"\n}\n' ""
ok kill "helloworld@stable"
ok kill "helloworld@$HWCOMMIT"

# --- micro new: a service that runs as it is made
(cd "$WORK" && run new helloworld && expect "new existing" 128 "" "Helloworld already exists\n")
(cd "$WORK" && run new greeter && [ "$RC" = 0 ]) || fail "micro new greeter: $(cat "$T/out" "$T/err")"
expect_contains "new output" "$(cat "$T/out")" "Creating service greeter"
expect_contains "new next steps" "$(cat "$T/out")" $'cd greeter\nmicro run .'
(cd "$WORK" && ok run ./greeter)
wait_running greeter
wait_registered greeter
run greeter --name=Bob
[ "$RC" = 0 ] || fail "greeter call: $(cat "$T/err")"
expect_contains "greeter answers" "$(cat "$T/out")" "Bob"
ok kill greeter
echo "cli run helloworld: ok"
