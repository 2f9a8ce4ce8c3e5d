#!/usr/bin/env bash
# The broker in the real server: a subscriber gets what is published on its
# topic from then on, with the publisher's metadata (never its token) in the
# header; topics are per namespace; subscribers of one queue share the messages;
# an account is required; a bad topic is a 400.
. "$(dirname "$0")/lib.sh"
micro_start_server "$@"
api="http://$API_ADDR"

TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "no admin token"
MD=(-m authorization="Bearer $TOKEN")
curl -s -o /dev/null -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
  -d '{"id":"eve","secret":"evepw","options":{"namespace":"foo"}}' "$api/auth/auth/generate"
EVE=$(curl -s -H 'Content-Type: application/json' \
  -d '{"id":"eve","secret":"evepw","options":{"namespace":"foo"}}' "$api/auth/auth/token" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["token"]["access_token"])')
[ -n "$EVE" ] || fail "no token for eve"

SUBS=()
sub() { # sub NAME TOKEN JSON: a Subscribe stream for 3 s, output in $MICRO_HOME/NAME.out
  "$GRPC_CALL" -m authorization="Bearer $2" -t 3000 "$PROXY_ADDR" /broker.Broker/Subscribe "$3" \
    >"$MICRO_HOME/$1.out" 2>&1 &
  SUBS+=($!)
}
# the subscribers end at their deadline (the server is a background job too)
wait_subs() { for p in "${SUBS[@]}"; do wait "$p" || true; done; SUBS=(); }
sub all "$TOKEN" '{"topic":"events"}'
sub q1 "$TOKEN" '{"topic":"events","queue":"workers"}'
sub q2 "$TOKEN" '{"topic":"events","queue":"workers"}'
sub other "$TOKEN" '{"topic":"other"}'
sub eve "$EVE" '{"topic":"events"}'
sleep 0.5   # let every stream open before publishing

pub() { "$GRPC_CALL" "${MD[@]}" -m x-trace=abc "$PROXY_ADDR" /broker.Broker/Publish "$1"; }
expect_eq "publish 1" "$(pub '{"topic":"events","message":{"header":{"k":"v"},"body":"b25l"}}')" "{}"
expect_eq "publish 2" "$(pub '{"topic":"events","message":{"body":"dHdv"}}')" "{}"
wait_subs

bodies() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    l=l.strip()
    if l.startswith("{"): print(json.loads(l).get("body",""))' "$1"; }
expect_eq "subscriber got both" "$(bodies "$MICRO_HOME/all.out" | tr '\n' ' ')" "b25l dHdv "
first=$(head -1 "$MICRO_HOME/all.out")
expect_contains "own header kept" "$first" '"k":"v"'
expect_contains "metadata copied" "$first" '"X-Trace":"abc"'
case "$first" in *uthorization*|*"$TOKEN"*) fail "the publisher's token reached a subscriber" ;; esac
expect_eq "queue shares" "$(cat "$MICRO_HOME/q1.out" "$MICRO_HOME/q2.out" | grep -c '"body"')" "2"
expect_eq "queue member 1 got one" "$(grep -c '"body"' "$MICRO_HOME/q1.out")" "1"
expect_eq "other topic got nothing" "$(grep -c '"body"' "$MICRO_HOME/other.out" || true)" "0"
expect_eq "other namespace got nothing" "$(grep -c '"body"' "$MICRO_HOME/eve.out" || true)" "0"

# eve's namespace has its own "events" topic
sub eve2 "$EVE" '{"topic":"events"}'
sleep 0.3
"$GRPC_CALL" -m authorization="Bearer $EVE" "$PROXY_ADDR" /broker.Broker/Publish \
  '{"topic":"events","message":{"body":"Zm9v"}}' >/dev/null
wait_subs
expect_eq "eve got hers" "$(bodies "$MICRO_HOME/eve2.out")" "Zm9v"

# no account, bad topic
out=$("$GRPC_CALL" "$PROXY_ADDR" /broker.Broker/Publish '{"topic":"events"}') && fail "anonymous publish"
expect_eq "anonymous publish" "$out" "UNAUTHENTICATED	{\"id\":\"broker.Broker.Publish\",\"code\":401,\"detail\":\"an account is required\",\"status\":\"Unauthorized\"}"
out=$("$GRPC_CALL" "${MD[@]}" "$PROXY_ADDR" /broker.Broker/Publish '{"topic":""}') && fail "empty topic"
expect_contains "empty topic" "$out" '"code":400'
out=$("$GRPC_CALL" -t 2000 "$PROXY_ADDR" /broker.Broker/Subscribe '{"topic":"events"}') && fail "anonymous subscribe"
expect_contains "anonymous subscribe" "$out" '"code":401'
# and over HTTP
expect_eq "publish via gateway" "$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
  -d '{"topic":"x","message":{"body":"eA=="}}' "$api/broker/publish")" "{}"
echo "broker: ok"
