#!/usr/bin/env bash
# `micro env` (spec §3.7, spec/micro-v3-transcript.md's `micro env` and the
# addendum's `micro env add foobar example.com; micro env set foobar; micro env`),
# byte for byte, and an added environment that points at the real server:
# login and the token key follow the environment's address.
. "$(dirname "$0")/lib.sh"

micro_start_server
CLI_HOME=$(mktemp -d /tmp/micro-cli.XXXXXX)
T=$(mktemp -d /tmp/micro-cli-out.XXXXXX)
trap 'rm -rf "$CLI_HOME" "$T"; micro_cleanup' EXIT

m() { MICRO_HOME=$CLI_HOME "$MICRO_BIN" "$@"; }
run() { RC=0; m "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?; }
expect() {
  printf '%b' "$3" >"$T/want_out"; printf '%b' "$4" >"$T/want_err"
  [ "$RC" == "$2" ] || fail "$1: exit $RC, want $2 (stderr: $(cat "$T/err"))"
  cmp -s "$T/out" "$T/want_out" || fail "$1: stdout '$(cat -A "$T/out")', want '$(cat -A "$T/want_out")'"
  cmp -s "$T/err" "$T/want_err" || fail "$1: stderr '$(cat "$T/err")', want '$(cat "$T/want_err")'"
}

LOCAL='  local      127.0.0.1:8081    Local running Micro Server\n'
PLATFORM='  platform   proxy.m3o.com     Cloud hosted Micro Platform\n'

# --- the transcript's `micro env` (117 bytes)
run env
expect "env" 0 "* local      127.0.0.1:8081    Local running Micro Server\n$PLATFORM" ""
expect_eq "env bytes" "$(wc -c <"$T/out")" "117"
run env get; expect "env get" 0 "local\n" ""

# --- the addendum: add, set, list
run env add foobar example.com; expect "env add" 0 "" ""
run env set foobar;             expect "env set" 0 "" ""
run env
expect "env after add/set" 0 "* foobar     example.com       \n$LOCAL$PLATFORM" ""
run env get; expect "env get foobar" 0 "foobar\n" ""
# user envs are kept as upstream: a JSON string under "envs"
expect_eq "config.json" "$(cat "$CLI_HOME/config.json")" \
  '{"env":"foobar","envs":"{\"foobar\":{\"Name\":\"foobar\",\"ProxyAddress\":\"example.com\",\"Description\":\"\"}}"}'
expect_eq "config mode" "$(stat -c %a "$CLI_HOME/config.json")" "600"

# --- errors (non-micro errors: exit 128, spec §3.8)
run env set nope; expect "env set unknown" 128 "" "Environment 'nope' does not exist\n"
run env del nope; expect "env del unknown" 128 "" "Environment 'nope' does not exist\n"
run env del foobar
[ "$RC" == 128 ] || fail "deleting the current env: exit $RC"
expect_contains "env del current" "$(cat "$T/err")" "Cannot delete the current environment 'foobar'"
run env del platform
expect "env del builtin" 128 "" "Environment 'platform' is builtin and cannot be deleted\n"
# without a name, the subcommand's help (as upstream's ShowSubcommandHelp), exit 0
run env set
[ "$RC" == 0 ] || fail "env set without a name: exit $RC"
expect_contains "env set help" "$(cat "$T/out")" "USAGE:"
# --env / MICRO_ENV override config.json for one run; an unknown one is an error
RC=0; MICRO_ENV=local m env get >"$T/out" 2>"$T/err" || RC=$?
expect "MICRO_ENV" 0 "local\n" ""
RC=0; MICRO_ENV=nowhere m env get >"$T/out" 2>"$T/err" || RC=$?
[ "$RC" != 0 ] || fail "unknown MICRO_ENV accepted"
expect_contains "unknown env" "$(cat "$T/err")" 'Env "nowhere" not found. See `micro env` for available environments.'

# --- delete after switching away
run env set local;  expect "env set local" 0 "" ""
run env del foobar; expect "env del" 0 "" ""
run env; expect "env after del" 0 "* local      127.0.0.1:8081    Local running Micro Server\n$PLATFORM" ""
expect_eq "config.json after del" "$(cat "$CLI_HOME/config.json")" '{"env":"local","envs":"{}"}'

# --- an env without address lists "none"
run env add bare; run env
expect "env none" 0 "  bare       none              \n* local      127.0.0.1:8081    Local running Micro Server\n$PLATFORM" ""
run env del bare

# --- an env pointing at the real server: login goes there, the token key names it
run env add it "$PROXY_ADDR"; run env set it
run login --username admin --password micro
expect "login through env" 0 "Successfully logged in.\n" ""
expect_contains "token key" "$(cat "$CLI_HOME/tokens")" "micro://$PROXY_ADDR/micro/admin:"
run user; expect "user through env" 0 "admin\n" ""
expect_contains "current user of env" "$(cat "$CLI_HOME/config.json")" '"it":{"current-user":"admin"}'
# back on local: tokens are per address, so the one saved through "it" is not used
run env set local
run user; expect "user in local env" 1 "You are not logged in\n" ""

echo "cli env: ok"
