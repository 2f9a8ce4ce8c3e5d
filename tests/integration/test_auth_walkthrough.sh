#!/usr/bin/env bash
# Issue 3's auth walkthrough against a user service in another process: with the
# default rule an anonymous call reaches helloworld through the gateway; after
# creating onlyloggedin and auth-public and deleting default it answers 401 with the
# service's error, and a Bearer token (or the micro-token cookie) gets through again.
# A token signed with another key, an expired token and a token from another
# namespace are refused.
. "$(dirname "$0")/lib.sh"
micro_start_server
hello_start
TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "cannot log in as admin"
hello_register micro -m "authorization=Bearer $TOKEN"
api="http://$API_ADDR"
J=(-H 'Content-Type: application/json')
admin() { curl -s "${J[@]}" -H "Authorization: Bearer $TOKEN" -d "$2" "$api/auth/$1"; }
status() { curl -s -o "$MICRO_HOME/body" -w '%{http_code}' "$@"; }

expect_eq "anonymous with default" "$(curl -s "$api/helloworld/call?name=Alice")" '{"msg":"Hello Alice"}'

admin rules/create '{"rule":{"id":"onlyloggedin","scope":"*","resource":{"type":"*","name":"*","endpoint":"*"},"access":"GRANTED"}}' >/dev/null
admin rules/create '{"rule":{"id":"auth-public","scope":"","resource":{"type":"service","name":"auth","endpoint":"*"},"access":"GRANTED"}}' >/dev/null
admin rules/delete '{"id":"default"}' >/dev/null

expect_eq "anonymous after rules" "$(status "$api/helloworld/call?name=Alice")" "401"
expect_eq "anonymous body" "$(cat "$MICRO_HOME/body")" \
  '{"id":"helloworld","code":401,"detail":"Unauthorized call made to helloworld:Helloworld.Call","status":"Unauthorized"}'
rc=0; out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Call '{"name":"x"}') || rc=$?
expect_contains "anonymous over grpc" "$out" "UNAUTHENTICATED"
expect_eq "bearer" "$(curl -s -H "Authorization: Bearer $TOKEN" "$api/helloworld/call?name=Alice")" '{"msg":"Hello Alice"}'
expect_eq "cookie" "$(curl -s -b "micro-token=$TOKEN" "$api/helloworld/call?name=Alice")" '{"msg":"Hello Alice"}'
out=$("$GRPC_CALL" -m "authorization=Bearer $TOKEN" "$PROXY_ADDR" /helloworld.Helloworld/Call '{"name":"Bob"}')
expect_eq "bearer over grpc" "$out" '{"msg":"Hello Bob"}'
# the auth service stays public (auth-public), so logging in still works
[ -n "$(micro_admin_token)" ] || fail "login refused after the rule change"

# an expired token: issued for 1 second
short=$(curl -s "${J[@]}" -d '{"id":"admin","secret":"micro","token_expiry":"1"}' "$api/auth/token" |
        $PY -c 'import json,sys; print(json.load(sys.stdin)["token"]["access_token"])')
sleep 2.2
expect_eq "expired token" "$(status -H "Authorization: Bearer $short" "$api/helloworld/call")" "401"

# a token signed with another key: from a second server with its own MICRO_HOME
other_home=$(mktemp -d /tmp/micro-it.XXXXXX)
MICRO_HOME="$other_home" "$MICRO_BIN" server --api_address 127.0.0.1:0 --proxy_address 127.0.0.1:0 --web_address 127.0.0.1:0 \
   --profile "${MICRO_TEST_PROFILE:-local}" >"$other_home/server.log" 2>&1 &
other_pid=$!
for _ in $(seq 1 100); do grep -q 'web dashboard listening' "$other_home/server.log" && break; sleep 0.05; done
other_api=$(sed -n 's/.*API gateway listening on \([^ ]*\).*/\1/p' "$other_home/server.log" | head -1)
foreign=$(curl -s "${J[@]}" -d '{"id":"admin","secret":"micro"}' "http://$other_api/auth/token" |
          $PY -c 'import json,sys; print(json.load(sys.stdin)["token"]["access_token"])')
kill -TERM "$other_pid"; wait "$other_pid" 2>/dev/null || true; rm -rf "$other_home"
[ -n "$foreign" ] || fail "no token from the second server"
expect_eq "token of another key" "$(status -H "Authorization: Bearer $foreign" "$api/helloworld/call")" "401"

# a token from another namespace, used in namespace micro
admin generate '{"id":"bob","secret":"bobsecret","options":{"namespace":"other"}}' >/dev/null
bob=$(curl -s "${J[@]}" -d '{"id":"bob","secret":"bobsecret","options":{"namespace":"other"}}' "$api/auth/token" |
      $PY -c 'import json,sys; print(json.load(sys.stdin)["token"]["access_token"])')
[ -n "$bob" ] || fail "no token for bob in namespace other"
code=$(status -H "Authorization: Bearer $bob" -H 'Micro-Namespace: micro' "$api/helloworld/call")
expect_eq "token of another namespace" "$code" "403"
expect_contains "another namespace body" "$(cat "$MICRO_HOME/body")" "Forbidden call made to helloworld:Helloworld.Call by bob"

# a malformed Authorization header
expect_eq "bad auth header" "$(status -H 'Authorization: Token abc' "$api/helloworld/call")" "401"
expect_contains "bad auth header text" "$(cat "$MICRO_HOME/body")" "invalid authorization header. expected Bearer schema"
echo "auth walkthrough: ok"
