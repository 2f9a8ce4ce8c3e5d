#!/usr/bin/env bash
# Dynamic commands (spec §3.3) with the real server and the real `micro`: help at
# service and endpoint level byte for byte as upstream's transcript, calls of the
# core services the command table leaves to dynamic resolution, nested and typed
# flags, bad flags and values, a service registered during the test answering at
# once, and the schema cache (one round trip for a repeated command, refetched
# when it lacks an endpoint or grows old).
source "$(dirname "$0")/lib.sh"
micro_start_server
hello_start
export MICRO_PROXY=$PROXY_ADDR
T="$MICRO_SRC/tests/integration/transcript"
OUT="$MICRO_HOME/out" ERR="$MICRO_HOME/err"

# run WANT_EXIT ARGS...: runs micro, checks the exit code; stdout in $OUT, stderr in $ERR
run() {
  local want=$1; shift
  local rc=0
  "$MICRO_BIN" "$@" >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" == "$want" ] || fail "micro $*: exit $rc, want $want (stderr: $(head -c 300 "$ERR"))"
}
# same_file WHAT FILE EXPECTED_TEXT (byte for byte, trailing newlines included)
same_file() {
  local want; want=$(printf '%s_' "$3")
  local got; got=$(cat "$2"; printf _)
  [ "$got" == "$want" ] || fail "$1: got $(od -c "$2" | head -20)"
}
empty() { [ ! -s "$2" ] || fail "$1: not empty: $(head -c 300 "$2")"; }

run 0 login --username admin --password micro

# --- help, as the transcript (stderr, exit 0) --------------------------------------
run 0 registry --help
empty "registry --help stdout" "$OUT"
cmp -s "$ERR" "$T/registry-help.err" || fail "registry --help: $(cat -A "$ERR")"
run 0 registry            # the alias alone is the service's help (v3.13+)
cmp -s "$ERR" "$T/registry-help.err" || fail "registry: $(cat -A "$ERR")"
run 0 registry getService --help
empty "registry getService --help stdout" "$OUT"
cmp -s "$ERR" "$T/registry-getservice-help.err" || fail "getService --help: $(cat -A "$ERR")"
run 0 registry -h getService
cmp -s "$ERR" "$T/registry-getservice-help.err" || fail "-h getService: $(cat -A "$ERR")"
for svc in broker events runtime api; do
  run 0 "$svc" --help
  head -2 "$ERR" | tail -1 | grep -qx "	micro $svc" || fail "$svc --help: $(cat "$ERR")"
  grep -q '^COMMANDS:$' "$ERR" || fail "$svc --help has no commands"
done
run 0 events --help
same_file "events --help" "$ERR" $'NAME:\n\tmicro events\n\nVERSION:\n\tlatest\n\nUSAGE:\n\tmicro events [command]\n\nCOMMANDS:\n\tstore read\n\tstore write\n\tstream consume\n\tstream publish\n\n'
run 0 broker publish --help
same_file "broker publish --help" "$ERR" $'NAME:\n\tmicro broker publish\n\nUSAGE:\n\tmicro broker publish [flags]\n\nFLAGS:\n\t--topic string\n\t--message_header map[string]string\n\t--message_body []uint8\n\n'
run 0 events stream publish --help   # three words: handler and method
grep -q '^	--payload \[\]uint8$' "$ERR" || fail "events stream publish --help: $(cat "$ERR")"

# --- calls of the core services ----------------------------------------------------
run 0 registry getService --service=config
$PY "$T/compare_json.py" "$T/registry-getservice-config.out" "$OUT" || fail "getService --service=config differs from the transcript"
empty "getService stderr" "$ERR"
run 0 registry getService --service=config --options-domain=micro      # v3.10 nesting
cp "$OUT" "$MICRO_HOME/dash.json"
run 0 registry getService --service=config --options_domain=micro      # v3.0-v3.9 nesting
$PY "$T/compare_json.py" "$MICRO_HOME/dash.json" "$OUT" || fail "'-' and '_' differ"
run 0 registry getService --service config --options.domain micro      # "--k v" and '.'
$PY "$T/compare_json.py" "$MICRO_HOME/dash.json" "$OUT" || fail "'--k v' differs"
run 127 registry getService --service=config --options-domain=nosuch   # the domain reached the server
same_file "other domain" "$ERR" $'Service not found\n'
run 0 registry listServices
$PY -c 'import json,sys; names=sorted(s["name"] for s in json.load(open(sys.argv[1]))["services"]); assert "config" in names and "registry" in names, names' "$OUT" \
  || fail "registry listServices"
