#!/usr/bin/env bash
# Every endpoint of every core service the command table leaves to dynamic
# resolution has its help: `micro SVC --help` lists its commands (upstream's
# layout), and `micro SVC <command> --help` for each of them prints the
# endpoint's NAME/USAGE/FLAGS page with exit 0. Builtins of the same name
# (config, store, auth, network) shadow their services, as upstream.
. "$(dirname "$0")/lib.sh"
micro_start_server "$@"
export MICRO_PROXY=$PROXY_ADDR
"$MICRO_BIN" login --username admin --password micro >/dev/null || fail "login"

shadowed=" config store auth network web "   # builtins that shadow a service's dynamic command
checked=0
for svc in $("$MICRO_BIN" services); do
  case "$shadowed" in *" $svc "*) continue ;; esac
  rc=0; "$MICRO_BIN" "$svc" --help >/dev/null 2>"$MICRO_HOME/svc.err" || rc=$?
  expect_eq "$svc --help exit" "$rc" "0"
  head -2 "$MICRO_HOME/svc.err" | tr '\n' '|' | grep -qx "NAME:|	micro $svc|" ||
    fail "$svc --help: $(head -3 "$MICRO_HOME/svc.err")"
  # the commands: tab-indented lines after COMMANDS:
  mapfile -t cmds < <(sed -n '/^COMMANDS:/,$p' "$MICRO_HOME/svc.err" | sed -n 's/^\t\(..*\)/\1/p')
  n_eps=$("$MICRO_BIN" registry getService --service="$svc" |
          $PY -c 'import json,sys; print(len(json.load(sys.stdin)["services"][0]["endpoints"]))')
  expect_eq "$svc: one command per endpoint" "${#cmds[@]}" "$n_eps"
  for c in "${cmds[@]}"; do
    # shellcheck disable=SC2086  # a command is one or two words
    rc=0; "$MICRO_BIN" "$svc" $c --help >/dev/null 2>"$MICRO_HOME/ep.err" || rc=$?
    expect_eq "$svc $c --help exit" "$rc" "0"
    expect_eq "$svc $c help header" "$(head -2 "$MICRO_HOME/ep.err" | tail -1)" "	micro $svc $c"
    grep -q '^FLAGS:$' "$MICRO_HOME/ep.err" || fail "$svc $c --help: no FLAGS section"
    checked=$((checked + 1))
  done
done
# registry 5, broker 2, events 4, runtime 7, api 3 endpoints at least
[ "$checked" -ge 21 ] || fail "only $checked endpoint help pages checked"
echo "dynamic help: $checked endpoints ok"
