#!/usr/bin/env bash
# The interactive prompt typed into for real: `micro` runs in a tmux pane
# (tmux makes its own terminal, so this runs in CI without one) against the
# real server and the python helloworld, and every step reads the screen with
# capture-pane: completion of a builtin, a service, an endpoint and a nested
# field with its type listed; a call; a guided call and a cancelled one;
# Ctrl-C clearing the line and cancelling a Registry.Watch stream; a service
# registered while the prompt runs completing at once and a deregistered one
# no longer completing (the registry watch); Ctrl-C at login's password in
# the prompt and in one-shot use (exit 130, echo back); one-shot --edit on a
# terminal and refused without one; leaving promptly; history kept
# across a restart in history/<env> (0600); `micro cli` and `exit N`; and the
# terminal sane (echo, icanon) after the prompt exits.
source "$(dirname "$0")/../integration/lib.sh"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/deps.sh installs it)"
micro_start_server
hello_start
cli_harness

TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "no admin token"
# register NAME: a service on the helloworld node, with Helloworld.Call's schema
register() {
  "$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /registry.Registry/Register \
    "{\"name\":\"$1\",\"version\":\"latest\",\"nodes\":[{\"id\":\"$1-1\",\"address\":\"$HELLO_ADDR\"}],
      \"endpoints\":[{\"name\":\"Helloworld.Call\",
        \"request\":{\"name\":\"Request\",\"type\":\"Request\",\"values\":[{\"name\":\"name\",\"type\":\"string\"}]},
        \"response\":{\"name\":\"Response\",\"type\":\"Response\",\"values\":[{\"name\":\"msg\",\"type\":\"string\"}]}}],
      \"options\":{\"ttl\":\"300\",\"domain\":\"micro\"}}" >/dev/null || fail "cannot register $1"
}
deregister() {
  "$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /registry.Registry/Deregister \
    "{\"name\":\"$1\",\"version\":\"latest\",\"nodes\":[{\"id\":\"$1-1\",\"address\":\"$HELLO_ADDR\"}],
      \"options\":{\"domain\":\"micro\"}}" >/dev/null || fail "cannot deregister $1"
}
register helloworld
run login --username admin --password micro
expect "login" 0 "Successfully logged in.\n" ""

SCREEN_KEEP_SPACES=1   # the edited line's trailing spaces matter here
. "$(dirname "$0")/tmux_lib.sh"
# last_line_is PATTERN: the last non-empty line of the pane (the line being edited)
last_line_is() {
  local last=""
  for _ in $(seq 1 100); do
    last=$(screen | grep -v '^ *$' | tail -1 || true)
    [[ "$last" =~ $1 ]] && return 0
    sleep 0.05
  done
  fail "the last line is '$last', want /$1/:
$(screen)"
}
# fresh: an empty line on a cleared screen
fresh() { keys C-u; keys C-l; last_line_is '^local:micro> $'; }

tui_start 160x40
last_line_is '^bash\$ $'
keys 'micro' Enter
last_line_is '^local:micro> $'

# --- completion: a builtin, a service, an endpoint, a nested field -----------------------
keys 'sto' Tab
last_line_is '^local:micro> store $'
fresh
keys 'he' Tab
last_line_is '^local:micro> helloworld $'
keys 'c' Tab
last_line_is '^local:micro> helloworld call $'
fresh
keys 'registry getService --opt' Tab
last_line_is '^local:micro> registry getService --options_$'
keys Tab Tab
screen_has '^--options_domain= +string$'
screen_has '^--options_ttl= +int64$'
keys 'd' Tab
last_line_is '^local:micro> registry getService --options_domain=$'

# --- a call, then guided calls ------------------------------------------------------------
fresh
keys 'helloworld call --name=Bob' Enter
screen_has '"msg": "Hello Bob"'
last_line_is '^local:micro> $'
fresh
keys 'helloworld call' Enter
last_line_is '^name \(string\) => $'
keys 'Eve' Enter
screen_has '"msg": "Hello Eve"'
last_line_is '^local:micro> $'
# --edit with a flag given: the flag is the default, Enter keeps it
fresh
keys 'helloworld call --name=Zed --edit' Enter
last_line_is '^name \(string\) \[Zed\] => $'
keys Enter
screen_has '"msg": "Hello Zed"'
last_line_is '^local:micro> $'
# Ctrl-C abandons the request only: nothing is sent, the prompt stays
fresh
keys 'registry getService --edit' Enter
last_line_is '^service \(string\) => $'
keys 'helloworld' Enter
last_line_is '^options\.ttl \(int64\) => $'
keys C-c
last_line_is '^local:micro> $'
screen | grep -q '"name": "helloworld"' && fail "the abandoned request was sent: $(screen)"

# --- Ctrl-C: clears the line; cancels a stream ------------------------------------------
fresh
keys 'abc'
last_line_is '^local:micro> abc$'
keys C-c
last_line_is '^local:micro> $'
screen_has '^local:micro> abc\^C$'
fresh
keys 'stream registry Registry.Watch' Enter
sleep 0.5
last_line_is '^local:micro> stream registry Registry.Watch$'   # still running
keys C-c
screen_has '^Cancelled$'
last_line_is '^local:micro> $'
keys 'services' Enter
screen_has '^helloworld$'
last_line_is '^local:micro> $'

# --- the registry is watched: a service registered now completes at once (well within
# the second the list used to be refetched after), and one deregistered stops completing
fresh
keys 'gree' Tab
sleep 0.2
last_line_is '^local:micro> gree$'
register greeter
sleep 0.3
keys Tab
last_line_is '^local:micro> greeter $'
fresh
deregister greeter
sleep 0.3
keys 'gree' Tab
sleep 0.2
last_line_is '^local:micro> gree$'
keys Tab Tab
sleep 0.2
screen | grep -q '^greeter' && fail "a deregistered service is still listed: $(screen)"
register greeter
sleep 0.3
fresh
keys 'gree' Tab
last_line_is '^local:micro> greeter $'

# --- Ctrl-C at login's password abandons the login only: the prompt stays, still logged in
fresh
keys 'login --username admin' Enter
last_line_is '^Enter password: $'
keys 'sec' C-c
last_line_is '^local:micro> $'
keys 'store write k1 v1' Enter
keys 'store read k1' Enter
screen_has '^v1$'

# --- help from the table -----------------------------------------------------------------
fresh
keys 'help store' Enter
screen_has '^   micro store - Commands for accessing the store$'
last_line_is '^local:micro> $'

# --- leaving, history, the terminal afterwards -----------------------------------------------
# the registry watch's thread is stopped and joined at once, not after a poll timeout
fresh
t0=$(date +%s%N)
keys C-d
last_line_is '^bash\$ $'
left_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$left_ms" -lt 500 ] || fail "leaving the prompt took ${left_ms} ms: $(screen)"
echo "left the prompt in ${left_ms} ms (tmux polling included)"
screen | grep -q 'Sanitizer' && fail "the prompt reported a sanitizer error: $(screen)"
HIST="$CLI_HOME/history/local"
[ -f "$HIST" ] || fail "no history file"
expect_eq "history mode" "$(stat -c %a "$HIST")" "600"
grep -qx 'helloworld call --name=Eve' "$HIST" || fail "the guided call is not in the history as it ran: $(cat "$HIST")"
expect_eq "history's last line" "$(tail -1 "$HIST")" "help store"
keys 'clear; micro cli' Enter
last_line_is '^local:micro> $'
keys Up
last_line_is '^local:micro> help store *$'
keys Up
last_line_is '^local:micro> store read k1 *$'
keys C-r 'Bob'
screen_has "\(reverse-i-search\)\`Bob': helloworld call --name=Bob"
keys C-g
fresh
keys 'exit 3' Enter
last_line_is '^bash\$ $'
screen | grep -q 'Sanitizer' && fail "the prompt reported a sanitizer error: $(screen)"
keys 'echo "rc=$?"' Enter
screen_has '^rc=3$'
keys 'clear; stty -a | tr " ;" "\n\n" | grep -Ex -- "-?(echo|icanon|isig)" | tr "\n" " "; echo' Enter
screen_has '^isig icanon echo $'

# one-shot login: Ctrl-C at the password exits 130 with echo back on
keys 'clear; micro login --username admin' Enter
last_line_is '^Enter password: $'
keys C-c
last_line_is '^bash\$ $'
keys 'echo "rc=$?"' Enter
screen_has '^rc=130$'
keys 'clear; stty -a | grep -Eo -- "(^| )-?echo( |$)" | tr -d " "' Enter
screen_has '^echo$'

# one-shot --edit: the fields are asked for on the terminal; without one, a clear refusal
keys 'clear; micro helloworld call --edit' Enter
last_line_is '^name \(string\) => $'
keys 'Ann' Enter
screen_has '"msg": "Hello Ann"'
last_line_is '^bash\$ $'
keys 'clear; micro helloworld call --edit </dev/null; echo "rc=$?"' Enter
screen_has '^--edit asks for the request.s fields on a terminal; stdin is not one: give the fields as flags$'
screen_has '^rc=1$'

# SIGTERM while the prompt waits: the terminal is restored before micro dies
keys 'clear; micro' Enter
last_line_is '^local:micro> $'
shell=$(tmux -S "$TMUX_SOCK" display-message -p -t p '#{pane_pid}')
prompt_pid=$(pgrep -P "$shell" -x micro || true)
[ -n "$prompt_pid" ] || fail "cannot find the prompt's process"
kill -TERM "$prompt_pid"
last_line_is '^bash\$ $'
keys 'clear; stty -a | grep -Eo -- "(^| )-?echo( |$)" | tr -d " "' Enter
screen_has '^echo$'
echo "tui prompt: ok"
