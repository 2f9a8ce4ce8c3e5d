#!/usr/bin/env bash
# `micro network ...` and `micro debug health|stats` against the real server:
# upstream's outputs (olekukonko tables with an extra final newline, sorted
# names, tab-indented JSON, the debug health and stats layouts) and their
# errors through upstream's CliError (stderr, spec §3.8 exit codes).
. "$(dirname "$0")/lib.sh"

micro_start_server
cli_harness
SERVICES="api\nauth\nbroker\nconfig\nevents\nnetwork\nproxy\nregistry\nruntime\nstore\nweb\n"

run network services; expect "before login" 2 "" "Not authorized to perform this request\n"
run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""

# --- network
run network services; expect "services" 0 "$SERVICES" ""
run network nodes
[ "$RC" == 0 ] || fail "nodes: exit $RC ($(cat "$T/err"))"
$PY - "$T/out" "$PROXY_ADDR" <<'PYEOF' || fail "nodes table: $(cat "$T/out")"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-2:] == ["", ""], lines          # the table's newline, then util.Print's
border, head, _, row, last = lines[:5]
assert border == last and re.fullmatch(r"\+-+\+-+\+", border), border
idw, addrw = (len(c) for c in border.strip("+").split("+"))
# the header is centred (the smaller half of the gap on the left), cells left-aligned
def centred(text, width):
    gap = width - 2 - len(text)
    return " " * (1 + gap // 2) + text + " " * (1 + gap - gap // 2)
assert head == "|" + centred("ID", idw) + "|" + centred("ADDRESS", addrw) + "|", head
cells = [c.strip() for c in row.strip("|").split("|")]
assert cells[0].startswith("network-") and cells[1] == sys.argv[2], cells
assert head.split("|")[1].strip() == "ID" and head.split("|")[2].strip() == "ADDRESS", head
PYEOF
run network routes --service store
[ "$RC" == 0 ] || fail "routes: exit $RC ($(cat "$T/err"))"
expect_eq "routes rows" "$(grep -c '^| ' "$T/out")" "2"
grep -q "^| store   | $PROXY_ADDR |         | network-[0-9a-f-]* | micro   | 1      | local |\$" "$T/out" \
  || fail "routes row: $(cat "$T/out")"
grep -q '^| SERVICE | .* | GATEWAY | .* | NETWORK | METRIC | LINK  |$' "$T/out" \
  || fail "routes header: $(cat "$T/out")"
run network routes --service nosuch
expect "routes none" 0 "+---------+---------+---------+--------+---------+--------+------+
| SERVICE | ADDRESS | GATEWAY | ROUTER | NETWORK | METRIC | LINK |
+---------+---------+---------+--------+---------+--------+------+
+---------+---------+---------+--------+---------+--------+------+

" ""
run network connections
expect "connections" 0 "+------+---------+\n| NODE | ADDRESS |\n+------+---------+\n+------+---------+\n\n" ""
run network graph
[ "$RC" == 0 ] || fail "graph: exit $RC"
head -2 "$T/out" | cmp -s - <(printf '{\n\t"root": {\n') || fail "graph JSON: $(cat -A "$T/out")"
$PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" || fail "graph is not JSON"
run network connect; expect "connect without address" 0 "" ""
run network connect 127.0.0.1:1
expect "connect" 127 "" "This server is a single-node network: it does not peer with others\n"

# --- debug
run debug health store
[ "$RC" == 0 ] || fail "health: exit $RC ($(cat "$T/err"))"
$PY - "$T/out" "$PROXY_ADDR" <<'PYEOF' || fail "health output: $(cat -A "$T/out")"
import re, sys
text = open(sys.argv[1]).read()
m = re.fullmatch(r"service  store\n\nversion latest\n\nnode\t\taddress:port\t\tstatus\n"
                 r"store-[0-9a-f-]{36}\t\t(\S+)\t\tok\n", text)
assert m and m.group(1) == sys.argv[2], text
PYEOF
run debug health nosuch; expect "health unknown" 128 "" "Service not found\n"
run debug health;        expect "health no name" 128 "" "Require service name\n"
run debug stats store
[ "$RC" == 0 ] || fail "stats: exit $RC ($(cat "$T/err"))"
$PY - "$T/out" "$PROXY_ADDR" <<'PYEOF' || fail "stats output: $(cat -A "$T/out")"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == "SERVICE    store" and lines[1] == "" and lines[2] == "VERSION    latest", lines
assert re.fullmatch(r"NODE +ADDRESS:PORT +STARTED +UPTIME +MEMORY +THREADS +GC", lines[4]), lines[4]
row = re.split(r" {4,}", lines[5])
assert row[0].startswith("store-") and row[1] == sys.argv[2], row
assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2} \d\d:\d\d:\d\d", row[2]), row
assert re.fullmatch(r"(\d+h)?(\d+m)?\d+s", row[3]) and re.fullmatch(r"\d+\.\d\dmb", row[4]), row
assert lines[4].index("ADDRESS:PORT") == lines[5].index(sys.argv[2]), "columns not aligned"
assert lines[6:] == ["", "", ""], lines[6:]
PYEOF
run debug stats nosuch; expect "stats unknown" 128 "" "Service not found\n"
run debug stats --all custom
[ "$RC" == 0 ] || fail "stats --all custom: exit $RC"
expect_eq "stats --all custom" "$(grep '^SERVICE' "$T/out")" "SERVICE    web"
run debug stats --all builtin
expect_eq "stats --all builtin" "$(grep '^SERVICE' "$T/out" | tr -s ' ' | cut -d' ' -f2 | tr '\n' ' ')" \
  "api auth broker config events network proxy registry runtime store "
run debug stats
[ "$RC" == 0 ] || fail "stats help: exit $RC"
expect_contains "stats help" "$(cat "$T/out")" "micro debug stats - Query the stats of specified service(s)"

# --- a server that is not there: exit 4 (spec §3.8)
RC=0; MICRO_HOME=$CLI_HOME MICRO_PROXY=127.0.0.1:1 "$MICRO_BIN" network services >"$T/out" 2>"$T/err" </dev/null || RC=$?
expect "unreachable" 4 "" "Failed to connect to micro server at 127.0.0.1:1\n"
echo "PASS test_cli_network"
