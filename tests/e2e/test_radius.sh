#!/bin/bash
# RADIUS with a real freeradius started by the test in the server's namespace (loopback only):
#   auth = radius[...,groupconfig=true]: a login whose Access-Accept carries Framed-IP-Address,
#   Framed-Route, Class and Acct-Interim-Interval; the tunnel uses that address and route, the
#   session that group; a wrong password is refused; an Access-Challenge is a second form;
#   Framed-IPv6-Address, Framed-IPv6-Route, MS-Primary-DNS-Server and DNS-Server-IPv6-Address
#   become the tunnel's IPv6 address, route and DNS servers; Service-Type Login-User refuses;
#   acct = radius[...]: freeradius records Start, Interim-Update and Stop with byte counters.
#   OpenVPN (the openvpn 2.6 client) against the same RADIUS: Framed-IP-Address, Framed-Route
#   and Class pushed and applied; accounting Start and Stop for its session; a wrong password is
#   AUTH_FAILED; the Access-Challenge is a CRV1 dynamic challenge answered on the client's
#   management interface, as a GUI does.
source "$(dirname "$0")/lib.sh"
e2e_init
command -v freeradius >/dev/null || e2e_skip "needs freeradius"
ns_setup
SERVER_NS=$NS_S
PIN=$(make_cert "$WORK/cert" ecdsa)
PORT=4443
RAD="$WORK/raddb"
mkdir -p "$RAD" "$WORK/radacct" "$WORK/radrun"
chmod 777 "$WORK/radacct"
cp /etc/freeradius/3.0/dictionary "$RAD/"
cat > "$RAD/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $WORK/radrun
raddbdir = $RAD
radacctdir = $WORK/radacct
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
certdir = \${confdir}/certs
cadir = \${confdir}/certs
run_dir = $WORK/radrun
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/\${name}.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
}
security {
  allow_core_dumps = no
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 3
}
client local {
  ipaddr = 127.0.0.1
  secret = e2e-secret
}
modules {
  files {
    filename = \${raddbdir}/users
  }
  pap {
  }
  always handled {
    rcode = handled
  }
  always reject {
    rcode = reject
  }
  always ok {
    rcode = ok
  }
  detail {
    filename = \${radacctdir}/detail
    permissions = 0644
    header = "%t"
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = 18120
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = 18130
  }
  authorize {
    # radotp: the password, then a one-time code in an Access-Challenge round.
    if (User-Name == "radotp") {
      if (!State) {
        if (User-Password == "radotp-pw") {
          update reply {
            Reply-Message := "Enter the code sent to your phone"
            State := "sslvpnd-e2e-challenge"
          }
          update control {
            Response-Packet-Type := Access-Challenge
          }
          handled
        }
        reject
      }
      if (State == "sslvpnd-e2e-challenge" && User-Password == "424242") {
        update control {
          Auth-Type := Accept
        }
        ok
      }
      else {
        reject
      }
    }
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
  accounting {
    detail
  }
}
CONF
cat > "$RAD/users" <<USERS
radalice Cleartext-Password := "radalice-pw"
        Framed-IP-Address = 10.250.0.77,
        Framed-Route = "10.88.0.0/16 0.0.0.0 1",
        Class = "engineers",
        Acct-Interim-Interval = 10
radbob Cleartext-Password := "radbob-pw"
radsix Cleartext-Password := "radsix-pw"
        Service-Type = Framed-User,
        Framed-IPv6-Address = fd00:250::77,
        Framed-IPv6-Route = "fd00:88::/48 :: 1",
        DNS-Server-IPv6-Address = fd00:250::53,
        MS-Primary-DNS-Server = 10.250.0.53
radlogin Cleartext-Password := "radlogin-pw"
        Service-Type = Login-User
USERS
chmod -R a+rX "$RAD"
cat > "$WORK/radcli.conf" <<CONF
authserver 127.0.0.1:18120:e2e-secret
acctserver 127.0.0.1:18130:e2e-secret
dictionary $WORK/radcli-dictionary
servers $WORK/radcli-servers
radius_timeout 3
radius_retries 1
bindaddr *
CONF
# radcli's dictionary with its Microsoft attributes (MS-Primary-DNS-Server), as ocserv's
# RADIUS setups enable them.
sed 's|^#\$INCLUDE /etc/radcli/dictionary.microsoft|$INCLUDE /etc/radcli/dictionary.microsoft|' \
  /etc/radcli/dictionary > "$WORK/radcli-dictionary"
echo "127.0.0.1 e2e-secret" > "$WORK/radcli-servers"
chmod 600 "$WORK/radcli-servers"

freeradius -XC -d "$RAD" > "$WORK/radcheck.out" 2>&1 || { cat "$WORK/radcheck.out"; fail "freeradius accepts the test configuration"; e2e_finish; }
ip netns exec "$NS_S" freeradius -X -d "$RAD" > "$WORK/freeradius.log" 2>&1 &
STARTED_PIDS+=("$!")
for _ in $(seq 1 50); do grep -q "Ready to process requests" "$WORK/freeradius.log" && break; sleep 0.1; done
check "freeradius is up in the server namespace" grep -q "Ready to process requests" "$WORK/freeradius.log"

{ base_conf "$PORT" "$WORK/cert" /dev/null | grep -v '^auth = '; cat <<CONF
auth = "radius[config=$WORK/radcli.conf,groupconfig=true,nas-identifier=sslvpnd-e2e]"
acct = "radius[config=$WORK/radcli.conf,nas-identifier=sslvpnd-e2e]"
ipv4-network = 10.250.0.0/24
ipv6-network = fd00:250::/64
route = 192.0.2.0/24
max-ban-score = 0
openvpn-udp-port = 1194
CONF
} > "$WORK/sslvpnd.conf"
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

# ns_auth USER LINE...: openconnect --authenticate from the client namespace, one form per LINE.
ns_auth() {
  local user=$1; shift
  printf '%s\n' "$@" | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin -u "$user" \
    --servercert "$PIN" "https://$SERVER_IP:$PORT/" 2>&1
}

check "RADIUS login brings the tunnel up" oc_connect a radalice 'radalice-pw'
check "the tunnel uses Framed-IP-Address" test "$(env_of a connect INTERNAL_IP4_ADDRESS)" = 10.250.0.77
check "Framed-Route replaced the configured routes" grep -q "^CISCO_SPLIT_INC_[0-9]*_ADDR=10.88.0.0$" "$WORK/a.env.connect"
check "the configured route is not sent" bash -c "! grep -q '^CISCO_SPLIT_INC_[0-9]*_ADDR=192.0.2.0$' '$WORK/a.env.connect'"
check "Class became the session's group" wait_for_log "$LOG" "user 'radalice' (group 'engineers') logged in"
check "ping through the tunnel" in_ns "$NS_C" ping -c 5 -s 1000 -i 0.2 -W 2 10.250.0.1
check "accounting Start reached freeradius" wait_for_log "$WORK/radacct/detail" "Acct-Status-Type = Start"
check "Start names the tunnel address" grep -q "Framed-IP-Address = 10.250.0.77" "$WORK/radacct/detail"
for _ in $(seq 1 40); do grep -q "Interim-Update" "$WORK/radacct/detail" && break; sleep 0.5; done
check "Interim-Update after Acct-Interim-Interval (10 s)" grep -q "Acct-Status-Type = Interim-Update" "$WORK/radacct/detail"
oc_stop a
check "accounting Stop reached freeradius" wait_for_log "$WORK/radacct/detail" "Acct-Status-Type = Stop"
stop=$(awk '/Acct-Status-Type = Stop/,/^$/' "$WORK/radacct/detail")
in_octets=$(sed -n 's/.*Acct-Input-Octets = \([0-9]*\).*/\1/p' <<<"$stop" | head -n 1)
out_octets=$(sed -n 's/.*Acct-Output-Octets = \([0-9]*\).*/\1/p' <<<"$stop" | head -n 1)
check "Stop counts the pings both ways (in ${in_octets:-?} B, out ${out_octets:-?} B)" \
  test "${in_octets:-0}" -ge 5000 -a "${out_octets:-0}" -ge 5000
check "Stop says the user asked (User-Request)" grep -q "Acct-Terminate-Cause = User-Request" <<<"$stop"
check "records carry the NAS-Identifier" grep -q 'NAS-Identifier = "sslvpnd-e2e"' "$WORK/radacct/detail"

out=$(ns_auth radalice 'wrong-pw')
check "wrong password: no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "wrong password: logged as a RADIUS reject" wait_for_log "$LOG" "login failed for 'radalice' .*rejected by the RADIUS server"

out=$(ns_auth radotp 'radotp-pw' 424242)
check "Access-Challenge: the second form shows the Reply-Message" grep -q "Enter the code sent to your phone" <<<"$out"
check "Access-Challenge: the right code gives a cookie" grep -q "^COOKIE=" <<<"$out"
out=$(ns_auth radotp 'radotp-pw' 000000 'radotp-pw' 000000 'radotp-pw' 000000)
check "Access-Challenge: a wrong code, no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"

out=$(printf '%s\n' radotp-pw 424242 | in_ns "$NS_C" timeout 20 openconnect --protocol=gp --authenticate \
  --passwd-on-stdin -u radotp --servercert "$PIN" "https://$SERVER_IP:$PORT/" 2>&1)
check "GlobalProtect: Access-Challenge as a GP challenge, the right code gives a cookie" grep -q "^COOKIE=.*authcookie=" <<<"$out"
check "GlobalProtect: ... the challenge showed the Reply-Message" grep -q "Enter the code sent to your phone" <<<"$out"
out=$(ns_auth radbob 'radbob-pw')
check "a user without Class logs in with no group" grep -q "^COOKIE=" <<<"$out"
check "RADIUS IPv6 and DNS: the tunnel comes up" oc_connect six radsix 'radsix-pw'
check "... its IPv6 address is Framed-IPv6-Address" \
  grep -Eq '^INTERNAL_IP6_(ADDRESS=fd00:250::77|NETMASK=fd00:250::77/[0-9]+)$' "$WORK/six.env.connect"
check "... Framed-IPv6-Route is its route" grep -q '^CISCO_IPV6_SPLIT_INC_[0-9]*_ADDR=fd00:88::$' "$WORK/six.env.connect"
# openconnect lists every DNS server in INTERNAL_IP4_DNS, IPv6 ones too.
check "... MS-Primary-DNS-Server and DNS-Server-IPv6-Address are its DNS servers, alone" \
  test "$(env_of six connect INTERNAL_IP4_DNS | tr ' ' '\n' | sort | tr '\n' ' ')" = "10.250.0.53 fd00:250::53 "
check "... ping over IPv6 through the tunnel" in_ns "$NS_C" ping -6 -c 2 -i 0.2 -W 2 fd00:250::1
oc_stop six
out=$(ns_auth radlogin 'radlogin-pw')
check "Service-Type Login-User (not a VPN user): no cookie, as ocserv" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... logged with the reason" wait_for_log "$LOG" "login failed for 'radlogin' .*Service-Type 1, not Framed-User"
# ---- OpenVPN against the same RADIUS server ---------------------------------------------------
ov_client
if [ -x "$OPENVPN" ] && [ -c /dev/net/tun ]; then
  OV_PORT=1194
  CA="$WORK/cert/cert.pem"
  source "$(dirname "$0")/openvpn_lib.sh"
  printf 'radalice\nradalice-pw\n' >"$WORK/radalice.up"
  printf 'radalice\nwrong-pw\n' >"$WORK/wrong.up"
  chmod 600 "$WORK"/*.up
  starts0=$(grep -c "Acct-Status-Type = Start" "$WORK/radacct/detail")
  stops0=$(grep -c "Acct-Status-Type = Stop" "$WORK/radacct/detail")
  logins0=$(grep -c "user 'radalice' (group 'engineers') logged in" "$LOG")
  ov_conf_lines r udp "auth-user-pass $WORK/radalice.up" "explicit-exit-notify 1"
  ov_start r
  if check "OpenVPN: a RADIUS login brings the tunnel up" ov_up r; then
    check "OpenVPN: the tunnel uses Framed-IP-Address" test "$(ov_addr4 r)" = 10.250.0.77
    check "OpenVPN: Framed-Route is pushed" grep -q "PUSH_REPLY.*,route 10.88.0.0 255.255.0.0" "$WORK/ov-r.log"
    check "OpenVPN: ... in place of the configured route" bash -c "! grep -q 'PUSH_REPLY.*route 192.0.2.0' '$WORK/ov-r.log'"
    check "OpenVPN: Class became the session's group" \
      test "$(grep -c "user 'radalice' (group 'engineers') logged in" "$LOG")" -gt "$logins0"
    check "OpenVPN: ping through the tunnel" in_ns "$NS_C" ping -c 5 -s 1000 -i 0.2 -W 2 10.250.0.1
    for _ in $(seq 1 50); do [ "$(grep -c "Acct-Status-Type = Start" "$WORK/radacct/detail")" -gt "$starts0" ] && break; sleep 0.1; done
    check "OpenVPN: accounting Start reached freeradius" test "$(grep -c "Acct-Status-Type = Start" "$WORK/radacct/detail")" -gt "$starts0"
    ov_stop r  # explicit-exit-notify: the session ends at once, and its Stop is sent
    for _ in $(seq 1 50); do [ "$(grep -c "Acct-Status-Type = Stop" "$WORK/radacct/detail")" -gt "$stops0" ] && break; sleep 0.1; done
    stop=$(awk '/Acct-Status-Type = Stop/,/^$/' "$WORK/radacct/detail" | awk -v n="$stops0" '/Acct-Status-Type = Stop/ { k++ } k > n')
    in_octets=$(sed -n 's/.*Acct-Input-Octets = \([0-9]*\).*/\1/p' <<<"$stop" | head -n 1)
    check "OpenVPN: accounting Stop counts the pings (in ${in_octets:-?} B)" test "${in_octets:-0}" -ge 5000
    check "OpenVPN: ... and names the tunnel address" grep -q "Framed-IP-Address = 10.250.0.77" <<<"$stop"
  fi
  ov_conf_lines w udp "auth-user-pass $WORK/wrong.up"
  ov_start w
  check "OpenVPN: a wrong password is AUTH_FAILED and the client exits" ov_wait_exit "$(ov_pid w)" 300
  check "OpenVPN: ... it was told AUTH_FAILED" grep -q "AUTH_FAILED" "$WORK/ov-w.log"
  mport=$((7500 + RANDOM % 500))
  ov_conf_lines c udp auth-user-pass "auth-retry interact" "management 127.0.0.1 $mport" "management-query-passwords" \
    "explicit-exit-notify 1"
  ov_start c
  ip netns exec "$NS_C" timeout 70 python3 "$(dirname "$0")/ovpn_mgmt.py" "$mport" 60 radotp radotp-pw 424242 dynamic \
    >"$WORK/mgmt-c.out" 2>&1
  check "OpenVPN: the Access-Challenge as a CRV1 challenge; the right code brings the tunnel up" \
    grep -q "^connected after" "$WORK/mgmt-c.out"
  check "OpenVPN: ... the client was shown the Reply-Message" grep -q "^challenge: Enter the code sent to your phone" "$WORK/mgmt-c.out"
  check "OpenVPN: ... and pings" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -I tunc 10.250.0.1
  ov_stop c
else
  echo "# no openvpn client or /dev/net/tun: the OpenVPN cases are not run"
fi
check "server survived" kill -0 "$SERVER_PID"
e2e_finish
