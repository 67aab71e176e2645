#!/bin/bash
# main against children that misbehave or die (issues #12 and #18):
# 1. A worker that stops reading its channel (a real worker, stopped with SIGSTOP, as a
#    compromised one could simply stop) while its client keeps making main hand it UDP
#    sockets: large forged DTLS hellos naming its session, one per second, which main passes on
#    with the datagram. main's blocking send used to freeze its event loop once the socket
#    buffer was full, and every other login hung. Now main queues what the worker does not
#    take, kills it past a bound, and goes on serving logins throughout.
# 2. A stuck worker zygote: main used to wait for its answer. Now it gives up after 2 s, kills
#    it, and starts workers on its own.
# 3. A worker killed while sec-mod works on its handshake signature: sec-mod answers into a
#    closed channel and goes on; the next login works.
# 4. sec-mod killed while tunnels are up: main shuts down, as ocserv's does (its sec-mod holds
#    every cookie and the key; without it no login or reconnect can be checked), ending every
#    tunnel and removing its TUN devices and control socket.
source "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null || e2e_skip "needs python3"
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
add_user "$PW" bob 'bob-Secret1'
PORT=4443
SOCK="$WORK/ctl.sock"
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
udp-port = $PORT
ipv4-network = 10.81.0.0/24
route = $BEHIND_NET
occtl-socket-file = $SOCK
max-same-clients = 0
max-ban-score = 0
CONF
} > "$WORK/sslvpnd.conf"
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

check "alice connects with DTLS" oc_connect a alice 'alice-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/a.oc.log" && break; sleep 0.1; done
APPID=$(grep -o 'X-DTLS-App-ID: [0-9a-fA-F]*' "$WORK/a.oc.log" | tail -n 1 | awk '{print $2}')
check "alice's DTLS App-ID is known" test -n "$APPID"
WPID_LOGGED=$("$CTL" -s "$SOCK" --json show users | python3 -c "import json,sys; print([u['PID'] for u in json.load(sys.stdin) if u['Username']=='alice'][0])")
WPID=$(host_pid "$WPID_LOGGED")  # the server's logs and sslvpnctl number it in its own PID namespace
check "alice's worker pid is known ($WPID)" kill -0 "$WPID"
kill -STOP "$WPID"

# 40 hellos of 16 kB, 1.05 s apart (main hands a tunnel at most one socket per second): the
# worker's socket buffer fills after about ten; main's queue for it is bounded at 128 kB.
in_ns "$NS_C" python3 "$E2E_DIR/dtls_hello.py" "$SERVER_IP" "$PORT" "$APPID" 40 1.05 16000 &
FORGER=$!
STARTED_PIDS+=("$FORGER")
bob_login() {
  printf '%s\n' 'bob-Secret1' | timeout 15 ip netns exec "$NS_C" openconnect --authenticate \
    --passwd-on-stdin --non-inter -u bob --servercert "$PIN" "https://$SERVER_IP:$PORT/" 2>&1 |
    grep -q '^COOKIE='
}
ok=0 tried=0 killed=no
end=$((SECONDS + 60))
for _ in $(seq 1 100); do  # at most 100 logins and 60 s
  tried=$((tried + 1))
  bob_login && ok=$((ok + 1))
  if grep -q "killing worker $WPID_LOGGED .*does not read its channel" "$LOG"; then killed=yes; break; fi
  [ "$SECONDS" -lt "$end" ] || break
  sleep 0.5
done
check "bob logged in every time while alice's worker did not read ($ok of $tried)" test "$ok" = "$tried"
check "... over a long enough attack to fill its socket ($tried logins)" test "$tried" -ge 5
check "main killed the worker that did not read its channel" test "$killed" = yes
check "... and the worker is gone" bash -c "for _ in \$(seq 1 50); do kill -0 $WPID 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
kill "$FORGER" 2>/dev/null
check "bob logs in after the attack" bob_login
check "sslvpnctl show status answers" "$CTL" -s "$SOCK" show status
check "no worker died of a signal other than the kill" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"
oc_stop a

MAIN_PID=$SERVER_PID
children() {  # children COMM: main's children with that process name
  ps --ppid "$MAIN_PID" -o pid=,comm= | awk -v c="$1" '$2 == c { print $1 }'
}

# ---- 2. a stuck zygote
ZPID=$(children sslvpnd-zygote)
check "the worker zygote runs ($ZPID)" test -n "$ZPID"
kill -STOP "$ZPID"
bob_login  # the zygote never answers: main drops this one connection after 2 s
check "main gave up on the stuck zygote" wait_for_log "$LOG" "worker zygote failed (it did not answer in time)"
check "... and killed it" bash -c "for _ in \$(seq 1 50); do kill -0 $ZPID 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
check "logins go on without the zygote" bob_login
check "... twice" bob_login

# ---- 3. a worker killed while sec-mod signs its handshake
SECMOD_PID=$(host_pid "$("$CTL" -s "$SOCK" --json show status | python3 -c "import json,sys; print(json.load(sys.stdin)['Sec-mod PID'])")")
check "sec-mod's pid is known ($SECMOD_PID)" kill -0 "$SECMOD_PID"
before=$(children sslvpnd-worker | sort)
kill -STOP "$SECMOD_PID"
in_ns "$NS_C" timeout 20 gnutls-cli --insecure --port "$PORT" "$SERVER_IP" </dev/null >"$WORK/cli.log" 2>&1 &
CLI=$!
STARTED_PIDS+=("$CLI")
victim=""
for _ in $(seq 1 50); do
  victim=$(comm -13 <(echo "$before") <(children sslvpnd-worker | sort) | head -n 1)
  [ -n "$victim" ] && break
  sleep 0.1
done
check "a worker started for the handshake ($victim)" test -n "$victim"
sleep 0.5  # its ClientHello arrives; it asks sec-mod to sign and waits
kill -KILL "$victim"
kill -CONT "$SECMOD_PID"
wait "$CLI" 2>/dev/null
check "sec-mod lives on after answering a dead worker" kill -0 "$SECMOD_PID"
check "the next login works" bob_login
check "... and main did not lose sec-mod" bash -c "! grep -Eq 'sec-mod exited|lost the channel to sec-mod' '$LOG'"

# ---- 4. sec-mod killed with a tunnel up
check "alice connects again" oc_connect b alice 'alice-Secret1'
DEV=$("$CTL" -s "$SOCK" --json show users | python3 -c "import json,sys; print([u['Device'] for u in json.load(sys.stdin) if u['Username']=='alice'][0])")
check "... on $DEV" in_ns "$NS_S" ip link show "$DEV"
kill -KILL "$SECMOD_PID"
down=no
for _ in $(seq 1 100); do kill -0 "$MAIN_PID" 2>/dev/null || { down=yes; break; }; sleep 0.1; done
check "killing sec-mod shuts main down" test "$down" = yes
rc=$(wait_server_exit "$MAIN_PID")
check "... with a failure status ($rc)" test "$rc" -ne 0
check "... saying why" grep -Eq "sec-mod exited|lost the channel to sec-mod" "$LOG"
check "... the tunnel device is gone" bash -c "! ip -n '$NS_S' link show '$DEV' >/dev/null 2>&1"
check "... the control socket is removed" test ! -e "$SOCK"
left=no
for _ in $(seq 1 50); do [ -z "$(ps --ppid "$MAIN_PID" -o pid= 2>/dev/null)" ] && [ -z "$(pgrep -u "$RUN_AS_USER" -f sslvpnd-worker 2>/dev/null)" ] && { left=yes; break; }; sleep 0.1; done
check "... and no worker is left" test "$left" = yes
e2e_finish
