#!/usr/bin/env bash
# The `micro` entry point answers as upstream's CLI does (spec/micro-v3-transcript.md):
# no command and an unknown command exit 1 with upstream's one-line messages.
. "$(dirname "$0")/lib.sh"

rc=0; err=$("$MICRO_BIN" 2>&1 >/dev/null) || rc=$?
expect_eq "no args exit" "$rc" "1"
expect_eq "no args message" "$err" "No command provided to micro. Please refer to 'micro --help'"

rc=0; err=$("$MICRO_BIN" nosuchcmd 2>&1 >/dev/null) || rc=$?
expect_eq "unknown command exit" "$rc" "1"
expect_eq "unknown command message" "$err" "Unrecognized micro command: nosuchcmd. Please refer to 'micro --help'"

out=$("$MICRO_BIN" --version)
case "$out" in "micro version v"[0-9]*) ;; *) fail "--version printed '$out'" ;; esac
"$MICRO_BIN" --help | grep -q '^   server  Run the micro server$' || fail "--help does not list server"
"$MICRO_BIN" server --help | grep -q -- '--api_address value' || fail "server --help does not list its flags"
# stdout errors are reported (git's run_builtin habit): writing to a full device fails
if [ -w /dev/full ]; then
  rc=0; "$MICRO_BIN" --version >/dev/full 2>/dev/null || rc=$?
  expect_eq "--version to /dev/full" "$rc" "1"
fi
echo "cli entry: ok"
