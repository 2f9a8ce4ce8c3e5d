#!/usr/bin/env bash
# The registry service in the real server: the core services' own registrations
# through the proxy (gRPC) and the API gateway (HTTP), a registration that expires
# after its TTL, a Watch stream seeing create/delete, and bad input answered with
# 400 while the server keeps serving.
. "$(dirname "$0")/lib.sh"
: "${GRPC_CALL:?GRPC_CALL must point at the grpc_call tool}"
micro_start_server
api="http://$API_ADDR"

# json_get FILE PYTHON-EXPR(d): evaluates an expression over the parsed JSON document
json_get() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# With an auth service in the server the registry wants an account (§5.2): log in as
# the default admin and check that anonymous callers get upstream's 401.
HDR=(); MD=()
TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{"id":"admin","secret":"micro"}' \
  "$api/auth/token" | $PY -c 'import json,sys
try: print(json.load(sys.stdin)["token"]["access_token"])
except Exception: pass')
if [ -n "$TOKEN" ]; then
  HDR=(-H "Authorization: Bearer $TOKEN"); MD=(-m "authorization=Bearer $TOKEN")
  expect_eq "anonymous list" "$(curl -s -o "$MICRO_HOME/body" -w '%{http_code}' "$api/registry/listServices")" "401"
  expect_eq "anonymous list body" "$(cat "$MICRO_HOME/body")" \
    '{"id":"registry.Registry.ListServices","code":401,"detail":"an account is required","status":"Unauthorized"}'
fi
call() { curl -s -o "$MICRO_HOME/body" -w '%{http_code}' -H 'Content-Type: application/json' "${HDR[@]}" "$@"; }
grpc() { $GRPC_CALL "${MD[@]}" "$@"; }

# --- GetService config through :8081 and :8080: upstream's document
grpc "$PROXY_ADDR" /registry.Registry/GetService '{"service":"config"}' >"$MICRO_HOME/grpc.json" ||
  fail "GetService config over gRPC: $(cat "$MICRO_HOME/grpc.json")"
expect_eq "config endpoints" \
  "$(json_get "$MICRO_HOME/grpc.json" '",".join(e["name"] for e in d["services"][0]["endpoints"])')" \
  "Config.Delete,Config.Get,Config.Read,Config.Set"
expect_eq "config metadata" "$(json_get "$MICRO_HOME/grpc.json" 'd["services"][0]["metadata"]')" \
  "{'domain': 'micro'}"
expect_eq "config node address" "$(json_get "$MICRO_HOME/grpc.json" 'd["services"][0]["nodes"][0]["address"]')" \
  "$PROXY_ADDR"
expect_eq "config node metadata" \
  "$(json_get "$MICRO_HOME/grpc.json" 'sorted(d["services"][0]["nodes"][0]["metadata"].items())')" \
  "[('broker', 'service'), ('protocol', 'grpc'), ('registry', 'service'), ('server', 'grpc'), ('transport', 'grpc')]"
expect_eq "GetService config over HTTP" "$(call "$api/registry/getService" -d '{"service":"config"}')" "200"
cmp -s "$MICRO_HOME/body" "$MICRO_HOME/grpc.json" ||
  $PY - "$MICRO_HOME/body" "$MICRO_HOME/grpc.json" <<'EOF' || fail "the gateway and the proxy disagree"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(0 if a == b else 1)
EOF
expect_eq "missing service" "$(call "$api/registry/getService" -d '{"service":"nope"}')" "404"
expect_eq "missing service body" "$(cat "$MICRO_HOME/body")" \
  '{"id":"registry.Registry.GetService","code":404,"detail":"service not found","status":"Not Found"}'

# --- ListServices lists every core service, as upstream's `micro services` shows them
expect_eq "ListServices" "$(call "$api/registry/listServices" -d '{}')" "200"
expect_eq "core services" \
  "$(json_get "$MICRO_HOME/body" '" ".join(sorted(s["name"] for s in d["services"]))')" \
  "api auth broker config events network proxy registry runtime store web"

