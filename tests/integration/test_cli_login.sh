#!/usr/bin/env bash
# `micro login`, `logout` and `user` against the real server (spec §3.9-3.11 and
# spec/micro-v3-transcript.md): flags, piped stdin, an interactive pty with the
# password not echoed, wrong credentials, the files written (contents and
# modes), token refresh before expiry, namespaces and `user config`.
. "$(dirname "$0")/lib.sh"

micro_start_server
CLI_HOME=$(mktemp -d /tmp/micro-cli.XXXXXX)
T=$(mktemp -d /tmp/micro-cli-out.XXXXXX)
trap 'rm -rf "$CLI_HOME" "$T"; micro_cleanup' EXIT
rmdir "$CLI_HOME"   # the CLI creates its home (0700)

m() { MICRO_HOME=$CLI_HOME MICRO_PROXY=$PROXY_ADDR "$MICRO_BIN" "$@"; }

# run ARGS...: runs `micro ARGS` with stdin from /dev/null; $T/out, $T/err, $RC.
run() { RC=0; m "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?; }

# expect WHAT RC STDOUT STDERR: byte-exact (printf %b expansions allowed).
expect() {
  printf '%b' "$3" >"$T/want_out"; printf '%b' "$4" >"$T/want_err"
  [ "$RC" == "$2" ] || fail "$1: exit $RC, want $2 (stderr: $(cat "$T/err"))"
  cmp -s "$T/out" "$T/want_out" || fail "$1: stdout '$(cat "$T/out")', want '$(cat "$T/want_out")'"
  cmp -s "$T/err" "$T/want_err" || fail "$1: stderr '$(cat "$T/err")', want '$(cat "$T/want_err")'"
}

mode() { stat -c %a "$1"; }

# tok FIELD: a field of the first token in the tokens file.
tok() {
  $PY - "$CLI_HOME/tokens" "$1" <<'EOF'
import base64, json, sys
line = open(sys.argv[1]).readline().strip()
print(json.loads(base64.b64decode(line.rsplit(":", 1)[1]))[sys.argv[2]])
EOF
}

# set_tok EXPIRY REFRESH: rewrites the first token's expiry (and refresh token).
set_tok() {
  $PY - "$CLI_HOME/tokens" "$1" "$2" <<'EOF'
import base64, json, sys
path, expiry, refresh = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path).read().splitlines()
key, payload = lines[0].rsplit(":", 1)
t = json.loads(base64.b64decode(payload))
t["expiry"] = expiry
if refresh != "keep":
    t["refresh_token"] = refresh
lines[0] = key + ":" + base64.b64encode(json.dumps(t, separators=(",", ":")).encode()).decode()
open(path, "w").write("\n".join(lines) + "\n")
EOF
}

# --- before login
run user;       expect "user before login" 1 "You are not logged in\n" ""
run user token; expect "user token before login" 1 "You are not logged in\n" ""
expect_eq "home mode" "$(mode "$CLI_HOME")" "700"
expect_eq "config mode" "$(mode "$CLI_HOME/config.json")" "600"

# --- wrong credentials: the server's detail, exit 127 (spec §3.8)
run login --username admin --password nope
expect "wrong password" 127 "" "Secret not correct\n"
run login --username nobody --password micro
expect "unknown account" 127 "" "Account not found with this ID\n"
run user; expect "user after failed login" 1 "You are not logged in\n" ""

# --- login by flags
run login --username admin --password micro
expect "login by flags" 0 "Successfully logged in.\n" ""
# login asks for a one-minute token (upstream's client default), refreshed later
now=$(date +%s); exp=$(tok expiry)
[ "$exp" -gt "$now" ] && [ "$exp" -le $((now + 70)) ] || fail "login token expiry $exp (now $now): want about a minute"
run user; expect "user after login" 0 "admin\n" ""
expect_eq "config.json after login" "$(cat "$CLI_HOME/config.json")" \
  '{"env":"local","local":{"current-user":"admin"},"micro":{"auth":{"local":{"expiry":"","refresh-token":"","token":""}}}}'
expect_eq "tokens mode" "$(mode "$CLI_HOME/tokens")" "600"
expect_eq "tokens lines" "$(wc -l <"$CLI_HOME/tokens")" "1"
expect_contains "token key" "$(cat "$CLI_HOME/tokens")" "micro://$PROXY_ADDR/micro/admin:"
# (read the file after the command: the command may have refreshed the token)
run user token; access=$(tok access_token); expect "user token" 0 "$access\n" ""
[ -n "$(tok refresh_token)" ] || fail "no refresh token saved"

