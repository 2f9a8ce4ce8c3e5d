#!/usr/bin/env bash
# A standard gRPC implementation we did not write (Debian's python3-grpcio) calls
# `micro server`: every core service answers /<name>.Debug/Health with "ok",
# unknown paths get the upstream errors, and deadlines propagate.
. "$(dirname "$0")/lib.sh"
$PY -c 'import grpc' 2>/dev/null || fail "python3-grpcio is not installed (apt-get install python3-grpcio)"

micro_start_server

services="registry store config broker events auth runtime network"
out=$($PY "$MICRO_SRC/tests/integration/grpc_client.py" "$PROXY_ADDR" health $services)
want=$(for s in $services; do echo "$s ok"; done)
expect_eq "health of every core service" "$out" "$want"

# A known service with an unknown handler: Unimplemented, as upstream's gRPC server.
out=$($PY "$MICRO_SRC/tests/integration/grpc_client.py" "$PROXY_ADDR" call /registry.Nope/Call)
expect_eq "unknown handler" "$out" "UNIMPLEMENTED unknown service Nope"
out=$($PY "$MICRO_SRC/tests/integration/grpc_client.py" "$PROXY_ADDR" call /registry.Debug/Nope)
expect_eq "unknown method" "$out" "UNIMPLEMENTED unknown service Debug.Nope"

# A service nobody registered: the proxy's route error as micro error JSON.
out=$($PY "$MICRO_SRC/tests/integration/grpc_client.py" "$PROXY_ADDR" call /nosuch.Foo/Bar)
expect_eq "no route" "$out" \
  'INTERNAL {"id":"go.micro.client","code":500,"detail":"service nosuch: route not found","status":"Internal Server Error"}'

# curl as a gRPC client: it may send the request body after the server decided
# (no route, from the headers alone); the answer waits for the body, so curl
# (which drops answers that come before its upload ends) always gets the status.
printf '\0\0\0\0\2{}' >"$MICRO_HOME/frame.bin"
for i in $(seq 1 40); do
  st=$(curl -s --http2-prior-knowledge -o /dev/null -D - -H 'content-type: application/grpc+json' \
         -H 'te: trailers' --data-binary @"$MICRO_HOME/frame.bin" "http://$PROXY_ADDR/nosuch.Foo/Bar" |
       tr -d '\r' | sed -n 's/^grpc-status: //p') || fail "curl call $i failed at the transport"
  expect_eq "curl early answer $i" "$st" "13"
done

# A deadline the server can meet.
out=$($PY "$MICRO_SRC/tests/integration/grpc_client.py" "$PROXY_ADDR" deadline /auth.Debug/Health 2000)
expect_eq "call with deadline" "$out" "OK"
echo "grpc interop: ok"
