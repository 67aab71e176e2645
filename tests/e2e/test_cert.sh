#!/bin/bash
# Certificate login with the real openconnect (-c/-k), certificates made here with certtool:
#   auth = certificate            a valid client certificate logs in with no password; the user
#                                 and group come from the certificate (CN, OU); a revoked one
#                                 (CRL), one from another CA, or none at all is refused clearly;
#                                 one that names no purpose (no EKU) passes, unless
#                                 cert-require-client-purpose (openvpn's remote-cert-tls client).
#   auth = certificate + plain    both are needed: the certificate and that user's password.
#   auth = plain, enable-auth = certificate   either one works.
source "$(dirname "$0")/lib.sh"
e2e_init

PIN=$(make_cert "$WORK/server" ecdsa)
CA="$WORK/ca"
mkdir -p "$CA"
certtool --generate-privkey --ecc --outfile "$CA/key.pem" >/dev/null 2>&1
cat > "$CA/tmpl" <<T
cn = "sslvpnd e2e CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 30
T
certtool --generate-self-signed --load-privkey "$CA/key.pem" --template "$CA/tmpl" --outfile "$CA/cert.pem" >/dev/null 2>&1

# client_cert NAME CN OU [self|nopurpose]: a client certificate signed by the CA (or
# self-signed; or one that names no purpose: no extended key usage).
client_cert() {
  local d="$WORK/$1" purpose=tls_www_client
  mkdir -p "$d"
  [ "${4:-}" = nopurpose ] && purpose=
  certtool --generate-privkey --ecc --outfile "$d/key.pem" >/dev/null 2>&1
  printf 'cn = "%s"\nunit = "%s"\nemail = "%s@example.com"\n%s\nsigning_key\nexpiration_days = 30\nserial = %s\n' \
    "$2" "$3" "$2" "$purpose" "$RANDOM$RANDOM" > "$d/tmpl"
  if [ "${4:-}" = self ]; then
    certtool --generate-self-signed --load-privkey "$d/key.pem" --template "$d/tmpl" --outfile "$d/cert.pem" >/dev/null 2>&1
  else
    certtool --generate-certificate --load-privkey "$d/key.pem" --load-ca-certificate "$CA/cert.pem" \
      --load-ca-privkey "$CA/key.pem" --template "$d/tmpl" --outfile "$d/cert.pem" >/dev/null 2>&1
  fi
}
client_cert alice alice engineers
client_cert mallory mallory engineers
client_cert rogue alice engineers self
client_cert plain bob engineers nopurpose
# mallory's certificate is revoked.
printf 'crl_next_update = 30\ncrl_number = 1\n' > "$CA/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$CA/key.pem" --load-ca-certificate "$CA/cert.pem" \
  --load-certificate "$WORK/mallory/cert.pem" --template "$CA/crl.tmpl" --outfile "$CA/crl.pem" >/dev/null 2>&1

PW="$WORK/passwd"
add_user "$PW" alice 'alice-pw' staff
add_user "$PW" bob 'bob-pw'

# start_cert_server NAME AUTH-LINES...: a server whose auth lines are the arguments.
start_cert_server() {
  local name=$1 port; shift
  port=$(free_port)
  base_conf "$port" "$WORK/server" "$PW" | grep -v '^auth = ' > "$WORK/$name.conf"
  cat >> "$WORK/$name.conf" <<CONF
ca-cert = $CA/cert.pem
crl = $CA/crl.pem
listen-host = 127.0.0.1
max-ban-score = 0
CONF
  printf '%s\n' "$@" >> "$WORK/$name.conf"
  start_server "$WORK/$name.conf" "$WORK/$name.log" "$WORK/$name.pid" "$port" || return 1
  eval "PORT_$name=$port"
}
# oc_cert PORT CERTNAME [openconnect args]: --authenticate with that client certificate, no input.
oc_cert() {
  local port=$1 c=$2; shift 2
  timeout 20 openconnect --authenticate --non-inter -c "$WORK/$c/cert.pem" -k "$WORK/$c/key.pem" \
    --servercert "$PIN" "$@" "https://127.0.0.1:$port/" </dev/null 2>&1
}
no_cookie() { ! grep -q '^COOKIE=' <<<"$1"; }

# --- certificate only
start_cert_server certonly 'auth = "certificate"' 'cert-user-oid = 2.5.4.3' 'cert-group-oid = 2.5.4.11' ||
  { fail "server start (certificate)"; e2e_finish; }
out=$(oc_cert "$PORT_certonly" alice)
check "certificate alone gives a cookie, no password asked" grep -Eq "^COOKIE='.*webvpn=[0-9a-f]{64}'" <<<"$out"
check "user and group come from CN and OU" \
  wait_for_log "$WORK/certonly.log" "user 'alice' (group 'engineers') logged in"
out=$(oc_cert "$PORT_certonly" mallory)
check "revoked certificate (CRL): no cookie" no_cookie "$out"
echo "$out" | tail -5; check "revoked certificate: the client is told a certificate is needed" \
  grep -q "valid client certificate is required" <<<"$out"
check "revoked certificate is logged as revoked" wait_for_log "$WORK/certonly.log" "revoked"
out=$(oc_cert "$PORT_certonly" rogue)
check "certificate from another CA: no cookie" no_cookie "$out"
out=$(printf 'x\n' | timeout 20 openconnect --authenticate --passwd-on-stdin -u alice --servercert "$PIN" \
  "https://127.0.0.1:$PORT_certonly/" 2>&1)
check "no certificate: no cookie" no_cookie "$out"
check "no certificate: a clear message" grep -q "valid client certificate is required" <<<"$out"