# --- a Watch stream sees what happens next
grpc -t 6000 "$PROXY_ADDR" /registry.Registry/Watch '{"service":"greeter"}' \
  >"$MICRO_HOME/watch.out" 2>&1 &
watch_pid=$!
sleep 0.3

# --- a registration with a TTL of 2 s is listed, then gone shortly after its TTL
svc='{"name":"greeter","version":"1.0","nodes":[{"id":"greeter-1","address":"127.0.0.1:9"}],"options":{"ttl":"2"}}'
grpc "$PROXY_ADDR" /registry.Registry/Register "$svc" >/dev/null || fail "Register greeter"
registered=$(date +%s%N)
grpc "$PROXY_ADDR" /registry.Registry/ListServices '{}' >"$MICRO_HOME/list.json" || fail "ListServices"
expect_contains "greeter listed" "$(cat "$MICRO_HOME/list.json")" '"name":"greeter"'
expect_eq "greeter over HTTP" "$(call "$api/registry/getService" -d '{"service":"greeter"}')" "200"
expect_eq "greeter node" "$(json_get "$MICRO_HOME/body" 'd["services"][0]["nodes"][0]["id"]')" "greeter-1"
gone=""
for _ in $(seq 1 80); do
  if [ "$(call "$api/registry/getService" -d '{"service":"greeter"}')" == "404" ]; then
    gone=$(date +%s%N); break
  fi
  sleep 0.05
done
[ -n "$gone" ] || fail "greeter still registered 4 s after its 2 s TTL"
ms=$(( (gone - registered) / 1000000 ))
[ "$ms" -ge 1900 ] && [ "$ms" -le 3600 ] || fail "greeter expired after $ms ms (TTL 2 s)"

# register and deregister again for the watcher
grpc "$PROXY_ADDR" /registry.Registry/Register "$svc" >/dev/null || fail "Register greeter again"
grpc "$PROXY_ADDR" /registry.Registry/Deregister "$svc" >/dev/null || fail "Deregister greeter"
expect_eq "deregistered" "$(call "$api/registry/getService" -d '{"service":"greeter"}')" "404"
wait "$watch_pid" || true
actions=$($PY - "$MICRO_HOME/watch.out" <<'EOF'
import json, sys
out = []
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        out.append(r["action"] + ":" + r["service"]["name"])
print(" ".join(out))
EOF
)
expect_eq "watch events" "$actions" "create:greeter delete:greeter create:greeter delete:greeter"
expect_contains "watch ended by its deadline" "$(tail -1 "$MICRO_HOME/watch.out")" "DEADLINE_EXCEEDED"

# --- bad input: 400 with a micro error, and the server keeps serving
expect_eq "malformed JSON" "$(call "$api/registry/register" -d '{"name":')" "400"
expect_contains "malformed JSON body" "$(cat "$MICRO_HOME/body")" '"code":400'
expect_eq "wrong type" "$(call "$api/registry/register" -d '{"name":"x","nodes":"many"}')" "400"
expect_eq "wrong ttl type" "$(call "$api/registry/register" -d '{"name":"x","options":{"ttl":"soon"}}')" "400"
expect_eq "no name" "$(call "$api/registry/register" -d '{"version":"1"}')" "400"
expect_eq "no name body" "$(cat "$MICRO_HOME/body")" \
  '{"id":"registry.Registry.Register","code":400,"detail":"service name is required","status":"Bad Request"}'
out=$(grpc "$PROXY_ADDR" /registry.Registry/Register '{"name":"x","nodes":[{"address":"a:1"}]}') &&
  fail "a node without id was accepted"
expect_contains "node without id over gRPC" "$out" "INVALID_ARGUMENT"
out=$(grpc "$PROXY_ADDR" /registry.Registry/GetService '{"service":') &&
  fail "malformed JSON accepted over gRPC"
expect_contains "malformed JSON over gRPC" "$out" "INVALID_ARGUMENT"
expect_eq "still serving" "$(call "$api/registry/getService" -d '{"service":"registry"}')" "200"
kill -0 "$SERVER_PID" || fail "server died"
echo "registry: ok"
