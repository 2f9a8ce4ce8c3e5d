#!/usr/bin/env bash
# The network service of a single-node platform: Services lists the registry's
# services of the caller's namespace, Nodes and Graph show this server, Routes
# has one route per registered node (filtered by the query), Status has no
# errors, Connect is refused with a clear error; all need an account.
. "$(dirname "$0")/lib.sh"
micro_start_server "$@"
api="http://$API_ADDR"
hello_start

call() { curl -s -o "$MICRO_HOME/body" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }
body() { cat "$MICRO_HOME/body"; }
json_get() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "no admin token"
AUTH=(-H "Authorization: Bearer $TOKEN")
hello_register micro -m authorization="Bearer $TOKEN"

expect_eq "anonymous services" "$(call -d '{}' "$api/network/services")" "401"

expect_eq "services" "$(call "${AUTH[@]}" -d '{}' "$api/network/services")" "200"
expect_eq "services body" "$(body)" \
  '{"services":["api","auth","broker","config","events","helloworld","network","proxy","registry","runtime","store","web"]}'

expect_eq "routes of helloworld" "$(call "${AUTH[@]}" -d '{"query":{"service":"helloworld"}}' "$api/network/routes")" "200"
expect_eq "one route" "$(json_get "$MICRO_HOME/body" 'len(d["routes"])')" "1"
expect_eq "route address" "$(json_get "$MICRO_HOME/body" 'd["routes"][0]["address"]')" "$HELLO_ADDR"
expect_eq "route network" "$(json_get "$MICRO_HOME/body" 'd["routes"][0]["network"]')" "micro"
expect_eq "all routes" "$(call "${AUTH[@]}" -d '{}' "$api/network/routes")" "200"
expect_eq "a route per node" "$(json_get "$MICRO_HOME/body" 'len(d["routes"])')" "12"
expect_eq "routes by address" "$(call "${AUTH[@]}" -d "{\"query\":{\"address\":\"$PROXY_ADDR\"}}" "$api/network/routes")" "200"
expect_eq "core routes" "$(json_get "$MICRO_HOME/body" 'len(d["routes"])')" "11"

expect_eq "nodes" "$(call "${AUTH[@]}" -d '{}' "$api/network/nodes")" "200"
expect_eq "this node" "$(json_get "$MICRO_HOME/body" 'd["nodes"][0]["address"]')" "$PROXY_ADDR"
expect_eq "graph" "$(call "${AUTH[@]}" -d '{}' "$api/network/graph")" "200"
expect_eq "graph root" "$(json_get "$MICRO_HOME/body" 'd["root"]["node"]["address"]')" "$PROXY_ADDR"
expect_eq "status" "$(call "${AUTH[@]}" -d '{}' "$api/network/status")" "200"
expect_eq "no errors" "$(json_get "$MICRO_HOME/body" 'd["status"]["error"]["count"]')" "0"
expect_eq "connect" "$(call "${AUTH[@]}" -d '{"nodes":[{"address":"10.0.0.1:8085"}]}' "$api/network/connect")" "400"
expect_contains "connect refused" "$(body)" "single-node network"

# another namespace sees its own services only
expect_eq "services of foo" "$(call "${AUTH[@]}" -H 'Micro-Namespace: foo' -d '{}' "$api/network/services")" "200"
expect_eq "foo is empty" "$(body)" '{"services":[]}'
echo "network: ok"
