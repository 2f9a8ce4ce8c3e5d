#!/usr/bin/env bash
# Auth against the real server: the seed document's walkthrough through the
# gateway (:8080) and the proxy (:8081) with a user service (helloworld) and core
# endpoints, and every way a token can be refused: another key, "none", expired,
# another namespace, a bad Authorization header.
. "$(dirname "$0")/lib.sh"
micro_start_server "$@"
api="http://$API_ADDR"
hello_start

# status CODE, body in $MICRO_HOME/body
http_helpers   # call, body, json, field (lib.sh)

# --- login as the default admin (created lazily) -------------------------------------
TOKEN=$(json -d '{"id":"admin","secret":"micro"}' "$api/auth/token" | field token.access_token)
[ -n "$TOKEN" ] || fail "no admin token"
expect_eq "token has three parts" "$(echo "$TOKEN" | awk -F. '{print NF}')" "3"
case " $* ${MICRO_PROFILE:-} ${MICRO_TEST_PROFILE:-} " in
  *" test "*) [ ! -e "$MICRO_HOME/auth_private_key" ] || fail "the test profile wrote key files" ;;
  *) [ -f "$MICRO_HOME/auth_private_key" ] || fail "no private key file in MICRO_HOME"
     expect_eq "private key mode" "$(stat -c %a "$MICRO_HOME/auth_private_key")" "600" ;;
esac
expect_eq "wrong secret" "$(call -H 'Content-Type: application/json' -d '{"id":"admin","secret":"nope"}' "$api/auth/token")" "400"
expect_eq "wrong secret body" "$(body)" \
  '{"id":"auth.Auth.Token","code":400,"detail":"Secret not correct","status":"Bad Request"}'
AUTH=(-H "Authorization: Bearer $TOKEN")
hello_register micro -m authorization="Bearer $TOKEN"

# Inspect gives the account back
acc=$(json "${AUTH[@]}" -d "{\"token\":\"$TOKEN\"}" "$api/auth/auth/inspect")
expect_eq "inspect id" "$(echo "$acc" | field account.id)" "admin"
expect_eq "inspect issuer" "$(echo "$acc" | field account.issuer)" "micro"

# --- the default rule: anonymous calls go through ------------------------------------
rules=$(json "${AUTH[@]}" -d '{}' "$api/auth/rules/list")
expect_contains "default rule listed" "$rules" '"id":"default"'
expect_eq "anonymous hello (default rule)" "$(call "$api/helloworld/call?name=Alice")" "200"
expect_eq "hello body" "$(body)" '{"msg":"Hello Alice"}'
expect_eq "anonymous core call" "$(call "$api/registry/debug/health")" "200"

# --- the walkthrough's rules ------------------------------------------------------------
expect_eq "create onlyloggedin" "$(call "${AUTH[@]}" -H 'Content-Type: application/json' -d \
  '{"rule":{"id":"onlyloggedin","scope":"*","resource":{"type":"*","name":"*","endpoint":"*"},"access":"GRANTED"}}' \
  "$api/auth/rules/create")" "200"
expect_eq "create auth-public" "$(call "${AUTH[@]}" -H 'Content-Type: application/json' -d \
  '{"rule":{"id":"auth-public","scope":"","resource":{"type":"service","name":"auth","endpoint":"*"},"access":"GRANTED"}}' \
  "$api/auth/rules/create")" "200"
expect_eq "duplicate rule" "$(call "${AUTH[@]}" -H 'Content-Type: application/json' -d \
  '{"rule":{"id":"auth-public","resource":{"type":"*","name":"*","endpoint":"*"},"access":"GRANTED"}}' \
  "$api/auth/rules/create")" "400"
expect_eq "duplicate rule body" "$(body)" \
  '{"id":"auth.Rules.Create","code":400,"detail":"A rule with this ID already exists","status":"Bad Request"}'
expect_eq "delete default" "$(call "${AUTH[@]}" -H 'Content-Type: application/json' -d '{"id":"default"}' "$api/auth/rules/delete")" "200"
ids=$(json "${AUTH[@]}" -d '{}' "$api/auth/rules/list" | $PY -c 'import json,sys; print(",".join(r["id"] for r in json.load(sys.stdin)["rules"]))')
expect_eq "rules after the walkthrough" "$ids" "auth-public,onlyloggedin"

# anonymous: 401 with upstream's exact error, on the gateway and the proxy
expect_eq "anonymous hello" "$(call "$api/helloworld/call?name=Alice")" "401"
expect_eq "anonymous hello body" "$(body)" \
  '{"id":"helloworld","code":401,"detail":"Unauthorized call made to helloworld:Helloworld.Call","status":"Unauthorized"}'
out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Call '{"name":"Alice"}' 2>&1) && fail "anonymous gRPC call went through"
expect_contains "anonymous gRPC" "$out" "UNAUTHENTICATED"
expect_contains "anonymous gRPC detail" "$out" "Unauthorized call made to helloworld:Helloworld.Call"
expect_eq "anonymous core call now" "$(call "$api/registry/debug/health")" "401"
expect_eq "anonymous core body" "$(body)" \
  '{"id":"registry","code":401,"detail":"Unauthorized call made to registry:Debug.Health","status":"Unauthorized"}'
# the auth service stays public, but its handlers still want an account
expect_eq "anonymous login still works" "$(call -H 'Content-Type: application/json' -d '{"id":"admin","secret":"micro"}' "$api/auth/token")" "200"
expect_eq "anonymous rules list" "$(call -H 'Content-Type: application/json' -d '{}' "$api/auth/rules/list")" "401"
expect_eq "anonymous rules list body" "$(body)" \
  '{"id":"auth.Rules.List","code":401,"detail":"an account is required","status":"Unauthorized"}'

