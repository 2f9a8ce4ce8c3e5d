#!/usr/bin/env bash
# `micro config get|set|del` against the real server (spec §7, §3.2): the
# transcript's `config set a.b 1` / `config get a` / `config get nope`, the
# seed document's walkthrough from spec/micro-v3-transcript.md's addendum (dot
# paths, merging objects, secrets with --secret, which must not reach the
# server's files in clear), `config --help`, and the usage errors, all byte
# for byte with their exit codes.
. "$(dirname "$0")/lib.sh"

micro_start_server
cli_harness

# --- before login: the server's 401 detail, on stdout with exit 1 (upstream's formatErr)
run config get a
expect "config get before login" 1 "An account is required\n" ""

run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""

# --- the transcript
run config get nope;  expect "config get nope (no document yet)" 1 "Not found\n" ""
ok config set a.b 1
run config get a;     expect "config get a" 0 '{"b":1}\n' ""
run config get a.b;   expect "config get a.b" 0 "1\n" ""
run config get nope;  expect "config get nope" 1 "Not found\n" ""

# --- the addendum's walkthrough
ok config set helloworld.somekey hello
run config get helloworld.somekey; expect "somekey" 0 "hello\n" ""
run config get helloworld;         expect "helloworld" 0 '{"somekey":"hello"}\n' ""
ok config set helloworld.someboolkey true
run config get helloworld.someboolkey; expect "someboolkey" 0 "true\n" ""
ok config set helloworld.someotherkey "Hi there!"
run config get helloworld
expect "three keys" 0 '{"someboolkey":true,"somekey":"hello","someotherkey":"Hi there!"}\n' ""
ok config set helloworld.keywithsubs.subkey1 "So easy!"
run config get helloworld.keywithsubs; expect "subkeys" 0 '{"subkey1":"So easy!"}\n' ""
ok config del helloworld.someotherkey
ok config del helloworld.keywithsubs
run config get helloworld; expect "after del" 0 '{"someboolkey":true,"somekey":"hello"}\n' ""
ok config set --secret helloworld.hushkey "Very secret stuff"
run config get helloworld.hushkey;          expect "secret hidden" 0 "[secret]\n" ""
run config get --secret helloworld.hushkey; expect "secret shown" 0 "Very secret stuff\n" ""
run config get -s helloworld.hushkey;       expect "secret -s" 0 "Very secret stuff\n" ""
run config get helloworld
expect "doc with secret" 0 '{"hushkey":"[secret]","someboolkey":true,"somekey":"hello"}\n' ""
run config get --secret helloworld
expect "doc decrypted" 0 '{"hushkey":"Very secret stuff","someboolkey":true,"somekey":"hello"}\n' ""
# the secret is encrypted at rest: not in any file of the server's home
if grep -rqa "Very secret stuff" "$MICRO_HOME" --exclude=server.log; then
  fail "the secret is stored in clear under $MICRO_HOME"
fi
# merging objects
ok config del helloworld
ok config set helloworld '{"a":1}'
ok config set helloworld '{"b":2}'
run config get helloworld; expect "merged" 0 '{"a":1,"b":2}\n' ""

# --- values: JSON when it parses (re-encoded as Go does), else a string
ok config set v.num 1.50
run config get v.num;  expect "number" 0 "1.5\n" ""
ok config set v.list '[1,"x",{"z":1,"a":2}]'
run config get v.list; expect "array" 0 '[1,"x",{"a":2,"z":1}]\n' ""
ok config set v.word '"quoted"'
run config get v.word; expect "JSON string" 0 "quoted\n" ""
ok config set v.empty
run config get v.empty; expect "no value: empty string" 0 "\n" ""
run config get v.nothing; expect "missing leaf" 1 "Not found\n" ""

# --- usage errors (upstream's texts, stdout, exit 1)
run config get;  expect "get no key" 1 "Required usage: micro config get key\n" ""
run config get ""; expect "get blank key" 1 "Key cannot be blank\n" ""
run config set;  expect "set no key" 1 "Required usage: micro config set key val\n" ""
run config del;  expect "del no key" 1 "Required usage: micro config get key\n" ""
run config get --bogus a
[ "$RC" == 1 ] || fail "unknown flag: exit $RC, want 1"
expect_contains "unknown flag" "$(cat "$T/err")" "flag provided but not defined: -bogus"

# --- help (spec/micro-v3-transcript.md, 392 bytes)
run config --help
expect "config --help" 0 'NAME:
   micro config - Manage configuration values

USAGE:
   micro config command [command options] [arguments...]

COMMANDS:
   get      Get a value; micro config get key
   set      Set a key-val; micro config set key val
   del      Delete a value; micro config del key
   help, h  Shows a list of commands or help for one command

OPTIONS:
   --help, -h  show help (default: false)
   \n' ""
expect_eq "config --help bytes" "$(wc -c <"$T/out")" "392"

# --- a server that is not there
RC=0; MICRO_HOME=$CLI_HOME MICRO_PROXY=127.0.0.1:1 "$MICRO_BIN" config get a >"$T/out" 2>"$T/err" </dev/null || RC=$?
expect "unreachable" 4 "" "Failed to connect to micro server at 127.0.0.1:1\n"
echo "PASS test_cli_config"
