#!/usr/bin/env bash
# `micro store ...` against the real server (spec §8, §3.2 and
# spec/micro-v3-transcript.md): write/read/list/delete, prefix, suffix,
# limit, offset (sent as an offset, unlike upstream), order, expiry, the
# verbose and JSON outputs, databases and tables, snapshot/restore/sync, the
# usage errors and `store --help`, byte for byte with exit codes.
. "$(dirname "$0")/lib.sh"

micro_start_server
cli_harness

# --- before login: upstream wraps the error, so the 401 prints as its JSON
run store read k
expect "read before login" 1 \
  'Couldn'"'"'t read k from store: {"id":"store.Store.Read","code":401,"detail":"an account is required","status":"Unauthorized"}\n' ""

run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""

# --- the transcript
ok store write k v
run store read k;       expect "read k" 0 "v\n" ""
run store read missing; expect "read missing" 1 "Not found\n" ""
run store list;         expect "list" 0 "k\n" ""

# --- values: the words after the key joined by spaces
ok store write phrase hello big world
run store read phrase;  expect "joined value" 0 "hello big world\n" ""
ok store delete phrase
run store read phrase;  expect "deleted" 1 "Not found\n" ""

# --- prefix, suffix, limit, offset, order
for k in user/1 user/2 user/3 user/4 admin/1; do ok store write "$k" "v-$k"; done
run store read --prefix user/;            expect "prefix" 0 "v-user/1\nv-user/2\nv-user/3\nv-user/4\n" ""
run store read -p user/ -l 2;             expect "limit" 0 "v-user/1\nv-user/2\n" ""
run store read -p user/ --limit 2 --offset 1; expect "offset is an offset" 0 "v-user/2\nv-user/3\n" ""
run store read -p user/ -o 3;             expect "offset alone" 0 "v-user/4\n" ""
run store read -p user/ --order desc -l 1; expect "desc" 0 "v-user/4\n" ""
run store read --suffix /1;               expect "suffix" 0 "v-admin/1\nv-user/1\n" ""
run store read -p nothing/;               expect "empty prefix read" 0 "" ""
run store list;                           expect "list all" 0 "admin/1\nk\nuser/1\nuser/2\nuser/3\nuser/4\n" ""
run store list user/;                     expect "list PREFIX" 0 "user/1\nuser/2\nuser/3\nuser/4\n" ""
run store list -p user/ -l 1 -o 1;        expect "list limit offset" 0 "user/2\n" ""
run store list --order desc -l 2;         expect "list desc" 0 "user/4\nuser/3\n" ""
run store list -s /1;                     expect "list suffix" 0 "admin/1\nuser/1\n" ""
run store list --output json user/
expect "list json" 0 '[\n  "user/1",\n  "user/2",\n  "user/3",\n  "user/4"\n]\n' ""
run store list --output json nothing/;    expect "list json empty" 0 "null\n" ""

# --- tables: -t picks the table; the database is the current namespace
ok store write -t users alice 42
run store read alice;             expect "other table" 1 "Not found\n" ""
run store read -t users alice;    expect "read -t" 0 "42\n" ""
run store list --table users;     expect "list -t" 0 "alice\n" ""
run store tables;                 expect_contains "tables" "$(cat "$T/out")" "users"
[ "$RC" == 0 ] || fail "tables: exit $RC"
grep -qx micro "$T/out" || fail "tables: no micro table in '$(cat "$T/out")'"
run store databases;              expect "databases" 0 "micro\n" ""
ok store delete --table users alice
run store list -t users;          expect "deleted from table" 0 "" ""

# --- expiry, verbose and JSON records
ok store write -e 1h session token
ok store write --expiry 1s brief gone
run store read -v -p session
expect "verbose" 0 "KEY       VALUE   EXPIRY\nsession   token   59 minutes from now\n" ""
run store read --output json session
# the server answers the seconds left: a second may tick between write and read
sed -i 's/"expiry": 3599000000000$/"expiry": 3600000000000/' "$T/out"
expect "json" 0 '[\n  {\n    "key": "session",\n    "value": "dG9rZW4=",\n    "metadata": {},\n    "expiry": 3600000000000\n  }\n]\n' ""
run store read -v k; expect "verbose, no expiry" 0 "KEY   VALUE   EXPIRY\nk     v       None\n" ""
sleep 2.2
run store read brief; expect "expired" 1 "Not found\n" ""

# --- usage errors (upstream's texts, stdout, exit 1)
run store read;          expect "read no key" 1 "Key arg is required\n" ""
run store write k;       expect "write no value" 1 "Key and Value args are required\n" ""
run store delete;        expect "delete no key" 1 "Key is required\n" ""
run store write -e abc k v
expect "bad expiry" 1 'Expiry flag is invalid: time: invalid duration "abc"\n' ""
run store write -e 10 k v
expect "expiry without unit" 1 'Expiry flag is invalid: time: missing unit in duration "10"\n' ""
run store read -l -1 k
expect "negative limit" 1 'Invalid value "-1" for flag -limit: parse error\n' ""
run store read k --limit x
[ "$RC" == 1 ] || fail "non-numeric limit: exit $RC, want 1"

# --- snapshot / restore / sync
SNAP="$T/snap.jsonl"
run store snapshot --table micro --destination "file://$SNAP"; expect "snapshot" 0 "" ""
expect_eq "snapshot mode" "$(stat -c %a "$SNAP")" "600"
expect_eq "snapshot lines" "$(wc -l <"$SNAP")" "7"
grep -q '"key":"user/3"' "$SNAP" || fail "snapshot lacks user/3"
for k in k user/1 user/2 user/3 user/4 admin/1 session; do ok store delete "$k"; done
run store list; expect "emptied" 0 "" ""
run store restore --source "$SNAP"; expect "restore" 0 "" ""
run store list;  expect "restored keys" 0 "admin/1\nk\nsession\nuser/1\nuser/2\nuser/3\nuser/4\n" ""
run store read user/3; expect "restored value" 0 "v-user/3\n" ""
run store read -v -p session
expect_contains "restored expiry" "$(cat "$T/out")" "minutes from now"
ok store sync --from-table micro --to-table copy
run store list -t copy; expect "synced" 0 "admin/1\nk\nsession\nuser/1\nuser/2\nuser/3\nuser/4\n" ""
run store sync; expect "sync onto itself" 1 "The source and the destination are the same store\n" ""
echo 'not json' >"$T/bad.jsonl"
run store restore --source "$T/bad.jsonl"
expect "bad snapshot" 1 "Invalid snapshot: line 1 is not a record\n" ""
run store restore --source "$T/none.jsonl"
expect "missing snapshot" 1 "Cannot open '$T/none.jsonl': No such file or directory\n" ""

# --- help (spec/micro-v3-transcript.md, 693 bytes)
run store --help
expect "store --help" 0 'NAME:
   micro store - Commands for accessing the store

USAGE:
   micro store command [command options] [arguments...]

COMMANDS:
   read       read a record from the store
   list       list all keys from a store
   write      write a record to the store
   delete     delete a key from the store
   databases  List all databases known to the store service
   tables     List all tables in the specified database known to the store service
   snapshot   Back up a store
   sync       Copy all records of one store into another store
   restore    restore a store snapshot
   help, h    Shows a list of commands or help for one command

OPTIONS:
   --help, -h  show help (default: false)
   \n' ""
expect_eq "store --help bytes" "$(wc -c <"$T/out")" "693"
echo "PASS test_cli_store"
