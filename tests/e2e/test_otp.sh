#!/bin/bash
# plain[passwd=,otp=]: the real openconnect logs in with a password and then a TOTP code from
# oathtool in a second form; the same code is refused the second time; an OTP-only user types
# the code as the password; a user without an OTP entry needs only the password.
source "$(dirname "$0")/lib.sh"
e2e_init
command -v oathtool >/dev/null || e2e_skip "needs oathtool"

PIN=$(make_cert "$WORK/ecdsa" ecdsa)
PW="$WORK/passwd"
OTP="$WORK/otp.users"
SECRET_A=3132333435363738393031323334353637383930
SECRET_O=4142434445464748494a4b4c4d4e4f5051525354
add_user "$PW" alice 'alice-pw' staff
add_user "$PW" nick 'nick-pw'
echo "olga:ops:" >> "$PW"  # empty hash: OTP only
cat > "$OTP" <<USERS
HOTP/T30 alice - $SECRET_A
HOTP/T30 olga - $SECRET_O
USERS
PORT=$(free_port)
base_conf "$PORT" "$WORK/ecdsa" "$PW" | sed "s|^auth = .*|auth = \"plain[passwd=$PW,otp=$OTP]\"|" > "$WORK/sslvpnd.conf"
cat >> "$WORK/sslvpnd.conf" <<CONF
listen-host = 127.0.0.1
max-ban-score = 0
CONF
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

code=$(oathtool --totp "$SECRET_A")
out=$(oc_auth_lines "$PIN" "$PORT" alice 'alice-pw' "$code")
check "password, then TOTP code in a second form: cookie" grep -Eq "^COOKIE='.*webvpn=[0-9a-f]{64}'" <<<"$out"
check "the second form asks for the code" grep -q "OTP code" <<<"$out"
check "login logged with the group" wait_for_log "$LOG" "user 'alice' (group 'staff') logged in"

out=$(oc_auth_lines "$PIN" "$PORT" alice 'alice-pw' "$code" 'alice-pw' "$code" 'alice-pw' "$code")
check "the same code again: no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "replayed code logged" wait_for_log "$LOG" "login failed for 'alice' .*OTP code used before"

out=$(oc_auth_lines "$PIN" "$PORT" alice 'wrong-pw' 'x' 'wrong-pw' 'x' 'wrong-pw' 'x')
check "wrong password: no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "wrong password never reaches the OTP form" bash -c "! grep -q 'OTP code' <<<\"\$0\"" "$out"

out=$(oc_auth_lines "$PIN" "$PORT" alice 'alice-pw' 000000 'alice-pw' 000001 'alice-pw' 000002)
check "wrong code: no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "wrong code logged" wait_for_log "$LOG" "login failed for 'alice' .*wrong OTP code"

out=$(oc_auth_lines "$PIN" "$PORT" olga "$(oathtool --totp "$SECRET_O")")
check "OTP-only user: the code as password gives a cookie" grep -q "^COOKIE=" <<<"$out"
check "OTP-only user is not asked twice" bash -c "! grep -q 'OTP code' <<<\"\$0\"" "$out"

out=$(oc_auth_lines "$PIN" "$PORT" nick 'nick-pw')
check "user without an OTP entry: password alone" grep -q "^COOKIE=" <<<"$out"

check "liboath recorded the used code in the users file" grep -q "alice.*$code" "$OTP"
check "server survived" kill -0 "$SERVER_PID"
e2e_finish
