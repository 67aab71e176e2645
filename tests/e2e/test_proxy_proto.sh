#!/bin/bash
# listen-proxy-proto (ocserv's key) behind the real haproxy: every connection on tcp-port starts
# with a PROXY protocol header (v2 binary from `send-proxy-v2`, v1 text from `send-proxy`), and
# its source, not haproxy's address, is the client for logs, scripts, sslvpnctl and bans. DTLS
# goes straight from the client to udp-port. Connections without a header, with garbage or with
# a partial header are refused (and logged) without stalling anyone else.
#
#   client ns 203.0.113.2, fd00:c::2 --veth-- 203.0.113.1, fd00:c::1  server ns  --veth-- 192.0.2.2  second client ns
#   In the server ns: haproxy on *:8443 (send-proxy-v2) and *:8444 (send-proxy), both to
#   sslvpnd on 127.0.0.1:4443 (so sslvpnd's sockets all come from 127.0.0.1). sslvpnd listens on
#   every address, so the clients also reach 4443 directly: TCP (refused without a header) and
#   UDP (DTLS, which haproxy does not carry).
source "$(dirname "$0")/lib.sh"
e2e_init
HAPROXY=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
[ -x "$HAPROXY" ] || e2e_skip "needs haproxy"
command -v python3 >/dev/null || e2e_skip "needs python3"
command -v curl >/dev/null || e2e_skip "needs curl"
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
add_user "$PW" bob 'bob-Secret1' staff
add_user "$PW" carol 'carol-Secret1' staff
add_user "$PW" dave 'dave-Secret1' staff
SPORT=4443         # sslvpnd's tcp-port and udp-port
FRONT_V2=8443      # haproxy, send-proxy-v2
FRONT_V1=8444      # haproxy, send-proxy
VPN_NET=10.83.0.0/24
VPN_GW=10.83.0.1
SOCK="$WORK/ctl.sock"

# A second client namespace, on its own link to the server ns, for a second real address.
NS_D="sslvpnd-d-$$"
D_IP=192.0.2.2
D_SRV=192.0.2.1
ip netns add "$NS_D" || e2e_skip "cannot create network namespaces"
NS_CREATED+=("$NS_D")
ip -n "$NS_D" link set lo up
ip link add "vd$$" netns "$NS_D" type veth peer name "ve$$" netns "$NS_S"
ip -n "$NS_D" addr add "$D_IP/24" dev "vd$$"; ip -n "$NS_D" link set "vd$$" up
ip -n "$NS_S" addr add "$D_SRV/24" dev "ve$$"; ip -n "$NS_S" link set "ve$$" up
# IPv6 on the first client's link, for v2's INET6 and v1's TCP6 headers.
C6=fd00:c::2
S6=fd00:c::1
ip -n "$NS_C" addr add "$C6/64" dev "vc$$" nodad
ip -n "$NS_S" addr add "$S6/64" dev "vs$$" nodad
ns_route_vpn_back "$VPN_NET"

cat > "$WORK/connect.sh" <<'SCRIPT'
#!/bin/sh
env | sort > "$SCRIPT_DIR/connect-$USERNAME.env"
SCRIPT
cat > "$WORK/disconnect.sh" <<'SCRIPT'
#!/bin/sh
env | sort > "$SCRIPT_DIR/disconnect-$USERNAME.env"
SCRIPT
sed -i "2i SCRIPT_DIR=$WORK" "$WORK/connect.sh" "$WORK/disconnect.sh"
chmod +x "$WORK/connect.sh" "$WORK/disconnect.sh"

# Bans: a connection is 1 point, a wrong password 40, 100 bans. The logins before the ban
# section add a point per connection (a handful from the client ns), far short of 100.
{ base_conf "$SPORT" "$WORK/cert" "$PW"; cat <<CONF
listen-proxy-proto = true
udp-port = $SPORT
gp-esp-port = 4501
ipv4-network = $VPN_NET
route = $BEHIND_NET
occtl-socket-file = $SOCK
max-same-clients = 0
dpd = 10
connect-script = $WORK/connect.sh
disconnect-script = $WORK/disconnect.sh
max-ban-score = 100
ban-time = 120
ban-points-wrong-password = 40
ban-points-connection = 1
CONF
} > "$WORK/sslvpnd.conf"

