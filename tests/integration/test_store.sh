#!/usr/bin/env bash
# The store service against the real server: records through the HTTP gateway
# (:8080, upstream's JSON) and through gRPC (:8081, also the Store.List and
# BlobStore streams); upstream's 404 for a missing key; bad input (malformed JSON,
# unknown fields, wrong types, an oversized body, an unknown endpoint, no or a bad
# token) each answered with the right micro error and status, and the server keeps
# serving.
. "$(dirname "$0")/lib.sh"
micro_start_server
TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "cannot log in as admin"
api="http://$API_ADDR"
AUTH="authorization=Bearer $TOKEN"

# st ENDPOINT JSON: POST /store/ENDPOINT as admin; prints "STATUS BODY"
st() {
  local body status
  body=$(curl -s -o - -w '\n%{http_code}' -H 'Content-Type: application/json' \
         -H "Authorization: Bearer $TOKEN" -d "$2" "$api/store/$1")
  status=${body##*$'\n'}
  printf '%s %s' "$status" "${body%$'\n'*}"
}
# g PATH JSON...: a gRPC call as admin; prints the answers (and the status line on error)
g() { local p=$1; shift; "$GRPC_CALL" -m "$AUTH" "$PROXY_ADDR" "$p" "$@" || true; }

# ---- through :8080 ---------------------------------------------------------------------
expect_eq "write" "$(st write '{"record":{"key":"k","value":"djE="}}')" '200 {}'
expect_eq "read" "$(st read '{"key":"k"}')" \
  '200 {"records":[{"key":"k","value":"djE=","expiry":"0","metadata":{}}]}'
expect_eq "read missing" "$(st read '{"key":"missing"}')" \
  '404 {"id":"store.Store.Read","code":404,"detail":"not found","status":"Not Found"}'
st write '{"record":{"key":"user/1","value":"YQ==","metadata":{"kind":{"type":"string","value":"user"}}},"options":{"table":"users"}}' >/dev/null
st write '{"record":{"key":"user/2","value":"Yg==","expiry":3600},"options":{"table":"users"}}' >/dev/null
st write '{"record":{"key":"group/1","value":"Yw=="},"options":{"table":"users"}}' >/dev/null
out=$(st read '{"key":"user/","options":{"table":"users","prefix":true,"order":"desc"}}')
keys=$(printf '%s' "${out#* }" | $PY -c 'import json,sys; print(",".join(r["key"] for r in json.load(sys.stdin)["records"]))')
expect_eq "prefix desc" "$keys" "user/2,user/1"
expect_contains "metadata kept" "$out" '"metadata":{"kind":{"type":"string","value":"user"}}'
left=$(printf '%s' "${out#* }" | $PY -c 'import json,sys; print(json.load(sys.stdin)["records"][0]["expiry"])')
[ "$left" -gt 3590 ] && [ "$left" -le 3600 ] || fail "expiry left: $left"
out=$(st read '{"key":"/1","options":{"table":"users","suffix":true,"limit":1,"offset":1}}')
expect_contains "suffix offset limit" "$out" '"key":"user/1"'
out=$(st tables '{"database":"micro"}')   # auth keeps its table "auth" here too
expect_contains "tables" "$out" '"micro","users"]}'
expect_eq "tables of a database" "$(st tables '{"database":"nobody"}')" '200 {"tables":[]}'
expect_contains "databases" "$(st databases '{}')" '"micro"'
expect_eq "delete" "$(st delete '{"key":"k"}')" '200 {}'
expect_eq "read deleted" "$(st read '{"key":"k"}' | cut -c1-3)" '404'
# another database (the admin of "micro" may use any) stays apart from "micro"
out=$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
      -d '{"record":{"key":"k","value":"bnM="},"options":{"database":"team"}}' "$api/store/write")
expect_eq "write other database" "$out" '{}'
expect_eq "read other database" "$(st read '{"key":"k","options":{"database":"team"}}')" \
  '200 {"records":[{"key":"k","value":"bnM=","expiry":"0","metadata":{}}]}'

# ---- bad input through :8080 -------------------------------------------------------------
expect_eq "malformed JSON" "$(st write '{"record":' | cut -c1-3)" '400'
expect_contains "malformed JSON body" "$(st write '{"record":')" '"code":400'
expect_eq "wrong type" "$(st write '{"record":{"key":5}}' | cut -c1-3)" '400'
expect_eq "bad base64" "$(st write '{"record":{"key":"x","value":"%%"}}' | cut -c1-3)" '400'
expect_eq "unknown fields ignored" "$(st write '{"record":{"key":"u","value":"dQ==","colour":1},"extra":true}')" '200 {}'
expect_contains "unknown fields stored" "$(st read '{"key":"u"}')" '"value":"dQ=="'
expect_eq "no record" "$(st write '{}')" \
  '400 {"id":"store.Store.Write","code":400,"detail":"no record specified","status":"Bad Request"}'
expect_eq "bad order" "$(st read '{"key":"u","options":{"order":"up"}}' | cut -c1-3)" '400'
head -c 34000000 /dev/zero >"$MICRO_HOME/big.bin"
code=$(curl -s -o "$MICRO_HOME/body" -w '%{http_code}' -H 'Content-Type: application/json' \
       -H "Authorization: Bearer $TOKEN" --data-binary @"$MICRO_HOME/big.bin" "$api/store/write")
