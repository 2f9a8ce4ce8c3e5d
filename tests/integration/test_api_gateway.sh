#!/usr/bin/env bash
# The HTTP API gateway resolves paths to in-process endpoints, builds the request
# from the query string and the JSON body, and answers errors as upstream does:
# HTTP status = micro code, body = error JSON.
. "$(dirname "$0")/lib.sh"
micro_start_server
api="http://$API_ADDR"

# status CODE BODY for a curl call
call() { curl -s -o "$MICRO_HOME/body" -w '%{http_code}' "$@"; }

expect_eq "GET health" "$(call "$api/registry/debug/health")" "200"
expect_eq "health body" "$(cat "$MICRO_HOME/body")" '{"status":"ok"}'
ct=$(curl -s -o /dev/null -w '%{content_type}' "$api/registry/debug/health")
expect_eq "content type" "$ct" "application/json"

# JSON body, and the same field from the query string (a string, decoded leniently)
expect_eq "POST log" "$(call -H 'Content-Type: application/json' -d '{"count":1}' "$api/store/debug/log")" "200"
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$MICRO_HOME/body")
[ "$n" -le 1 ] || fail "count=1 gave $n records"
expect_eq "GET log with query" "$(call "$api/store/debug/log?count=1")" "200"
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$MICRO_HOME/body")
[ "$n" -eq 1 ] || fail "query count=1 gave $n records"

# A form body becomes an object of strings.
expect_eq "form body" "$(call -d 'count=1' "$api/store/debug/log")" "200"
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$MICRO_HOME/body")
[ "$n" -eq 1 ] || fail "form count=1 gave $n records"

# Errors: bad field type (400), bad JSON (400), no such service (500 route), no such endpoint.
expect_eq "bad field" "$(call -H 'Content-Type: application/json' -d '{"count":"many"}' "$api/store/debug/log")" "400"
expect_contains "bad field body" "$(cat "$MICRO_HOME/body")" '"code":400'
expect_eq "bad json with query" "$(call -H 'Content-Type: application/json' -d '{nope' "$api/store/debug/log?count=1")" "400"
expect_eq "no service" "$(call "$api/nosuch/thing")" "500"
expect_eq "no service body" "$(cat "$MICRO_HOME/body")" \
  '{"id":"go.micro.client","code":500,"detail":"service nosuch: route not found","status":"Internal Server Error"}'
expect_eq "no endpoint" "$(call "$api/registry/nope/call")" "500"
expect_eq "no endpoint body" "$(cat "$MICRO_HOME/body")" \
  '{"id":"go.micro.client","code":500,"detail":"unknown service Nope","status":"Internal Server Error"}'

# Requests the HTTP layer refuses come back as micro errors too: an oversized body
# (over 32 MiB) and a malformed header; the gateway keeps serving afterwards.
head -c 34000000 /dev/zero >"$MICRO_HOME/big.bin"
expect_eq "oversized body" "$(call -H 'Content-Type: application/json' --data-binary @"$MICRO_HOME/big.bin" "$api/store/debug/log")" "413"
expect_eq "oversized body text" "$(cat "$MICRO_HOME/body")" \
  '{"id":"go.micro.api","code":413,"detail":"request body too large","status":"Request Entity Too Large"}'
rm -f "$MICRO_HOME/big.bin"
bad=$(printf 'GET /registry/debug/health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n' |
      $PY -c 'import socket,sys
h,p=sys.argv[1].rsplit(":",1); s=socket.create_connection((h,int(p)))
s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode(errors="replace"))' "$API_ADDR")
expect_contains "malformed header status" "$bad" "HTTP/1.1 400 Bad Request"
expect_contains "malformed header body" "$bad" '"id":"go.micro.api","code":400'
expect_eq "serving after bad input" "$(call "$api/registry/debug/health")" "200"

# CORS preflight answers at once.
headers=$(curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: http://app.test' "$api/registry/debug/health")
expect_contains "preflight status" "$headers" "HTTP/1.1 200"
expect_contains "preflight origin" "$headers" "Access-Control-Allow-Origin: http://app.test"
echo "api gateway: ok"
