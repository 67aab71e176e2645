#!/bin/bash
# Virtual hosts (ocserv's [vhost:NAME] sections) with the real openconnect in namespaces: the
# TLS server name a client sends picks a host with its own certificate, login methods, address
# pool, DNS, banner and scripts; no name or an unknown one gets the global settings. Modelled on
# ocserv's tests/test-vhost (two password hosts and a certificate one, then a host added by a
# reload), plus tunnels, sslvpnctl's vhost column, the VHOST script variable and each host's
# stapled OCSP response (ocsp-response), seen by openssl s_client.
source "$(dirname "$0")/lib.sh"
e2e_init
ns_setup
SERVER_NS=$NS_S
PORT=4443
CTL="$BUILD_DIR/sslvpnctl"
LOG="$WORK/server.log"

# host_cert DIR NAME: a self-signed server certificate for NAME; prints its pin.
host_cert() {
  mkdir -p "$1"
  certtool --generate-privkey --ecc --outfile "$1/key.pem" >/dev/null 2>&1
  chmod 600 "$1/key.pem"
  printf 'cn = "%s"\ndns_name = "%s"\nexpiration_days = 30\nsigning_key\ntls_www_server\n' "$2" "$2" >"$1/tmpl"
  certtool --generate-self-signed --load-privkey "$1/key.pem" --template "$1/tmpl" \
    --outfile "$1/cert.pem" >/dev/null 2>&1
  certtool -i --infile "$1/cert.pem" | grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -n 1
}
PIN_DEFAULT=$(make_cert "$WORK/default" ecdsa)
PIN_PASS2=$(host_cert "$WORK/pass2" pass2.example.com)
# Second certificate and key pairs (ocserv's repeated server-cert/server-key): RSA ones beside
# the default host's and pass2's ECDSA ones.
make_cert "$WORK/default-rsa" rsa >/dev/null
mkdir -p "$WORK/pass2-rsa"
certtool --generate-privkey --rsa --bits 2048 --outfile "$WORK/pass2-rsa/key.pem" >/dev/null 2>&1
chmod 600 "$WORK/pass2-rsa/key.pem"
printf 'cn = "pass2.example.com"\ndns_name = "pass2.example.com"\nexpiration_days = 30\nsigning_key\nencryption_key\ntls_www_server\n' \
  >"$WORK/pass2-rsa/tmpl"
certtool --generate-self-signed --load-privkey "$WORK/pass2-rsa/key.pem" --template "$WORK/pass2-rsa/tmpl" \
  --outfile "$WORK/pass2-rsa/cert.pem" >/dev/null 2>&1
PIN_CERT=$(host_cert "$WORK/certhost" cert.example.com)
PIN_PASS3=$(host_cert "$WORK/pass3" pass3.example.com)

# A CA for the certificate host, and alice's client certificate from it.
CA="$WORK/ca"
mkdir -p "$CA" "$WORK/alice"
certtool --generate-privkey --ecc --outfile "$CA/key.pem" >/dev/null 2>&1
printf 'cn = "vhost e2e CA"\nca\ncert_signing_key\nexpiration_days = 30\n' >"$CA/tmpl"
certtool --generate-self-signed --load-privkey "$CA/key.pem" --template "$CA/tmpl" \
  --outfile "$CA/cert.pem" >/dev/null 2>&1
certtool --generate-privkey --ecc --outfile "$WORK/alice/key.pem" >/dev/null 2>&1
printf 'cn = "alice"\ntls_www_client\nsigning_key\nexpiration_days = 30\n' >"$WORK/alice/tmpl"
certtool --generate-certificate --load-privkey "$WORK/alice/key.pem" --load-ca-certificate "$CA/cert.pem" \
  --load-ca-privkey "$CA/key.pem" --template "$WORK/alice/tmpl" --outfile "$WORK/alice/cert.pem" >/dev/null 2>&1
ALICE_CERT=(-c "$WORK/alice/cert.pem" -k "$WORK/alice/key.pem")

