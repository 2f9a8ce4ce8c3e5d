#!/usr/bin/env bash
# The runtime's uploaded sources with the real server: Source.Upload of a tar
# (as `micro run ./dir` sends it), Create from source://NAME:VERSION with a
# CMake build in a sub-folder (options.entrypoint), Update from a new upload
# (rebuilt and restarted), an archive that climbs out of its folder (refused
# when unpacking), an unknown blob, and Delete removing the blob.
. "$(dirname "$0")/lib.sh"
command -v cmake >/dev/null || { echo "SKIP: cmake not installed"; exit 0; }
command -v cc >/dev/null || { echo "SKIP: no C compiler"; exit 0; }
micro_start_server
TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "no admin token"
W=$(mktemp -d /tmp/micro-rtu.XXXXXX)
MICRO_EXTRA_DIRS+=("$W")

call() { "$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" "$@"; }
field() { $PY -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
svc() {
  local out
  out=$(call /runtime.Runtime/Read "{\"options\":{\"service\":\"$1\"}}") || fail "Read: $out"
  $PY -c 'import json,sys; s=json.loads(sys.argv[1]).get("services") or []; print(json.dumps(s[0]) if s else "")' "$out"
}
status_of() { local s; s=$(svc "$1"); [ -n "$s" ] && field "$s" 'd["status"]' || echo none; }
wait_status() {
  local st=""
  for _ in $(seq 1 900); do
    st=$(status_of "$1"); [ "$st" == "$2" ] && return 0; sleep 0.1
  done
  fail "$1: status $st, want $2 ($(svc "$1"))"
}
# upload NAME DIR [EVIL]: packs DIR as ustar and streams it in 1 KiB chunks
upload() {
  local args
  mapfile -t args < <($PY - "$2" "${3:-}" <<'EOF' | $PY "$MICRO_SRC/tests/integration/upload_msgs.py" "$1"
import io, sys, tarfile
d, evil = sys.argv[1], sys.argv[2]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
    t.add(d, arcname=".", recursive=True)
    if evil:
        info = tarfile.TarInfo("../../escaped")
        info.size = 3
        t.addfile(info, io.BytesIO(b"bad"))
sys.stdout.buffer.write(buf.getvalue())
EOF
)
  call /runtime.Source/Upload "${args[@]}"
}

# a service built with CMake, in folder svc/ of the upload
mkdir -p "$W/up/svc"
cat >"$W/up/svc/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.13)
project(up C)
add_executable(up main.c)
EOF
cat >"$W/up/svc/main.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("up %s\n", VERSION_TEXT); fflush(stdout); for (;;) pause(); }
EOF
sed -i 's/VERSION_TEXT/"one"/' "$W/up/svc/main.c"
OUT=$(upload up "$W/up") || fail "Upload: $OUT"
expect_eq "Upload answer" "$OUT" '{"id":"source://up:latest"}'
OUT=$(call /runtime.Runtime/Create '{"resource":{"service":{"name":"up","version":"latest","source":"source://up:latest","metadata":{"source":"./up","team":"blue"}}},"options":{"entrypoint":"svc"}}') || fail "Create: $OUT"
wait_status up 4
S=$(svc up)
expect_eq "typed source" "$(field "$S" 'd["metadata"]["source"]')" "./up"
expect_eq "user metadata" "$(field "$S" 'd["metadata"]["team"]')" "blue"
expect_eq "Service.source" "$(field "$S" 'd["source"]')" "source://up:latest"
grep -qx 'up one' "$MICRO_HOME/logs/micro/up.log" || fail "up did not run: $(cat "$MICRO_HOME/logs/micro/up.log")"

# Update: a new upload, rebuilt and restarted
sed -i 's/"one"/"two"/' "$W/up/svc/main.c"
OUT=$(upload up "$W/up") || fail "Upload 2: $OUT"
OUT=$(call /runtime.Runtime/Update '{"resource":{"service":{"name":"up","version":"latest","source":"source://up:latest"}}}') || fail "Update: $OUT"
for _ in $(seq 1 600); do grep -qx 'up two' "$MICRO_HOME/logs/micro/up.log" && break; sleep 0.1; done
grep -qx 'up two' "$MICRO_HOME/logs/micro/up.log" || fail "update did not restart: $(cat "$MICRO_HOME/logs/micro/up.log")"
wait_status up 4
OUT=$(call /runtime.Runtime/Update '{"resource":{"service":{"name":"nope"}}}' || true)
expect_contains "Update of an unknown service" "$OUT" "NOT_FOUND"

# an archive that climbs out is refused when unpacking, nothing is written outside
mkdir -p "$W/evil" && echo x >"$W/evil/Makefile"
OUT=$(upload evil "$W/evil" yes) || fail "Upload evil: $OUT"
call /runtime.Runtime/Create '{"resource":{"service":{"name":"evil","source":"source://evil:latest"}}}' >/dev/null || fail "Create evil"
wait_status evil 7
expect_contains "evil archive" "$(field "$(svc evil)" 'd["metadata"]["error"]')" "cannot unpack source://evil:latest"
[ ! -e "$MICRO_HOME/runtime/micro/escaped" ] && [ ! -e "$MICRO_HOME/runtime/micro/evil/escaped" ] || fail "archive escaped its folder"

# a blob that was never uploaded
call /runtime.Runtime/Create '{"resource":{"service":{"name":"ghost","source":"source://ghost:latest"}}}' >/dev/null || fail "Create ghost"
wait_status ghost 7
expect_eq "missing blob" "$(field "$(svc ghost)" 'd["metadata"]["error"]')" "source source://ghost:latest not found: upload it again"

# Delete removes the blob too
call /runtime.Runtime/Delete '{"resource":{"service":{"name":"up"}}}' >/dev/null || fail "Delete"
for _ in $(seq 1 100); do [ "$(status_of up)" == none ] && break; sleep 0.1; done
expect_eq "deleted" "$(status_of up)" "none"
OUT=$(call /store.BlobStore/Read '{"key":"source://up:latest","options":{"namespace":"micro"}}' || true)
expect_contains "blob deleted" "$OUT" "NOT_FOUND"
echo "PASS test_runtime_upload"
