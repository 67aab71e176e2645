#!/bin/bash
# OpenVPN logins beyond password files, and OpenVPN beside the other two protocols, with the
# real clients in network namespaces. Three servers, one after the other:
#   P  auth = pam[service=...]: a real account (useradd/chpasswd) and a pam_unix stack that the
#      test writes in /etc/pam.d (both removed at exit). 1a: the right password connects and
#      pings; 1b: a wrong one gets AUTH_FAILED, the client exits, no tunnel.
#   C  auth = certificate, ca-cert (cert-user-oid: the default, CN). 2a: openvpn with cert/key
#      and no auth-user-pass connects, pings, and sslvpnctl shows the CN as its user; 2b: a
#      certificate from another CA and a self-signed one are refused (no tunnel).
#   M  a password file, udp-port, gp-esp-port and openvpn-udp-port: 3. openconnect (AnyConnect),
#      openconnect --protocol=gp and openvpn at once: distinct addresses, each pings the
#      server's tunnel address, 5 MB each way byte-exact through each tunnel, sslvpnctl lists
#      the three protocols; disconnecting the openvpn user leaves the other two working.
#   L  config-per-group: the lab group's own ipv4-network (ocserv's per-group pools). 5: openvpn
#      and openconnect --protocol=gp members get addresses from it (openvpn with its /24), ping
#      its first host (the server's end), 5 MB each way through the OpenVPN tunnel.
#   D  openvpn-client-config-dir (openvpn's ccd files). 6: lara's file gives her a fixed address
#      (ifconfig-push), a route, a DNS server and an iroute (main routes it into her tunnel);
#      carol's says disable (no tunnel); gus (AnyConnect) gets the DEFAULT file's route.
# Every client is ended by its PID; every wait is bounded.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
ov_require
command -v python3 >/dev/null || e2e_skip "needs python3"
for tool in useradd userdel chpasswd; do command -v "$tool" >/dev/null || e2e_skip "needs $tool"; done
PAM_DIR=/lib/x86_64-linux-gnu/security
[ -f "$PAM_DIR/pam_unix.so" ] || PAM_DIR=/usr/lib/x86_64-linux-gnu/security
[ -f "$PAM_DIR/pam_unix.so" ] || e2e_skip "needs pam_unix"
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)  # EKU serverAuth: remote-cert-tls server; its own anchor
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
add_user "$PW" bob 'bob-Secret1'
add_user "$PW" carol 'carol-Secret1'
add_user "$PW" lara 'lara-Secret1' lab
add_user "$PW" gus 'gus-Secret1' lab
PORT=4443
ESP_PORT=4501
OV_PORT=1194
CA="$WORK/cert/cert.pem"
source "$(dirname "$0")/openvpn_lib.sh"

# ---- PAM: a real account and service (removed at exit) ---------------------------------------
TAG=$$
PAM_USER="vpnov$TAG"
PAM_PASS='ovpn-Pam-Pass1'
SVC="sslvpnd-e2e-ovpn-$TAG"
test_cleanup() { userdel "$PAM_USER" 2>/dev/null; rm -f "/etc/pam.d/$SVC"; }
useradd -M -N -g users -s /usr/sbin/nologin "$PAM_USER" || e2e_skip "cannot create a user"
echo "$PAM_USER:$PAM_PASS" | chpasswd
note_secret "$PAM_PASS"
printf 'auth required pam_unix.so\naccount required pam_unix.so\n' >"/etc/pam.d/$SVC"