run 0 api readBlockList
same_file "api readBlockList" "$OUT" $'{\n\t"ids": []\n}\n'
run 0 broker publish --topic=cli-dyn --message-header a=b --message-body aGk=   # map as k=v, bytes
same_file "broker publish" "$OUT" $'{}\n'
run 0 broker publish --topic=cli-dyn --message-header '{"a":"b","c":"d"}'        # map as JSON
same_file "broker publish json map" "$OUT" $'{}\n'

# --- bad flags and values: one clear line on stderr, nothing on stdout --------------
run 1 registry getService --options_ttl=abc
same_file "bad int64" "$ERR" $'Invalid value "abc" for flag --options_ttl: expected int64\n'
empty "bad value stdout" "$OUT"
run 1 registry getService --options-ttl=99999999999999999999
same_file "int64 overflow" "$ERR" $'Invalid value "99999999999999999999" for flag --options-ttl: expected int64\n'
run 0 registry getService --service=config --options-ttl=0x10     # base auto-detected
run 128 registry getService --bogus=1
same_file "unknown flag" "$ERR" $'Unknown flag: bogus\n'
run 128 registry getService --options-bogus=1
same_file "unknown nested flag" "$ERR" $'Unknown flag: options-bogus\n'
run 128 registry getService --a=b=c
same_file "two =" "$ERR" $'Invalid flag: --a=b=c. Expected format: --foo=bar\n'
run 128 registry nope
same_file "unknown endpoint" "$ERR" $'Endpoint Registry.Nope not found for service registry\n'
run 128 registry nope --help
same_file "help of an unknown endpoint" "$ERR" $'Endpoint Registry.Nope not found for service registry\n'
run 128 registry a b c d
same_file "too many words" "$ERR" $'Incorrect number of arguments\n'
run 1 nosuchcmd
same_file "not a service" "$ERR" $'Unrecognized micro command: nosuchcmd. Please refer to \'micro --help\'\n'

# --- a service registered now: callable at once ------------------------------------
run 1 helloworld --name=Alice
hello_register micro -m "authorization=Bearer $(micro_admin_token)"
run 0 helloworld --name=Alice           # no endpoints published: flags go as strings
same_file "helloworld" "$OUT" $'{\n\t"msg": "Hello Alice"\n}\n'
empty "helloworld stderr" "$ERR"

# the same service with endpoint schemas, as a real service registers itself
schema() { # NAME FIELD TYPE
  printf '{"name":"%s","request":{"name":"Req","type":"Req","values":[{"name":"%s","type":"%s","values":[]}]},"response":{"name":"Rsp","type":"Rsp","values":[]},"metadata":{}}' "$1" "$2" "$3"
}
register() { # VERSION ENDPOINTS_JSON
  "$GRPC_CALL" -m "authorization=Bearer $(micro_admin_token)" "$PROXY_ADDR" /registry.Registry/Register \
    "{\"name\":\"helloworld\",\"version\":\"$1\",\"endpoints\":[$2],\"nodes\":[{\"id\":\"helloworld-1\",\"address\":\"$HELLO_ADDR\"}],\"options\":{\"ttl\":\"90\",\"domain\":\"micro\"}}" >/dev/null \
    || fail "cannot register helloworld $1"
}
deregister() { # VERSION
  "$GRPC_CALL" -m "authorization=Bearer $(micro_admin_token)" "$PROXY_ADDR" /registry.Registry/Deregister \
    "{\"name\":\"helloworld\",\"version\":\"$1\",\"nodes\":[{\"id\":\"helloworld-1\"}],\"options\":{\"domain\":\"micro\"}}" >/dev/null
}
deregister latest
register v1 "$(schema Helloworld.Call name string),$(schema Helloworld.Stream count int32)"
rm -rf "$MICRO_HOME/cache"
run 0 helloworld --name=Bob
same_file "helloworld typed" "$OUT" $'{\n\t"msg": "Hello Bob"\n}\n'
CACHE="$MICRO_HOME/cache/local/micro/helloworld.json"
[ -f "$CACHE" ] || fail "no cache file $CACHE"
[ "$(stat -c %a "$CACHE")" == 600 ] || fail "cache file mode $(stat -c %a "$CACHE")"
run 128 helloworld --nmae=Bob
same_file "typo in a flag" "$ERR" $'Unknown flag: nmae\n'
run 1 helloworld stream --count=many
same_file "bad int32" "$ERR" $'Invalid value "many" for flag --count: expected int32\n'
run 0 helloworld --help
same_file "helloworld --help" "$ERR" $'NAME:\n\tmicro helloworld\n\nVERSION:\n\tv1\n\nUSAGE:\n\tmicro helloworld [command]\n\nCOMMANDS:\n\tcall\n\tstream\n\n'

