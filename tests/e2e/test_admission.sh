#!/bin/bash
# Login admission (#19) with the real openconnect: with max-logins-in-progress = 1, a
# connection that holds the one slot (a client that sends one byte, then nothing) makes the next
# login wait in main's queue, and it goes through once the slot is freed (at most 5 s later);
# sslvpnctl shows the slot and the waiting connection. With login-queue-timeout = 2 the waiting
# connection is closed after 2 s instead, cleanly, before any handshake. And sslvpnd-loadgen's
# burst of 60 logins at once against 4 slots: every login succeeds, none waits unbounded.
source "$(dirname "$0")/lib.sh"
e2e_init
CTL="$BUILD_DIR/sslvpnctl"
LOADGEN="$BUILD_DIR/tools/loadgen/sslvpnd-loadgen"
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
PORT=$(free_port)
SOCK="$WORK/ctl.sock"
conf() {  # conf SLOTS QUEUE_TIMEOUT
  { base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
listen-host = 127.0.0.1
occtl-socket-file = $SOCK
max-ban-score = 0
max-same-clients = 0
ipv4-network = 10.66.0.0/24
max-logins-in-progress = $1
login-queue-timeout = $2
CONF
  } >"$WORK/sslvpnd.conf"
}
conf 1 8
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

# A client that sends one byte and then nothing holds the one slot (a worker waits for the
# rest of its hello; one that sends nothing at all is never accepted: TCP_DEFER_ACCEPT).
hold_slot() {
  exec 7<>"/dev/tcp/127.0.0.1/$PORT"
  printf '\026' >&7
}
hold_slot
sleep 0.3
t0=$(date +%s%N)
oc_auth "$PIN" "$PORT" alice 'alice-Secret1' >"$WORK/waited.out" &
OC=$!
sleep 1
status=$("$CTL" -s "$SOCK" show status)
check "sslvpnctl: the slot is taken (1 of 1)" grep -q "Logins in progress: 1 of 1" <<<"$status"
check "sslvpnctl: the login waits" grep -q "Connections waiting to log in: 1" <<<"$status"
wait "$OC"
t1=$(date +%s%N)
waited_ms=$(((t1 - t0) / 1000000))
check "the waiting login succeeds once the slot is freed" grep -q "^COOKIE=" "$WORK/waited.out"
check "... after waiting for it (${waited_ms} ms, the silent client holds it 5 s)" test "$waited_ms" -ge 3000
exec 7>&-

# login-queue-timeout = 2: a connection that cannot get a slot is closed after 2 s.
conf 1 2
kill -HUP "$SERVER_PID"
wait_for_log "$LOG" "configuration reloaded" >/dev/null
hold_slot
sleep 0.3
t0=$(date +%s%N)
out=$(oc_auth "$PIN" "$PORT" alice 'alice-Secret1')
t1=$(date +%s%N)
closed_ms=$(((t1 - t0) / 1000000))
check "with the slot held, the next connection gets no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... it is closed after the queue timeout (${closed_ms} ms)" test "$closed_ms" -ge 1500 -a "$closed_ms" -lt 4500
check "sslvpnctl counts it" grep -Eq "Connections closed unserved \(waited too long\): [1-9]" \
  <<<"$("$CTL" -s "$SOCK" show status)"
exec 7>&-

# A burst: 60 logins at once (login and CONNECT on one connection, as openconnect does) against
# 4 slots and a 10 s queue: all of them get through, in order of the queue.
conf 4 10
kill -HUP "$SERVER_PID"
sleep 0.5
if [ -x "$LOADGEN" ]; then
  lg=$(timeout 120 "$LOADGEN" --server "127.0.0.1:$PORT" --user alice --password 'alice-Secret1' \
    --sessions 60 --rate 1000 --hold 0 --linger 0.5 --timeout 30 --reuse --json 2>"$WORK/lg.err")
  check "a burst of 60 against 4 slots: every session comes up ($lg)" \
    python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d['established'] == 60 else 1)" "$lg"
else
  fail "sslvpnd-loadgen is not built"
fi
# Out of descriptors: main's soft limit is lowered (prlimit) to 16 above what it holds (4 login
# slots take 8 of them, the queue the rest), and 40 connections arrive at once. accept4 fails with EMFILE while they wait in the backlog; main
# must rest, not spin on its readable listener (the old build took a whole core), and once they
# are gone a login goes through again.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
nfd=$(ls "/proc/$SERVER_PID/fd" | wc -l)
soft=$(prlimit --pid "$SERVER_PID" --nofile --noheadings -o SOFT | tr -d ' ')
if prlimit --pid "$SERVER_PID" --nofile=$((nfd + 16)): 2>/dev/null; then
  python3 - "$PORT" 40 12 >"$WORK/hold.out" 2>&1 <<'PY' &
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.send(b"\x16")  # past TCP_DEFER_ACCEPT
    socks.append(s)
print("holding", len(socks), flush=True)
time.sleep(hold)
PY
  HOLD=$!
  sleep 2
  t0=$(cpu_ticks "$SERVER_PID")
  sleep 3
  t1=$(cpu_ticks "$SERVER_PID")
  hz=$(getconf CLK_TCK)
  check "out of descriptors, main rests instead of spinning ($((t1 - t0)) ticks of CPU in 3 s, $hz a second)" \
    test $((t1 - t0)) -lt $((hz / 2))
  check "... and says so in its log" grep -q "out of file descriptors" "$LOG"
  wait "$HOLD"
  prlimit --pid "$SERVER_PID" --nofile="$soft":
  sleep 1
  out=$(oc_auth "$PIN" "$PORT" alice 'alice-Secret1')
  check "once they are gone, a login goes through" grep -q "^COOKIE=" <<<"$out"
else
  fail "prlimit could not lower main's descriptor limit"
fi
check "no worker died of a signal" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"
e2e_finish
