#!/usr/bin/env bash
# The events service in the real server: a consumer gets what is published after
# it starts (or replays from an offset); consumers of one group share events and
# the group resumes where it stopped, after a reconnect and after kill -9 and a
# restart (every acknowledged publish is still readable and delivered); manual
# acks: redelivery after ack_wait, nack, retry limit; Store.Read limit/offset;
# Store.Write is 501; every endpoint needs a micro admin account.
# Consumers are a python3-grpcio client (below) that keeps the bidi stream open
# and sends AckRequest messages up it, as upstream's client does.
. "$(dirname "$0")/lib.sh"
micro_start_server "$@"

CLIENT="$MICRO_HOME/events_client.py"
cat >"$CLIENT" <<'EOF'
"""events_client.py ADDR TOKEN TOPIC GROUP AUTO_ACK ACK_WAIT_NS RETRY_LIMIT OFFSET MODE MAX SECONDS
Consume with a hand-encoded ConsumeRequest; prints "PAYLOAD ID" per event received.
MODE: ack (ack each), noack (never), nack1 (nack an id the first time, then ack).
Ends after MAX events (0: no limit) or SECONDS."""
import queue, sys, threading, time
import grpc

def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data

def field_varint(num, n):
    return varint(num << 3) + varint(n)

def decode(data):
    fields, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = read_varint(data, i)
        elif wire == 2:
            n, i = read_varint(data, i)
            v, i = data[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wire)
        fields.setdefault(num, v)
    return fields

