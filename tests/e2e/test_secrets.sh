#!/bin/bash
# No secret in any log at any level: a server at the highest debug level (-d 9, above ocserv's
# "sensitive" 8) sees AnyConnect and GlobalProtect logins with passwords and TOTP codes, wrong
# ones, a tunnel with DTLS, a reconnect with the cookie, sslvpnctl, a reload and a logout. Then
# its log must hold none of the passwords, OTP codes or the OTP secret, nor any cookie or
# token the server handed out. (Every other e2e test checks its own logs at -d 3 the same way,
# in e2e_finish.)
source "$(dirname "$0")/lib.sh"
e2e_init
command -v oathtool >/dev/null || e2e_skip "needs oathtool"
ns_setup
SERVER_NS=$NS_S
SERVER_DEBUG=9
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
OTP="$WORK/otp.users"
SECRET=3132333435363738393031323334353637383930
add_user "$PW" alice 'alice-Hush-7731' staff
add_user "$PW" bob 'bob-Quiet-5519'
echo "HOTP/T30 alice - $SECRET" >"$OTP"
PORT=4443
SOCK="$WORK/ctl.sock"
{ base_conf "$PORT" "$WORK/cert" "$PW" | sed "s|^auth = .*|auth = \"plain[passwd=$PW,otp=$OTP]\"|"
  cat <<CONF
udp-port = $PORT
gp-esp-port = 4501
ipv4-network = 10.77.0.0/24
occtl-socket-file = $SOCK
max-ban-score = 0
CONF
} >"$WORK/sslvpnd.conf"
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }
auth() {  # auth USER LINES... -- ARGS: openconnect --authenticate from the client namespace
  local user=$1; shift
  local lines=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    lines+=("$1"); [[ "$1" =~ ^[0-9]*$ ]] || note_secret "$1"; shift  # codes: checked below
  done
  [ "${1:-}" = "--" ] && shift
  printf '%s\n' "${lines[@]}" | timeout 20 ip netns exec "$NS_C" openconnect --authenticate \
    --passwd-on-stdin -u "$user" --servercert "$PIN" "$@" "https://$SERVER_IP:$PORT/" 2>&1 |
    tee -a "$WORK/auth.out"
}

code1=$(oathtool --totp "$SECRET")
check "AnyConnect: password and TOTP code give a cookie" grep -q "^COOKIE=" <<<"$(auth alice 'alice-Hush-7731' "$code1")"
check "a wrong password is refused" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$(auth bob 'bob-Wrong-0042')"
check "a wrong code is refused" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$(auth alice 'alice-Hush-7731' 000000)"
check "GlobalProtect: bob's password gives a cookie" grep -q "^COOKIE=" <<<"$(auth bob 'bob-Quiet-5519' -- --protocol=gp)"
check "bob connects with DTLS" oc_connect b bob 'bob-Quiet-5519' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/b.oc.log" && break; sleep 0.1; done
check "... ping through the tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.77.0.1
check "sslvpnctl show users" "$CTL" -s "$SOCK" show users
kill -HUP "$SERVER_PID"
check "a reload" wait_for_log "$LOG" "reload"
oc_stop b
check "bob's logout reached the server" wait_for_log "$LOG" "user 'bob' disconnected"

# The code given once is in the log only if it leaked; 6 digits can match a number by chance,
# so it is checked as a whole word next to nothing else numeric.
grep -Ewo "$code1" "$LOG" >"$WORK/code.hits"
check "the TOTP code is not in the log" test ! -s "$WORK/code.hits"
check "the TOTP secret is not in the log" bash -c "! grep -qi '$SECRET' '$LOG'"
check "the log is a debug log (level 9 was on)" grep -Eq "worker [0-9]+ \(id [0-9]+\) serves" "$LOG"
e2e_finish
