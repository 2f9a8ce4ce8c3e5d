# The terminal the tui tests type into, sourced after tests/integration/lib.sh and
# cli_harness: a tmux server of the test's own (tmux makes the terminal, so this
# runs in CI without one) with bash in pane "p", micro on PATH and the test's
# MICRO_HOME and server. The screen is read with capture-pane.
#   tui_start COLSxROWS [BASHRC_LINE]   starts it (and the EXIT trap that stops it)
#   screen                              the pane as text (SCREEN_KEEP_SPACES=1: -N)
#   screen_has / screen_lacks PATTERN   waits (5 s at most) for a line to match / none to
#   keys KEYS...                        tmux send-keys
TMUX_SOCK="$T/tmux.sock"
tmux_stop() { tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true; }
screen() { tmux -S "$TMUX_SOCK" capture-pane -p ${SCREEN_KEEP_SPACES:+-N} -t p; }
screen_has() {
  for _ in $(seq 1 100); do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.05
  done
  fail "the screen never showed /$1/:
$(screen)"
}
screen_lacks() {
  for _ in $(seq 1 100); do
    screen | grep -Eq -- "$1" || return 0
    sleep 0.05
  done
  fail "the screen still shows /$1/:
$(screen)"
}
keys() { tmux -S "$TMUX_SOCK" send-keys -t p "$@"; }
tui_start() {
  local size=$1
  trap 'tmux_stop; hello_stop; micro_cleanup' EXIT
  cat >"$T/bashrc" <<RC
export PATH="$(dirname "$MICRO_BIN"):\$PATH" MICRO_HOME="$CLI_HOME" MICRO_PROXY="$PROXY_ADDR"
PS1='bash\$ '
${2:-}
RC
  tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s p -x "${size%x*}" -y "${size#*x}" \
    "bash --rcfile '$T/bashrc' --noprofile -i"
}