rm -f "$MICRO_HOME/big.bin"
expect_eq "oversized body" "$code" "413"
expect_contains "oversized body text" "$(cat "$MICRO_HOME/body")" '"code":413'
out=$(st nope '{}')
expect_eq "unknown endpoint status" "${out%% *}" "500"
expect_contains "unknown endpoint body" "$out" 'unknown service Store.Nope'
out=$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' -d '{"key":"u"}' "$api/store/read")
expect_contains "anonymous" "$out" '401'
out=$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' -H 'Authorization: Bearer nonsense' \
      -d '{"key":"u"}' "$api/store/read")
expect_contains "bad token" "$out" '401'
expect_contains "still serving" "$(st read '{"key":"u"}')" '200 {"records":[{"key":"u"'

# ---- through :8081 -------------------------------------------------------------------------
expect_eq "grpc write" "$(g /store.Store/Write '{"record":{"key":"g1","value":"Zw=="}}')" '{}'
g /store.Store/Write '{"record":{"key":"g2","value":"Zw=="}}' >/dev/null
expect_eq "grpc read" "$(g /store.Store/Read '{"key":"g1"}')" \
  '{"records":[{"key":"g1","value":"Zw==","expiry":"0","metadata":{}}]}'
expect_eq "grpc read missing" "$(g /store.Store/Read '{"key":"nope"}')" \
  "NOT_FOUND	"'{"id":"store.Store.Read","code":404,"detail":"not found","status":"Not Found"}'
expect_eq "grpc list" "$(g /store.Store/List '{"options":{"prefix":"g"}}')" '{"keys":["g1","g2"]}'
expect_eq "grpc list desc" "$(g /store.Store/List '{"options":{"prefix":"g","order":"desc","limit":1}}')" \
  '{"keys":["g2"]}'
expect_eq "grpc list all" "$(g /store.Store/List '{}')" '{"keys":["g1","g2","u"]}'
expect_contains "grpc bad type" "$(g /store.Store/Read '{"key":7}')" 'INVALID_ARGUMENT'
expect_contains "grpc bad order" "$(g /store.Store/List '{"options":{"order":"x"}}')" 'INVALID_ARGUMENT'
expect_contains "grpc unknown method" "$(g /store.Store/Nope '{}')" 'UNIMPLEMENTED'
out=$("$GRPC_CALL" "$PROXY_ADDR" /store.Store/Read '{"key":"g1"}' || true)
expect_contains "grpc anonymous" "$out" 'UNAUTHENTICATED'
out=$("$GRPC_CALL" "$PROXY_ADDR" /store.Store/List '{}' || true)
expect_contains "grpc anonymous stream" "$out" 'UNAUTHENTICATED'

# blobs: a client-stream upload of ~720 KiB in ten messages (each argument stays under
# the kernel's 128 KiB limit), read back as a server stream of 512 KiB chunks
$PY - "$MICRO_HOME/blob" <<'EOF'
import base64, os, sys
data = os.urandom(10 * 73728)
open(sys.argv[1] + ".bin", "wb").write(data)
for i in range(10):
    part = data[i * 73728:(i + 1) * 73728]
    msg = '{"key":"file.bin","options":{"namespace":"micro"},"blob":"%s"}' if i == 0 else '{"blob":"%s"}'
    open("%s.%d" % (sys.argv[1], i), "w").write(msg % base64.b64encode(part).decode())
EOF
args=()
for i in $(seq 0 9); do args+=("$(cat "$MICRO_HOME/blob.$i")"); done
expect_eq "blob write" "$(g /store.BlobStore/Write "${args[@]}")" '{}'
g /store.BlobStore/Read '{"key":"file.bin"}' >"$MICRO_HOME/blob.out"
$PY - "$MICRO_HOME/blob" <<'EOF' || fail "blob read back differs"
import base64, json, sys
lines = open(sys.argv[1] + ".out").read().splitlines()
chunks = [base64.b64decode(json.loads(l)["blob"]) for l in lines]
want = open(sys.argv[1] + ".bin", "rb").read()
assert len(chunks) == 2, len(chunks)
assert len(chunks[0]) == 512 * 1024
assert b"".join(chunks) == want
EOF
expect_eq "blob list" "$(g /store.BlobStore/List '{"options":{"prefix":"file"}}')" '{"keys":["file.bin"]}'
expect_eq "blob list http" "$(st blobStore/list '{}')" '200 {"keys":["file.bin"]}'
expect_eq "blob delete" "$(g /store.BlobStore/Delete '{"key":"file.bin"}')" '{}'
expect_contains "blob read missing" "$(g /store.BlobStore/Read '{"key":"file.bin"}')" \
  'NOT_FOUND	{"id":"store.BlobStore.Read","code":404,"detail":"not found"'
expect_contains "blob without key" "$(g /store.BlobStore/Write '{"blob":"eA=="}')" \
  'INVALID_ARGUMENT	{"id":"store.BlobStore.Write","code":400,"detail":"no key specified"'
expect_eq "grpc still serving" "$(g /store.Store/Read '{"key":"g1"}')" \
  '{"records":[{"key":"g1","value":"Zw==","expiry":"0","metadata":{}}]}'
echo "store: ok"