# ---- certificates: a CA for clients, alice's certificate, another CA's and a self-signed one --
# make_ca DIR: a CA key and self-signed certificate in DIR
make_ca() {
  mkdir -p "$1"
  certtool --generate-privkey --ecc --outfile "$1/key.pem" >/dev/null 2>&1
  printf 'cn = "sslvpnd e2e %s"\nca\ncert_signing_key\nexpiration_days = 30\n' "$(basename "$1")" >"$1/tmpl"
  certtool --generate-self-signed --load-privkey "$1/key.pem" --template "$1/tmpl" --outfile "$1/cert.pem" >/dev/null 2>&1
}
# client_cert NAME CN CADIR|self: a client certificate (EKU clientAuth) in $WORK/NAME
client_cert() {
  local d="$WORK/$1"
  mkdir -p "$d"
  certtool --generate-privkey --ecc --outfile "$d/key.pem" >/dev/null 2>&1
  chmod 600 "$d/key.pem"
  printf 'cn = "%s"\ntls_www_client\nsigning_key\nexpiration_days = 30\nserial = %s\n' "$2" "$RANDOM$RANDOM" >"$d/tmpl"
  if [ "$3" = self ]; then
    certtool --generate-self-signed --load-privkey "$d/key.pem" --template "$d/tmpl" --outfile "$d/cert.pem" >/dev/null 2>&1
  else
    certtool --generate-certificate --load-privkey "$d/key.pem" --load-ca-certificate "$3/cert.pem" \
      --load-ca-privkey "$3/key.pem" --template "$d/tmpl" --outfile "$d/cert.pem" >/dev/null 2>&1
  fi
}
make_ca "$WORK/ca"
make_ca "$WORK/otherca"
CERT_USER=dave
client_cert dave "$CERT_USER" "$WORK/ca"
client_cert stranger "$CERT_USER" "$WORK/otherca"
client_cert selfie "$CERT_USER" self

# auth-user-pass files: the user name, then the password
cred() { printf '%s\n%s\n' "$2" "$3" >"$WORK/$1.up"; chmod 600 "$WORK/$1.up"; note_secret "$3"; }
cred pamok "$PAM_USER" "$PAM_PASS"
cred pambad "$PAM_USER" 'ovpn-Wrong-Pass9'
cred carol carol 'carol-Secret1'
cred lara lara 'lara-Secret1'
cred carol2 carol 'carol-Secret1'

# ---- servers -------------------------------------------------------------------------------
# srv NAME NET4 CONFIG-LINES...: a server (TCP $PORT, OpenVPN UDP $OV_PORT, VPN network
# NET4.0/24, the network behind routed) whose auth lines are among CONFIG-LINES; started and its
# OpenVPN port listening (at most 5 s). Sets LOG, SOCK, GW.
srv() {
  local name=$1 net4=$2
  shift 2
  GW=$net4.1 SOCK="$WORK/ctl-$name.sock" LOG="$WORK/server-$name.log"
  { base_conf "$PORT" "$WORK/cert" "$PW" | grep -v '^auth = '; cat <<CONF
ipv4-network = $net4.0/24
route = $BEHIND_NET
occtl-socket-file = $SOCK
openvpn-udp-port = $OV_PORT
max-same-clients = 0
max-ban-score = 0
CONF
  printf '%s\n' "$@"; } >"$WORK/$name.conf"
  start_server "$WORK/$name.conf" "$LOG" "$WORK/$name.pid" "$PORT" || return 1
  for _ in $(seq 1 50); do
    [ -n "$(in_ns "$NS_S" ss -Huln "sport = :$OV_PORT")" ] && return 0
    sleep 0.1
  done
  echo "the OpenVPN port $OV_PORT does not listen"
  return 1
}

