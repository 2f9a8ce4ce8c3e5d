#!/usr/bin/env bash
# `micro dashboard` typed into for real in a tmux pane against the real server
# with a service run by the runtime (a Makefile and a script that prints every
# line the test appends to a file) and the python helloworld registered:
#  - the list shows both (helloworld with its node, echoer running); `/`
#    filters it; Enter opens helloworld's detail (its node);
#  - `l` opens echoer's log: lines the test makes it print appear, JSON lines
#    read as "LEVEL msg k=v", `/` filters the log; `?` shows the key table;
#  - `u` restarts the service and the log goes on; `:` runs a command (Tab
#    completes it); `K` `y` kills it and it leaves the list; `micro run` again
#    and the log view resumes with the new process's lines;
#  - the server killed and started again: shown as disconnected, then
#    connected, the log going on without repeating lines;
#  - `q` quits, SIGTERM and Ctrl-C too, the terminal sane each time; a resize
#    redraws at the new size; --dump-screen prints frames without a terminal;
#  - a flood of 10,000 lines in about a second while keys are pressed: keys
#    redrawn within 50 ms, the last line on screen within 1 s, none dropped,
#    all 10,000 in the saved log.
source "$(dirname "$0")/../integration/lib.sh"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/deps.sh installs it)"
micro_start_server
hello_start
cli_harness
TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "no admin token"
hello_register micro -m authorization="Bearer $TOKEN"
run login --username admin --password micro
expect "login" 0 "Successfully logged in.\n" ""

SRC=$(mktemp -d /tmp/micro-dash-src.XXXXXX)
MICRO_EXTRA_DIRS+=("$SRC")
IN=$SRC/in
: >"$IN"
mkdir -p "$SRC/echoer"
cat >"$SRC/echoer/echoer.sh" <<EOS
#!/bin/sh
echo "echoer starting \$\$"
exec tail -n 0 -F "$IN" 2>/dev/null
EOS
printf 'echoer: echoer.sh\n\tcp echoer.sh echoer && chmod +x echoer\n' >"$SRC/echoer/Makefile"
m run "$SRC/echoer" >/dev/null 2>&1 || fail "micro run echoer: $(m run "$SRC/echoer" 2>&1)"

. "$(dirname "$0")/tmux_lib.sh"
tui_start 100x30 "cd '$T'"
screen_has '^bash\$'

# --- the service list: the runtime's service and the registry's
keys 'micro dashboard' Enter
screen_has '\| connected'
screen_has '^echoer +latest +running'
screen_has '^helloworld +latest +- +- +- +1 '

# --- / filters the list; Esc clears the filter
keys / h e l l o Enter
screen_has 'Services \(1 matching /hello/\)'
screen_lacks '^echoer '
keys Escape
screen_has '^echoer +latest +running'

# --- Enter opens the detail of helloworld (its node); q back
keys / h e l l o Enter Enter
screen_has "Service: helloworld"
screen_has "helloworld-1 +$HELLO_ADDR"
keys q Escape
screen_has '^echoer +latest +running'

# --- l opens echoer's log; lines the service prints show up
keys / e c h o Enter l
screen_has 'Logs: echoer \(live\)'
echo "first from the test" >>"$IN"
screen_has '^first from the test$'
echo '{"level":"warn","msg":"disk low","free":12}' >>"$IN"
screen_has '^WARN disk low free=12$'
# / filters the log
keys / f i r s t Enter
screen_has 'filter /first/'
screen_lacks '^WARN disk low'
screen_has '^first from the test$'
keys Escape
screen_has '^WARN disk low'

# --- ? shows the key table
keys '?'
screen_has 'follow on/off'
keys q
screen_has 'Logs: echoer'

# --- u updates (restarts) the service: its log goes on with the new process
starts() { screen | grep -c '^echoer starting [0-9]*$' || true; }
[ "$(starts)" == 1 ] || fail "want one start line: $(screen)"
keys u
for _ in $(seq 1 100); do [ "$(starts)" -ge 2 ] && break; sleep 0.1; done
[ "$(starts)" -ge 2 ] || fail "no new start line after u: $(screen)"
screen_has 'Logs: echoer \(live\)'
echo "after the update" >>"$IN"
screen_has '^after the update$'

# --- : runs a micro command, Tab completes it; its output in a view, q back
keys : s t a t Tab
screen_has '^:status _'
keys Enter
screen_has ':status +\(exit 0\)'
screen_has '^echoer +latest +/tmp/micro-dash-src'
keys q
screen_has 'Logs: echoer'

# --- K kills the service (after y): it leaves the list
keys q
screen_has '^echoer +latest +running'
keys K
screen_has 'kill echoer\? \(y/n\)'
keys y
screen_lacks '^echoer '

# --- run again: the log view resumes with the new process's lines
m run "$SRC/echoer" >/dev/null 2>&1 || fail "micro run echoer again"
screen_has '^echoer +latest +running'
keys l
screen_has 'Logs: echoer \(live\)'
echo "after the restart" >>"$IN"
screen_has '^after the restart$'