def read_varint(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i

addr, token, topic, group, auto_ack, ack_wait, retry, offset, mode, maxn, secs = sys.argv[1:12]
req = field_bytes(1, group.encode()) + field_bytes(2, topic.encode()) + \
      field_varint(3, int(offset)) + field_varint(4, int(auto_ack)) + \
      field_varint(5, int(ack_wait)) + field_varint(6, int(retry))
out = queue.Queue()
out.put(req)
done = threading.Event()

def requests():
    while True:
        try:
            m = out.get(timeout=0.05)
        except queue.Empty:
            if done.is_set():
                return
            continue
        yield m

channel = grpc.insecure_channel(addr)
call = channel.stream_stream("/events.Stream/Consume", request_serializer=lambda b: b,
                             response_deserializer=lambda b: b)
stream = call(requests(), metadata=[("authorization", "Bearer " + token)],
              timeout=float(secs))
seen, count = set(), 0
try:
    for msg in stream:
        ev = decode(msg)
        eid = ev.get(1, b"").decode()
        print(ev.get(4, b"").decode(), eid, flush=True)
        count += 1
        if mode == "ack" or (mode == "nack1" and eid in seen):
            out.put(field_bytes(1, eid.encode()) + field_varint(2, 1))
        elif mode == "nack1":
            out.put(field_bytes(1, eid.encode()) + field_varint(2, 0))
        seen.add(eid)
        if int(maxn) and count >= int(maxn):
            time.sleep(0.2)   # let the last ack leave before the stream ends
            break
except grpc.RpcError as e:
    if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
        print("ERROR", e.code().name, e.details(), flush=True)
done.set()
stream.cancel()
channel.close()
EOF

login() {
  TOKEN=$(micro_admin_token)
  [ -n "$TOKEN" ] || fail "no admin token"
  MD=(-m authorization="Bearer $TOKEN")
}
login

# consume NAME TOPIC GROUP AUTO_ACK ACK_WAIT_NS RETRY OFFSET MODE MAX SECONDS: in the
# background, output in $MICRO_HOME/NAME.out; wait_all waits for every consumer.
PIDS=()
consume() {
  local name=$1; shift
  $PY "$CLIENT" "$PROXY_ADDR" "$TOKEN" "$@" >"$MICRO_HOME/$name.out" 2>"$MICRO_HOME/$name.err" &
  PIDS+=($!)
}
wait_all() { for p in "${PIDS[@]}"; do wait "$p" || fail "a consumer failed"; done; PIDS=(); }
payloads() { cut -d' ' -f1 "$MICRO_HOME/$1.out" | tr '\n' ' '; }
pub() { # pub TOPIC PAYLOAD-TEXT
  local b64
  b64=$(printf '%s' "$2" | base64)
  expect_eq "publish $1 $2" "$("$GRPC_CALL" "${MD[@]}" "$PROXY_ADDR" /events.Stream/Publish \
    "{\"topic\":\"$1\",\"payload\":\"$b64\",\"metadata\":{\"k\":\"v\"}}")" "{}"
}
ready() { sleep 1.2; }   # python and grpcio start, the ConsumeRequest arrives

# --- publish, consume, replay -------------------------------------------------------------
pub t0 early
consume plain t0 "" 1 0 -1 0 ack 2 10
consume replay t0 "" 1 0 -1 1 ack 3 10
ready
pub t0 one
pub t0 two
wait_all
expect_eq "consumer without a group gets what follows" "$(payloads plain)" "one two "
expect_eq "offset replays from that time" "$(payloads replay)" "early one two "
out=$({ "$GRPC_CALL" "${MD[@]}" -t 1500 "$PROXY_ADDR" /events.Stream/Consume \
  '{"topic":"t0","offset":"1"}' || true; } | head -1)   # ends at its deadline
expect_contains "grpc+json consumer" "$out" '"payload":"ZWFybHk=","timestamp":'
expect_contains "event metadata" "$out" '"metadata":{"k":"v"}'

# --- a group shares its events -------------------------------------------------------------
consume share1 t1 workers 1 0 -1 0 ack 0 4
consume share2 t1 workers 1 0 -1 0 ack 0 4
consume other t1 "" 1 0 -1 0 ack 0 4
ready
for i in 1 2 3 4 5 6; do pub t1 "m$i"; done
wait_all
all=$(cat "$MICRO_HOME/share1.out" "$MICRO_HOME/share2.out" | cut -d' ' -f1 | sort | tr '\n' ' ')
expect_eq "the group got every event once" "$all" "m1 m2 m3 m4 m5 m6 "
expect_eq "member 1 got half" "$(wc -l <"$MICRO_HOME/share1.out")" "3"
expect_eq "a consumer outside the group got all" "$(payloads other)" "m1 m2 m3 m4 m5 m6 "

# --- a group resumes where it stopped --------------------------------------------------------
consume g1 t2 resume 1 0 -1 0 ack 1 10
ready
pub t2 e1
wait_all
expect_eq "first session" "$(payloads g1)" "e1 "
pub t2 e2
pub t2 e3
consume g2 t2 resume 1 0 -1 0 ack 2 10
wait_all
expect_eq "the group resumes after a reconnect" "$(payloads g2)" "e2 e3 "

# --- manual acks ---------------------------------------------------------------------------
# never acked: redelivered every ack_wait (300 ms) while the stream is open
consume noack t3 manual 0 300000000 -1 0 noack 0 2.5
ready
pub t3 r1
wait_all
n=$(grep -c '^r1 ' "$MICRO_HOME/noack.out")
[ "$n" -ge 2 ] || fail "an unacknowledged event was delivered $n times, want it redelivered"
expect_eq "the same event each time" "$(cut -d' ' -f2 "$MICRO_HOME/noack.out" | sort -u | wc -l)" "1"
# still unacknowledged: the next consumer of the group gets it, acks it; then it is gone
consume acker t3 manual 0 300000000 -1 0 ack 1 10
wait_all
expect_eq "redelivered to the next member" "$(payloads acker)" "r1 "
consume after t3 manual 0 300000000 -1 0 ack 0 1
wait_all
expect_eq "an acknowledged event is not redelivered" "$(payloads after)" ""
# a nack redelivers at once (long ack_wait), and the ack after it ends it
consume nack t4 nackers 0 60000000000 -1 0 nack1 2 10
ready
pub t4 n1
wait_all
expect_eq "nack redelivers" "$(payloads nack)" "n1 n1 "
# a retry limit of 1: delivered, redelivered once, then dropped
consume retry t5 "" 0 200000000 1 0 noack 0 2.5
ready
pub t5 x1
wait_all
expect_eq "retry limit" "$(payloads retry)" "x1 x1 "
grep -q 'discarding event' "$MICRO_HOME/server.log" || fail "no log line for a dropped event"

# --- Store.Read and Store.Write -------------------------------------------------------------
for i in 1 2 3 4 5; do pub r "p$i"; done
read_payloads() {
  "$GRPC_CALL" "${MD[@]}" "$PROXY_ADDR" /events.Store/Read "$1" |
    $PY -c 'import base64,json,sys
print(" ".join(base64.b64decode(e["payload"]).decode() for e in json.load(sys.stdin)["events"]))'
}
expect_eq "read in publish order" "$(read_payloads '{"topic":"r"}')" "p1 p2 p3 p4 p5"
expect_eq "read limit and offset" "$(read_payloads '{"topic":"r","limit":"2","offset":"1"}')" "p2 p3"
expect_eq "read of another topic" "$(read_payloads '{"topic":"nothing"}')" ""
out=$("$GRPC_CALL" "${MD[@]}" "$PROXY_ADDR" /events.Store/Write '{}') && fail "Store.Write answered"
expect_eq "Store.Write" "$out" "UNIMPLEMENTED	{\"id\":\"events.Store.Write\",\"code\":501,\"detail\":\"Writing to the store directly is not supported\",\"status\":\"Not Implemented\"}"
out=$("$GRPC_CALL" "${MD[@]}" "$PROXY_ADDR" /events.Stream/Publish '{"topic":""}') && fail "empty topic"
expect_eq "missing topic" "$out" "INVALID_ARGUMENT	{\"id\":\"events.Stream.Publish\",\"code\":400,\"detail\":\"Missing topic\",\"status\":\"Bad Request\"}"
out=$("$GRPC_CALL" "${MD[@]}" "$PROXY_ADDR" /events.Stream/Publish '{"topic":"a/b"}') && fail "topic with /"
expect_contains "topic with a slash" "$out" '"code":400'

# --- accounts ----------------------------------------------------------------------------------
for path in /events.Stream/Publish /events.Store/Read /events.Stream/Consume; do
  out=$("$GRPC_CALL" -t 2000 "$PROXY_ADDR" "$path" '{"topic":"t"}') && fail "anonymous $path"
  expect_contains "anonymous $path" "$out" '"code":401'
done
expect_eq "publish through the gateway" "$(curl -s -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $TOKEN" -d '{"topic":"gw","payload":"eA=="}' "http://$API_ADDR/events/stream/publish")" "{}"