# ---- the openvpn client (openvpn_lib.sh) ---------------------------------------------------------
# ov_conf NAME CONFIG-LINES...: over UDP, device tunNAME; the lines add the credentials
# (auth-user-pass FILE, or cert and key). Clients say goodbye (explicit-exit-notify), so a
# stopped client's session ends at once.
ov_conf() { local n=$1; shift; ov_conf_lines "$n" udp "hand-window 20" "explicit-exit-notify 1" "$@"; }
ov_connect() { ov_conf "$@"; ov_start "$1"; ov_up "$1"; }
# no_tunnel NAME: that openvpn never completed its initialization and has no device
no_tunnel() { ! grep -q 'Initialization Sequence Completed' "$WORK/ov-$1.log" && ! ip -n "$NS_C" link show "tun$1" >/dev/null 2>&1; }
# refused T NAME: openvpn NAME (started) exits by itself within 60 s without a tunnel
refused() {
  check "$1: openvpn exits by itself (at most 60 s)" ov_wait_exit "$(ov_pid "$2")" 600
  echo "    ov-$2.log: $(grep -Em1 'AUTH_FAILED|TLS Error|TLS error|SSL alert|error:' "$WORK/ov-$2.log" | cut -c 21-160)"
  check "$1: ... no tunnel came up" no_tunnel "$2"
}
pings() { in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -I "tun$1" "$GW" >/dev/null; }  # pings NAME: through tunNAME
no_crash() { check "$1: no worker died of a signal" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"; }

# ---- 1. PAM ----------------------------------------------------------------------------------
echo "# server P: auth = pam[service=$SVC]"
if srv P 10.85.1 "auth = \"pam[service=$SVC]\""; then
  T="1a PAM, the right password"
  if check "$T: openvpn connects" ov_connect p "auth-user-pass $WORK/pamok.up"; then
    check "$T: an address from the pool ($(ov_addr4 p))" grep -q '^10\.85\.1\.' <<<"$(ov_addr4 p)"
    check "$T: ping the server's tunnel address" pings p
    check "$T: show users --json: $PAM_USER, protocol openvpn" test "$(user_field "$PAM_USER" Protocol)" = openvpn
    check "$T: the server logged the PAM login" grep -q "user '$PAM_USER' .*logged in" "$LOG"
  fi
  check "$T: stopped, the client's session ends (explicit-exit-notify)" ov_stop p "$PAM_USER"
  T="1b PAM, a wrong password"
  ov_conf q "auth-user-pass $WORK/pambad.up"
  ov_start q
  refused "$T" q
  check "$T: ... with AUTH_FAILED in its log" grep -q "AUTH_FAILED" "$WORK/ov-q.log"
  check "$T: the server logged the failed login" grep -q "login failed for '$PAM_USER'" "$LOG"
  check "$T: no tunnel for $PAM_USER in show users" user_gone "$PAM_USER"
  no_crash P
  stop_server "$SERVER_PID"
else
  fail "server P (PAM) did not start: case 1 not run"
fi

# ---- 2. certificate only ---------------------------------------------------------------------
echo "# server C: auth = certificate"
if srv C 10.85.2 'auth = "certificate"' "ca-cert = $WORK/ca/cert.pem"; then
  T="2a certificate, no password"
  ov_conf c "cert $WORK/dave/cert.pem" "key $WORK/dave/key.pem"
  check "$T: the client config has no auth-user-pass" bash -c "! grep -q auth-user-pass '$WORK/c.ovpn'"
  ov_start c
  if check "$T: openvpn connects" ov_up c; then
    check "$T: an address from the pool ($(ov_addr4 c))" grep -q '^10\.85\.2\.' <<<"$(ov_addr4 c)"
    check "$T: ping the server's tunnel address" pings c
    check "$T: sslvpnctl show users lists the CN ($CERT_USER) as user" \
      bash -c "'$CTL' -s '$SOCK' show users | grep -Eq '(^|[[:space:]])${CERT_USER}[[:space:]]'"
    check "$T: show users --json: user $CERT_USER, protocol openvpn" test "$(user_field "$CERT_USER" Protocol)" = openvpn
  fi
  check "$T: stopped, the client's session ends (explicit-exit-notify)" ov_stop c "$CERT_USER"
  T="2b certificate from another CA"
  ov_conf s "cert $WORK/stranger/cert.pem" "key $WORK/stranger/key.pem"
  ov_start s
  T2="2c self-signed certificate"
  ov_conf f "cert $WORK/selfie/cert.pem" "key $WORK/selfie/key.pem"
  ov_start f
  refused "$T" s
  check "$T: ... AUTH_FAILED or a TLS error in its log" grep -Eq "AUTH_FAILED|TLS Error|TLS error|tls-error|SSL alert" "$WORK/ov-s.log"
  refused "$T2" f
  check "$T2: ... AUTH_FAILED or a TLS error in its log" grep -Eq "AUTH_FAILED|TLS Error|TLS error|tls-error|SSL alert" "$WORK/ov-f.log"
  check "2b/2c: the server rejected both certificates (issuer unknown)" \
    test "$(grep -c 'client certificate rejected: .*issuer is unknown' "$LOG")" -ge 2
  check "2b/2c: no tunnel in show users" test "$(ctl --json show users | json 'len(d)')" = 0
  no_crash C
  stop_server "$SERVER_PID"
else
  fail "server C (certificate) did not start: case 2 not run"
fi

# ---- 3. AnyConnect, GlobalProtect and OpenVPN at once --------------------------------------------
# copy_via NAME PORT: 5 MB each way between the client namespace and the server's tunnel address
# through tunNAME (a host route to GW on it), byte-exact, the device counting at least that.
copy_via() {
  local dev=tun$1 tx0 rx0 tx1 rx1
  ip -n "$NS_C" route replace "$GW/32" dev "$dev" || return 1
  tx0=$(in_ns "$NS_C" cat "/sys/class/net/$dev/statistics/tx_bytes")
  rx0=$(in_ns "$NS_C" cat "/sys/class/net/$dev/statistics/rx_bytes")
  tcp_copy_ok "$NS_S" "$GW" "$2" 5000000 || return 1
  tx1=$(in_ns "$NS_C" cat "/sys/class/net/$dev/statistics/tx_bytes")
  rx1=$(in_ns "$NS_C" cat "/sys/class/net/$dev/statistics/rx_bytes")
  echo "    $dev: sent $((tx1 - tx0)) bytes, received $((rx1 - rx0))"
  [ $((tx1 - tx0)) -ge 5000000 ] && [ $((rx1 - rx0)) -ge 5000000 ]
}

echo "# server M: AnyConnect, GlobalProtect and OpenVPN"
if srv M 10.85.3 "auth = \"plain[passwd=$PW]\"" "udp-port = $PORT" "gp-esp-port = $ESP_PORT"; then
  T="3 three protocols"
  check "$T: openconnect (AnyConnect) connects as alice" oc_connect a alice 'alice-Secret1'
  check "$T: openconnect --protocol=gp connects as bob" oc_connect g bob 'bob-Secret1' --protocol=gp
  check "$T: openvpn connects as carol" ov_connect o "auth-user-pass $WORK/carol.up"
  A4=$(env_of a connect INTERNAL_IP4_ADDRESS) G4=$(env_of g connect INTERNAL_IP4_ADDRESS) O4=$(ov_addr4 o)
  check "$T: three addresses from the pool ($A4 $G4 $O4)" \
    bash -c "[[ '$A4' == 10.85.3.* && '$G4' == 10.85.3.* && '$O4' == 10.85.3.* ]]"
  check "$T: ... all distinct" test "$(printf '%s\n' "$A4" "$G4" "$O4" | sort -u | wc -l)" = 3
  check "$T: AnyConnect pings the server's tunnel address" pings a
  check "$T: GlobalProtect pings it" pings g
  check "$T: OpenVPN pings it" pings o
  check "$T: 5 MB each way through the AnyConnect tunnel, byte-exact" copy_via a 5731
  check "$T: 5 MB each way through the GlobalProtect tunnel, byte-exact" copy_via g 5733
  check "$T: 5 MB each way through the OpenVPN tunnel, byte-exact" copy_via o 5735
  protos=$(ctl --json show users | json "' '.join(sorted(u['Protocol'] for u in d))")
  check "$T: show users --json lists anyconnect, globalprotect and openvpn ($protos)" \
    test "$protos" = "anyconnect globalprotect openvpn"
  check "$T: ... alice anyconnect, bob globalprotect, carol openvpn" \
    test "$(user_field alice Protocol) $(user_field bob Protocol) $(user_field carol Protocol)" = "anyconnect globalprotect openvpn"
  check "$T: ... AnyConnect over DTLS, GlobalProtect over ESP" \
    test "$(user_field alice 'Datagram channel') $(user_field bob 'Datagram channel')" = "dtls esp"
  check "$T: ... with the clients' addresses" \
    test "$(user_field alice IPv4) $(user_field bob IPv4) $(user_field carol IPv4)" = "$A4 $G4 $O4"
  check "$T: sslvpnctl disconnect user carol" bash -c "'$CTL' -s '$SOCK' disconnect user carol >/dev/null"
  check "$T: ... openvpn exited (at most 10 s)" ov_wait_exit "$(ov_pid o)"
  check "$T: ... told to halt by the server" grep -Eq 'Halt command was pushed|server-pushed-halt' "$WORK/ov-o.log"
  for _ in $(seq 1 50); do user_gone carol && break; sleep 0.1; done
  check "$T: ... carol is gone from show users" user_gone carol
  check "$T: AnyConnect still pings" pings a
  check "$T: GlobalProtect still pings" pings g
  protos=$(ctl --json show users | json "' '.join(sorted(u['Protocol'] for u in d))")
  check "$T: ... and both are still listed ($protos)" test "$protos" = "anyconnect globalprotect"
  check "$T: both openconnect clients still run" bash -c "kill -0 ${OC_PID_a:-0} && kill -0 ${OC_PID_g:-0}"
  oc_stop a
  oc_stop g
  ov_stop o
  no_crash M
  stop_server "$SERVER_PID"
else
  fail "server M (three protocols) did not start: case 3 not run"
fi
# ---- 4. a second factor: TOTP through openvpn's challenge protocols ---------------------------
# The client's management interface stands in for its user (tests/e2e/ovpn_mgmt.py), as a GUI does.
# ov_mgmt NAME MODE USER CODE [CONFIG-LINE]: starts openvpn NAME (prompting on its management
# interface) and the answering script (password otp-Pass1); waits (at most 60 s) for the
# script's verdict in $WORK/mgmt-NAME.out.
ov_mgmt() {
  local name=$1 mode=$2 user=$3 code=$4 mport=$((7500 + RANDOM % 500)) st
  ov_conf "$name" auth-user-pass "auth-retry interact" "management 127.0.0.1 $mport" "management-query-passwords" \
    ${5:+"$5"}
  ov_start "$name"
  ip netns exec "$NS_C" timeout 70 python3 "$(dirname "$0")/ovpn_mgmt.py" "$mport" 60 "$user" otp-Pass1 "$code" "$mode" \
    >"$WORK/mgmt-$name.out" 2>&1
  st=$?
  cat "$WORK/mgmt-$name.out"
  return $st
}

if command -v oathtool >/dev/null; then
  OTP_SECRET=3132333435363738393031323334353637383930
  OTP_SECRET2=4142434445464748494a4b4c4d4e4f5051525354
  add_user "$PW" otto 'otp-Pass1'
  add_user "$PW" olive 'otp-Pass1'  # a second user: a TOTP code is good once
  note_secret 'otp-Pass1'
  printf 'HOTP/T30 otto - %s\nHOTP/T30 olive - %s\n' "$OTP_SECRET" "$OTP_SECRET2" >"$WORK/otp.users"
  echo "# server O: auth = plain[passwd, otp] (password, then a TOTP code)"
  if srv O 10.85.4 "auth = \"plain[passwd=$PW,otp=$WORK/otp.users]\""; then
    T="4a CRV1 dynamic challenge"
    check "$T: password, challenge, code: the tunnel comes up" ov_mgmt d dynamic otto "$(oathtool --totp "$OTP_SECRET")"
    check "$T: the client was asked the server's question" grep -q "^challenge: .*code" "$WORK/mgmt-d.out"
    check "$T: ... and pings" pings d
    check "$T: the server logged the challenge" grep -q "'otto' is asked a challenge question (CRV1)" "$LOG"
    check "$T: stopped, the session ends" ov_stop d otto
    T="4b static-challenge"
    check "$T: password and code together: the tunnel comes up" \
      ov_mgmt s static olive "$(oathtool --totp "$OTP_SECRET2")" 'static-challenge "Enter your OTP code" 1'
    check "$T: ... and pings" pings s
    check "$T: stopped, the session ends" ov_stop s olive
    T="4c a wrong code"
    ov_mgmt x dynamic otto 000000 >/dev/null
    check "$T: no tunnel" no_tunnel x
    check "$T: the server refused the code" grep -Eq "login failed for 'otto'|login of 'otto' failed" "$LOG"
    ov_stop x
    no_crash O
    stop_server "$SERVER_PID"
  else
    fail "server O (OTP) did not start: case 4 not run"
  fi
else
  echo "# oathtool missing: case 4 (OTP) not run"
fi

# ---- 5. a group's own address pool, for OpenVPN and GlobalProtect ------------------------------
echo "# server L: config-per-group with the lab group's own ipv4-network"
mkdir -p "$WORK/groups"
printf 'ipv4-network = 10.87.0.0/24\n' >"$WORK/groups/lab"
if srv L 10.85.5 "auth = \"plain[passwd=$PW]\"" "gp-esp-port = $ESP_PORT" "config-per-group = $WORK/groups"; then
  T="5 a group's own pool"
  GW=10.87.0.1  # the first host of the group's network, the server's end of its members' tunnels
  check "$T: openvpn connects as lara (group lab)" ov_connect l "auth-user-pass $WORK/lara.up"
  L4=$(ip -n "$NS_C" -4 -o addr show dev tunl 2>/dev/null | awk '{print $4}')
  check "$T: ... her address is from the group's pool, with its /24 ($L4)" grep -Eq '^10\.87\.0\.[0-9]+/24$' <<<"$L4"
  check "$T: ... she pings $GW" pings l
  check "$T: openconnect --protocol=gp connects as gus (group lab)" oc_connect k gus 'gus-Secret1' --protocol=gp
  G4=$(env_of k connect INTERNAL_IP4_ADDRESS)
  check "$T: ... his address is from the group's pool too, not hers ($G4)" \
    bash -c "[[ '$G4' == 10.87.0.* && '$G4/24' != '$L4' ]]"
  check "$T: ... he pings $GW" pings k
  check "$T: 5 MB each way through the OpenVPN tunnel, byte-exact" copy_via l 5741
  check "$T: sslvpnctl: lara's address" test "$(user_field lara IPv4)/24" = "$L4"
  oc_stop k
  ov_stop l lara
  no_crash L
  stop_server "$SERVER_PID"
else
  fail "server L (a group's pool) did not start: case 5 not run"
fi

# ---- 6. openvpn's client-config-dir ---------------------------------------------------------------
echo "# server D: openvpn-client-config-dir"
mkdir -p "$WORK/ccd"
cat >"$WORK/ccd/lara" <<'CCD'
# as an openvpn server's ccd file
ifconfig-push 10.85.6.77 255.255.255.0
push "route 192.0.2.0 255.255.255.0"
push "dhcp-option DNS 10.85.6.53"
iroute 10.123.0.0 255.255.255.0
CCD
printf 'disable\n' >"$WORK/ccd/carol"
printf 'push "route 198.51.100.77 255.255.255.255"\n' >"$WORK/ccd/DEFAULT"
if srv D 10.85.6 "auth = \"plain[passwd=$PW]\"" "openvpn-client-config-dir = $WORK/ccd/"; then
  T="6 client-config-dir"
  check "$T: openvpn connects as lara" ov_connect d "auth-user-pass $WORK/lara.up"
  check "$T: ... her address is her file's ifconfig-push, 10.85.6.77 ($(ov_addr4 d))" test "$(ov_addr4 d)" = 10.85.6.77
  check "$T: ... she pings the server's tunnel address" pings d
  check "$T: ... her file's route is in the client's table (192.0.2.0/24 on tund)" \
    bash -c "ip -n '$NS_C' route show 192.0.2.0/24 | grep -q 'dev tund'"
  check "$T: ... and its DNS server was pushed" grep -q "dhcp-option DNS 10.85.6.53" "$WORK/ov-d.log"
  check "$T: ... main routes her iroute (10.123.0.0/24) into her tunnel" \
    bash -c "ip -n '$NS_S' route show 10.123.0.0/24 | grep -q 'dev vpns'"
  ov_conf x "auth-user-pass $WORK/carol2.up"
  ov_start x
  check "$T: carol's file says disable: the server refused her tunnel" \
    wait_for_log "$LOG" "disabled by its openvpn-client-config-dir file"
  check "$T: ... and she got none" no_tunnel x
  ov_stop x
  check "$T: openconnect (AnyConnect) connects as gus" oc_connect h gus 'gus-Secret1'
  check "$T: ... the DEFAULT file's route reaches an AnyConnect client too (a split include)" \
    grep -q '^CISCO_SPLIT_INC_[0-9]*_ADDR=198.51.100.77$' "$WORK/h.env.connect"
  oc_stop h
  # A reconnect reads the file again (as openvpn does): lara's file now says disable, and her
  # client's reconnect (SIGUSR1: the same session, by its token) is refused.
  printf 'disable\n' >>"$WORK/ccd/lara"
  kill -USR1 "$(ov_pid d)"
  log_within() { for _ in 1 2 3 4; do wait_for_log "$LOG" "$1" && return 0; done; return 1; }  # 20 s
  check "$T: disable added to her file: her reconnect is refused" \
    log_within "tunnel refused for 'lara'.*disabled by its openvpn-client-config-dir file"
  ov_stop d
  # Her first tunnel is not ended by the refused reconnect (nor would openvpn's be before its
  # ping-restart): the admin ends it, and its iroute goes with its device.
  "$CTL" -s "$SOCK" disconnect user lara >/dev/null 2>&1
  for _ in $(seq 1 50); do user_gone lara && break; sleep 0.1; done
  check "$T: the server routed nothing to 10.123.0.0/24 after she left" \
    bash -c "! ip -n '$NS_S' route show 10.123.0.0/24 | grep -q ."
  # ccd-exclusive (reloaded): a user without a file of his own gets no tunnel, DEFAULT or not.
  echo "openvpn-ccd-exclusive = true" >>"$WORK/D.conf"
  check "$T: sslvpnctl reload with openvpn-ccd-exclusive" bash -c "'$CTL' -s '$SOCK' reload | grep -q 'configuration reloaded'"
  if oc_connect h2 gus 'gus-Secret1'; then fail "$T: ccd-exclusive: gus (no file of his own) got a tunnel"; oc_stop h2
  else pass "$T: ccd-exclusive: gus, who has no file of his own (only DEFAULT), gets no tunnel"; fi
  check "$T: ... the log says why" wait_for_log "$LOG" "no openvpn-client-config-dir file for this user (openvpn-ccd-exclusive)"
  no_crash D
  stop_server "$SERVER_PID"
else
  fail "server D (client-config-dir) did not start: case 6 not run"
fi
e2e_finish