# ocsp_response CERTDIR good|revoked OUT: an OCSP response (DER) about CERTDIR's certificate,
# signed by that self-signed certificate's own key (its issuer), as openssl's responder makes it.
ocsp_response() {
  local dir=$1 status=$2 out=$3 serial subject expiry
  serial=$(openssl x509 -in "$dir/cert.pem" -noout -serial | cut -d= -f2)
  subject=$(openssl x509 -in "$dir/cert.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
  expiry=$(date -u -d '+30 days' +%y%m%d%H%M%SZ)
  if [ "$status" = good ]; then
    printf 'V\t%s\t\t%s\tunknown\t%s\n' "$expiry" "$serial" "$subject" >"$out.index"
  else
    printf 'R\t%s\t%s\t%s\tunknown\t%s\n' "$expiry" "$(date -u +%y%m%d%H%M%SZ)" "$serial" "$subject" >"$out.index"
  fi
  openssl ocsp -issuer "$dir/cert.pem" -cert "$dir/cert.pem" -no_nonce -reqout "$out.req" >/dev/null 2>&1 &&
    openssl ocsp -index "$out.index" -rsigner "$dir/cert.pem" -rkey "$dir/key.pem" -CA "$dir/cert.pem" \
      -reqin "$out.req" -respout "$out" -ndays 7 >/dev/null 2>&1
}
# shown NAME OPENSSL-ARGS...: the size of the public key of the certificate the server shows to
# a client that sends server name NAME ("-": none) and takes only what the arguments allow, after
# a complete handshake (its signature, made by sec-mod, checked against that certificate).
shown() {
  local sni=(-servername "$1") out
  [ "$1" = - ] && sni=(-noservername)
  shift
  out=$(in_ns "$NS_C" timeout 15 openssl s_client -connect "$SERVER_IP:$PORT" "${sni[@]}" "$@" </dev/null 2>&1)
  grep -q '^New, TLSv1' <<<"$out" || { echo "no handshake"; return; }
  sed -n 's/^Server public key is \([0-9]*\) bit$/\1/p' <<<"$out"
}
# stapled NAME: the OCSP response the server staples for server name NAME ("-": none sent).
stapled() {
  local sni=(-servername "$1")
  [ "$1" = - ] && sni=(-noservername)
  in_ns "$NS_C" timeout 15 openssl s_client -connect "$SERVER_IP:$PORT" "${sni[@]}" -status </dev/null 2>&1 |
    sed -n '/^OCSP response:/,/^---$/p'
}
ocsp_response "$WORK/default" good "$WORK/default.ocsp" || fail "openssl ocsp made no response"
ocsp_response "$WORK/default" good "$WORK/not-pass2.ocsp"
ocsp_response "$WORK/pass3" good "$WORK/pass3.ocsp"

add_user "$WORK/passwd" alice 'alice-Secret1'
add_user "$WORK/passwd2" bob 'bob-Secret2'
add_user "$WORK/passwd3" carol 'carol-Secret3'
ns_route_vpn_back 10.80.0.0/14

# Each host's scripts record VHOST, the address and the reason.
for h in default pass2; do
  printf '#!/bin/sh\necho "$REASON $VHOST $USERNAME $IP_REMOTE" >> %s\n' "$WORK/scripts-$h.out" >"$WORK/script-$h.sh"
  chmod 755 "$WORK/script-$h.sh"
done

{
  base_conf "$PORT" "$WORK/default" "$WORK/passwd"
  cat <<CONF
udp-port = $PORT
occtl-socket-file = $WORK/ctl.sock
max-ban-score = 0
ipv4-network = 10.80.0.0/24
dns = 10.80.0.53
route = $BEHIND_NET
banner = Welcome to the default host
connect-script = $WORK/script-default.sh
disconnect-script = $WORK/script-default.sh
ocsp-response = $WORK/default.ocsp
server-cert = $WORK/default-rsa/cert.pem
server-key = $WORK/default-rsa/key.pem

[vhost:pass2.example.com]
auth = "plain[passwd=$WORK/passwd2]"
server-cert = $WORK/pass2/cert.pem
server-key = $WORK/pass2/key.pem
ocsp-response = $WORK/not-pass2.ocsp
server-cert = $WORK/pass2-rsa/cert.pem
server-key = $WORK/pass2-rsa/key.pem
ipv4-network = 10.81.0.0/24
dns = 10.81.0.53
route = $BEHIND_NET
banner = Welcome to pass2
connect-script = $WORK/script-pass2.sh
disconnect-script = $WORK/script-pass2.sh
tls-priorities = NORMAL:%SERVER_PRECEDENCE:-VERS-TLS1.3
tcp-port = 9

[vhost: Cert.Example.com ]
auth = certificate
ca-cert = $CA/cert.pem
cert-user-oid = 2.5.4.3
server-cert = $WORK/certhost/cert.pem
server-key = $WORK/certhost/key.pem
ipv4-network = 10.82.0.0/24
route = $BEHIND_NET
CONF
} >"$WORK/vhost.conf"

out=$("$SSLVPND" -t -c "$WORK/vhost.conf" 2>&1)
check "sslvpnd -t accepts [vhost:NAME] sections" test $? = 0
check "... and warns that tcp-port in a vhost is server-wide" \
  grep -q "'tcp-port' applies to the whole server, not to one \[vhost:pass2.example.com\]" <<<"$out"
check "... and that pass2's ocsp-response is about another certificate, so it is not stapled" \
  grep -q "\[vhost:pass2.example.com\]: ocsp-response '.*not-pass2.ocsp' is about another certificate than server-cert; it is not stapled" <<<"$out"
start_server "$WORK/vhost.conf" "$LOG" "$WORK/vhost.pid" "$PORT" || { fail "server start"; e2e_finish; }

# auth HOST PIN USER PASSWORD [openconnect args]: a login (--authenticate) from the client ns
# to https://HOST:PORT/, HOST resolved to the server; HOST "-" connects by address (no SNI).
auth() {
  local host=$1 pin=$2 user=$3 pw=$4 url
  shift 4
  note_secret "$pw"
  local resolve=()
  if [ "$host" = - ]; then url="https://$SERVER_IP:$PORT/"; else
    url="https://$host:$PORT/"
    resolve=(--resolve "$host:$SERVER_IP")
  fi
  printf '%s\n' "$pw" | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin --non-inter \
    -u "$user" --servercert "$pin" "${resolve[@]}" "$@" "$url" >>"$WORK/auth.out" 2>&1
}

# ---- logins: each host has its own certificate and methods (ocserv's test-vhost)
check "no server name: the default host logs alice in" auth - "$PIN_DEFAULT" alice 'alice-Secret1'
check_fails() { ! "$@"; }
check "... and refuses bob (pass2's user)" check_fails auth - "$PIN_DEFAULT" bob 'bob-Secret2'
check "an unknown server name gets the default host" auth other.example.com "$PIN_DEFAULT" alice 'alice-Secret1'
check "pass2.example.com logs bob in, with pass2's certificate" auth pass2.example.com "$PIN_PASS2" bob 'bob-Secret2'
check "... matching the name in any case" auth PASS2.Example.COM "$PIN_PASS2" bob 'bob-Secret2'
check "pass2.example.com does not present the default certificate" \
  check_fails auth pass2.example.com "$PIN_DEFAULT" bob 'bob-Secret2'
check "pass2.example.com refuses alice (the default host's user)" \
  check_fails auth pass2.example.com "$PIN_PASS2" alice 'alice-Secret1'
check "cert.example.com logs alice in with her certificate, no password" \
  auth cert.example.com "$PIN_CERT" alice '' "${ALICE_CERT[@]}"
check "cert.example.com refuses a password without a certificate" \
  check_fails auth cert.example.com "$PIN_CERT" alice 'alice-Secret1'
check "pass2.example.com does not take alice's certificate for a login" \
  check_fails auth pass2.example.com "$PIN_PASS2" alice '' "${ALICE_CERT[@]}"
check "the default host does not take it either" check_fails auth - "$PIN_DEFAULT" alice '' "${ALICE_CERT[@]}"
check "GlobalProtect: pass2.example.com's portal and gateway log bob in" \
  auth pass2.example.com "$PIN_PASS2" bob 'bob-Secret2' --protocol=gp
check "... and refuse alice" check_fails auth pass2.example.com "$PIN_PASS2" alice 'alice-Secret1' --protocol=gp
check "the log names the host a user logged in to" wait_for_log "$LOG" "'bob' (group '') logged in from .* to \[vhost:pass2.example.com\]"

# ---- two certificate and key pairs per host (ocserv's): each client is shown one its signature
# algorithms accept, and sec-mod signs with that pair's key
check "the default host shows its ECDSA certificate to a client that takes either ($(shown - -sigalgs ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256))" \
  test "$(shown - -sigalgs ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256)" = 256
check "... its RSA one, signed with the second key, to a TLS 1.3 client that takes RSA-PSS only ($(shown - -sigalgs rsa_pss_rsae_sha256))" \
  test "$(shown - -sigalgs rsa_pss_rsae_sha256)" = 2048
check "... and to a TLS 1.2 client with ECDHE-RSA suites only" \
  test "$(shown - -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256)" = 2048
check "... its ECDSA one to a TLS 1.2 client with ECDHE-ECDSA suites only" \
  test "$(shown - -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384)" = 256
out=$(in_ns "$NS_C" timeout 15 openssl s_client -connect "$SERVER_IP:$PORT" -servername pass2.example.com \
  -sigalgs rsa_pss_rsae_sha256 </dev/null 2>/dev/null)
check "pass2.example.com shows its own RSA certificate (its second pair) to an RSA-only client" \
  bash -c 'grep -q "^Server public key is 2048 bit" <<<"$1" && grep -q "^subject=CN = pass2.example.com" <<<"$1"' _ "$out"
check "cert.example.com has one pair: an RSA-only client gets no handshake" \
  test "$(shown cert.example.com -sigalgs rsa_pss_rsae_sha256)" = "no handshake"

# ---- ocsp-response (ocserv's): each host staples its own response to clients that ask
out=$(stapled -)
check "the default host staples its OCSP response" grep -q "OCSP Response Status: successful" <<<"$out"
check "... which says its certificate is good" grep -q "Cert Status: good" <<<"$out"
check "... and is about that certificate" \
  grep -qi "Serial Number: $(openssl x509 -in "$WORK/default/cert.pem" -noout -serial | cut -d= -f2)" <<<"$out"
check "pass2.example.com staples no response (its file is about another certificate)" \
  grep -q "OCSP response: no response sent" <<<"$(stapled pass2.example.com)"
check "cert.example.com has no ocsp-response: none stapled (a host does not take the default's)" \
  grep -q "OCSP response: no response sent" <<<"$(stapled cert.example.com)"

# TLS session tickets: each host has a ticket key of its own, so a session resumes under the
# name it began with and under no other (RFC 6066), while resumption itself still works.
res=$(in_ns "$NS_C" timeout 30 python3 "$E2E_DIR/tls_resume_sni.py" "$SERVER_IP" "$PORT" pass2.example.com cert.example.com 2>&1)
check "a pass2.example.com session resumes at pass2.example.com ($res)" grep -q "same=1" <<<"$res"
check "... and not at cert.example.com" grep -q "other=0" <<<"$res"
res=$(in_ns "$NS_C" timeout 30 python3 "$E2E_DIR/tls_resume_sni.py" "$SERVER_IP" "$PORT" other.example.com pass2.example.com 2>&1)
check "a default-host session does not resume at pass2.example.com ($res)" grep -q "same=1 other=0" <<<"$res"

# ---- tunnels: each host's pool, DNS and scripts
PIN=$PIN_DEFAULT
check "a tunnel to the default host" oc_connect a alice 'alice-Secret1'
PIN=$PIN_PASS2 OC_HOST=pass2.example.com
check "a tunnel to pass2.example.com" oc_connect b bob 'bob-Secret2'
PIN=$PIN_CERT OC_HOST=cert.example.com
check "a tunnel to cert.example.com with the certificate" oc_connect c alice '' "${ALICE_CERT[@]}"
unset OC_HOST
check "the default host's address and DNS" grep -q '^INTERNAL_IP4_ADDRESS=10\.80\.0\.' "$WORK/a.env.connect"
check "... its DNS" grep -q '^INTERNAL_IP4_DNS=10\.80\.0\.53' "$WORK/a.env.connect"
check "... its banner (X-CSTP-Banner)" grep -q '^CISCO_BANNER=Welcome to the default host' "$WORK/a.env.connect"
check "pass2's tls-priorities (no TLS 1.3) apply to it alone" \
  bash -c 'grep -q "with ciphersuite (TLS1.2)" "$1" && grep -q "with ciphersuite (TLS1.3)" "$2"' _ \
  "$WORK/b.oc.log" "$WORK/a.oc.log"
check "pass2's address pool" grep -q '^INTERNAL_IP4_ADDRESS=10\.81\.0\.' "$WORK/b.env.connect"
check "... its DNS" grep -q '^INTERNAL_IP4_DNS=10\.81\.0\.53' "$WORK/b.env.connect"
check "... its banner" grep -q '^CISCO_BANNER=Welcome to pass2' "$WORK/b.env.connect"
check "cert.example.com's pool" grep -q '^INTERNAL_IP4_ADDRESS=10\.82\.0\.' "$WORK/c.env.connect"
check "... and no DNS (a vhost does not inherit the global dns)" check_fails grep -q '^INTERNAL_IP4_DNS=' "$WORK/c.env.connect"
for n in a b c; do
  check "ping through tunnel $n" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I "tun$n" "$BEHIND_IP"
done
check "pass2's connect-script ran with VHOST=pass2.example.com" \
  grep -q '^connect pass2.example.com bob 10\.81\.0\.' "$WORK/scripts-pass2.out"
check "the default host's with VHOST=default" grep -q '^connect default alice 10\.80\.0\.' "$WORK/scripts-default.out"
check "cert.example.com has no script: neither host's ran for it" \
  check_fails grep -q '10\.82\.0\.' "$WORK/scripts-default.out" "$WORK/scripts-pass2.out"

out=$("$CTL" -s "$WORK/ctl.sock" show users 2>&1)
check "sslvpnctl show users: bob's vhost is pass2.example.com" grep -Eq ' bob +pass2.example.com ' <<<"$out"
check "... alice's tunnels: default and cert.example.com" \
  bash -c 'grep -Eq " alice +default " <<<"$1" && grep -Eq " alice +cert.example.com " <<<"$1"' _ "$out"
out=$("$CTL" -s "$WORK/ctl.sock" show user bob 2>&1)
check "sslvpnctl show user bob: 'vhost: pass2.example.com'" grep -q 'vhost: pass2.example.com' <<<"$out"
check "... and 'Local Device IP: $SERVER_IP' (the address bob connected to)" \
  grep -q "Local Device IP: $SERVER_IP\$" <<<"$out"
out=$("$CTL" -s "$WORK/ctl.sock" -j show sessions 2>&1)
check "sslvpnctl -j show sessions names the vhost" grep -q '"vhost": *"pass2.example.com"' <<<"$out"

oc_stop b
check "pass2's disconnect-script ran" wait_for_log "$WORK/scripts-pass2.out" '^disconnect pass2.example.com bob'

# ---- reload: a new host (ocserv's test adds pass3 and sends SIGHUP)
cat >>"$WORK/vhost.conf" <<CONF

[vhost:pass3.example.com]
auth = "plain[passwd=$WORK/passwd3]"
server-cert = $WORK/pass3/cert.pem
server-key = $WORK/pass3/key.pem
ipv4-network = 10.83.0.0/24
route = $BEHIND_NET
ocsp-response = $WORK/pass3.ocsp
CONF
# The CA's responder now says the default certificate is revoked: a reload reads it, and a
# response that says so is not stapled.
ocsp_response "$WORK/default" revoked "$WORK/default.ocsp.new" && mv "$WORK/default.ocsp.new" "$WORK/default.ocsp"
kill -HUP "$SERVER_PID"
check "SIGHUP reloads with the new host" wait_for_log "$LOG" "reloaded: 1 login method chain(s), 3 virtual host(s)"
check "... reads the default host's new OCSP response, which says revoked, and warns" \
  wait_for_log "$LOG" "ocsp-response '.*default.ocsp' says that server-cert was revoked at .*; it is not stapled"
check "... and no longer staples it" grep -q "OCSP response: no response sent" <<<"$(stapled -)"
out=$(stapled pass3.example.com)
check "pass3.example.com, added by the reload, staples its own response" \
  grep -q "OCSP Response Status: successful" <<<"$out"
check "... about its own certificate" \
  grep -qi "Serial Number: $(openssl x509 -in "$WORK/pass3/cert.pem" -noout -serial | cut -d= -f2)" <<<"$out"
check "pass3.example.com logs carol in after the reload" auth pass3.example.com "$PIN_PASS3" carol 'carol-Secret3'
check "the default host still works" auth - "$PIN_DEFAULT" alice 'alice-Secret1'
check "cert.example.com still works" auth cert.example.com "$PIN_CERT" alice '' "${ALICE_CERT[@]}"
PIN=$PIN_PASS3 OC_HOST=pass3.example.com
check "a tunnel to pass3.example.com" oc_connect d carol 'carol-Secret3'
unset OC_HOST
check "... from its new pool" grep -q '^INTERNAL_IP4_ADDRESS=10\.83\.0\.' "$WORK/d.env.connect"
check "the tunnels from before the reload are up" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I tuna "$BEHIND_IP"

# Networks that overlap would hand one address out twice: between two hosts of the file, and
# between a host's new network and a pool that holds leases in the running server.
sed -i 's|^ipv4-network = 10.83.0.0/24|ipv4-network = 10.80.0.128/25|' "$WORK/vhost.conf"
out=$("$CTL" -s "$WORK/ctl.sock" reload 2>&1)
check "a reload where two hosts' networks overlap is refused" grep -q "overlapping ipv4-networks" <<<"$out"
sed -i 's|^ipv4-network = 10.80.0.128/25|ipv4-network = 10.83.0.0/25|' "$WORK/vhost.conf"
out=$("$CTL" -s "$WORK/ctl.sock" reload 2>&1)
check "a reload that shrinks pass3's network under its leases is refused" grep -q "needs a restart" <<<"$out"
check "... and the server serves on with the running configuration" \
  auth pass3.example.com "$PIN_PASS3" carol 'carol-Secret3'

oc_stop a
oc_stop c
oc_stop d
stop_server "$SERVER_PID"
e2e_finish