# --- kill -9 and restart ------------------------------------------------------------------------
if [ "${MICRO_TEST_PROFILE:-local}" != test ]; then
  pub t2 e4
  pub t2 e5
  micro_restart_server "$@"   # kill -9 right after the answers
  login
  expect_eq "every acknowledged publish survives" \
    "$(read_payloads '{"topic":"t2"}')" "e1 e2 e3 e4 e5"
  consume g3 t2 resume 1 0 -1 0 ack 2 10
  wait_all
  expect_eq "the group resumes after a restart" "$(payloads g3)" "e4 e5 "
  consume g4 t2 "" 1 0 -1 1 ack 5 10
  wait_all
  expect_eq "events are replayable after a restart" "$(payloads g4)" "e1 e2 e3 e4 e5 "
  pub t2 e6
  consume g5 t2 resume 1 0 -1 0 ack 1 10
  wait_all
  expect_eq "publishing goes on after a restart" "$(payloads g5)" "e6 "
  echo "events: restart ok"
fi

# --- a replay bigger than a stream's queue (1 MiB): the stream waits while its client
# reads and is resumed, with nothing lost or repeated (4,000 events of about 1 KB)
pad=$(head -c 1000 /dev/zero | tr '\0' p)
out=$($PY "$MICRO_SRC/tests/integration/grpc_writer.py" "$PROXY_ADDR" "$TOKEN" events "$pad" 4000 64 \
  "$MICRO_HOME/big-acked") || fail "publishing the big replay: $out"
expect_eq "big replay published" "$out" "4000 0"
consume big gc "" 1 0 -1 1 ack 4000 30
wait_all
expect_eq "big replay: every event once" "$(cut -d' ' -f1 "$MICRO_HOME/big.out" | sort -u | wc -l) $(wc -l <"$MICRO_HOME/big.out")" "4000 4000"
echo "events: ok"