# --- the server goes away (kill -9): the header says so; it comes back on the same
# port: connected again, the runtime runs the service again and the log goes on,
# without the lines already shown coming twice
micro_kill9_server
screen_has 'DISCONNECTED: '
micro_restart_server --proxy_address "$PROXY_ADDR"
screen_has '\| connected'
screen_has 'Logs: echoer \(live\)'
sleep 1 # tail -F in the new process starts at the end of the input
echo "after the server restart" >>"$IN"
screen_has '^after the server restart$'
[ "$(screen | grep -c '^after the restart$')" == 1 ] || fail "lines repeated after the reconnect:
$(screen)"

# --- q back, q quits; the terminal is restored
keys q q
screen_has '^bash\$'
screen | grep -q 'Sanitizer' && fail "the dashboard reported a sanitizer error: $(screen)"
keys 'echo "rc=$?"' Enter
screen_has '^rc=0$'
keys 'clear; stty -a | tr " ;" "\n\n" | grep -Ex -- "-?(echo|icanon|isig)" | tr "\n" " "; echo' Enter
screen_has "^isig icanon echo ?$"

# --- SIGTERM restores the terminal too
keys 'clear; micro dashboard' Enter
screen_has '\| connected'
pkill -TERM -x micro -P "$(tmux -S "$TMUX_SOCK" display -p -t p '#{pane_pid}')" ||
  fail "no dashboard process to signal"
screen_has '^bash\$'
keys 'clear; stty -a | tr " ;" "\n\n" | grep -Ex -- "-?(echo|icanon|isig)" | tr "\n" " "; echo' Enter
screen_has "^isig icanon echo ?$"

# --- a resize redraws at the new size (the hints on the new last row); Ctrl-C
# quits with 130 and the terminal restored
keys 'clear; micro dashboard' Enter
screen_has '\| connected'
tmux -S "$TMUX_SOCK" resize-window -t p -x 70 -y 20
for _ in $(seq 1 100); do
  [ "$(screen | wc -l)" == 20 ] && screen | tail -1 | grep -q '^Enter open' && break
  sleep 0.05
done
[ "$(screen | wc -l)" == 20 ] && screen | tail -1 | grep -q '^Enter open' ||
  fail "no redraw at 70x20: $(screen)"
screen_has '^echoer +latest +running'
keys C-c
screen_has '^bash\$'
tmux -S "$TMUX_SOCK" resize-window -t p -x 100 -y 30
keys 'echo "rc=$?"' Enter
screen_has '^rc=130$'
keys 'clear; stty -a | tr " ;" "\n\n" | grep -Ex -- "-?(echo|icanon|isig)" | tr "\n" " "; echo' Enter
screen_has "^isig icanon echo ?$"

# --- --dump-screen: frames as text, no terminal needed
run dashboard --dump-screen --frames 1 --size 90x12
[ "$RC" == 0 ] && [ ! -s "$T/err" ] || fail "dump-screen exit $RC: $(cat "$T/err")"
grep -Eq '^echoer +latest +running' "$T/out" || fail "dump-screen frame: $(cat "$T/out")"
[ "$(grep -c '' "$T/out")" == 13 ] || fail "dump-screen: want 12 rows and a separator: $(cat -A "$T/out")"

# --- a flood: 10,000 lines in about a second while keys are pressed: every key
# redrawn within 50 ms, the last line on screen within 1 s of being written
# (the dashboard's MICRO_DASH_TRACE times), none dropped, all in the saved log
keys "clear; MICRO_DASH_TRACE=$T/trace micro dashboard --log echoer" Enter
screen_has 'Logs: echoer \(live\)'
$PY - "$IN" "$T/last_ns" <<'PY' &
import sys, time
with open(sys.argv[1], "a") as f:
    for i in range(10000):
        f.write("flood %05d\n" % i)
        if i % 1000 == 999:
            f.flush()
            written = time.time_ns()  # the last flush is when flood 09999 was written
            time.sleep(0.1)
open(sys.argv[2], "w").write("%d\n" % written)
PY
FLOOD=$!
for _ in $(seq 1 10); do keys k; sleep 0.05; keys G; sleep 0.05; done
wait "$FLOOD"
screen_has '^flood 09999$'
screen_has ', 0 dropped'
$PY - "$T/trace" "$T/last_ns" <<'PY' || fail "flood timings"
import sys
keys = [float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("key ")]
seen = [int(l.split()[1]) for l in open(sys.argv[1]) if l.rstrip().endswith(" flood 09999")]
written = int(open(sys.argv[2]).read())
assert len(keys) >= 20, "keys traced: %d" % len(keys)
assert max(keys) <= 50, "slowest keypress->redraw %.1f ms" % max(keys)
assert seen, "the last line was never drawn"
assert seen[0] - written <= 1e9, "last line visible %.0f ms after written" % ((seen[0] - written) / 1e6)
print("flood: keys max %.1f ms, last line after %.1f ms" % (max(keys), (seen[0] - written) / 1e6))
PY
keys s
screen_has 'saved [0-9]+ lines to echoer-'
saved=$(ls "$T"/echoer-*.log | head -1)
[ "$(grep -c '^flood ' "$saved")" == 10000 ] || fail "saved log has $(grep -c '^flood ' "$saved") flood lines, want 10000"
[ "$(grep '^flood ' "$saved" | sort -u | wc -l)" == 10000 ] || fail "saved log repeats lines"
keys Q
screen_has '^bash\$'
screen | grep -q 'Sanitizer' && fail "the dashboard reported a sanitizer error: $(screen)"
echo "PASS"
