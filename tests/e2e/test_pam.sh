#!/bin/bash
# pam[service=,gid-min=]: real PAM stacks with real accounts the test creates (and removes).
#   - pam_unix: right password -> cookie; wrong -> refused; the group comes from the system
#     group database above gid-min; an expired account is refused with a clear message.
#   - pam_unix + pam_oath: the OTP prompt is a second form, answered with oathtool's code.
#   - acct = pam[service=] (ocserv's PAM accounting) with password-file logins: the PAM stack's
#     account checks decide whether the session opens (an expired account is refused).
source "$(dirname "$0")/lib.sh"
e2e_init
command -v oathtool >/dev/null || e2e_skip "needs oathtool"
PAM_DIR=/lib/x86_64-linux-gnu/security
[ -f "$PAM_DIR/pam_unix.so" ] || PAM_DIR=/usr/lib/x86_64-linux-gnu/security
[ -f "$PAM_DIR/pam_oath.so" ] || e2e_skip "needs pam_oath (libpam-oath)"
command -v useradd >/dev/null || e2e_skip "needs useradd"

TAG=$$
U1="vpnpam$TAG"; U2="vpnexp$TAG"; U3="vpnthr$TAG"; G1="vpnstf$TAG"
SVC="sslvpnd-e2e-$TAG"; SVC_OATH="sslvpnd-e2e-oath-$TAG"
test_cleanup() {
  userdel "$U1" 2>/dev/null; userdel "$U2" 2>/dev/null; userdel "$U3" 2>/dev/null
  groupdel "$G1" 2>/dev/null
  rm -f "/etc/pam.d/$SVC" "/etc/pam.d/$SVC_OATH"
  [ -z "${MADE_OCSERV_PAM:-}" ] || rm -f /etc/pam.d/ocserv
}
groupadd -K GID_MIN=3000 -K GID_MAX=3999 "$G1" || e2e_skip "cannot create a group"
useradd -M -N -g users -G "$G1" -s /usr/sbin/nologin "$U1"
useradd -M -N -g users -s /usr/sbin/nologin "$U2"
echo "$U1:pam-Pass1" | chpasswd
useradd -M -N -g users -s /usr/sbin/nologin "$U3"
echo "$U2:pam-Pass2" | chpasswd
echo "$U3:pam-Pass3" | chpasswd
chage -E 0 "$U2"  # expired since 1970
cat > "/etc/pam.d/$SVC" <<PAM
auth required pam_unix.so
account required pam_unix.so
PAM
SECRET=3132333435363738393031323334353637383930
SECRET3=4142434445464748494a4b4c4d4e4f5051525354
printf 'HOTP/T30 %s - %s\nHOTP %s - %s\n' "$U1" "$SECRET" "$U3" "$SECRET3" > "$WORK/oath.users"
chmod 600 "$WORK/oath.users"
cat > "/etc/pam.d/$SVC_OATH" <<PAM
auth requisite pam_unix.so
auth required pam_oath.so usersfile=$WORK/oath.users window=5 digits=6
account required pam_unix.so
PAM

PIN=$(make_cert "$WORK/ecdsa" ecdsa)
start_pam_server() {  # NAME SERVICE [EXTRA CONFIGURATION LINE]
  local port; port=$(free_port)
  base_conf "$port" "$WORK/ecdsa" /dev/null |
    sed "s|^auth = .*|auth = \"pam[service=$2,gid-min=3000]\"|" > "$WORK/$1.conf"
  printf 'listen-host = 127.0.0.1\nmax-ban-score = 0\nauth-timeout = 30\n%s\n' "${3:-}" >> "$WORK/$1.conf"
  start_server "$WORK/$1.conf" "$WORK/$1.log" "$WORK/$1.pid" "$port" || return 1
  echo "$port" > "$WORK/$1.port"
}
start_pam_server unix "$SVC" || { fail "server start (pam_unix)"; e2e_finish; }
P1=$(cat "$WORK/unix.port")

out=$(oc_auth "$PIN" "$P1" "$U1" 'pam-Pass1')
check "PAM: right password gives a cookie" grep -Eq "^COOKIE='.*webvpn=[0-9a-f]{64}'" <<<"$out"
check "PAM: the group is the system group above gid-min" \
  wait_for_log "$WORK/unix.log" "user '$U1' (group '$G1') logged in"