# GlobalProtect: the same certificate logins (the client posts an empty password)
out=$(printf '\n' | timeout 20 openconnect --protocol=gp --authenticate --passwd-on-stdin -u alice \
  -c "$WORK/alice/cert.pem" -k "$WORK/alice/key.pem" --servercert "$PIN" "https://127.0.0.1:$PORT_certonly/" 2>&1)
check "GlobalProtect: the certificate alone gives a cookie" grep -q "^COOKIE=.*authcookie=" <<<"$out"
out=$(printf '\n' | timeout 20 openconnect --protocol=gp --authenticate --passwd-on-stdin -u mallory \
  -c "$WORK/mallory/cert.pem" -k "$WORK/mallory/key.pem" --servercert "$PIN" "https://127.0.0.1:$PORT_certonly/" 2>&1)
check "GlobalProtect: a revoked certificate, no cookie" no_cookie "$out"
check "GlobalProtect: ... and PAN's message, so the client stops" grep -q "Valid client certificate is required" <<<"$out"

out=$(oc_cert "$PORT_certonly" plain)
check "a certificate that names no purpose (no extended key usage) logs in, as with ocserv" \
  grep -q "^COOKIE=" <<<"$out"

# --- cert-require-client-purpose: openvpn's remote-cert-tls client
start_cert_server strict 'auth = "certificate"' 'cert-require-client-purpose = true' ||
  { fail "server start (cert-require-client-purpose)"; e2e_finish; }
out=$(oc_cert "$PORT_strict" alice)
check "cert-require-client-purpose: a TLS client certificate logs in" grep -q "^COOKIE=" <<<"$out"
out=$(oc_cert "$PORT_strict" plain)
check "cert-require-client-purpose: one that names no purpose gets no cookie" no_cookie "$out"
check "... and the log says why" wait_for_log "$WORK/strict.log" "does not name TLS client authentication"

# --- the user name from the e-mail address (subject alternative name)
start_cert_server email 'auth = "certificate"' 'cert-user-oid = SAN(rfc822name)' ||
  { fail "server start (SAN e-mail)"; e2e_finish; }
out=$(oc_cert "$PORT_email" alice)
check "cert-user-oid = SAN(rfc822name): cookie" grep -q "^COOKIE=" <<<"$out"
check "the user is the certificate's e-mail address" \
  wait_for_log "$WORK/email.log" "user 'alice@example.com' (group '') logged in"

# --- certificate and password
start_cert_server both 'auth = "certificate"' "auth = \"plain[passwd=$PW]\"" 'cert-group-oid = 2.5.4.11' ||
  { fail "server start (certificate + plain)"; e2e_finish; }
out=$(printf 'alice-pw\n' | timeout 20 openconnect --authenticate --passwd-on-stdin \
  -c "$WORK/alice/cert.pem" -k "$WORK/alice/key.pem" --servercert "$PIN" "https://127.0.0.1:$PORT_both/" 2>&1)
echo "$out" | tail -8; cat $WORK/both.log | tail -8; check "certificate + the user's password: cookie" grep -q "^COOKIE=" <<<"$out"
check "certificate + password: group from the certificate" \
  wait_for_log "$WORK/both.log" "user 'alice' (group 'engineers') logged in"
out=$(printf 'wrong\nwrong\nwrong\nwrong\n' | timeout 20 openconnect --authenticate --passwd-on-stdin \
  -u alice -c "$WORK/alice/cert.pem" -k "$WORK/alice/key.pem" --servercert "$PIN" \
  "https://127.0.0.1:$PORT_both/" 2>&1)
check "certificate + wrong password: no cookie" no_cookie "$out"
out=$(printf 'alice-pw\n' | timeout 20 openconnect --protocol=gp --authenticate --passwd-on-stdin -u alice \
  -c "$WORK/alice/cert.pem" -k "$WORK/alice/key.pem" --servercert "$PIN" "https://127.0.0.1:$PORT_both/" 2>&1)
check "GlobalProtect: certificate + the user's password: cookie" grep -q "^COOKIE=.*authcookie=" <<<"$out"
out=$(printf 'wrong\n' | timeout 20 openconnect --protocol=gp --authenticate --passwd-on-stdin --non-inter -u alice \
  -c "$WORK/alice/cert.pem" -k "$WORK/alice/key.pem" --servercert "$PIN" "https://127.0.0.1:$PORT_both/" 2>&1)
check "GlobalProtect: certificate + a wrong password: no cookie" no_cookie "$out"
out=$(oc_auth "$PIN" "$PORT_both" alice 'alice-pw')
check "password without the certificate: no cookie" no_cookie "$out"
check "password without the certificate: a clear message" grep -q "valid client certificate is required" <<<"$out"

# --- either one
start_cert_server either "auth = \"plain[passwd=$PW]\"" 'enable-auth = "certificate"' ||
  { fail "server start (plain or certificate)"; e2e_finish; }
out=$(oc_cert "$PORT_either" alice)
check "plain or certificate: the certificate alone works" grep -q "^COOKIE=" <<<"$out"
out=$(oc_auth "$PIN" "$PORT_either" bob 'bob-pw')
check "plain or certificate: the password alone works" grep -q "^COOKIE=" <<<"$out"
out=$(printf 'bob-pw\n' | timeout 20 openconnect --authenticate --passwd-on-stdin -u bob \
  -c "$WORK/mallory/cert.pem" -k "$WORK/mallory/key.pem" --servercert "$PIN" \
  "https://127.0.0.1:$PORT_either/" 2>&1)
check "plain or certificate: a revoked certificate falls back to the password form" grep -q "^COOKIE=" <<<"$out"

check "servers survived" kill -0 "$SERVER_PID"
e2e_finish
