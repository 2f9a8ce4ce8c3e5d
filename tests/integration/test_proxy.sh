#!/usr/bin/env bash
# The proxy forwards calls for services in other processes to a node from the
# registry: unary, server-stream and bidi, through :8081 and through the gateway on
# :8080; the namespace picks the domain; deadlines and dead nodes give upstream's
# errors; the server keeps serving.
. "$(dirname "$0")/lib.sh"
micro_start_server
hello_start
TOKEN=$(micro_admin_token)
auth=(); [ -n "$TOKEN" ] && auth=(-m "authorization=Bearer $TOKEN")
hello_register micro "${auth[@]}"

# unary through :8081 and :8080
out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Call '{"name":"Bob"}')
expect_eq "grpc unary" "$out" '{"msg":"Hello Bob"}'
out=$(curl -s "http://$API_ADDR/helloworld/call?name=Alice")
expect_eq "gateway unary" "$out" '{"msg":"Hello Alice"}'
out=$(curl -s -H 'Content-Type: application/json' -d '{"name":"Carol"}' "http://$API_ADDR/helloworld/call")
expect_eq "gateway JSON body" "$out" '{"msg":"Hello Carol"}'

# streams
out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Stream '{"count":3}' | tr '\n' ' ')
expect_eq "server stream" "$out" '{"msg":"Hello 0"} {"msg":"Hello 1"} {"msg":"Hello 2"} '
out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Echo '{"a":1}' '{"b":2}' | tr '\n' ' ')
expect_eq "bidi echo" "$out" '{"a":1} {"b":2} '

# a deadline shorter than the work: DEADLINE_EXCEEDED, and the proxy stays healthy
rc=0; out=$("$GRPC_CALL" -t 300 "$PROXY_ADDR" /helloworld.Helloworld/Slow '{"ms":2000}') || rc=$?
expect_eq "deadline exit" "$rc" "1"
expect_contains "deadline status" "$out" "DEADLINE_EXCEEDED"
out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Call '{"name":"again"}')
expect_eq "after deadline" "$out" '{"msg":"Hello again"}'

# another namespace sees no helloworld
rc=0; out=$("$GRPC_CALL" -m micro-namespace=other "$PROXY_ADDR" /helloworld.Helloworld/Call '{}') || rc=$?
expect_contains "other namespace" "$out" 'service helloworld: route not found'
code=$(curl -s -o "$MICRO_HOME/body" -w '%{http_code}' -H 'Micro-Namespace: other' "http://$API_ADDR/helloworld/call")
expect_eq "gateway other namespace" "$code" "500"

# the node goes away: the call fails with an error, the server keeps serving
hello_stop
rc=0; out=$("$GRPC_CALL" "$PROXY_ADDR" /helloworld.Helloworld/Call '{}') || rc=$?
expect_eq "dead node exit" "$rc" "1"
expect_contains "dead node status" "$out" "UNAVAILABLE"
code=$(curl -s -o "$MICRO_HOME/body" -w '%{http_code}' "http://$API_ADDR/helloworld/call")
expect_eq "gateway dead node" "$code" "500"
expect_contains "gateway dead node body" "$(cat "$MICRO_HOME/body")" "connection refused"
out=$("$GRPC_CALL" "$PROXY_ADDR" /registry.Debug/Health)
expect_eq "server still healthy" "$out" '{"status":"ok"}'
echo "proxy: ok"
