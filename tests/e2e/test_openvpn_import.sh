#!/bin/bash
# sslvpnd-ovpn-key import: an openvpn server's configuration becomes an sslvpnd.conf that serves
# the same clients with their configurations unchanged. Each openvpn server configuration is
# first run by the real openvpn 2.6 server, and its client connects (so the pair is a working
# openvpn setup); then the same file is imported, sslvpnd runs the result, and the same client
# configuration, unchanged, connects again. In namespaces:
#   A  Debian's own sample server.conf and client.conf (/usr/share/doc/openvpn/examples), as
#      shipped: UDP 1194, certificates from a CA (ca.crt, server.crt, dh2048.pem...), 10.8.0.0/24,
#      keepalive; openvpn's client, certificate only: it connects over UDP, pings the server's
#      end, sslvpnctl shows its CN as the user, it gets no route beyond the VPN's network, and
#      the AnyConnect port is not opened; openvpn-status writes openvpn's status file (version 2:
#      openvpn's own headers and field layout, compared with the file openvpn's server wrote for
#      the same client); a new profile made from the imported file (its CA is
#      the PKI's ca-cert) connects too
#   B  TCP, the PAM plugin (a real account and a pam_unix stack written for the test), no client
#      certificate, username-as-common-name, tls-crypt, an inline <ca>, data-ciphers with a CBC
#      cipher, server-ipv6, pushed route/DNS/domain, client-config-dir (ifconfig-push), a push
#      sslvpnd does not send: named on stderr and at the end of the file; the client connects
#      over TCP with ChaCha20-Poly1305, gets its ccd address, the route and DNS, pings over
#      IPv4 and IPv6; a wrong password gets AUTH_FAILED
#   A2 the sample with crl-verify: alice connects; a revoked certificate and one from another CA
#      get no tunnel
#   B also: no duplicate-cn: the user's second connection replaces the first (told HALT) and
#      gets the ccd address at once;
#   B also: ccd-exclusive refuses a right password without a file; a client without the tls-crypt
#      key gets no tunnel
#   D  B's TCP server and a UDP twin (its own pool and management port) imported together into
#      one file: both ports; the UDP twin's pool named; the client connects over TCP and over
#      UDP with its ccd address (which the TCP session, detached but alive for its cookie, gives
#      up to the same user's new one); two servers with different tls-crypt keys are refused
#   C  refusals and safety: a TAP server, inline files without -o, an existing output file (left
#      as it was); a login script sslvpnd cannot run becomes a password file, never no password;
#      a check sslvpnd would not make (tls-verify) stops the import unless --accept-weaker
# Every openvpn is ended by its PID; every wait is bounded.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
ov_require
for tool in useradd userdel chpasswd; do command -v "$tool" >/dev/null || e2e_skip "needs $tool"; done
PAM_PLUGIN=$(ls /usr/lib/x86_64-linux-gnu/openvpn/plugins/openvpn-plugin-auth-pam.so /usr/lib/openvpn/openvpn-plugin-auth-pam.so 2>/dev/null | head -n 1)
[ -n "$PAM_PLUGIN" ] || e2e_skip "needs openvpn's auth-pam plugin"
ns_setup
SERVER_NS=$NS_S
KEYTOOL="$BUILD_DIR/sslvpnd-ovpn-key"
CTL="$BUILD_DIR/sslvpnctl"
OV_PORT=1194
source "$(dirname "$0")/openvpn_lib.sh"

# ---- a PAM account and service for B (removed at exit) ----------------------------------------
TAG=$$
PAM_USER="vpnimp$TAG"
PAM_PASS='import-Pam-Pass1'
SVC="sslvpnd-e2e-import-$TAG"
PAM_USER2="vpnimx$TAG"  # a second account, without a client-config-dir file
test_cleanup() { userdel "$PAM_USER" 2>/dev/null; userdel "$PAM_USER2" 2>/dev/null; rm -f "/etc/pam.d/$SVC"; }
useradd -M -N -g users -s /usr/sbin/nologin "$PAM_USER" || e2e_skip "cannot create a user"
useradd -M -N -g users -s /usr/sbin/nologin "$PAM_USER2" || e2e_skip "cannot create a user"
echo "$PAM_USER:$PAM_PASS" | chpasswd
echo "$PAM_USER2:$PAM_PASS" | chpasswd
note_secret "$PAM_PASS"
printf 'auth required pam_unix.so\naccount required pam_unix.so\n' >"/etc/pam.d/$SVC"

# ---- an openvpn PKI: a CA, the server's certificate (TLS server EKU), alice's ------------------
pem() {  # pem DIR NAME CN PURPOSE: DIR/NAME.key and DIR/NAME.crt, issued by $WORK/pki/ca
  certtool --generate-privkey --ecc --outfile "$1/$2.key" >/dev/null 2>&1
  chmod 600 "$1/$2.key"
  printf 'cn = "%s"\n%s\nsigning_key\nexpiration_days = 30\nserial = %s\n' "$3" "$4" "$RANDOM$RANDOM" >"$1/$2.tmpl"
  certtool --generate-certificate --load-privkey "$1/$2.key" --load-ca-certificate "$WORK/pki/ca.crt" \
    --load-ca-privkey "$WORK/pki/ca.key" --template "$1/$2.tmpl" --outfile "$1/$2.crt" >/dev/null 2>&1
}
mkdir -p "$WORK/pki" "$WORK/A" "$WORK/clientA" "$WORK/B" "$WORK/B/ccd" "$WORK/clientB"
certtool --generate-privkey --ecc --outfile "$WORK/pki/ca.key" >/dev/null 2>&1
printf 'cn = "import test CA"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' >"$WORK/pki/ca.tmpl"
certtool --generate-self-signed --load-privkey "$WORK/pki/ca.key" --template "$WORK/pki/ca.tmpl" \
  --outfile "$WORK/pki/ca.crt" >/dev/null 2>&1
