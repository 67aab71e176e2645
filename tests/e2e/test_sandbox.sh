#!/bin/bash
# The worker runs unprivileged under seccomp, cannot read the server key, and TLS still works
# because signing goes to sec-mod (ECDSA and RSA keys, TLS 1.3 and 1.2). Also: auth-timeout,
# max-clients, and main's reaction to losing sec-mod.
source "$(dirname "$0")/lib.sh"
e2e_init
command -v gnutls-cli >/dev/null || e2e_skip "needs gnutls-cli (gnutls-bin)"
command -v setpriv >/dev/null || e2e_skip "needs setpriv (util-linux)"

PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
RUID=$(id -u "$RUN_AS_USER")
RGID=$(id -g "$RUN_AS_USER")

write_conf() {  # write_conf FILE PORT CERTDIR [extra lines]
  cat > "$1" <<CONF
auth = "plain[passwd=$PW]"
tcp-port = $2
listen-host = 127.0.0.1
server-cert = $3/cert.pem
server-key = $3/key.pem
run-as-user = $RUN_AS_USER
run-as-group = $RUN_AS_USER
${4:-}
CONF
}

children_of() { cat "/proc/$1/task/$1/children" 2>/dev/null; }
child_named() {  # child_named PARENT COMM
  local c
  for c in $(children_of "$1"); do
    [ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$2" ] && { echo "$c"; return 0; }
  done
  return 1
}

# Holds a TLS connection open: gnutls-cli reads from a FIFO this shell keeps open on fd 7.
open_idle_connection() {  # open_idle_connection PORT OUTFILE
  rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
  gnutls-cli --insecure -p "$1" 127.0.0.1 <"$WORK/fifo" >"$2" 2>&1 &
  GNUTLS_PID=$!
  STARTED_PIDS+=("$GNUTLS_PID")
  exec 7>"$WORK/fifo"
}
close_idle_connection() { exec 7>&-; kill "$GNUTLS_PID" 2>/dev/null; wait "$GNUTLS_PID" 2>/dev/null; }

# ---- ECDSA key, TLS 1.3; auth-timeout 3 s and max-clients 1
PIN=$(make_cert "$WORK/ecdsa" ecdsa)
PORT=$(free_port)
write_conf "$WORK/a.conf" "$PORT" "$WORK/ecdsa" "auth-timeout = 3
max-clients = 1"
LOG="$WORK/server-a.log"
start_server "$WORK/a.conf" "$LOG" "$WORK/a.pid" "$PORT" || { fail "server start"; e2e_finish; }

open_idle_connection "$PORT" "$WORK/gnutls.out"
WPID=""
for _ in $(seq 1 50); do
  WPID=$(child_named "$SERVER_PID" sslvpnd-worker) && grep -q "Handshake was completed" "$WORK/gnutls.out" && break
  sleep 0.1
done
check "TLS handshake completes (signature made by sec-mod)" grep -q "Handshake was completed" "$WORK/gnutls.out"
if [ -n "$WPID" ]; then
  ST="/proc/$WPID/status"
  check "worker runs as $RUN_AS_USER (uid $RUID)" grep -Eq "^Uid:[[:space:]]+$RUID[[:space:]]+$RUID[[:space:]]+$RUID[[:space:]]+$RUID$" "$ST"
  check "worker runs as group gid $RGID" grep -Eq "^Gid:[[:space:]]+$RGID[[:space:]]+$RGID[[:space:]]+$RGID[[:space:]]+$RGID$" "$ST"
  check "worker has seccomp in filter mode" grep -Eq "^Seccomp:[[:space:]]+2$" "$ST"
  check "worker has no_new_privs" grep -Eq "^NoNewPrivs:[[:space:]]+1$" "$ST"
  check "worker has no capabilities" grep -Eq "^CapEff:[[:space:]]+0+$" "$ST"
  check "worker holds no descriptor of the key file" bash -c "! ls -l /proc/$WPID/fd | grep -q key.pem"
  check "worker has no supplementary groups" grep -Eq "^Groups:[[:space:]]*$" "$ST"
else
  fail "no worker process found under main ($SERVER_PID)"
fi
check "the run-as user cannot open the server key" \
  bash -c "! setpriv --reuid=$RUID --regid=$RGID --clear-groups cat '$WORK/ecdsa/key.pem' >/dev/null 2>&1"
SMPID=$(child_named "$SERVER_PID" sslvpnd-secmod)
check "sec-mod is a separate process" test -n "$SMPID"
if [ -n "${UNIT_OF[$SERVER_PID]:-}" ]; then  # main runs as the packaged unit (unit.sh)
  want=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT_FILE" | tr ' ' '\n' | tr 'A-Z' 'a-z' | sort | xargs)
  for p in "$SERVER_PID" "$SMPID"; do
    have=$(capsh --decode="$(awk '/^CapBnd/ { print $2 }' "/proc/$p/status")" | sed 's/.*=//' | tr ',' '\n' | sort | xargs)
    check "unit: $(cat "/proc/$p/comm")'s capability bounding set is the unit's ($have)" test -n "$want" -a "$want" = "$have"
    check "unit: $(cat "/proc/$p/comm") has no_new_privs and a seccomp filter" \
      bash -c "grep -Eq '^NoNewPrivs:\\s+1' /proc/$p/status && grep -Eq '^Seccomp:\\s+2' /proc/$p/status"
  done
  check "unit: /usr is read-only for main" bash -c "! touch /proc/$SERVER_PID/root/usr/.sslvpnd-probe 2>/dev/null"
  touch "/tmp/sslvpnd-probe-$$"
  check "unit: main's /tmp is private" test ! -e "/proc/$SERVER_PID/root/tmp/sslvpnd-probe-$$"
  rm -f "/tmp/sslvpnd-probe-$$" /usr/.sslvpnd-probe
fi

out=$(oc_auth "$PIN" "$PORT" alice 'alice-Secret1')
check "max-clients = 1 refuses a second client while one is connected" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "the refusal is logged" wait_for_log "$LOG" "max-clients (1) reached"

gone=no
for _ in $(seq 1 100); do  # auth-timeout (3 s) closes the idle connection; bounded to 10 s
  [ -d "/proc/$WPID" ] || { gone=yes; break; }
  sleep 0.1
done
check "auth-timeout closes an idle unauthenticated connection" test "$gone" = yes
close_idle_connection
out=$(oc_auth "$PIN" "$PORT" alice 'alice-Secret1')
check "after the idle client left, a login succeeds" grep -q "^COOKIE=" <<<"$out"
check "the handshake used TLS 1.3 with ECDSA" grep -q "TLS established: (TLS1.3)-.*(ECDSA" "$LOG"

# ---- main without sec-mod: it must stop, not serve logins it cannot check
kill -9 "$SMPID"
stopped=no
for _ in $(seq 1 50); do
  kill -0 "$SERVER_PID" 2>/dev/null || { stopped=yes; break; }
  sleep 0.1
done
check "main shuts down when sec-mod dies" test "$stopped" = yes
check "main says why" grep -Eq "sec-mod exited|lost the channel to sec-mod" "$LOG"

# ---- RSA key: TLS 1.3 (RSA-PSS via sign_data) and TLS 1.2 (sign_hash)
RPIN=$(make_cert "$WORK/rsa" rsa)
PORT=$(free_port)
write_conf "$WORK/b.conf" "$PORT" "$WORK/rsa"
start_server "$WORK/b.conf" "$WORK/server-b.log" "$WORK/b.pid" "$PORT" || { fail "RSA server start"; e2e_finish; }
out=$(oc_auth "$RPIN" "$PORT" alice 'alice-Secret1')
check "RSA key over TLS 1.3: login succeeds" grep -q "^COOKIE=" <<<"$out"
check "RSA key over TLS 1.3: RSA-PSS signature" grep -q "(TLS1.3)-.*(RSA-PSS" "$WORK/server-b.log"

# ---- RSA over TLS 1.2, with the workers in a chroot
PORT=$(free_port)
mkdir -p "$WORK/empty"
write_conf "$WORK/c.conf" "$PORT" "$WORK/rsa" 'tls-priorities = "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL:+VERS-TLS1.2:-RSA"
chroot-dir = '"$WORK/empty"
start_server "$WORK/c.conf" "$WORK/server-c.log" "$WORK/c.pid" "$PORT" || { fail "TLS1.2 server start"; e2e_finish; }
out=$(oc_auth "$RPIN" "$PORT" alice 'alice-Secret1')
check "RSA key over TLS 1.2, chrooted worker: login succeeds" grep -q "^COOKIE=" <<<"$out"
check "RSA key over TLS 1.2 negotiated" grep -q "TLS established: (TLS1.2)-(ECDHE" "$WORK/server-c.log"
open_idle_connection "$PORT" "$WORK/gnutls2.out"
WPID=""
for _ in $(seq 1 50); do  # the handshake comes after the sandbox is in place
  WPID=$(child_named "$SERVER_PID" sslvpnd-worker) && grep -q "Handshake was completed" "$WORK/gnutls2.out" && break
  sleep 0.1
done
ROOT_LINK=$(readlink "/proc/$WPID/root" 2>&1)
check "the worker's root is chroot-dir ($ROOT_LINK)" test "$ROOT_LINK" = "$WORK/empty"
close_idle_connection

e2e_finish