out=$(oc_auth "$PIN" "$P1" "$U1" 'wrong-Pass')
check "PAM: wrong password, no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "PAM: wrong password logged" wait_for_log "$WORK/unix.log" "login failed for '$U1'"

out=$(oc_auth "$PIN" "$P1" "nosuchuser$TAG" 'pam-Pass1')
check "PAM: unknown user, no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"

out=$(oc_auth "$PIN" "$P1" "$U2" 'pam-Pass2')
check "PAM: expired account, no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "PAM: expired account gets a clear message" grep -q "Your account has expired" <<<"$out"
check "PAM: expired account logged" wait_for_log "$WORK/unix.log" "login failed for '$U2'.*account expired"

# acct = pam: logins from a password file, accounts checked by the PAM stack's account modules.
PWF="$WORK/acct.passwd"
add_user "$PWF" "$U1" 'file-Pass1'
add_user "$PWF" "$U2" 'file-Pass2'
add_user "$PWF" "ghost$TAG" 'file-Pass3'
P3=$(free_port)
base_conf "$P3" "$WORK/ecdsa" "$PWF" >"$WORK/acct.conf"
# Bans on: a wrong password earns 10 of the 15 points a ban takes; an account refusal earns none.
printf 'listen-host = 127.0.0.1\nmax-ban-score = 15\nban-points-wrong-password = 10\nban-points-connection = 0\nacct = "pam[service=%s]"\n' \
  "$SVC" >>"$WORK/acct.conf"
start_server "$WORK/acct.conf" "$WORK/acct.log" "$WORK/acct.pid" "$P3" || fail "server start (acct = pam)"
out=$(oc_auth "$PIN" "$P3" "$U1" 'file-Pass1')
check "acct = pam: a password-file login whose account PAM accepts gets a cookie" grep -q "^COOKIE=" <<<"$out"
check "... logged in" wait_for_log "$WORK/acct.log" "user '$U1' .*logged in"
out=$(oc_auth "$PIN" "$P3" "$U2" 'file-Pass2')
check "acct = pam: the right file password of an expired account: no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... with a clear message" grep -q "Your account has expired" <<<"$out"
check "... and the reason in the log" wait_for_log "$WORK/acct.log" "account expired (acct = pam)"
out=$(oc_auth "$PIN" "$P3" "ghost$TAG" 'file-Pass3')
check "acct = pam: a file user PAM does not know: no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... refused by the account check" wait_for_log "$WORK/acct.log" "account refused by PAM (acct = pam)"
out=$(oc_auth "$PIN" "$P3" "$U2" 'file-Pass2')
check "acct = pam: refused again" grep -q "Your account has expired" <<<"$out"
out=$(oc_auth "$PIN" "$P3" "$U1" 'wrong-Pass')
check "acct = pam: a wrong password is still refused before any account check" \
  bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
out=$(oc_auth "$PIN" "$P3" "$U1" 'file-Pass1' --protocol=gp)
check "acct = pam: three account refusals and a wrong password later the address is not banned; GlobalProtect's login is checked too" \
  grep -q "^COOKIE=.*authcookie=" <<<"$out"
check "... the refusals earned no ban points" bash -c "! grep -q 'banning' '$WORK/acct.log'"

# A slow login (the client waits at PAM's second prompt) does not hold up another user's login.
# auto-select-group: the system groups at or above gid-min are the form's group list.
start_pam_server auto "$SVC" "auto-select-group = true" || fail "server start (auto-select-group)"
out=$(oc_auth "$PIN" "$(cat "$WORK/auto.port")" "$U1" 'pam-Pass1' --authgroup="$G1" --dump-http-traffic)
check "PAM auto-select-group: the form offers the system group above gid-min ($G1)" grep -q "<option value=\"$G1\"" <<<"$out"
check "... and not a group below it (users, gid 100)" bash -c "! grep -q '<option value=\"users\"' <<<\"\$0\"" "$out"
check "... and its member logs in to it" wait_for_log "$WORK/auto.log" "user '$U1' (group '$G1') logged in"