pem "$WORK/A" server "vpn.example.com" tls_www_server
pem "$WORK/clientA" client alice tls_www_client
cp "$WORK/pki/ca.crt" "$WORK/A/ca.crt"
cp "$WORK/pki/ca.crt" "$WORK/clientA/ca.crt"
certtool --get-dh-params --sec-param medium --outfile "$WORK/A/dh2048.pem" >/dev/null 2>&1

# ov_run DIR NAME CONFIG [ARGS...]: openvpn with --cd DIR in the client namespace (NAME: its log
# and PID, as ov_start's); the server's: ov_server_run.
ov_run() {
  local dir=$1 name=$2 conf=$3
  shift 3
  rm -f "$WORK/ov-$name.log"
  ip netns exec "$NS_C" "$OPENVPN" --cd "$dir" --config "$conf" --log "$WORK/ov-$name.log" "$@" \
    </dev/null >/dev/null 2>&1 &
  STARTED_PIDS+=("$!")
  printf -v "OV_PID_$name" %s "$!"
}
# ref_server DIR: the real openvpn server on DIR/server.conf in the server namespace (its status
# and pool files in $WORK, not /var/log); waits (at most 10 s) until it is up. Sets REF_PID.
ref_server() {
  rm -f "$WORK/ref.log"
  ip netns exec "$NS_S" "$OPENVPN" --cd "$1" --config server.conf --log "$WORK/ref.log" \
    --status "$WORK/ref-status.log" 1 --status-version 2 --ifconfig-pool-persist "$WORK/ref-ipp.txt" \
    "${server_extra[@]}" \
    </dev/null >/dev/null 2>&1 &
  REF_PID=$!
  STARTED_PIDS+=("$REF_PID")
  for _ in $(seq 1 100); do
    grep -q "Initialization Sequence Completed" "$WORK/ref.log" 2>/dev/null && return 0
    ov_alive "$REF_PID" || break
    sleep 0.1
  done
  echo "openvpn's server did not start:"; tail -n 20 "$WORK/ref.log"
  return 1
}
server_extra=()
[ -n "$(ov_no_dco)" ] && server_extra+=(--disable-dco)
# status_has FILE CN: waits (at most 5 s) until FILE lists CN's client (CLIENT_LIST,CN,...)
status_has() {
  for _ in $(seq 1 50); do grep -q "^CLIENT_LIST,$2," "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# status_frame FILE: the lines of a status file that do not depend on its clients
status_frame() { grep -E '^(HEADER|GLOBAL_STATS|END)' "$1" | sed 's/^\(GLOBAL_STATS,[^,]*\),.*/\1/'; }
# refused NAME: that openvpn (started with ov_run) ends within 20 s without a tunnel
refused() {
  ov_wait_exit "$(ov_pid "$1")" 200 || { ov_stop "$1"; return 1; }
  ! grep -q "Initialization Sequence Completed" "$WORK/ov-$1.log"
}
stop_ref() { kill -TERM "$REF_PID" 2>/dev/null; ov_wait_exit "$REF_PID" || kill -9 "$REF_PID" 2>/dev/null; }
# imported NAME PORT: the imported DIR/sslvpnd.conf with what this test adds (the workers'
# account, a control socket), started; PORT as start_server's.
imported() {
  SOCK="$WORK/ctl-$1.sock" LOG="$WORK/server-$1.log"
  printf 'run-as-user = %s\nrun-as-group = %s\nocctl-socket-file = %s\n' "$RUN_AS_USER" "$RUN_AS_USER" "$SOCK" \
    >>"$WORK/$1/sslvpnd.conf"
  start_server "$WORK/$1/sslvpnd.conf" "$LOG" "$WORK/$1.pid" "$2"
}
# The client's own configuration stays as it is: the test adds its device name and bounds on the
# command line.
client_extra=(--connect-retry-max 1 --server-poll-timeout 10 --verb 4)
[ -n "$(ov_no_dco)" ] && client_extra+=(--disable-dco)

echo "# A: Debian's sample server.conf and client.conf, as shipped"
SAMPLES=/usr/share/doc/openvpn/examples/sample-config-files
if [ ! -f "$SAMPLES/server.conf" ] || [ ! -f "$SAMPLES/client.conf" ]; then
  # A system that leaves out /usr/share/doc (dpkg path-exclude, as slim images do): the
  # samples' own directives, without their comments.
  echo "  ($SAMPLES is not installed: its samples' directives are used)"
  SAMPLES="$WORK/samples"
  mkdir -p "$SAMPLES"
  printf '%s\n' 'port 1194' 'proto udp' 'dev tun' 'ca ca.crt' 'cert server.crt' 'key server.key  # secret' \
    'dh dh2048.pem' 'topology subnet' 'server 10.8.0.0 255.255.255.0' 'ifconfig-pool-persist /var/log/openvpn/ipp.txt' \
    'keepalive 10 120' 'persist-key' 'persist-tun' 'status /var/log/openvpn/openvpn-status.log' 'verb 3' \
    'explicit-exit-notify 1' >"$SAMPLES/server.conf"
  printf '%s\n' client 'dev tun' 'proto udp' 'remote my-server-1 1194' 'resolv-retry infinite' nobind persist-key \
    persist-tun 'ca ca.crt' 'cert client.crt' 'key client.key' 'remote-cert-tls server' 'verb 3' >"$SAMPLES/client.conf"
fi
cp "$SAMPLES/server.conf" "$WORK/A/server.conf"
sed "s/^remote my-server-1 1194\$/remote $SERVER_IP $OV_PORT/" "$SAMPLES/client.conf" >"$WORK/clientA/client.conf"
check "A: the sample client differs from Debian's in its remote line alone" \
  test "$(diff "$SAMPLES/client.conf" "$WORK/clientA/client.conf" | grep -c '^[<>]')" = 2
if check "A: openvpn's own server runs the sample" ref_server "$WORK/A"; then
  ov_run "$WORK/clientA" refa client.conf --dev tunra "${client_extra[@]}"
  check "A: ... and its client connects to it (the pair is a working openvpn setup)" ov_up refa
  check "A: ... openvpn's status file (version 2) lists it" status_has "$WORK/ref-status.log" alice
  cp "$WORK/ref-status.log" "$WORK/ref-status-A.log"
  ov_stop refa
  stop_ref
fi
"$KEYTOOL" import -o "$WORK/A/sslvpnd.conf" "$WORK/A/server.conf" 2>"$WORK/import-A.err"
check "A: imported (exit 0)" test $? = 0
check "A: ... nothing of the sample is left behind (no 'not carried over' on stderr)" \
  bash -c "! grep -q 'not carried over' '$WORK/import-A.err'"
check "A: ... certificate logins, the sample's files, its network and keepalive" \
  test "$(grep -E '^(auth|ca-cert|server-cert|server-key|openvpn-udp-port|ipv4-network|route|dpd|tcp-port) ' "$WORK/A/sslvpnd.conf" | tr '\n' '|')" \
  = "tcp-port = 0|openvpn-udp-port = 1194|ipv4-network = 10.8.0.0/24|auth = \"certificate\"|ca-cert = $WORK/A/ca.crt|server-cert = $WORK/A/server.crt|server-key = $WORK/A/server.key|dpd = 120|route = 10.8.0.0/24|"
sed 's/^/    /' "$WORK/A/sslvpnd.conf" | grep -v '^    $' | head -n 40
check "A: ... the sample's status file becomes openvpn-status" \
  grep -qx 'openvpn-status = /var/log/openvpn/openvpn-status.log 60' "$WORK/A/sslvpnd.conf"
# Here the status file goes to the test's directory, every second, in version 2.
sed -i "s|^openvpn-status = .*|openvpn-status = $WORK/status-A.log 1\nopenvpn-status-version = 2|" "$WORK/A/sslvpnd.conf"
if check "A: sslvpnd runs the imported file" imported A "udp:$OV_PORT"; then
  check "A: ... it listens on UDP 1194 alone: no TCP port at all (tcp-port = 0)" \
    test "$(in_ns "$NS_S" ss -Htln | wc -l) $(in_ns "$NS_S" ss -Huln | awk '{print $4}' | sed 's/.*://' | sort -u | tr '\n' ' ')" = "0 $OV_PORT "
  ov_run "$WORK/clientA" a client.conf --dev tuna "${client_extra[@]}"
  check "A: the sample client, unchanged, connects" ov_up a
  check "A: ... over UDP" grep -q "UDPv4 link remote: \[AF_INET\]$SERVER_IP:$OV_PORT" "$WORK/ov-a.log"
  check "A: ... pings the server's end" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 10.8.0.1
  check "A: ... its user is its certificate's CN" test "$(user_field alice Protocol)" = openvpn
  check "A: ... its address is in 10.8.0.0/24" bash -c "[[ '$(ov_addr4 a)' == 10.8.0.* ]]"
  check "A: ... no route beyond the VPN's network (as openvpn pushed none)" \
    bash -c "! ip -n '$NS_C' route show | grep -v '^10\.8\.0\.0/24' | grep -q 'dev tuna'"
  if check "A: sslvpnd's openvpn-status lists it" status_has "$WORK/status-A.log" alice; then
    ours=$(grep '^CLIENT_LIST,alice,' "$WORK/status-A.log") theirs=$(grep '^CLIENT_LIST,alice,' "$WORK/ref-status-A.log")
    check "A: ... with openvpn's headers and global lines, exactly" \
      test "$(status_frame "$WORK/status-A.log")" = "$(status_frame "$WORK/ref-status-A.log")"
    check "A: ... a client line of openvpn's 13 fields" \
      test "$(awk -F, '{print NF}' <<<"$ours")" = "$(awk -F, '{print NF}' <<<"$theirs")"
    check "A: ... its real address as openvpn writes it (IP:port)" \
      bash -c "[[ '$(cut -d, -f3 <<<"$ours")' =~ ^${CLIENT_IP//./\\.}:[0-9]+\$ && '$(cut -d, -f3 <<<"$theirs")' =~ ^${CLIENT_IP//./\\.}:[0-9]+\$ ]]"
    echo "  ours:   $ours"
    echo "  theirs: $theirs"
    check "A: ... its virtual address; openvpn's user name (none: UNDEF) and cipher fields" \
      test "$(cut -d, -f4,10,13 <<<"$ours")" = "$(ov_addr4 a),$(cut -d, -f10,13 <<<"$theirs")"
    check "A: ... and a routing-table line for that address" grep -q "^ROUTING_TABLE,$(ov_addr4 a),alice," "$WORK/status-A.log"
  fi
  check "A: ... one session per certificate, the newest (no duplicate-cn)" \
    test "$(grep -E '^(max-same-clients|replace-same-clients) ' "$WORK/A/sslvpnd.conf" | tr '\n' '|')" = \
    "max-same-clients = 1|replace-same-clients = true|"
  ov_stop a  # the sample client sends no exit notification
  # A new user's profile from the imported file: its CA is ca-cert, which issued server-cert.
  check "A: a new profile from the imported file (sslvpnd-ovpn-key profile)" \
    "$KEYTOOL" profile -c "$WORK/A/sslvpnd.conf" --remote "$SERVER_IP" "$WORK/A/new.ovpn"
  check "A: ... its CA is ca-cert (the openvpn PKI's CA)" \
    test "$(sed -n '/^<ca>$/,/^<\/ca>$/p' "$WORK/A/new.ovpn" | sed '1d;$d')" = "$(cat "$WORK/pki/ca.crt")"
  printf 'cert %s\nkey %s\n' "$WORK/clientA/client.crt" "$WORK/clientA/client.key" >>"$WORK/A/new.ovpn"
  ov_run "$WORK/A" n new.ovpn --dev tunn "${client_extra[@]}"
  check "A: ... openvpn connects with it and alice's certificate" ov_up n
  ov_stop n alice
  stop_server
fi

echo "# A2: the sample with crl-verify: a revoked certificate and another CA's are refused"
mkdir -p "$WORK/A2" "$WORK/other"
cp "$WORK/A/server.conf" "$WORK/A/ca.crt" "$WORK/A/server.crt" "$WORK/A/server.key" "$WORK/A/dh2048.pem" "$WORK/A2/"
printf '\ncrl-verify crl.pem\n' >>"$WORK/A2/server.conf"  # the sample ends without a line break
pem "$WORK/clientA" mallory mallory tls_www_client
printf 'crl_next_update = 30\ncrl_number = 1\n' >"$WORK/A2/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$WORK/pki/ca.key" --load-ca-certificate "$WORK/pki/ca.crt" \
  --load-certificate "$WORK/clientA/mallory.crt" --template "$WORK/A2/crl.tmpl" --outfile "$WORK/A2/crl.pem" >/dev/null 2>&1
certtool --generate-privkey --ecc --outfile "$WORK/other/ca.key" >/dev/null 2>&1
printf 'cn = "another CA"\nca\ncert_signing_key\nexpiration_days = 30\n' >"$WORK/other/ca.tmpl"
certtool --generate-self-signed --load-privkey "$WORK/other/ca.key" --template "$WORK/other/ca.tmpl" \
  --outfile "$WORK/other/ca.crt" >/dev/null 2>&1
certtool --generate-privkey --ecc --outfile "$WORK/clientA/stranger.key" >/dev/null 2>&1
printf 'cn = "alice"\ntls_www_client\nsigning_key\nexpiration_days = 30\n' >"$WORK/clientA/stranger.tmpl"
certtool --generate-certificate --load-privkey "$WORK/clientA/stranger.key" --load-ca-certificate "$WORK/other/ca.crt" \
  --load-ca-privkey "$WORK/other/ca.key" --template "$WORK/clientA/stranger.tmpl" --outfile "$WORK/clientA/stranger.crt" >/dev/null 2>&1
"$KEYTOOL" import -o "$WORK/A2/sslvpnd.conf" "$WORK/A2/server.conf" 2>/dev/null
check "A2: imported, with the CRL" grep -qx "crl = $WORK/A2/crl.pem" "$WORK/A2/sslvpnd.conf"
sed -i '/^openvpn-status = /d' "$WORK/A2/sslvpnd.conf"
# A CRL that no CA of ca-cert signed would let revoked certificates pass unseen: refused.
certtool --generate-crl --load-ca-privkey "$WORK/other/ca.key" --load-ca-certificate "$WORK/other/ca.crt" \
  --template "$WORK/A2/crl.tmpl" --outfile "$WORK/A2/other-crl.pem" >/dev/null 2>&1
sed "s|^crl = .*|crl = $WORK/A2/other-crl.pem|" "$WORK/A2/sslvpnd.conf" >"$WORK/A2/bad-crl.conf"
out=$("$SSLVPND" -t -c "$WORK/A2/bad-crl.conf" 2>&1)
check "A2: a CRL another CA signed: sslvpnd -t refuses it, saying so" \
  test "$? $(grep -c 'has a CRL that does not pass against ca-cert' <<<"$out")" = "1 1"
# That CA's own CRL, though its key usage leaves out CRL signing (ocserv's test CA is made so):
# used, as ocserv uses it, with a warning.
sed -e "s|^crl = .*|crl = $WORK/A2/other-crl.pem|" -e "s|^ca-cert = .*|ca-cert = $WORK/other/ca.crt|" \
  "$WORK/A2/sslvpnd.conf" >"$WORK/A2/other-ca.conf"
out=$("$SSLVPND" -t -c "$WORK/A2/other-ca.conf" 2>&1)
check "A2: a CRL from a CA without CRL signing in its key usage: sslvpnd -t takes it, with a warning" \
  test "$? $(grep -c "the crl '.*' is used, but" <<<"$out")" = "0 1"
# A CRL out of date (its next update long past), as CRLs lapse when nobody renews them: a
# restart must not stop the VPN. It is used with a warning, and its revocations still apply:
# the server below runs with it, and mallory, revoked in it, gets no tunnel.
printf 'crl_this_update_date = "2020-01-01 00:00:00"\ncrl_next_update_date = "2020-02-01 00:00:00"\ncrl_number = 2\n' \
  >"$WORK/A2/stale.tmpl"
certtool --generate-crl --load-ca-privkey "$WORK/pki/ca.key" --load-ca-certificate "$WORK/pki/ca.crt" \
  --load-certificate "$WORK/clientA/mallory.crt" --template "$WORK/A2/stale.tmpl" --outfile "$WORK/A2/stale-crl.pem" >/dev/null 2>&1
sed -i "s|^crl = .*|crl = $WORK/A2/stale-crl.pem|" "$WORK/A2/sslvpnd.conf"
out=$("$SSLVPND" -t -c "$WORK/A2/sslvpnd.conf" 2>&1)
check "A2: a CRL out of date since 2020: sslvpnd -t takes it, with a warning" \
  test "$? $(grep -c "the crl '.*' is used, but" <<<"$out")" = "0 1"
if check "A2: sslvpnd runs it" imported A2 "udp:$OV_PORT"; then
  ov_run "$WORK/clientA" a2 client.conf --dev tuna2 "${client_extra[@]}"
  check "A2: alice's certificate still connects" ov_up a2
  ov_stop a2
  ov_run "$WORK/clientA" m client.conf --dev tunm --cert mallory.crt --key mallory.key "${client_extra[@]}"
  check "A2: mallory's certificate, revoked in the out-of-date CRL, gets no tunnel" refused m
  ov_run "$WORK/clientA" st client.conf --dev tunst --cert stranger.crt --key stranger.key "${client_extra[@]}"
  check "A2: a certificate from another CA (CN alice) gets no tunnel" refused st
  stop_server
fi

echo "# B: TCP, the PAM plugin, tls-crypt, an inline CA, IPv6, pushes, client-config-dir"
pem "$WORK/B" server "vpn.example.com" tls_www_server
"$OPENVPN" --genkey secret "$WORK/B/ta.key" >/dev/null 2>&1
cp "$WORK/B/ta.key" "$WORK/clientB/ta.key"
printf 'ifconfig-push 10.9.0.50 255.255.255.0\n' >"$WORK/B/ccd/$PAM_USER"
{ cat <<CONF
# an openvpn 2.6 server over TCP, logins through PAM
port $OV_PORT
proto tcp-server
dev tun
topology subnet
<ca>
$(cat "$WORK/pki/ca.crt")
</ca>
cert server.crt
key server.key  # secret
dh none
server 10.9.0.0 255.255.255.0
server-ipv6 fd00:9::/64
push "route 192.168.77.0 255.255.255.0"
push "dhcp-option DNS 10.9.0.1"
push "dhcp-option DOMAIN corp.example"
push "block-outside-dns"
keepalive 10 60
tls-crypt ta.key
data-ciphers CHACHA20-POLY1305:AES-256-GCM:AES-256-CBC
plugin $PAM_PLUGIN $SVC
verify-client-cert none
username-as-common-name
client-config-dir ccd
ccd-exclusive
management 127.0.0.1 7505
persist-key
persist-tun
verb 3
CONF
} >"$WORK/B/server.conf"
{ cat <<CONF
client
dev tun
proto tcp-client
remote $SERVER_IP $OV_PORT
nobind
ca ca.crt
remote-cert-tls server
tls-crypt ta.key
auth-user-pass login.txt
CONF
} >"$WORK/clientB/client.conf"
cp "$WORK/pki/ca.crt" "$WORK/clientB/ca.crt"
printf '%s\n%s\n' "$PAM_USER" "$PAM_PASS" >"$WORK/clientB/login.txt"
printf '%s\n%s\n' "$PAM_USER" 'import-Wrong-Pass9' >"$WORK/clientB/wrong.txt"
printf '%s\n%s\n' "$PAM_USER2" "$PAM_PASS" >"$WORK/clientB/nofile.txt"
chmod 600 "$WORK/clientB/login.txt" "$WORK/clientB/wrong.txt" "$WORK/clientB/nofile.txt"
grep -v '^tls-crypt' "$WORK/clientB/client.conf" >"$WORK/clientB/nokey.conf"
if check "B: openvpn's own server runs it" ref_server "$WORK/B"; then
  ov_run "$WORK/clientB" refb client.conf --dev tunrb "${client_extra[@]}"
  check "B: ... and its client connects to it with the PAM password" ov_up refb
  check "B: ... with the ccd address" test "$(ov_addr4 rb)" = 10.9.0.50
  in_ns "$NS_S" python3 "$E2E_DIR/mgmt_ask.py" 127.0.0.1 7505 version "status 2" load-stats "kill $PAM_USER" \
    >"$WORK/mgmt-ref.txt" 2>&1
  ov_stop refb
  stop_ref
fi
"$KEYTOOL" import -o "$WORK/B/sslvpnd.conf" "$WORK/B/server.conf" 2>"$WORK/import-B.err"
check "B: imported (exit 0)" test $? = 0
check "B: ... the inline CA written beside it, mode 0600" \
  test "$(stat -c %a "$WORK/B/sslvpnd-ca.pem") $(sha256sum <"$WORK/B/sslvpnd-ca.pem")" = "600 $(sha256sum <"$WORK/pki/ca.crt")"
check "B: ... the CBC cipher named on stderr" grep -q "AES-256-CBC' is not offered" "$WORK/import-B.err"
check "B: ... and block-outside-dns" grep -q 'push "block-outside-dns": not pushed by sslvpnd' "$WORK/import-B.err"
check "B: ... and at the end of the file" grep -q '^#   push "block-outside-dns": not pushed by sslvpnd' "$WORK/B/sslvpnd.conf"
check "B: ... PAM with the plugin's service, no certificate" \
  test "$(grep '^auth ' "$WORK/B/sslvpnd.conf")" = "auth = \"pam[service=$SVC]\""
sed 's/^/    /' "$WORK/B/sslvpnd.conf" | grep -v -e '^    $' -e '^    #' | head -n 40
# A management password file that is missing or starts with an empty line would stop the start:
# sslvpnd -t says so first.
sed "s|^openvpn-management = .*|openvpn-management = 127.0.0.1 7505 $WORK/B/no-such-pw|" \
  "$WORK/B/sslvpnd.conf" >"$WORK/B/nopw.conf"
out=$("$SSLVPND" -t -c "$WORK/B/nopw.conf" 2>&1)
check "B: sslvpnd -t: a management password file it cannot read is refused, named" \
  test "$? $(grep -c "cannot read the password file '$WORK/B/no-such-pw'" <<<"$out")" = "1 1"
printf '\nsecret\n' >"$WORK/B/empty-pw"
sed -i "s|no-such-pw|empty-pw|" "$WORK/B/nopw.conf"
out=$("$SSLVPND" -t -c "$WORK/B/nopw.conf" 2>&1)
check "B: ... and one whose first line is empty" test "$? $(grep -c 'is empty' <<<"$out")" = "1 1"
if check "B: sslvpnd runs the imported file" imported B "$OV_PORT"; then
  ov_run "$WORK/clientB" b client.conf --dev tunb "${client_extra[@]}"
  check "B: the client, unchanged, connects with its PAM password" ov_up b
  check "B: ... over TCP" grep -q "TCP connection established with \[AF_INET\]$SERVER_IP:$OV_PORT" "$WORK/ov-b.log"
  check "B: ... with ChaCha20-Poly1305 (the server's order)" grep -q "CHACHA20-POLY1305" <(grep -i 'data channel: cipher' "$WORK/ov-b.log")
  check "B: ... its client-config-dir address" test "$(ov_addr4 b)" = 10.9.0.50
  check "B: ... the pushed route" bash -c "ip -n '$NS_C' route show 192.168.77.0/24 | grep -q 'dev tunb'"
  check "B: ... the pushed DNS server and domain" \
    bash -c "grep 'PUSH_REPLY' '$WORK/ov-b.log' | grep -q 'dhcp-option DNS 10.9.0.1' && grep 'PUSH_REPLY' '$WORK/ov-b.log' | grep -q 'dhcp-option DOMAIN corp.example'"
  check "B: ... pings the server's end" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 10.9.0.1
  check "B: ... and over IPv6" in_ns "$NS_C" ping -6 -c 3 -i 0.2 -W 2 fd00:9::1
  # openvpn's management interface, asked as monitoring tools ask it, answers as openvpn's did.
  in_ns "$NS_S" python3 "$E2E_DIR/mgmt_ask.py" 127.0.0.1 7505 version "status 2" load-stats "kill $PAM_USER" \
    >"$WORK/mgmt-ours.txt" 2>&1
  sed 's/^/    /' "$WORK/mgmt-ours.txt" | tr -d '\r' | head -n 24
  check "B: management: openvpn's greeting and management version" \
    test "$(grep -E '^(>INFO|Management Version)' "$WORK/mgmt-ours.txt")" = "$(grep -E '^(>INFO|Management Version)' "$WORK/mgmt-ref.txt")"
  check "B: ... status 2 with openvpn's header lines" \
    test "$(grep '^HEADER' "$WORK/mgmt-ours.txt")" = "$(grep '^HEADER' "$WORK/mgmt-ref.txt")"
  check "B: ... the client listed, with its ccd address" grep -q "^CLIENT_LIST,$PAM_USER,$CLIENT_IP:[0-9]*,10.9.0.50," "$WORK/mgmt-ours.txt"
  check "B: ... load-stats in openvpn's form" \
    grep -Eq '^SUCCESS: nclients=1,bytesin=[0-9]+,bytesout=[0-9]+.$' "$WORK/mgmt-ours.txt"
  check "B: ... kill CN answers as openvpn's" \
    test "$(grep '^SUCCESS: common name' "$WORK/mgmt-ours.txt")" = "$(grep '^SUCCESS: common name' "$WORK/mgmt-ref.txt")"
  # As openvpn's, kill ends the tunnel and the client reconnects (told RESTART; back into its
  # session with its token, so with the same address); client-kill CID HALT makes it exit.
  back=no
  for _ in $(seq 1 100); do
    [ "$(grep -c 'Initialization Sequence Completed' "$WORK/ov-b.log")" -ge 2 ] && { back=yes; break; }
    sleep 0.1
  done
  check "B: ... the killed client is told RESTART and reconnects" \
    bash -c "[ $back = yes ] && grep -q 'Connection reset command was pushed by server' '$WORK/ov-b.log'"
  check "B: ... into its session: the same address" test "$(ov_addr4 b)" = 10.9.0.50
  cid=$(in_ns "$NS_S" python3 "$E2E_DIR/mgmt_ask.py" 127.0.0.1 7505 "status 2" 2>/dev/null |
    awk -F, -v u="$PAM_USER" '$1 == "CLIENT_LIST" && $2 == u {print $11}' | head -n 1)
  out=$(in_ns "$NS_S" python3 "$E2E_DIR/mgmt_ask.py" 127.0.0.1 7505 "client-kill $cid HALT" 2>&1)
  check "B: ... client-kill CID HALT (the id from status 2: $cid) succeeds" \
    grep -q '^SUCCESS: client-kill command succeeded' <<<"$out"
  halted() { ov_wait_exit "$(ov_pid "$1")" 100 && grep -q 'Halt command was pushed by server' "$WORK/ov-$1.log"; }
  check "B: ... the client is told HALT and exits" halted b
  gone=no
  for _ in $(seq 1 100); do user_gone "$PAM_USER" && { gone=yes; break; }; sleep 0.1; done
  check "B: ... and the session ends" test "$gone" = yes
  # A management client that asks for the client list thousands of times and reads nothing
  # makes main hold a bounded queue, not gigabytes: main goes on answering.
  in_ns "$NS_S" timeout 10 python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', 7505), timeout=5)
try:
    s.sendall(b'status 2\r\n' * 20000)
except OSError:
    pass
" >/dev/null 2>&1
  check "B: ... a client that floods it without reading leaves main answering" ctl show status
  ov_stop b
  # No duplicate-cn, and the login name is the common name (username-as-common-name): as
  # openvpn's, a second connection of the user replaces the first, whose client is told HALT,
  # and the ccd address passes to the new one at once.
  check "B: no duplicate-cn: one session per user, the newest" \
    test "$(grep -E '^(max-same-clients|replace-same-clients) ' "$WORK/B/sslvpnd.conf" | tr '\n' '|')" = \
    "max-same-clients = 1|replace-same-clients = true|"
  ov_run "$WORK/clientB" b1 client.conf --dev tunb1 "${client_extra[@]}"
  if check "B: ... a first connection of the user" ov_up b1; then
    ov_run "$WORK/clientB" b2 client.conf --dev tunb2 "${client_extra[@]}"
    check "B: ... a second one connects" ov_up b2
    check "B: ... the first is told HALT and exits" halted b1
    check "B: ... the second has the ccd address" test "$(ov_addr4 b2)" = 10.9.0.50
    check "B: ... one session is listed for the user" \
      test "$(ctl --json show users | json "sum(1 for u in d if u['Username'] == '$PAM_USER')")" = 1
    check "B: ... the second pings the server's end" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.9.0.1
  fi
  ov_stop b1
  ov_stop b2 "$PAM_USER"
  ov_run "$WORK/clientB" bw client.conf --dev tunbw --auth-user-pass wrong.txt "${client_extra[@]}"
  ov_wait_exit "$(ov_pid bw)" 150
  check "B: a wrong password: AUTH_FAILED, no tunnel" \
    bash -c "grep -q AUTH_FAILED '$WORK/ov-bw.log' && ! grep -q 'Initialization Sequence Completed' '$WORK/ov-bw.log'"
  ov_run "$WORK/clientB" bx client.conf --dev tunbx --auth-user-pass nofile.txt "${client_extra[@]}"
  check "B: ccd-exclusive: a right password without a client-config-dir file gets no tunnel" refused bx
  ov_run "$WORK/clientB" bk nokey.conf --dev tunbk --hand-window 5 "${client_extra[@]}"
  check "B: a client without the tls-crypt key gets no tunnel" refused bk
  stop_server
fi

echo "# D: a TCP and a UDP openvpn server of one VPN (an instance per transport), imported together"
# The UDP instance: B's file with its own pool and management port, as admins run them side by side.
sed -e 's/^proto tcp-server/proto udp/' -e 's/10\.9\.0\./10.10.0./g' -e 's/^server-ipv6 fd00:9::/server-ipv6 fd00:10::/' \
  -e 's/^management 127.0.0.1 7505/management 127.0.0.1 7507/' "$WORK/B/server.conf" >"$WORK/B/udp.conf"
sed 's/^proto tcp-client/proto udp/' "$WORK/clientB/client.conf" >"$WORK/clientB/udp.conf"
mkdir -p "$WORK/D"
"$KEYTOOL" import -o "$WORK/D/sslvpnd.conf" "$WORK/B/server.conf" "$WORK/B/udp.conf" 2>"$WORK/import-D.err"
check "D: imported into one file (exit 0), with both ports" \
  test "$? $(grep -c -e "^openvpn-tcp-port = $OV_PORT\$" -e "^openvpn-udp-port = $OV_PORT\$" "$WORK/D/sslvpnd.conf")" = "0 2"
check "D: ... the UDP server's pool named: its clients lease from the TCP server's" \
  grep -q "udp.conf: ipv4-network 10.10.0.0/24: its clients lease addresses from .*server.conf's pool (10.9.0.0/24)" "$WORK/import-D.err"
check "D: ... its DNS server (its own address) is the shared pool's server address" \
  test "$(grep '^dns = ' "$WORK/D/sslvpnd.conf" | tr '\n' ' ')" = "dns = 10.9.0.1 "
sed 's/^tls-crypt ta.key/tls-crypt other.key/' "$WORK/B/udp.conf" >"$WORK/B/udp-other.conf"
out=$("$KEYTOOL" import -o "$WORK/D/other.conf" "$WORK/B/server.conf" "$WORK/B/udp-other.conf" 2>&1)
check "D: two servers with different tls-crypt keys: refused, named, nothing written" \
  test "$? $(grep -c 'differ in openvpn-tls-crypt' <<<"$out") $([ -e "$WORK/D/other.conf" ] && echo file)" = "1 1 "
if check "D: sslvpnd runs it" imported D "$OV_PORT"; then
  for tr in tcp udp; do
    conf=client.conf
    [ $tr = udp ] && conf=udp.conf
    ov_run "$WORK/clientB" "d$tr" "$conf" --dev "tund$tr" "${client_extra[@]}"
    check "D: the client over ${tr^^}, unchanged but for proto, connects with its PAM password" ov_up "d$tr"
    check "D: ... with its client-config-dir address" test "$(ov_addr4 "d$tr")" = 10.9.0.50
    check "D: ... pings the server's end" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.9.0.1
    ov_stop "d$tr"
    [ $tr = udp ] && break  # without explicit-exit-notify its tunnel waits for ping-restart
    gone=no
    for _ in $(seq 1 100); do user_gone "$PAM_USER" && { gone=yes; break; }; sleep 0.1; done
    check "D: ... its tunnel ends when the client stops" test "$gone" = yes
  done
  stop_server
fi

echo "# C: refusals and safety"
mkdir -p "$WORK/C"
printf 'dev tap\nserver-bridge\nca ca.crt\ncert s.crt\nkey s.key\n' >"$WORK/C/tap.conf"
out=$("$KEYTOOL" import -o "$WORK/C/tap-out.conf" "$WORK/C/tap.conf" 2>&1)
check "C: a TAP server: exit 1, says so, writes nothing" \
  test "$? $(grep -c 'TAP' <<<"$out") $([ -e "$WORK/C/tap-out.conf" ] && echo file)" = "1 1 "
out=$("$KEYTOOL" import "$WORK/B/server.conf" 2>&1 >/dev/null)
check "C: inline files without -o: exit 1, says -o" test "$? $(grep -c -- '-o FILE' <<<"$out")" = "1 1"
printf 'server 10.7.0.0 255.255.255.0\nca ca.crt\ncert s.crt\nkey s.key\nverify-client-cert none\nauth-user-pass-verify /etc/openvpn/check.sh via-file\n' \
  >"$WORK/C/script.conf"
out=$("$KEYTOOL" import "$WORK/C/script.conf" 2>"$WORK/import-C.err")
check "C: a login script sslvpnd cannot run: a password file to fill in, never no password" \
  test "$(grep '^auth ' <<<"$out")" = 'auth = "plain[passwd=/etc/sslvpnd/passwd]"'
check "C: ... said on stderr" grep -q 'a login script sslvpnd does not run; users give a password from /etc/sslvpnd/passwd' "$WORK/import-C.err"
cp "$WORK/C/script.conf" "$WORK/C/weaker.conf"
echo 'tls-verify "/etc/openvpn/verify-cn.sh"' >>"$WORK/C/weaker.conf"
out=$("$KEYTOOL" import -o "$WORK/C/weaker-out.conf" "$WORK/C/weaker.conf" 2>&1)
check "C: a check sslvpnd would not make (tls-verify): exit 1, nothing written" \
  test "$? $(grep -c 'nothing written: clients would get in with less checking' <<<"$out") $([ -e "$WORK/C/weaker-out.conf" ] && echo file)" = "1 1 "
check "C: ... with --accept-weaker it is written, the lost check listed at its end" \
  bash -c "'$KEYTOOL' import --accept-weaker -o '$WORK/C/weaker-out.conf' '$WORK/C/weaker.conf' 2>/dev/null && grep -q '^#   line 7: tls-verify' '$WORK/C/weaker-out.conf'"
sum=$(sha256sum <"$WORK/A/sslvpnd.conf")
"$KEYTOOL" import -o "$WORK/A/sslvpnd.conf" "$WORK/A/server.conf" >/dev/null 2>&1
check "C: an existing output file is not overwritten (exit 1)" test "$? $(sha256sum <"$WORK/A/sslvpnd.conf")" = "1 $sum"
e2e_finish