# --- logout forgets the token
run logout; expect "logout" 0 "" ""
run user;   expect "user after logout" 1 "You are not logged in\n" ""
expect_eq "tokens after logout" "$(cat "$CLI_HOME/tokens")" ""

# --- login from piped stdin (no terminal: lines are read as they come)
RC=0; printf 'admin\nmicro\n' | m login >"$T/out" 2>"$T/err" || RC=$?
expect "login piped" 0 "Enter username: Enter password: \nSuccessfully logged in.\n" ""
run user; expect "user after piped login" 0 "admin\n" ""
# --email is upstream's alias of --username
run login --email admin --password micro
expect "login --email" 0 "Successfully logged in.\n" ""

# --- interactive login through a pty: the password is not echoed
$PY - "$MICRO_BIN" "$CLI_HOME" "$PROXY_ADDR" >"$T/pty" <<'EOF' || fail "pty login failed: $(cat "$T/pty")"
import os, pty, sys, time, select
binary, home, proxy = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(MICRO_HOME=home, MICRO_PROXY=proxy)
    os.execv(binary, [binary, "login"])
out = b""
def read_until(s, timeout=10):
    global out
    end = time.time() + timeout
    while s not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 1024)
            except OSError:
                break
    return s in out
assert read_until(b"Enter username: "), out
os.write(fd, b"admin\n")
assert read_until(b"Enter password: "), out
time.sleep(0.2)
os.write(fd, b"micro\n")
read_until(b"logged in.\r\n")
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(status))
EOF
expect_eq "pty transcript" "$(cat "$T/pty")" "$(printf 'Enter username: admin\nEnter password: \nSuccessfully logged in.')"

# --- refresh: a token about to expire is refreshed before the command runs
old=$(tok access_token)
set_tok $(( $(date +%s) + 10 )) keep
run user; expect "user with a token near expiry" 0 "admin\n" ""
new=$(tok access_token); exp=$(tok expiry); now=$(date +%s)
[ "$new" != "$old" ] || fail "token was not refreshed"
[ "$exp" -gt $((now + 500)) ] || fail "refreshed expiry $exp: want about ten minutes (now $now)"
expect_eq "one token line after refresh" "$(wc -l <"$CLI_HOME/tokens")" "1"
# a broken refresh token: the refresh fails silently and the still valid token is used
set_tok $(( $(date +%s) + 30 )) "not-a-token"
run user; expect "failed refresh is silent" 0 "admin\n" ""
# an expired token without refresh token is not sent: not logged in
set_tok $(( $(date +%s) - 10 )) ""
run user; expect "expired token" 1 "You are not logged in\n" ""

# --- namespaces
run login --username admin --password micro
run user namespace; expect "namespace default" 0 "micro\n" ""
run user namespace set foo; expect "namespace set" 0 "" ""
run user namespace; expect "namespace after set" 0 "foo\n" ""
run user config get namespaces.local.current; expect "namespace in config" 0 "foo\n" ""
run user namespace set; expect "namespace set without name" 128 "" "No namespace specified\n"
# the admin's token was saved for namespace micro: not logged in for foo
run user; expect "user in another namespace" 1 "You are not logged in\n" ""
MICRO_NAMESPACE=micro m user >"$T/out" 2>"$T/err" && RC=0 || RC=$?
expect "MICRO_NAMESPACE overrides" 0 "admin\n" ""
run user namespace set micro

# --- user config
run user config set a.b c;   expect "config set" 0 "" ""
run user config get a.b;     expect "config get" 0 "c\n" ""
run user config get a;       expect "config get object" 0 '{"b":"c"}\n' ""
run user config delete a.b;  expect "config delete" 0 "" ""
run user config get a.b;     expect "config get deleted" 0 "\n" ""
run user config delete "";   expect "config delete blank" 128 "" "Key cannot be blank\n"

# --- user set password (Accounts.ChangeSecret)
run user set password --old-password micro --new-password s3cret
expect "set password" 0 "" ""
run login --username admin --password micro; expect "old password refused" 127 "" "Secret not correct\n"
run login --username admin --password s3cret; expect "new password works" 0 "Successfully logged in.\n" ""
run user set password --old-password wrong --new-password x
[ "$RC" != 0 ] || fail "set password with a wrong old password succeeded"

# --- a malformed config.json: one clear line naming the file, the file untouched
printf '{"env":' >"$CLI_HOME/config.json"
run user
[ "$RC" != 0 ] || fail "malformed config.json accepted"
expect_contains "malformed config message" "$(cat "$T/err")" "$CLI_HOME/config.json"
expect_eq "malformed config one line" "$(wc -l <"$T/err")" "1"
expect_eq "malformed config untouched" "$(cat "$CLI_HOME/config.json")" '{"env":'

echo "cli login: ok"
