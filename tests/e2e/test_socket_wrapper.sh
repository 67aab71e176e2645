#!/bin/bash
# sslvpnd under cwrap (socket_wrapper + uid_wrapper), as ocserv's own test suite runs its
# server and as distribution packagers test without root: main runs as an unprivileged user
# that uid_wrapper shows as root, on socket_wrapper's fake loopback; the real openconnect logs
# in through the wrapper, twice (the second login reuses the worker zygote), and a wrong
# password is refused. Root is needed only to run the server as `nobody` (setpriv).
source "$(dirname "$0")/lib.sh"
e2e_init
SW_LIB=$(ldconfig -p | awk '/libsocket_wrapper\.so[^.]/ || /libsocket_wrapper\.so$/ {print $NF; exit}')
UW_LIB=$(ldconfig -p | awk '/libuid_wrapper\.so[^.]/ || /libuid_wrapper\.so$/ {print $NF; exit}')
[ -n "$SW_LIB" ] || SW_LIB=$(ls /usr/lib/*/libsocket_wrapper.so* 2>/dev/null | head -n 1)
[ -n "$UW_LIB" ] || UW_LIB=$(ls /usr/lib/*/libuid_wrapper.so* 2>/dev/null | head -n 1)
[ -n "$SW_LIB" ] && [ -n "$UW_LIB" ] || e2e_skip "needs libsocket-wrapper and libuid-wrapper"
command -v setpriv >/dev/null || e2e_skip "needs setpriv (util-linux)"

PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
mkdir "$WORK/sw"
PORT=28443  # on socket_wrapper's interface 2 (127.0.0.2): no real socket is bound
cat > "$WORK/sslvpnd.conf" <<CONF
auth = "plain[passwd=$PW]"
listen-host = 127.0.0.2
tcp-port = $PORT
udp-port = $PORT
server-cert = $WORK/cert/cert.pem
server-key = $WORK/cert/key.pem
run-as-user = nobody
run-as-group = nogroup
occtl-socket-file = $WORK/ctl.socket
max-ban-score = 0
CONF
chown -R nobody:nogroup "$WORK"
AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups env SOCKET_WRAPPER_DIR="$WORK/sw")
LOG="$WORK/server.log"
SERVER_LOGS+=("$LOG")
"${AS[@]}" SOCKET_WRAPPER_DEFAULT_IFACE=2 UID_WRAPPER=1 UID_WRAPPER_ROOT=1 LD_PRELOAD="$SW_LIB:$UW_LIB" \
  "$SSLVPND" -f -d 3 -c "$WORK/sslvpnd.conf" >"$LOG" 2>&1 &
SPID=$!
STARTED_PIDS+=("$SPID")
# socket_wrapper names a listening socket T (TCP), the interface (02) and the port in hex.
sock=$(printf 'T02%04X' "$PORT")
for _ in $(seq 1 100); do [ -S "$WORK/sw/$sock" ] && break; sleep 0.1; done
check "the server listens on socket_wrapper's 127.0.0.2:$PORT" test -S "$WORK/sw/$sock"

login() {  # login PASSWORD: openconnect --authenticate through the wrapper (interface 10)
  note_secret "$1"
  printf '%s\n' "$1" | "${AS[@]}" SOCKET_WRAPPER_DEFAULT_IFACE=10 LD_PRELOAD="$SW_LIB" timeout 20 \
    openconnect --authenticate --passwd-on-stdin --non-inter -u alice --servercert "$PIN" \
    "https://127.0.0.2:$PORT/" 2>&1 | tee -a "$WORK/auth.out"
}
out=$(login 'alice-Secret1')
check "a login under socket_wrapper gets a cookie" grep -q "^COOKIE=" <<<"$out"
out=$(login 'alice-Secret1')
check "a second login (a worker from the zygote again) gets a cookie" grep -q "^COOKIE=" <<<"$out"
out=$(login 'not-her-password')
check "a wrong password gets no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... and is logged as a failed login" wait_for_log "$LOG" "login failed for 'alice'"
check "the server is still running" kill -0 "$SPID"
check "no helper refused the wrapper's descriptors (zygote, sec-mod)" \
  bash -c "! grep -Eq 'zygote failed|limit exceeded|lost the channel' '$LOG'"
kids=$(cat /proc/"$SPID"/task/*/children 2>/dev/null)
wrapped=0
for k in $kids; do tr '\0' '\n' <"/proc/$k/environ" 2>/dev/null | grep -q '^SOCKET_WRAPPER_DIR=' && wrapped=$((wrapped + 1)); done
check "main's helpers run under the wrapper too ($wrapped of $(wc -w <<<"$kids"))" test "$wrapped" -ge 2
e2e_finish
