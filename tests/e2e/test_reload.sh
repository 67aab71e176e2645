#!/bin/bash
# Reload (sslvpnctl reload and SIGHUP) with real openconnect clients in namespaces: a connected
# session stays up and keeps its routes; a new login gets the new routes; an invalid
# configuration is refused with its file and line and the server keeps serving; a key that
# needs a restart is named.
source "$(dirname "$0")/lib.sh"
e2e_init
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
SOCK="$WORK/ctl.sock"
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-pw' staff
PORT=4443
VPN_NET=10.67.0.0/24
CERT_DIR="$WORK/cert"
write_conf() {  # ROUTE [extra line]
  { base_conf "$PORT" "$CERT_DIR" "$PW"; cat <<CONF
ipv4-network = $VPN_NET
route = $1
max-same-clients = 0
occtl-socket-file = $SOCK
${2:-}
CONF
  } > "$WORK/sslvpnd.conf"
}
ctl() { ip netns exec "$NS_S" "$CTL" -s "$SOCK" "$@"; }
write_conf 192.0.2.0/24
ns_route_vpn_back "$VPN_NET"
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

# Watch events for the whole test (bounded in time; ended by PID below). The TCP port listens
# before main has created its control socket: wait for the socket first.
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
ip netns exec "$NS_S" timeout 120 "$CTL" -s "$SOCK" --json show events > "$WORK/events.jsonl" 2>&1 &
EVENTS_PID=$!
STARTED_PIDS+=("$EVENTS_PID")
sleep 0.5
check "first client connects" oc_connect a alice 'alice-pw'
check "it gets the first route" test "$(env_of a connect CISCO_SPLIT_INC_0_ADDR)" = 192.0.2.0

write_conf "$BEHIND_NET"
out=$(ctl reload 2>&1)
check "sslvpnctl reload accepts the new configuration" grep -q "configuration reloaded" <<<"$out"
check "the server logs the reload" wait_for_log "$LOG" "configuration reloaded from"
check "the connected client is still up" kill -0 "$OC_PID_a"
check "its tunnel still carries traffic" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.67.0.1
check "it is still listed" bash -c "ip netns exec '$NS_S' '$CTL' -s '$SOCK' show users | grep -q alice"
check "a new login gets the new route" oc_connect b alice 'alice-pw'
check "... $BEHIND_NET" test "$(env_of b connect CISCO_SPLIT_INC_0_ADDR)" = 198.51.100.0
check "... and reaches the host behind it" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
oc_stop b

cp "$WORK/sslvpnd.conf" "$WORK/good.conf"
echo "openvpn-frobnicate = 1" >> "$WORK/sslvpnd.conf"  # sslvpnd's own family: an error (other unknown keys are skipped)
out=$(ctl reload 2>&1)
rc=$?
check "an invalid configuration is refused" test "$rc" -ne 0
check "... with the file, line and key" grep -q "sslvpnd.conf:[0-9]*: unknown option 'openvpn-frobnicate'" <<<"$out"
check "... and logged" wait_for_log "$LOG" "reload refused, the running configuration stays"
check "the server keeps serving: a new login works" oc_connect c alice 'alice-pw'
check "... with the configuration that was running" test "$(env_of c connect CISCO_SPLIT_INC_0_ADDR)" = 198.51.100.0
oc_stop c
# A key sslvpnd does not know is skipped, as ocserv skips it: the reload goes through and says so.
cp "$WORK/good.conf" "$WORK/sslvpnd.conf"
echo "cipher-list = HIGH" >> "$WORK/sslvpnd.conf"
out=$(ctl reload 2>&1)
rc=$?
check "an unknown key, like those of newer ocserv files, does not stop a reload (exit $rc)" test "$rc" = 0
check "... sslvpnctl reload prints the warning with file and line" \
  grep -q "sslvpnd.conf:[0-9]*: unknown option 'cipher-list'; skipped, as ocserv does" <<<"$out"
echo "crll = /etc/none.pem" >> "$WORK/sslvpnd.conf"
out=$(ctl reload 2>&1)
check "a key two letters from a known one is refused as a typo" grep -q "unknown option 'crll' (did you mean 'crl'?)" <<<"$out"