# with the token: through again, on both frontends, header or cookie
expect_eq "bearer hello" "$(call "${AUTH[@]}" "$api/helloworld/call?name=Alice")" "200"
expect_eq "bearer hello body" "$(body)" '{"msg":"Hello Alice"}'
expect_eq "cookie hello" "$(call -b "other=1; micro-token=$TOKEN" "$api/helloworld/call?name=Bob")" "200"
expect_eq "cookie hello body" "$(body)" '{"msg":"Hello Bob"}'
out=$("$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /helloworld.Helloworld/Call '{"name":"Carol"}') \
  || fail "gRPC call with a token: $out"
expect_contains "bearer gRPC" "$out" "Hello Carol"
out=$("$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /registry.Debug/Health '{}') || fail "core gRPC: $out"
expect_contains "bearer core gRPC" "$out" '"ok"'

# --- tokens that must not authenticate --------------------------------------------------
# a bad Authorization header: 401 with the proxy's text, whatever the rules
expect_eq "basic header" "$(call -H 'Authorization: Basic YWRtaW46bWljcm8=' "$api/helloworld/call")" "401"
expect_contains "basic header body" "$(body)" '"detail":"invalid authorization header. expected Bearer schema"'
out=$("$GRPC_CALL" -m authorization="Token $TOKEN" "$PROXY_ADDR" /helloworld.Helloworld/Call '{}' 2>&1) && fail "bad header went through"
expect_contains "bad header gRPC" "$out" "invalid authorization header. expected Bearer schema"

# the same claims signed with another key, and with alg "none"
forged=$($PY - "$TOKEN" <<'EOF'
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
h, p, _ = sys.argv[1].split(".")
other = Ed25519PrivateKey.generate()
signing = (h + "." + p).encode()
print(h + "." + p + "." + b64(other.sign(signing)))
none = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
print(none + "." + p + ".")
EOF
)
other_key=$(echo "$forged" | sed -n 1p)
alg_none=$(echo "$forged" | sed -n 2p)
expect_eq "token signed with another key" "$(call -H "Authorization: Bearer $other_key" "$api/helloworld/call")" "401"
expect_eq "alg none" "$(call -H "Authorization: Bearer $alg_none" "$api/helloworld/call")" "401"
expect_eq "other key via cookie" "$(call -b "micro-token=$other_key" "$api/helloworld/call")" "401"
expect_eq "inspect forged" "$(call "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"token\":\"$other_key\"}" "$api/auth/auth/inspect")" "400"

# an expired token
SHORT=$(json -d '{"id":"admin","secret":"micro","token_expiry":1}' "$api/auth/token" | field token.access_token)
[ -n "$SHORT" ] || fail "no short token"
sleep 2.1
expect_eq "expired token" "$(call -H "Authorization: Bearer $SHORT" "$api/helloworld/call")" "401"
expect_eq "expired token body" "$(body)" \
  '{"id":"helloworld","code":401,"detail":"Unauthorized call made to helloworld:Helloworld.Call","status":"Unauthorized"}'

# a token issued by another namespace, calling into micro
expect_eq "generate in foo" "$(call "${AUTH[@]}" -H 'Content-Type: application/json' \
  -d '{"id":"bob","secret":"bobpw","options":{"namespace":"foo"}}' "$api/auth/auth/generate")" "200"
expect_contains "generated account" "$(body)" '"issuer":"foo"'
BOB=$(json -d '{"id":"bob","secret":"bobpw","options":{"namespace":"foo"}}' "$api/auth/token" | field token.access_token)
[ -n "$BOB" ] || fail "no token for bob"
expect_eq "foreign token" "$(call -H "Authorization: Bearer $BOB" -H 'Micro-Namespace: micro' "$api/helloworld/call")" "403"
expect_eq "foreign token body" "$(body)" \
  '{"id":"helloworld","code":403,"detail":"Forbidden call made to helloworld:Helloworld.Call by bob","status":"Forbidden"}'
out=$("$GRPC_CALL" -m authorization="Bearer $BOB" -m micro-namespace=micro "$PROXY_ADDR" /helloworld.Helloworld/Call '{}' 2>&1) \
  && fail "foreign token went through the proxy"
expect_contains "foreign token gRPC" "$out" "PERMISSION_DENIED"
# ... and bob cannot administer micro
expect_eq "foreign rules list" "$(call -H "Authorization: Bearer $BOB" -H 'Content-Type: application/json' \
  -d '{"options":{"namespace":"micro"}}' "$api/auth/rules/list")" "403"
expect_contains "foreign rules list body" "$(body)" '"detail":"access denied to namespace"'

# --- refresh, accounts ----------------------------------------------------------------------
REFRESH=$(json -d '{"id":"admin","secret":"micro"}' "$api/auth/token" | field token.refresh_token)
NEW=$(json -d "{\"refresh_token\":\"$REFRESH\",\"token_expiry\":600}" "$api/auth/token" | field token.access_token)
expect_eq "refreshed token works" "$(call -H "Authorization: Bearer $NEW" "$api/helloworld/call")" "200"
list=$(json "${AUTH[@]}" -d '{}' "$api/auth/accounts/list")
expect_contains "accounts list" "$list" '"id":"admin"'
case "$list" in *argon2*|*'"secret":"'[^\"]*) fail "accounts list shows a secret: $list" ;; esac

echo "PASS test_auth"
