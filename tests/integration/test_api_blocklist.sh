#!/usr/bin/env bash
# The api service's account block list (Api.AddToBlockList, ReadBlockList,
# RemoveFromBlockList): a blocked account's token stops working at the gateway
# and the proxy (401 "account is blocked") until it is removed; only admins may
# change or read the list; `api`, `proxy` and `web` are in the registry as upstream.
. "$(dirname "$0")/lib.sh"
micro_start_server "$@"
api="http://$API_ADDR"

call() { curl -s -o "$MICRO_HOME/body" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }
body() { cat "$MICRO_HOME/body"; }
token_of() {
  curl -s -H 'Content-Type: application/json' -d "{\"id\":\"$1\",\"secret\":\"$2\"}" "$api/auth/token" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["token"]["access_token"])'
}

ADMIN=$(token_of admin micro)
[ -n "$ADMIN" ] || fail "no admin token"
expect_eq "create jane" "$(call -H "Authorization: Bearer $ADMIN" \
  -d '{"id":"jane","secret":"janepw","type":"user","scopes":["basic"]}' "$api/auth/auth/generate")" "200"
JANE=$(token_of jane janepw)
[ -n "$JANE" ] || fail "no token for jane"

# jane may call before she is blocked
expect_eq "jane before" "$(call -H "Authorization: Bearer $JANE" -d '{}' "$api/registry/debug/health")" "200"

# only admins change the list
expect_eq "jane cannot block" "$(call -H "Authorization: Bearer $JANE" \
  -d '{"id":"admin","namespace":"micro"}' "$api/api/addToBlockList")" "401"
expect_eq "anonymous cannot read" "$(call -d '{}' "$api/api/readBlockList")" "401"
expect_eq "missing id" "$(call -H "Authorization: Bearer $ADMIN" -d '{"namespace":"micro"}' \
  "$api/api/addToBlockList")" "400"

expect_eq "block jane" "$(call -H "Authorization: Bearer $ADMIN" \
  -d '{"id":"jane","namespace":"micro"}' "$api/api/addToBlockList")" "200"
expect_eq "block jane again" "$(call -H "Authorization: Bearer $ADMIN" \
  -d '{"id":"jane","namespace":"micro"}' "$api/api/addToBlockList")" "200"
expect_eq "read list" "$(call -H "Authorization: Bearer $ADMIN" -d '{}' "$api/api/readBlockList")" "200"
expect_eq "list body" "$(body)" '{"ids":["micro:jane"]}'

# blocked: at the gateway and at the proxy, whatever the rules say
expect_eq "jane blocked (gateway)" "$(call -H "Authorization: Bearer $JANE" -d '{}' "$api/registry/debug/health")" "401"
expect_eq "jane blocked body" "$(body)" \
  '{"id":"registry","code":401,"detail":"account is blocked","status":"Unauthorized"}'
out=$("$GRPC_CALL" -m authorization="Bearer $JANE" "$PROXY_ADDR" /registry.Debug/Health '{}' 2>&1) && fail "proxy let a blocked account through"
expect_contains "jane blocked (proxy)" "$out" "account is blocked"
# a fresh login does not help: the account, not the token, is blocked
JANE2=$(token_of jane janepw)
expect_eq "new token blocked" "$(call -H "Authorization: Bearer $JANE2" -d '{}' "$api/registry/debug/health")" "401"
# others are unaffected
expect_eq "admin unaffected" "$(call -H "Authorization: Bearer $ADMIN" -d '{}' "$api/registry/debug/health")" "200"

expect_eq "unblock jane" "$(call -H "Authorization: Bearer $ADMIN" \
  -d '{"id":"jane","namespace":"micro"}' "$api/api/removeFromBlockList")" "200"
expect_eq "jane after" "$(call -H "Authorization: Bearer $JANE" -d '{}' "$api/registry/debug/health")" "200"
expect_eq "empty list" "$(call -H "Authorization: Bearer $ADMIN" -d '{}' "$api/api/readBlockList")" "200"
expect_eq "empty list body" "$(body)" '{"ids":[]}'

# api, proxy and web are registered like the other core services
expect_eq "get api" "$(call -H "Authorization: Bearer $ADMIN" -d '{"service":"api"}' "$api/registry/getService")" "200"
expect_contains "api endpoints" "$(body)" '"name":"Api.AddToBlockList"'
expect_eq "get web" "$(call -H "Authorization: Bearer $ADMIN" -d '{"service":"web"}' "$api/registry/getService")" "200"
expect_contains "web has no endpoints" "$(body)" '"endpoints":[]'
echo "api block list: ok"
