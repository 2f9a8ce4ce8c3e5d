#!/usr/bin/env bash
# The `micro` entry point without a server (spec/micro-v3-transcript.md): --version,
# --help and `server --help`, and a stdout write error. No command on a non-terminal
# stdin is an (empty) script; that, the terminal case and an unknown command (which
# needs the registry) are in test_cli_basics.sh.
. "$(dirname "$0")/lib.sh"

rc=0; out=$("$MICRO_BIN" </dev/null 2>&1) || rc=$?
expect_eq "no args, empty stdin: exit" "$rc" "0"
expect_eq "no args, empty stdin: output" "$out" ""

out=$("$MICRO_BIN" --version)
case "$out" in "micro version v"[0-9]*) ;; *) fail "--version printed '$out'" ;; esac
"$MICRO_BIN" --help | grep -Eq '^   server +Run the micro server$' || fail "--help does not list server"
"$MICRO_BIN" server --help | grep -q -- '--api_address value' || fail "server --help does not list its flags"
# stdout errors are reported (git's run_builtin habit): writing to a full device fails
if [ -w /dev/full ]; then
  rc=0; "$MICRO_BIN" --version >/dev/full 2>/dev/null || rc=$?
  expect_eq "--version to /dev/full" "$rc" "1"
fi
echo "cli entry: ok"