# --- the cache: a repeated command makes one call, not GetService + call ------------
# Mark the cached entry: while it is used, help shows the mark; a GetService would not.
mark() { $PY - "$CACHE" "$1" <<'EOF'
import json, sys
path, what = sys.argv[1], sys.argv[2]
doc = json.load(open(path))
if what == "mark":
    doc["service"]["version"] = "from-the-cache"
elif what == "old":
    doc["fetched"] = 0
open(path, "w").write(json.dumps(doc))
EOF
}
mark mark
run 0 helloworld --name=Carol
same_file "cached call" "$OUT" $'{\n\t"msg": "Hello Carol"\n}\n'
run 0 helloworld --help
grep -qx '	from-the-cache' "$ERR" || fail "the cached entry was not used: $(cat "$ERR")"
# an endpoint the cached entry does not know: refetched once, then called
deregister v1
register v1 "$(schema Helloworld.Call name string),$(schema Helloworld.Slow ms int32)"
run 0 helloworld slow --ms=1
same_file "refetched endpoint" "$OUT" $'{}\n'
run 0 helloworld --help
grep -qx '	v1' "$ERR" || fail "the cache was not refreshed: $(cat "$ERR")"
grep -qx '	slow' "$ERR" || fail "the refreshed entry lacks slow: $(cat "$ERR")"
# an entry older than the cache's max age is refetched
mark mark; mark old
run 0 helloworld --help
grep -qx '	v1' "$ERR" || fail "an old entry was used: $(cat "$ERR")"

# --- a streaming endpoint prints every message as it arrives (upstream printed none)
SUB="$MICRO_HOME/sub.out"
timeout 5 "$MICRO_BIN" broker subscribe --topic=dyn-news >"$SUB" 2>&1 &
SUB_PID=$!
for _ in $(seq 1 50); do
  run 0 broker publish --topic=dyn-news --message_body=aGVsbG8
  grep -q '"body": "aGVsbG8="' "$SUB" && break
  sleep 0.1
done
grep -q '"body": "aGVsbG8="' "$SUB" || fail "broker subscribe printed: $(cat "$SUB")"
kill "$SUB_PID" 2>/dev/null; wait "$SUB_PID" 2>/dev/null || true
run 0 events stream publish --topic=dyn-orders --payload=aGk
timeout 3 "$MICRO_BIN" events stream consume --topic=dyn-orders --offset=1 >"$SUB" 2>&1 || true
grep -q '"payload": "aGk="' "$SUB" || fail "events stream consume printed: $(cat "$SUB")"

# --- the server gone -----------------------------------------------------------------
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
run 4 nosuchcmd
same_file "server down" "$ERR" "Failed to connect to micro server at $PROXY_ADDR"$'\n'
run 4 helloworld --name=Dave     # the entry is cached; the call cannot be made
same_file "server down, cached" "$ERR" "Failed to connect to micro server at $PROXY_ADDR"$'\n'
echo "PASS test_cli_dynamic"
