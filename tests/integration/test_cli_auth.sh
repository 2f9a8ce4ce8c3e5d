#!/usr/bin/env bash
# `micro auth ...` against the real server (spec §6, §3.2): the addendum of
# spec/micro-v3-transcript.md byte for byte (rules listed, created, deleted;
# `auth create account --scopes=admin jane` and then `micro login` as jane),
# accounts, tokens, secret updates, and upstream's error texts and exit codes.
. "$(dirname "$0")/lib.sh"

micro_start_server
cli_harness
# json_field FIELD: a field of the JSON after "<Thing> created: " in $T/out.
json_field() {
  $PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().split(": ",1)[1])[sys.argv[2]])' "$T/out" "$1"
}

# --- before login: upstream wraps the 401 in its own text, JSON included
run auth list rules
expect "list before login" 1 \
  'Error listing rules: {"id":"auth.Rules.List","code":401,"detail":"an account is required","status":"Unauthorized"}\n' ""

run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""

# --- the addendum, byte for byte (tabs as printed by upstream's tabwriter)
run auth list rules
expect "list rules" 0 "ID\t\tScope\t\t\tAccess\t\tResource\t\tPriority\ndefault\t\t<public>\t\tGRANTED\t\t*:*:*\t\t\t0\n" ""
run auth create rule --access=granted --scope='*' --resource="*:*:*" onlyloggedin
expect "create onlyloggedin" 0 "Rule created\n" ""
run auth create rule --access=granted --resource="service:auth:*" auth-public
expect "create auth-public" 0 "Rule created\n" ""
run auth delete rule default; expect "delete default" 0 "Rule deleted\n" ""
run auth list rules
expect "list rules after" 0 "ID\t\t\tScope\t\t\tAccess\t\tResource\t\tPriority
auth-public\t\t<public>\t\tGRANTED\t\tservice:auth:*\t\t0
onlyloggedin\t\t*\t\t\tGRANTED\t\t*:*:*\t\t\t0\n" ""

run auth create account --scopes=admin jane
[ "$RC" == 0 ] || fail "create jane: exit $RC ($(cat "$T/out"))"
grep -Eq '^Account created: \{"id":"jane","type":"user","issuer":"micro","metadata":\{"created":"[0-9]+"\},"scopes":\["admin"\],"secret":"[0-9a-f-]{36}","name":"jane"\}$' "$T/out" \
  || fail "create jane: '$(cat "$T/out")'"
JANE_SECRET=$(json_field secret)
created=$(json_field metadata | tr -d "{}' " | cut -d: -f2)
run auth list accounts
admin_created=$(sed -n 's/^admin\t\tadmin\t\tadmin\t\tcreated=\([0-9]*\) $/\1/p' "$T/out")
[ -n "$admin_created" ] || fail "list accounts: no admin row in '$(cat -A "$T/out")'"
expect "list accounts" 0 "ID\t\tName\t\tScopes\t\tMetadata
admin\t\tadmin\t\tadmin\t\tcreated=$admin_created 
jane\t\tjane\t\tadmin\t\tcreated=$created \n" ""

# jane logs in with the secret printed, and is an admin
run login --username jane --password "$JANE_SECRET"; expect "login jane" 0 "Successfully logged in.\n" ""
run user; expect "user jane" 0 "jane\n" ""
run auth list rules; [ "$RC" == 0 ] || fail "jane lists rules: exit $RC"
run login --username admin --password micro; expect "login admin again" 0 "Successfully logged in.\n" ""

# --- accounts: scopes lists, secrets, namespaces
run auth create account --secret pw --scopes a,b --scopes ' c ' bob
expect_contains "bob" "$(cat "$T/out")" '"scopes":["a","b","c"],"secret":"pw","name":"bob"}'
run auth create account --secret pw bob
expect "duplicate account" 1 'Error creating account: {"id":"auth.Auth.Generate","code":400,"detail":"Account with this ID already exists","status":"Bad Request"}\n' ""
run auth update secret bob --old_secret bad --new_secret x
expect "wrong old secret" 1 'Error updating accounts: {"id":"auth.Accounts.ChangeSecret","code":400,"detail":"Secret not correct","status":"Bad Request"}\n' ""
run auth update secret bob --old_secret pw --new_secret pw2; expect "update secret" 0 "Account updated\n" ""
run auth create token --id bob --secret pw2 --expiry 100
[ "$RC" == 0 ] || fail "create token: exit $RC ($(cat "$T/out"))"
expect_contains "token" "$(cat "$T/out")" 'Token created: {"access_token":"'
$PY - "$T/out" <<'PYEOF' || fail "token JSON: $(cat "$T/out")"
import datetime, json, sys
t = json.loads(open(sys.argv[1]).read().split(": ", 1)[1])
assert list(t) == ["access_token", "refresh_token", "created", "expiry"], list(t)
created = datetime.datetime.fromisoformat(t["created"].replace("Z", "+00:00"))
expiry = datetime.datetime.fromisoformat(t["expiry"].replace("Z", "+00:00"))
assert (expiry - created).total_seconds() == 100, (created, expiry)
PYEOF
run auth create token --id bob --secret bad
expect "token bad secret" 1 'Error creating token: {"id":"auth.Auth.Token","code":400,"detail":"Secret not correct","status":"Bad Request"}\n' ""
run auth delete account bob; expect "delete bob" 0 "" ""
run auth delete account admin
expect "delete own account" 1 'Error deleting account: {"id":"auth.Accounts.Delete","code":400,"detail":"Can'"'"'t delete your own account","status":"Bad Request"}\n' ""
run auth create account --namespace other --secret pw carol
expect_contains "other namespace" "$(cat "$T/out")" '"issuer":"other"'

# --- rules: errors as upstream
run auth create rule --resource '*:*:*' onlyloggedin
expect "duplicate rule" 1 "Error: A rule with this ID already exists\n" ""
run auth delete rule nope;    expect "delete unknown rule" 1 "Error: Rule not found\n" ""
run auth create rule --access=maybe --resource '*:*:*' x
expect "bad access" 1 "Invalid access: maybe, must be granted or denied\n" ""
run auth create rule --resource 'service:auth' x
expect "bad resource" 1 "Invalid resource, must be in the format type:name:endpoint\n" ""
run auth create rule --resource '*:*:*'
expect "rule without id" 1 "Too many arguments, expected one argument: ID\n" ""
run auth delete rule;         expect "delete rule without id" 1 "Expected one argument: ID\n" ""
run auth create rule --priority x --resource '*:*:*' y
[ "$RC" == 1 ] || fail "non-numeric priority: exit $RC, want 1"
run auth create rule --access denied --scope admin --priority 5 --resource 'service:store:*' deny-store
expect "denied rule" 0 "Rule created\n" ""
run auth list rules
grep -qxF $'deny-store\t\tadmin\t\t\tDENIED\t\tservice:store:*\t\t5' "$T/out" \
  || fail "denied rule row: '$(cat -A "$T/out")'"
run auth create account;            expect "account without id" 1 "Missing argument: ID\n" ""
run auth delete account;            expect "delete account without id" 1 "Missing argument: ID\n" ""
run auth update secret;             expect "update without id" 1 "Missing argument: ID\n" ""
run auth create token --secret x;   expect "token without id" 1 "Missing account ID\n" ""
run auth create token --id x;       expect "token without secret" 1 "Missing account secret\n" ""
echo "PASS test_cli_auth"