# ---- 1. the configuration check accepts the key (and does not call it unimplemented)
out=$("$SSLVPND" -t -c "$WORK/sslvpnd.conf" 2>&1)
rc=$?
check "sslvpnd -t accepts listen-proxy-proto = true (rc $rc)" test "$rc" = 0
check "... without a 'not implemented' warning about it" bash -c "! grep -i 'listen-proxy-proto' <<<\"\$0\"" "$out"
# A value that is no boolean: ocserv reads it as false and starts; sslvpnd leaves the line out
# (the key keeps its default, false) and says so.
grep -v '^listen-proxy-proto' "$WORK/sslvpnd.conf" > "$WORK/bad.conf"
echo 'listen-proxy-proto = true;' >> "$WORK/bad.conf"
out=$("$SSLVPND" -t -c "$WORK/bad.conf" 2>&1)
check "sslvpnd -t names listen-proxy-proto = true; (a NixOS file's) and leaves the line out" \
  grep -q "bad.conf:[0-9]*: 'listen-proxy-proto' expects true or false, got 'true;': the line is left out" <<<"$out"

# ---- haproxy (TCP mode), in the server ns, logging to $WORK/haproxy.log
cat > "$WORK/haproxy.cfg" <<CFG
global
  log stdout format raw local0 info
  maxconn 200
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 5s
  timeout client 10m
  timeout server 10m
  timeout tunnel 1h
frontend fe_v2
  bind :$FRONT_V2
  bind :::$FRONT_V2 v6only
  default_backend be_v2
backend be_v2
  server s1 127.0.0.1:$SPORT send-proxy-v2 proxy-v2-options crc32c
frontend fe_v1
  bind :$FRONT_V1
  bind :::$FRONT_V1 v6only
  default_backend be_v1
backend be_v1
  server s1 127.0.0.1:$SPORT send-proxy
CFG
check "haproxy accepts the test's configuration" "$HAPROXY" -c -q -f "$WORK/haproxy.cfg"
ip netns exec "$NS_S" "$HAPROXY" -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!  # ip netns exec execs haproxy: this is haproxy's PID
STARTED_PIDS+=("$HAPROXY_PID")
for _ in $(seq 1 50); do
  [ -n "$(in_ns "$NS_S" ss -Htln "sport = :$FRONT_V1")" ] && [ -n "$(in_ns "$NS_S" ss -Htln "sport = :$FRONT_V2")" ] && break
  kill -0 "$HAPROXY_PID" 2>/dev/null || break
  sleep 0.1
done
check "haproxy listens on $FRONT_V2 and $FRONT_V1" bash -c "[ -n \"\$(ip netns exec '$NS_S' ss -Htln 'sport = :$FRONT_V1')\" ] && [ -n \"\$(ip netns exec '$NS_S' ss -Htln 'sport = :$FRONT_V2')\" ]" ||
  { cat "$WORK/haproxy.log"; e2e_finish; }

LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$SPORT" || { fail "server start"; e2e_finish; }
ctl() { "$CTL" -s "$SOCK" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# auth_from NS URL USER PASSWORD: openconnect --authenticate from a namespace; prints its output.
auth_from() {
  local ns=$1 url=$2 user=$3 pw=$4
  note_secret "$pw"
  printf '%s\n' "$pw" | timeout 20 ip netns exec "$ns" openconnect --authenticate --passwd-on-stdin \
    --non-inter -u "$user" --servercert "$PIN" "$url" 2>&1 | tee -a "$WORK/auth.out"
  return "${PIPESTATUS[1]}"
}
# cstp_port FRONT: the client ns's local port of its (one) connection to haproxy's FRONT.
cstp_port() {
  in_ns "$NS_C" ss -Htn state established "( dport = :$1 )" | awk '{ split($3, a, ":"); print a[length(a)] }' | head -n 1
}

# The probes: a raw TCP client that sends a header of its own making (straight to sslvpnd).
cat > "$WORK/probe.py" <<'PY'
import socket, ssl, sys, time
mode, host, port, spec = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
def header(spec):
    if spec.startswith("v1:"):   # "v1:TCP4 a b p q", "v1:UNKNOWN"
        return ("PROXY " + spec[3:] + "\r\n").encode()
    if spec == "v2local":
        return SIG + bytes([0x20, 0x00, 0, 0])
    if spec.startswith("v2:"):   # "v2:SRC:SPORT" (IPv4 PROXY from SRC to 203.0.113.1:4443)
        src, sport = spec[3:].rsplit(":", 1)
        body = socket.inet_aton(src) + socket.inet_aton("203.0.113.1") + int(sport).to_bytes(2, "big") + (4443).to_bytes(2, "big")
        return SIG + bytes([0x21, 0x11]) + len(body).to_bytes(2, "big") + body
    if spec.startswith("raw:"):  # bytes as given (with Python's escapes: \r\n)
        return spec[4:].encode().decode("unicode_escape").encode("latin-1")
    if spec == "none":
        return b""
    raise SystemExit("bad spec " + spec)
s = socket.create_connection((host, port), timeout=10)
print("local-port", s.getsockname()[1], flush=True)
s.sendall(header(spec))
if mode == "https":    # then TLS and GET /: prints the status line
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t = ctx.wrap_socket(s)
    t.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    print(t.recv(200).split(b"\r\n")[0].decode())
elif mode == "wait":   # hold the connection (at most argv[5] s); 0 when the server closed it
    t0 = time.monotonic()
    s.settimeout(float(sys.argv[5]))
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        print("still open after %.1f s" % (time.monotonic() - t0))
        sys.exit(1)
    print("closed by the server after %.1f s" % (time.monotonic() - t0))
PY
# ping_via DEV COUNT DEST: ping from the client ns through its tunnel device DEV.
ping_via() { in_ns "$NS_C" ping -c "$2" -i 0.2 -W 2 -I "$1" "$3" >/dev/null; }

# ---- 2./3. through haproxy with send-proxy-v2: login, tunnel, DTLS, what the server saw
PORT=$FRONT_V2  # oc_connect goes to https://$SERVER_IP:$PORT/: haproxy's frontend
check "openconnect through haproxy (send-proxy-v2) brings the tunnel up" oc_connect a alice 'alice-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/a.oc.log" && break; sleep 0.1; done
check "DTLS is established straight to udp-port" grep -q "Established DTLS connection" "$WORK/a.oc.log"
check "ping the server's tunnel address" ping_via tuna 3 "$VPN_GW"
check "ping a host behind the server" ping_via tuna 3 "$BEHIND_IP"
check "the server's log names the client's address, not haproxy's" grep -q "serves $CLIENT_IP:[0-9]" "$LOG"
check "... and no worker serves 127.0.0.1" bash -c "! grep -q 'serves 127.0.0.1' '$LOG'"
out=$(ctl show users)
check "show users lists alice at $CLIENT_IP" grep -Eq "^ *[0-9]+ +alice +default +$CLIENT_IP " <<<"$out"
check "... not at 127.0.0.1" bash -c "! grep -q '127.0.0.1' <<<\"\$0\"" "$out"
out=$(ctl show user alice)
check "show user alice: 'Remote IP: $CLIENT_IP'" grep -qP "^\tRemote IP: $CLIENT_IP   " <<<"$out"
check "... and a DTLS cipher (the UDP channel was matched to the session)" grep -qP "^\tDTLS cipher: \S" <<<"$out"
ctl --json show users >"$WORK/users.json"
A_CPORT=$(cstp_port "$FRONT_V2")
check "show users --json: Remote IP $CLIENT_IP, Remote port = the client's own port to haproxy ($A_CPORT)" \
  test "$(json "d[0]['Remote IP'], d[0]['Remote port']" <"$WORK/users.json")" = "$CLIENT_IP ${A_CPORT:-none}"
for _ in $(seq 1 50); do [ -f "$WORK/connect-alice.env" ] && break; sleep 0.1; done
check "connect-script: IP_REAL=$CLIENT_IP (the header's source)" grep -q "^IP_REAL=$CLIENT_IP$" "$WORK/connect-alice.env"
check "connect-script: IP_REAL_LOCAL=$SERVER_IP (haproxy's frontend, the header's destination)" \
  grep -q "^IP_REAL_LOCAL=$SERVER_IP$" "$WORK/connect-alice.env"
oc_stop a
for _ in $(seq 1 50); do [ -f "$WORK/disconnect-alice.env" ] && break; sleep 0.1; done
check "disconnect-script: IP_REAL=$CLIENT_IP" grep -q "^IP_REAL=$CLIENT_IP$" "$WORK/disconnect-alice.env"

# ---- 4. the same through send-proxy (v1)
PORT=$FRONT_V1
check "openconnect through haproxy (send-proxy, v1) brings the tunnel up" oc_connect b bob 'bob-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/b.oc.log" && break; sleep 0.1; done
check "DTLS is established (v1)" grep -q "Established DTLS connection" "$WORK/b.oc.log"
check "ping a host behind the server (v1)" ping_via tunb 3 "$BEHIND_IP"
ctl --json show users >"$WORK/users-b.json"
B_CPORT=$(cstp_port "$FRONT_V1")
check "show users --json (v1): bob at $CLIENT_IP port ${B_CPORT:-?}" \
  test "$(json "[(u['Remote IP'], u['Remote port']) for u in d if u['Username'] == 'bob'][0]" <"$WORK/users-b.json")" = "('$CLIENT_IP', ${B_CPORT:-0})"
check "show user bob: 'Remote IP: $CLIENT_IP'" bash -c "'$CTL' -s '$SOCK' show user bob | grep -qP '^\tRemote IP: $CLIENT_IP   '"
for _ in $(seq 1 50); do [ -f "$WORK/connect-bob.env" ] && break; sleep 0.1; done
check "connect-script (v1): IP_REAL=$CLIENT_IP, IP_REAL_LOCAL=$SERVER_IP" \
  bash -c "grep -q '^IP_REAL=$CLIENT_IP$' '$WORK/connect-bob.env' && grep -q '^IP_REAL_LOCAL=$SERVER_IP$' '$WORK/connect-bob.env'"
oc_stop b

# GlobalProtect through haproxy: the gateway address the client is told is the one it reached
# (the header's destination), not sslvpnd's side of the balancer's connection.
PORT=$FRONT_V2
check "openconnect --protocol=gp through haproxy (v2) brings the tunnel up" \
  oc_connect g alice 'alice-Secret1' --protocol=gp -v --dump-http-traffic
check "... getconfig names the address the client reached: <gw-address>$SERVER_IP</gw-address>" \
  grep -q "<gw-address>$SERVER_IP</gw-address>" "$WORK/g.oc.log"
check "... and ping goes through its tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
oc_stop g

# IPv6 clients: v2's INET6 and v1's TCP6 headers.
for front in "$FRONT_V2" "$FRONT_V1"; do
  out=$(auth_from "$NS_C" "https://[$S6]:$front/" carol 'carol-Secret1')
  check "an IPv6 client logs in through haproxy :$front" grep -q "^COOKIE=" <<<"$out"
done
check "... and the log names its IPv6 address" grep -q "serves $C6:[0-9]" "$LOG"

# Headers made by hand, straight to sslvpnd: the header's source (address and port) is the
# client; v2 LOCAL and v1 UNKNOWN keep the connection's own address.
out=$(in_ns "$NS_C" timeout 30 python3 "$WORK/probe.py" https "$SERVER_IP" "$SPORT" "v1:TCP4 198.18.0.7 $SERVER_IP 5555 $SPORT" 2>&1)
check "a hand-made v1 header, then TLS: HTTP 200" grep -q "^HTTP/1.1 200" <<<"$out"
check "... served as 198.18.0.7:5555" wait_for_log "$LOG" "serves 198.18.0.7:5555$"
out=$(in_ns "$NS_C" timeout 30 python3 "$WORK/probe.py" https "$SERVER_IP" "$SPORT" "v2:198.18.0.8:6666" 2>&1)
check "a hand-made v2 header, then TLS: HTTP 200" grep -q "^HTTP/1.1 200" <<<"$out"
check "... served as 198.18.0.8:6666" wait_for_log "$LOG" "serves 198.18.0.8:6666$"
out=$(in_ns "$NS_C" timeout 30 python3 "$WORK/probe.py" https "$SERVER_IP" "$SPORT" v2local 2>&1)
lp=$(sed -n 's/^local-port //p' <<<"$out")
check "a v2 LOCAL header, then TLS: HTTP 200" grep -q "^HTTP/1.1 200" <<<"$out"
check "... served as the connection's own address ($CLIENT_IP:$lp)" wait_for_log "$LOG" "serves $CLIENT_IP:$lp$"
out=$(in_ns "$NS_C" timeout 30 python3 "$WORK/probe.py" https "$SERVER_IP" "$SPORT" "v1:UNKNOWN" 2>&1)
lp=$(sed -n 's/^local-port //p' <<<"$out")
check "a v1 UNKNOWN header, then TLS: HTTP 200" grep -q "^HTTP/1.1 200" <<<"$out"
check "... served as the connection's own address ($CLIENT_IP:$lp)" wait_for_log "$LOG" "serves $CLIENT_IP:$lp$"

# ---- 5. no header: refused and logged; haproxy's logins go on
out=$(printf '%s\n' 'alice-Secret1' | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin \
  --non-inter -u alice --servercert "$PIN" "https://$SERVER_IP:$SPORT/" 2>&1)
check "openconnect straight to tcp-port (no header) gets no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... the refusal is logged at info with the client's address" \
  wait_for_log "$LOG" "refusing $CLIENT_IP:[0-9]*: .* (listen-proxy-proto)"
code=$(in_ns "$NS_S" curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$SPORT/")
check "curl straight to 127.0.0.1:$SPORT gets no HTTP answer ($code)" test "$code" = 000
out=$(in_ns "$NS_S" timeout 30 python3 "$WORK/probe.py" wait 127.0.0.1 "$SPORT" 'raw:hello, no header here' 5)
lp=$(sed -n 's/^local-port //p' <<<"$out")
check "garbage instead of a header: the server closes the connection ($(tail -n 1 <<<"$out"))" grep -q "^closed by the server" <<<"$out"
check "... and logs 'refusing 127.0.0.1:$lp: <reason> (listen-proxy-proto)'" \
  wait_for_log "$LOG" "refusing 127.0.0.1:$lp: .* (listen-proxy-proto)"
for bad in 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n' 'PROXY TCP4 300.1.1.1 203.0.113.1 1 4443\r\n' 'PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n'; do
  out=$(in_ns "$NS_C" timeout 30 python3 "$WORK/probe.py" wait "$SERVER_IP" "$SPORT" "raw:$bad" 5)
  lp=$(sed -n 's/^local-port //p' <<<"$out")
  check "a malformed v1 line '${bad%\\r\\n}': closed" grep -q "^closed by the server" <<<"$out"
  wait_for_log "$LOG" "refusing $CLIENT_IP:$lp: .* (listen-proxy-proto)" >/dev/null
  check "... and logged as invalid, not incomplete ($(grep -o "refusing $CLIENT_IP:$lp: .*" "$LOG" | head -n 1))" \
    bash -c "grep 'refusing $CLIENT_IP:$lp: ' '$LOG' | grep -v incomplete | grep -q '(listen-proxy-proto)'"
done
out=$(ctl show ip ban points)
check "show ip ban points: $CLIENT_IP has points ($(awk -v ip="$CLIENT_IP" '$1 == ip { print $2 }' <<<"$out"))" grep -q "^ *$CLIENT_IP " <<<"$out"
check "... 127.0.0.1 (haproxy's address) has none" bash -c "! grep -q '^ *127\.0\.0\.1 ' <<<\"\$0\"" "$out"
out=$(auth_from "$NS_C" "https://$SERVER_IP:$FRONT_V2/" alice 'alice-Secret1')
check "after the refusals, a login through haproxy still works" grep -q "^COOKIE=" <<<"$out"

# ---- 7. partial headers (and a silent connection) do not stall other logins
PARTIAL=()
for i in 1 2 3; do
  in_ns "$NS_C" timeout 30 python3 "$WORK/probe.py" wait "$SERVER_IP" "$SPORT" 'raw:PROXY TCP4 ' 15 >"$WORK/partial.$i" 2>&1 &
  PARTIAL+=("$!")
done
in_ns "$NS_C" timeout 30 python3 "$WORK/probe.py" wait "$SERVER_IP" "$SPORT" none 8 >"$WORK/silent.out" 2>&1 &
SILENT=$!
sleep 0.5
t0=$(date +%s%N)
out=$(auth_from "$NS_D" "https://$D_SRV:$FRONT_V2/" carol 'carol-Secret1')
ms=$((($(date +%s%N) - t0) / 1000000))
check "while partial headers are held open, a login through haproxy works" grep -q "^COOKIE=" <<<"$out"
check "... promptly (${ms} ms < 10 s)" test "$ms" -lt 10000
closed=0
for i in 1 2 3; do
  wait "${PARTIAL[$((i - 1))]}"
  grep -Eq "^closed by the server after [0-4]\.[0-9] s" "$WORK/partial.$i" && closed=$((closed + 1))
done
check "the server closed all 3 partial-header connections within 5 s ($closed/3)" test "$closed" = 3
check "... logging 'refusing $CLIENT_IP:<port>: an incomplete PROXY protocol header (listen-proxy-proto)'" \
  test "$(grep -c "refusing $CLIENT_IP:[0-9]*: an incomplete PROXY protocol header (listen-proxy-proto)" "$LOG")" -ge 3
wait "$SILENT"  # bounded: the probe gives up after 8 s (the kernel holds it: TCP_DEFER_ACCEPT)

# ---- 6. bans count against the header's address, not haproxy's
banned=no
for i in 1 2 3 4 5; do
  auth_from "$NS_C" "https://$SERVER_IP:$FRONT_V2/" dave "wrong-$i" >/dev/null
  grep -q "banning $CLIENT_IP for 120 s (failed logins)" "$LOG" && { banned=yes; break; }
done
check "wrong passwords through haproxy ban $CLIENT_IP ('banning $CLIENT_IP for 120 s (failed logins)')" test "$banned" = yes
check "... and nothing bans 127.0.0.1" bash -c "! grep -q 'banning 127.0.0.1' '$LOG'"
out=$(ctl show ip bans)
check "show ip bans lists $CLIENT_IP" grep -q "^ *$CLIENT_IP " <<<"$out"
check "... not 127.0.0.1" bash -c "! grep -q '127\.0\.0\.1' <<<\"\$0\"" "$out"
out=$(auth_from "$NS_C" "https://$SERVER_IP:$FRONT_V2/" dave 'dave-Secret1')
check "the banned client gets no cookie through haproxy, even with the right password" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... refused as banned under its own address" wait_for_log "$LOG" "refusing $CLIENT_IP:[0-9]*: banned"
out=$(auth_from "$NS_D" "https://$D_SRV:$FRONT_V2/" dave 'dave-Secret1')
check "another client ($D_IP) logs in through the same haproxy (v2)" grep -q "^COOKIE=" <<<"$out"
check "... and the log names its address" grep -q "serves $D_IP:[0-9]" "$LOG"
out=$(auth_from "$NS_D" "https://$D_SRV:$FRONT_V1/" dave 'dave-Secret1')
check "... and through the v1 frontend" grep -q "^COOKIE=" <<<"$out"
code=$(in_ns "$NS_S" curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$FRONT_V2/")
check "haproxy's own address (a client on 127.0.0.1 through haproxy) is served (HTTP $code)" test "$code" = 200
check "unban ip $CLIENT_IP lifts the ban" bash -c "'$CTL' -s '$SOCK' unban ip '$CLIENT_IP' >/dev/null"
PORT=$FRONT_V2
check "after the unban, the client ns brings a tunnel up through haproxy again" oc_connect c dave 'dave-Secret1'
check "... and pings through it" ping_via tunc 2 "$VPN_GW"
check "connect-script: IP_REAL=$CLIENT_IP for dave" grep -q "^IP_REAL=$CLIENT_IP$" "$WORK/connect-dave.env"
oc_stop c

check "no worker died of a signal" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"
stop_server

# ---- max-clients refuses under the header's address
sed -i 's/^max-ban-score = .*/max-ban-score = 0/' "$WORK/sslvpnd.conf"
echo 'max-clients = 1' >> "$WORK/sslvpnd.conf"
LOG2="$WORK/server-maxclients.log"
start_server "$WORK/sslvpnd.conf" "$LOG2" "$WORK/pid2" "$SPORT" || { fail "max-clients server start"; e2e_finish; }
PORT=$FRONT_V2
check "max-clients = 1: the first client brings a tunnel up through haproxy" oc_connect m alice 'alice-Secret1'
out=$(auth_from "$NS_D" "https://$D_SRV:$FRONT_V1/" carol 'carol-Secret1')
check "... a second client gets no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... refused under its own address: 'refusing $D_IP:<port>: max-clients (1) reached'" \
  wait_for_log "$LOG2" "refusing $D_IP:[0-9]*: max-clients (1) reached"
oc_stop m
check "haproxy is still running" kill -0 "$HAPROXY_PID"
e2e_finish
