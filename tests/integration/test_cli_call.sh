#!/usr/bin/env bash
# `micro call`, `micro stream`, `micro services` and `micro get service` with the
# real server and the real `micro`: outputs byte for byte, -o raw, --metadata,
# --request_timeout, --address (straight to a node), and their errors and exit
# codes (spec §3.2, §3.4, §3.6, §3.8).
source "$(dirname "$0")/lib.sh"
micro_start_server
hello_start
export MICRO_PROXY=$PROXY_ADDR
OUT="$MICRO_HOME/out" ERR="$MICRO_HOME/err"

run() { # WANT_EXIT ARGS...
  local want=$1; shift
  local rc=0
  "$MICRO_BIN" "$@" >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" == "$want" ] || fail "micro $*: exit $rc, want $want (stderr: $(head -c 300 "$ERR"))"
}
same_file() { # WHAT FILE EXPECTED_TEXT
  local want; want=$(printf '%s_' "$3")
  local got; got=$(cat "$2"; printf _)
  [ "$got" == "$want" ] || fail "$1: got $(od -c "$2" | head -20)"
}
empty() { [ ! -s "$2" ] || fail "$1: not empty: $(head -c 300 "$2")"; }

run 2 services
same_file "services before login" "$ERR" $'Not authorized to perform this request\n'
run 0 login --username admin --password micro

# --- services ------------------------------------------------------------------------
CORE=$'api\nauth\nbroker\nconfig\nevents\nnetwork\nproxy\nregistry\nruntime\nstore\nweb\n'
run 0 services
same_file "services" "$OUT" "$CORE"
empty "services stderr" "$ERR"
hello_register micro -m "authorization=Bearer $(micro_admin_token)"
run 0 services
same_file "services with helloworld" "$OUT" "$(printf '%s' "$CORE" | sed 's/^events$/events\nhelloworld/')"$'\n'

# --- get service -----------------------------------------------------------------------
run 0 get service helloworld
same_file "get service helloworld" "$OUT" "service  helloworld

version latest

ID	Address	Metadata
helloworld-1	$HELLO_ADDR	
"
run 0 get service config
grep -qx 'service  config' "$OUT" || fail "get service config: $(head -3 "$OUT")"
# the request of Config.Get as upstream's formatEndpoint lays it out
$PY - "$OUT" <<'EOF' || fail "get service config layout"
import sys
text = open(sys.argv[1]).read()
want = ("\nEndpoint: Config.Get\n\nRequest: {\n\tnamespace string\n\tpath string\n"
        "\toptions Options {\n\t\tsecret bool\n\t}\n}\n\nResponse: {\n\tvalue Value {\n"
        "\t\tdata string\n\t\tformat string\n\t}\n}\n")
assert want in text, text[:2000]
assert "\nEndpoint: Config.Delete\n\nRequest: {\n\tnamespace string\n\tpath string\n}\n\nResponse: {}\n" in text
EOF
run 0 get service registry
grep -qx 'Metadata: stream=true,stream_kind=server' "$OUT" || fail "endpoint metadata: $(grep -n Metadata "$OUT")"
run 128 get service nosuch
same_file "get service nosuch" "$ERR" $'Service not found\n'
run 0 get service            # no name: the command's help, as upstream
grep -q 'micro get service' "$OUT" || fail "get service help: $(cat "$OUT")"

# --- call ------------------------------------------------------------------------------
run 0 call helloworld Helloworld.Call '{"name":"Alice"}'
same_file "call" "$OUT" $'{\n\t"msg": "Hello Alice"\n}\n'
empty "call stderr" "$ERR"
run 0 call helloworld Helloworld.Call '{"name":' '"Two' 'Words"}'   # the words are joined
same_file "call joined" "$OUT" $'{\n\t"msg": "Hello Two Words"\n}\n'
run 0 call -o raw helloworld Helloworld.Call '{"name":"Raw"}'
same_file "call -o raw" "$OUT" $'{"msg":"Hello Raw"}\n'
run 0 call --output=json helloworld Helloworld.Call '{"name":"J"}'
same_file "call --output=json" "$OUT" $'{\n\t"msg": "Hello J"\n}\n'
run 0 call registry Registry.GetService '{"service":"config"}'
cp "$OUT" "$MICRO_HOME/call.json"
run 0 registry getService --service=config
cmp -s "$OUT" "$MICRO_HOME/call.json" || fail "call and the dynamic command differ"
run 0 call --metadata Foo=bar --metadata X-Trace=1 helloworld Helloworld.Call '{"name":"Md"}'
same_file "call --metadata" "$OUT" $'{\n\t"msg": "Hello Md"\n}\n'
run 0 call --address "$HELLO_ADDR" helloworld Helloworld.Call '{"name":"Direct"}'
same_file "call --address" "$OUT" $'{\n\t"msg": "Hello Direct"\n}\n'
run 4 call --address 127.0.0.1:1 helloworld Helloworld.Call '{}'
same_file "call --address unreachable" "$ERR" $'Failed to connect to micro server at 127.0.0.1:1\n'
run 1 call --request_timeout=200ms helloworld Helloworld.Slow '{"ms":3000}'
same_file "request timeout" "$ERR" $'Request timed out\n'
run 0 call --request_timeout=5s helloworld Helloworld.Slow '{"ms":10}'
same_file "within the timeout" "$OUT" $'{}\n'
run 2 call --request_timeout=soon helloworld Helloworld.Call '{}'
same_file "bad duration" "$ERR" $'Invalid format for request_timeout duration. Try 500ms or 5s\n'
run 1 call helloworld Helloworld.Call '{"name":'
same_file "bad JSON" "$ERR" $'Error creating request invalid JSON\n'
run 1 call helloworld Helloworld.Call '[1]'
same_file "not an object" "$ERR" $'Error creating request json: cannot unmarshal a non-object into a request\n'
run 0 call
grep -q 'micro call' "$OUT" || fail "call help: $(cat "$OUT")"
run 3 call helloworld Call '{}'
same_file "malformed method" "$ERR" $'Method name "Call" invalid format. Expecting service.endpoint\n'

# --- stream ----------------------------------------------------------------------------
run 0 stream helloworld Helloworld.Stream '{"count":3}'
same_file "stream" "$OUT" $'{\n\t"msg": "Hello 0"\n}\n{\n\t"msg": "Hello 1"\n}\n{\n\t"msg": "Hello 2"\n}\n'
run 0 stream -o raw helloworld Helloworld.Stream '{"count":2}'
same_file "stream -o raw" "$OUT" $'{"msg":"Hello 0"}\n{"msg":"Hello 1"}\n'
run 0 stream helloworld Helloworld.Stream '{"count":0}'
empty "empty stream" "$OUT"

# --- the server gone ---------------------------------------------------------------------
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
run 4 services
same_file "services, server down" "$ERR" "Failed to connect to micro server at $PROXY_ADDR"$'\n'
run 4 call helloworld Helloworld.Call '{}'
same_file "call, server down" "$ERR" "Failed to connect to micro server at $PROXY_ADDR"$'\n'
echo "PASS test_cli_call"