start_pam_server oath "$SVC_OATH" || { fail "server start (pam_oath)"; e2e_finish; }
P2=$(cat "$WORK/oath.port")
code=$(oathtool --totp "$SECRET")
out=$(oc_auth_lines "$PIN" "$P2" "$U1" 'pam-Pass1' "$code")
check "PAM+oath: password, then the OTP form, gives a cookie" grep -q "^COOKIE=" <<<"$out"
check "PAM+oath: the second form shows pam_oath's prompt" grep -q "One-time password" <<<"$out"
out=$(oc_auth_lines "$PIN" "$P2" "$U1" 'pam-Pass1' 123456 'pam-Pass1' 123457 'pam-Pass1' 123458)
check "PAM+oath: a wrong code, no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"

# One user sits at the OTP prompt (its PAM thread waits for the answer) while another user logs
# in on the same server: the waiting login must not hold it up.
( { echo 'pam-Pass1'; sleep 8; } | timeout 20 openconnect --authenticate --passwd-on-stdin -u "$U1" \
    --servercert "$PIN" "https://127.0.0.1:$P2/" >"$WORK/slow.out" 2>&1 ) &
SLOW=$!
for _ in $(seq 1 50); do grep -q "One-time password" "$WORK/slow.out" && break; sleep 0.1; done
check "PAM: the first login waits at pam_oath's prompt" grep -q "One-time password" "$WORK/slow.out"
t0=$(date +%s%N)
out=$(oc_auth_lines "$PIN" "$P2" "$U3" 'pam-Pass3' "$(oathtool --hotp -c 0 "$SECRET3")")
t1=$(date +%s%N)
check "PAM: another user logs in meanwhile on the same server" grep -q "^COOKIE=" <<<"$out"
echo "     (that login took $(( (t1 - t0) / 1000000 )) ms while the first still waited)"
check "PAM: the first login is still waiting" bash -c "! grep -q '^COOKIE=' '$WORK/slow.out'"
kill "$SLOW" 2>/dev/null
wait "$SLOW" 2>/dev/null
# GlobalProtect: the same PAM conversation, pam_oath's prompt as a GP challenge (HOTP: the next code).
out=$(oc_auth_lines "$PIN" "$P2" "$U3" 'pam-Pass3' "$(oathtool --hotp -c 1 "$SECRET3")" -- --protocol=gp)
check "GlobalProtect with PAM+oath: password, then pam_oath's prompt as a GP challenge: cookie" grep -q "^COOKIE=.*authcookie=" <<<"$out"
check "GlobalProtect: ... the challenge showed pam_oath's prompt" grep -q "One-time password" <<<"$out"
check "servers survived" kill -0 "$SERVER_PID"
# Coming from ocserv: its PAM service was always "ocserv". An /etc/pam.d/ocserv that asks more
# than sslvpnd's stack (here pam_oath) is named at start, so that no login silently loses it.
if [ -e /etc/pam.d/ocserv ] || [ -L /etc/pam.d/ocserv ] ||
  ! (set -C; cat "/etc/pam.d/$SVC_OATH" >/etc/pam.d/ocserv) 2>/dev/null; then
  echo "     (skipped: /etc/pam.d/ocserv exists on this machine; the test does not touch it)"
else
  MADE_OCSERV_PAM=1
  base_conf "$(free_port)" "$WORK/ecdsa" /dev/null | sed 's|^auth = .*|auth = "pam[gid-min=3000]"|' >"$WORK/ocserv-pam.conf"
  out=$("$SSLVPND" -t -c "$WORK/ocserv-pam.conf" 2>&1)
  check "PAM: an ocserv configuration's auth = pam, with ocserv's own stack left in /etc/pam.d/ocserv: named at start" \
    grep -q "not ocserv's /etc/pam.d/ocserv .*auth = pam\[service=ocserv\]" <<<"$out"
  sed -i 's|^auth = .*|auth = "pam[service=ocserv,gid-min=3000]"|' "$WORK/ocserv-pam.conf"
  out=$("$SSLVPND" -t -c "$WORK/ocserv-pam.conf" 2>&1)
  rc=$?
  check "PAM: ... with pam[service=ocserv], nothing to say (and -t passes: $rc)" \
    bash -c "[ $rc = 0 ] && ! grep -q 'not ocserv' <<<\"\$0\"" "$out"
  rm -f /etc/pam.d/ocserv
  MADE_OCSERV_PAM=
fi
e2e_finish
