#!/usr/bin/env bash
# Shell completion with the real server, the real `micro` and real shells: the
# scripts `micro completion bash|zsh` prints are the files in completions/;
# `micro __complete` answers with cobra's protocol byte for byte (candidates,
# ":<directive>", the stderr line); bash's completion function fills COMPREPLY
# as readline needs it; and typed into real bash and zsh (in tmux, which makes
# its own terminal), `micro he<TAB>` becomes `micro helloworld` and
# `micro helloworld --na<TAB>` becomes `--name=`. With the server down, refusing
# or silent, the builtins still complete, within the budget.
source "$(dirname "$0")/lib.sh"
command -v zsh >/dev/null || fail "zsh is not installed (scripts/deps.sh installs it)"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/deps.sh installs it)"
micro_start_server
hello_start
cli_harness

# helloworld with its endpoint schemas, as a service registering itself sends them
TOKEN=$(micro_admin_token)
[ -n "$TOKEN" ] || fail "no admin token"
"$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /registry.Registry/Register \
  "{\"name\":\"helloworld\",\"version\":\"latest\",\"nodes\":[{\"id\":\"helloworld-1\",\"address\":\"$HELLO_ADDR\"}],
    \"endpoints\":[{\"name\":\"Helloworld.Call\",
      \"request\":{\"name\":\"Request\",\"type\":\"Request\",\"values\":[{\"name\":\"name\",\"type\":\"string\"},
        {\"name\":\"loud\",\"type\":\"bool\"}]},
      \"response\":{\"name\":\"Response\",\"type\":\"Response\",\"values\":[{\"name\":\"msg\",\"type\":\"string\"}]}}],
    \"options\":{\"ttl\":\"90\",\"domain\":\"micro\"}}" >/dev/null || fail "cannot register helloworld"
run login --username admin --password micro
expect "login" 0 "Successfully logged in.\n" ""

# --- the scripts: one source, embedded ----------------------------------------------
run completion bash
cmp -s "$T/out" "$MICRO_SRC/completions/micro.bash" || fail "completion bash differs from completions/micro.bash"
run completion zsh
cmp -s "$T/out" "$MICRO_SRC/completions/micro.zsh" || fail "completion zsh differs from completions/micro.zsh"
run completion fish
expect "completion fish" 3 "" "No help topic for 'fish'\n"
run completion
[ "$RC" == 0 ] && grep -Eq '^   bash +Generate the autocompletion script for bash$' "$T/out" \
  || fail "completion: $(cat "$T/out")"
run --help
grep -Eq '^   completion +Generate the autocompletion script for the specified shell$' "$T/out" \
  || fail "--help does not list completion"
grep -q '__complete' "$T/out" && fail "--help lists the hidden __complete"
# every command in alphabetical order, completion and cli among the others (help last, as urfave)
names=$(sed -n '/^COMMANDS:/,/^$/p' "$T/out" | sed -n 's/^   \([a-z_-]*\)[ ,].*/\1/p' | grep -vx help)
expect_eq "--help lists cli" "$(grep -cx cli <<<"$names")" "1"
expect_eq "--help's commands sorted" "$names" "$(LC_ALL=C sort <<<"$names")"

# --- cobra's protocol ----------------------------------------------------------------
D4="Completion ended with directive: ShellCompDirectiveNoFileComp\n"
D6="Completion ended with directive: ShellCompDirectiveNoSpace, ShellCompDirectiveNoFileComp\n"
run __complete he
expect "__complete he" 0 "helloworld\tservice\n:4\n" "$D4"
run __complete helloworld --na
expect "__complete helloworld --na" 0 "--name=\tstring\n:6\n" "$D6"
run __completeNoDesc helloworld --
expect "__completeNoDesc helloworld --" 0 "--name=\n--loud=\n:6\n" "$D6"
run __complete helloworld --loud=      # cobra answers a "--flag=" word with values
expect "__complete --loud=" 0 "true\nfalse\n:4\n" "$D4"
run __complete helloworld ''
expect "__complete helloworld ''" 0 "call\tHelloworld.Call\n:4\n" "$D4"
run __complete call helloworld H
expect "__complete call helloworld H" 0 "Helloworld.Call\tendpoint\n:4\n" "$D4"
run __complete env set ''
expect "__complete env set" 0 "local\t127.0.0.1:8081\nplatform\tproxy.m3o.com\n:4\n" "$D4"
run __complete run ''
expect "__complete run" 0 ":0\n" "Completion ended with directive: ShellCompDirectiveDefault\n"
run __complete
[ "$RC" == 0 ] && head -1 "$T/out" | grep -qx $'auth\tManage authentication, accounts and rules' \
  || fail "__complete alone: $(head -3 "$T/out")"
# keys where one call tells them
ok store write greeting hello
ok store write guest x
ok config set site.name demo
run __complete store read g
expect "__complete store read g" 0 "greeting\nguest\n:4\n" "$D4"
run __complete config get site.
expect "__complete config get site." 0 "site.name\tstring\n:4\n" "$D4"
# registry services the builtins hide are listed once, as the builtin
run __complete sto
expect "__complete sto" 0 "store\tCommands for accessing the store\n:4\n" "$D4"

# a config.json that cannot be read: no session, the command table still completes
echo '{broken' >"$T/broken.json"
RC=0; MICRO_HOME=$CLI_HOME MICRO_CONFIG_FILE="$T/broken.json" "$MICRO_BIN" __complete store re \
  >"$T/out" 2>"$T/err" || RC=$?
expect "__complete with a broken config.json" 0 \
  "read\tread a record from the store\nrestore\trestore a store snapshot\n:4\n" "$D4"

# --- bash: the completion function as readline calls it -----------------------------
BIN="$T/bin"; mkdir -p "$BIN"; ln -s "$(realpath "$MICRO_BIN")" "$BIN/micro"
# bash_comp LINE: COMPREPLY (one per line) for the line typed so far
bash_comp() {
  MICRO_HOME=$CLI_HOME MICRO_PROXY=$PROXY_ADDR PATH="$BIN:$PATH" bash --norc --noprofile -c '
    source <(micro completion bash)
    COMP_LINE=$1; COMP_POINT=${#1}
    read -r -a COMP_WORDS <<<"$1"; [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _micro_complete micro "${COMP_WORDS[COMP_CWORD]}" ""
    printf "%s\n" "${COMPREPLY[@]}"' _ "$1"
}
expect_eq "bash: micro he" "$(bash_comp 'micro he')" "helloworld"
expect_eq "bash: micro helloworld --na" "$(bash_comp 'micro helloworld --na')" "--name="
# '=' breaks words for readline: after "--loud=" only the value is replaced
expect_eq "bash: --loud=t" "$(bash_comp 'micro helloworld --loud=t')" "true"
expect_eq "bash: store re" "$(bash_comp 'micro store re')" $'read\nrestore'
expect_eq "bash: env set" "$(bash_comp 'micro env set ')" $'local\nplatform'

# --- real shells in tmux --------------------------------------------------------------
TMUX_SOCK="$T/tmux.sock"
tmux_stop() { tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true; }
trap 'tmux_stop; hello_stop; micro_cleanup' EXIT
cat >"$T/env.sh" <<EOF
export PATH="$BIN:\$PATH" MICRO_HOME="$CLI_HOME" MICRO_PROXY="$PROXY_ADDR"
EOF

# screen_has PANE PATTERN: waits (5 s at most) until a line of the pane matches PATTERN
screen_has() {
  for _ in $(seq 1 100); do
    tmux -S "$TMUX_SOCK" capture-pane -p -t "$1" | grep -Eq -- "$2" && return 0
    sleep 0.05
  done
  fail "$1: the screen never showed /$2/: $(tmux -S "$TMUX_SOCK" capture-pane -p -t "$1")"
}
keys() { tmux -S "$TMUX_SOCK" send-keys -t "$@"; }

cat >"$T/bashrc" <<EOF
source "$T/env.sh"
PS1='bash\$ '
source <(micro completion bash)
EOF
mkdir -p "$T/zdot"
cat >"$T/zdot/.zshrc" <<EOF
source "$T/env.sh"
PROMPT='zsh%% '
autoload -U compinit && compinit -u -D
source <(micro completion zsh)
EOF
tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s bash -x 160 -y 40 \
  "bash --rcfile '$T/bashrc' --noprofile -i"
tmux -S "$TMUX_SOCK" new-session -d -s zsh -x 160 -y 40 "ZDOTDIR='$T/zdot' zsh -i"

for sh in bash zsh; do
  screen_has $sh "^$sh[$%] ?$"
  # a marker typed after each completion shows whether a space was added
  keys $sh 'micro he' Tab ':'
  screen_has $sh "^$sh[$%] micro helloworld :$"
  keys $sh BSpace '--na' Tab ':'
  screen_has $sh "^$sh[$%] micro helloworld --name=:$"
  keys $sh C-u 'micro sto' Tab ':'
  screen_has $sh "^$sh[$%] micro store :$"
  keys $sh BSpace
  keys $sh 're' Tab Tab    # two candidates: both listed
  screen_has $sh "restore"
  keys $sh C-c
done

# --- the server down ------------------------------------------------------------------
# refused (closed port): builtins only, at once
t0=$(date +%s%N)
out=$(MICRO_HOME=$CLI_HOME MICRO_PROXY=127.0.0.1:1 "$MICRO_BIN" __complete sto 2>/dev/null)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "refused: builtins" "$out" $'store\tCommands for accessing the store\n:4'
[ "$ms" -lt 1000 ] || fail "refused server: __complete took $ms ms"
RC=0; MICRO_HOME=$CLI_HOME MICRO_PROXY=127.0.0.1:1 "$MICRO_BIN" __complete he >"$T/out" 2>"$T/err" || RC=$?
expect "refused: no service, the error bit" 0 ":5\n" \
  "Completion ended with directive: ShellCompDirectiveError, ShellCompDirectiveNoFileComp\n"
# silent (accepts, never answers): the budget, not the 5 s dial or 30 s call timeouts
$PY -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/silent.port" &
SILENT_PID=$!
trap 'kill $SILENT_PID 2>/dev/null || true; tmux_stop; hello_stop; micro_cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$T/silent.port" ] && break; sleep 0.05; done
SILENT="127.0.0.1:$(cat "$T/silent.port")"
t0=$(date +%s%N)
out=$(MICRO_HOME=$CLI_HOME MICRO_PROXY=$SILENT MICRO_COMPLETE_TIMEOUT_MS=300 "$MICRO_BIN" __complete he 2>/dev/null)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "silent: nothing, with the error bit" "$out" ":5"
[ "$ms" -lt 1000 ] || fail "silent server, 300 ms budget: __complete took $ms ms"
t0=$(date +%s%N)
out=$(MICRO_HOME=$CLI_HOME MICRO_PROXY=$SILENT "$MICRO_BIN" __complete helloworld --na 2>/dev/null)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1500 ] || fail "silent server, default budget: __complete took $ms ms"
kill $SILENT_PID 2>/dev/null; wait $SILENT_PID 2>/dev/null || true

# the real server stopped: builtins complete in the shells, the cached schema still helps
micro_kill9_server
for sh in bash zsh; do
  keys $sh C-u 'micro sto' Tab ':'
  screen_has $sh "^$sh[$%] micro store :$"
  keys $sh C-u 'micro helloworld --lo' Tab ':'    # from the schema cache on disk
  screen_has $sh "^$sh[$%] micro helloworld --loud=:$"
  keys $sh C-u 'exit' Enter
done
echo "completion: ok"