# The login method changes too: another password file, where alice has another password.
add_user "$WORK/passwd2" alice 'alice-new-pw' staff
PW="$WORK/passwd2"
write_conf 203.0.113.128/25 "tcp-port = 4444"
kill -HUP "$SERVER_PID"
check "SIGHUP reloads too" wait_for_log "$LOG" "reload: 'tcp-port' changed; it takes effect after a restart"
check "sec-mod took the new login method" wait_for_log "$LOG" "reloaded: 1 login method chain"
check "the old password no longer logs in" bash -c "! printf 'alice-pw\n' | ip netns exec '$NS_C' timeout 20 \
  openconnect --authenticate --passwd-on-stdin --non-inter -u alice --servercert '$PIN' \
  'https://$SERVER_IP:$PORT/' 2>/dev/null | grep -q '^COOKIE='"
check "a new login after SIGHUP (new password) gets its route" oc_connect d alice 'alice-new-pw'
check "... 203.0.113.128" test "$(env_of d connect CISCO_SPLIT_INC_0_ADDR)" = 203.0.113.128
oc_stop d

# A new certificate and key: new logins get the new chain (workers no longer find the old one
# among the chains the worker zygote parsed), and the connected client stays.
OLD_PIN=$PIN
PIN=$(make_cert "$WORK/cert2" ecdsa)
CERT_DIR="$WORK/cert2"
write_conf 203.0.113.128/25 "tcp-port = 4444"
out=$(ctl reload 2>&1)
check "a reload takes a new server-cert and server-key" grep -q "configuration reloaded" <<<"$out"
for _ in $(seq 1 50); do [ "$(grep -c "reloaded: 1 login method chain" "$LOG")" -ge 2 ] && break; sleep 0.1; done
check "... sec-mod has the new key" test "$(grep -c "reloaded: 1 login method chain" "$LOG")" -ge 2
check "a new login is served the new certificate (and signed by the new key)" oc_connect e alice 'alice-new-pw'
check "... and reaches the server through the tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.67.0.1
check "the old certificate is no longer served" bash -c "! printf 'alice-new-pw\n' | ip netns exec '$NS_C' timeout 20 \
  openconnect --authenticate --passwd-on-stdin --non-inter -u alice --servercert '$OLD_PIN' \
  'https://$SERVER_IP:$PORT/' 2>/dev/null | grep -q '^COOKIE='"
# A reload whose new certificate does not fit its key: sec-mod keeps its keys, and main keeps
# the certificate that fits them, so logins go on working.
make_cert "$WORK/cert3" ecdsa >/dev/null
cp "$WORK/cert2/key.pem" "$WORK/cert3/key.pem"  # cert3's certificate, cert2's key
CERT_DIR="$WORK/cert3"
write_conf 203.0.113.128/25 "tcp-port = 4444"
out=$(ctl reload 2>&1)
check "a reload with a mismatched server-cert and server-key" wait_for_log "$LOG" "server-cert '$WORK/cert3/cert.pem' does not match server-key"
check "... main keeps the certificate that fits the kept key" wait_for_log "$LOG" "so are the certificates that match them kept"
check "... and logins still work with it" bash -c "printf 'alice-new-pw\n' | ip netns exec '$NS_C' timeout 20 \
  openconnect --authenticate --passwd-on-stdin --non-inter -u alice --servercert '$PIN' \
  'https://$SERVER_IP:$PORT/' 2>/dev/null | grep -q '^COOKIE='"
check "the first client survived every reload" kill -0 "$OC_PID_a"
oc_stop e
oc_stop a
sleep 1
kill "$EVENTS_PID" 2>/dev/null
# Every tunnel of this test came up and went down: a..e, each ended by logout.
check "show events streamed a connect per tunnel (valid JSON Lines)" python3 - "$WORK/events.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
con = [e for e in ev if e["event"] == "connect"]
dis = [e for e in ev if e["event"] == "disconnect"]
ok = len(con) == 5 and all(e["Username"] == "alice" and e["IPv4"].startswith("10.67.0.") for e in con)
ok = ok and len(dis) == 5 and all(e["reason"] == "USER_DISCONNECT" for e in dis)
ok = ok and all(e["ID"] in {c["ID"] for c in con} for e in dis)
sys.exit(0 if ok else print(ev) or 1)
PY
check "server survived" kill -0 "$SERVER_PID"
e2e_finish
