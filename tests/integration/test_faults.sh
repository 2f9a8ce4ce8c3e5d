#!/usr/bin/env bash
# Faults of the machine around the server (issue 9): a disk that fills up while
# records are written (a clear error, the server goes on, nothing written before
# is lost, the sqlite file passes its integrity check), a MICRO_HOME on a
# read-only disk (a one-line reason and exit code 1, fresh and with an existing
# store), and user services that hang (their calls end at the deadline, every
# other call keeps being answered at once). The disks are small tmpfs mounts,
# which needs root; elsewhere those parts say so and only the rest runs. The disk
# parts always run on the sqlite profile (the suite's second pass uses --profile test).
. "$(dirname "$0")/lib.sh"
if can_mount; then
  # ---- the disk fills up under writes
  mount_small_disk 3m
  trap micro_cleanup EXIT
  export MICRO_HOME=$MNT/home
  mkdir -p "$MICRO_HOME"
  # room for the server logs of the restart below, freed once the disk is full
  head -c 65536 /dev/zero >"$MNT/ballast"
  MICRO_TEST_PROFILE=local micro_launch_server
  cli_harness
  run login --username admin --password micro; expect "login" 0 "Successfully logged in.\n" ""
  VALUE=$(head -c 20000 /dev/zero | tr '\0' v)
  written=0 full=""
  for i in $(seq 1 400); do
    run store write "k$i" "$VALUE$i"
    if [ "$RC" != 0 ]; then full=$i; break; fi
    written=$i
  done
  [ -n "$full" ] || fail "400 records of 20 KB fitted on a 3 MB disk"
  [ "$written" -ge 10 ] || fail "only $written records before the disk was full"
  expect_eq "disk full: exit code" "$RC" "1"
  expect_contains "disk full: the reason (on stdout, as upstream prints store errors)" "$(cat "$T/out")" "no space left on the disk"
  # the server goes on and every acknowledged record is there, byte for byte
  # (compared by hash: a failure must not print 20 KB)
  sum() { md5sum | cut -c1-32; }
  for i in 1 $((written / 2)) "$written"; do
    run store read "k$i"
    expect_eq "record k$i after the disk filled" "$(sum <"$T/out")" "$(echo "$VALUE$i" | sum)"
  done
  run services; expect_contains "services after the disk filled" "$(cat "$T/out")" "store"
  micro_kill9_server
  expect_eq "integrity after a full disk and kill -9" "$(integrity "$MICRO_HOME/store/store.db")" "ok"
  # the user frees a little space and restarts: every record is still there
  rm "$MNT/ballast"
  MICRO_TEST_PROFILE=local micro_launch_server
  # (the restart has new ephemeral ports, and the CLI keeps tokens per address)
  run login --username admin --password micro; expect "login after restart" 0 "Successfully logged in.\n" ""
  for i in 1 "$written"; do
    run store read "k$i"
    expect_eq "record k$i after the restart" "$(sum <"$T/out")" "$(echo "$VALUE$i" | sum)"
  done
  run store write after restart; expect "a small write once space is freed" 0 "" ""
  run store read after; expect "read it back" 0 "restart\n" ""
  micro_kill9_server
  umount "$MNT"

  # ---- a read-only MICRO_HOME: with a store in it, then a fresh one
  mount -t tmpfs -o size=4m tmpfs "$MNT" || fail "cannot mount a tmpfs"
  export MICRO_HOME=$MNT/home
  mkdir -p "$MICRO_HOME"
  MICRO_TEST_PROFILE=local micro_launch_server
  run login --username admin --password micro; expect "login on a new disk" 0 "Successfully logged in.\n" ""
  run store write kept yes; expect "write before read-only" 0 "" ""
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  mount -o remount,ro "$MNT"
  rc=0; "$MICRO_BIN" server --api_address 127.0.0.1:0 --proxy_address 127.0.0.1:0 \
    --web_address 127.0.0.1:0 >"$T/ro.out" 2>"$T/ro.err" || rc=$?
  expect_eq "read-only home: exit code" "$rc" "1"
  expect_eq "read-only home: the reason" "$(tail -1 "$T/ro.err")" \
    "micro server: cannot write in '$MNT/home/store': Read-only file system"
  rc=0; MICRO_HOME=$MNT/fresh "$MICRO_BIN" server --api_address 127.0.0.1:0 --proxy_address 127.0.0.1:0 \
    --web_address 127.0.0.1:0 >"$T/ro.out" 2>"$T/ro.err" || rc=$?
  expect_eq "fresh read-only home: exit code" "$rc" "1"
  expect_contains "fresh read-only home: the reason" "$(cat "$T/ro.err")" "Read-only file system"
  mount -o remount,rw "$MNT"
  MICRO_TEST_PROFILE=local micro_launch_server
  run login --username admin --password micro; expect "login after remount" 0 "Successfully logged in.\n" ""
  run store read kept; expect "record kept through the read-only start" 0 "yes\n" ""
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  umount "$MNT"
else
  echo "test_faults: not root or no tmpfs mounts here: disk-full and read-only parts not run"
fi

# ---- a user service that hangs does not stall anyone else
micro_start_server
cli_harness
TOKEN=$(micro_admin_token)
# "stuck": a service whose every worker hangs; helloworld: a healthy one
hello_start
STUCK_PID=$HELLO_PID STUCK_ADDR=$HELLO_ADDR
hello_start
trap 'kill "$STUCK_PID" 2>/dev/null; hello_stop; micro_cleanup' EXIT
hello_register micro -m authorization="Bearer $TOKEN"
"$GRPC_CALL" -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /registry.Registry/Register \
  "{\"name\":\"stuck\",\"version\":\"latest\",\"nodes\":[{\"id\":\"stuck-1\",\"address\":\"$STUCK_ADDR\"}],\"options\":{\"ttl\":\"90\"}}" >/dev/null ||
  fail "cannot register stuck"
# 20 calls hang in it (5 s each, more than its 8 workers; each with a 1 s deadline)
pids=()
for i in $(seq 1 20); do
  "$GRPC_CALL" -t 1000 -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /stuck.Helloworld/Slow '{"ms":5000}' \
    >"$T/slow.$i" 2>&1 &
  pids+=($!)
done
sleep 0.2
# meanwhile other calls are answered at once, through the proxy and the gateway
start=$(date +%s%N)
for _ in $(seq 1 10); do
  out=$("$GRPC_CALL" -t 2000 -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /helloworld.Helloworld/Call '{"name":"x"}') ||
    fail "a call while others hang: $out"
done
out=$(curl -s -m 2 -H "Authorization: Bearer $TOKEN" "http://$API_ADDR/helloworld/Call?name=y")
expect_eq "gateway while calls hang" "$out" '{"msg":"Hello y"}'
out=$("$GRPC_CALL" -t 2000 -m authorization="Bearer $TOKEN" "$PROXY_ADDR" /store.Store/Read '{"key":"none"}' 2>&1 || true)
expect_contains "core service while calls hang" "$out" "NOT_FOUND"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 1500 ] || fail "12 calls took $ms ms while 20 others hung"
hung=0
for p in "${pids[@]}"; do
  rc=0; wait "$p" || rc=$?
  [ "$rc" != 0 ] && hung=$((hung + 1))
done
expect_eq "hung calls ended at their deadline" "$hung" "20"
grep -l "DEADLINE_EXCEEDED" "$T"/slow.* | wc -l | { read -r n; [ "$n" = 20 ] || fail "only $n hung calls ended with DEADLINE_EXCEEDED: $(cat "$T/slow.1")"; }
echo "faults: ok"
