# Runs a test's server as the packaged systemd unit (packaging/sslvpnd.service), so every
# end-to-end test passes under the unit's capability bounding set, read-only file system,
# private /tmp, device policy, address-family and system-call filters.
#
# Where PID 1 is not systemd, each server gets a private systemd of its own
# (tests/support/private_systemd.sh), in the test's network namespace when SERVER_NS is set.
# A drop-in changes only what a test must: the binary and configuration (the build tree's, the
# test's), where the log goes, and the test's work dir and source tree bound into the sandbox
# (BindPaths=), since the unit hides /tmp and /root. Every other line applies as it ships.
#
# SSLVPND_UNIT=0 runs servers directly instead (for a machine without systemd installed).
# Sourced by lib.sh.

# shellcheck source=../support/private_systemd.sh
. "$E2E_DIR/../support/private_systemd.sh"
UNIT_FILE=${UNIT_FILE:-$E2E_DIR/../../packaging/sslvpnd.service}
UNIT_BOOTED=()     # every private systemd this test started
declare -A UNIT_OF # main's PID -> the private systemd that runs it

unit_mode() { [ "${SSLVPND_UNIT:-1}" = 1 ] && psd_available; }

# unit_start CONF LOG PIDFILE: starts sslvpnd.service in a new private systemd; sets
# SERVER_PID (main, as seen from here) and UNIT_OF[SERVER_PID]. UNIT_EXTRA: more [Service]
# lines, as an admin's drop-in would add.
unit_start() {
  local conf=$1 log=$2 pidfile=$3 dir src
  dir=$(mktemp -d "$WORK/unit.XXXXXX")
  src=$(cd "$E2E_DIR/../.." && pwd)
  cat >"$dir/test.conf" <<UNIT
[Service]
ExecStartPre=
ExecStartPre=$SSLVPND -t -c $conf
ExecStart=
ExecStart=$SSLVPND -f -d ${SERVER_DEBUG:-3} -c $conf -p $pidfile
StandardOutput=append:$log
StandardError=inherit
Restart=no
BindPaths=$WORK
BindReadOnlyPaths=$src $BUILD_DIR
${UNIT_EXTRA:-}
UNIT
  psd_units "$dir/units" "$UNIT_FILE" "$dir/test.conf"
  : >"$log"
  psd_boot "$dir/units" "$dir/systemd.log" "${SERVER_NS:-}" || return 1
  STARTED_PIDS+=("$PSD_LAUNCHER")
  UNIT_BOOTED+=("$PSD_PID")
  psd_ctl "$PSD_PID" start sslvpnd.service || {
    psd_ctl "$PSD_PID" status sslvpnd.service
    return 1
  }
  SERVER_PID=$(psd_main_pid "$PSD_PID" sslvpnd.service) || {
    echo "no sslvpnd under the private systemd"
    psd_ctl "$PSD_PID" status sslvpnd.service
    return 1
  }
  UNIT_OF[$SERVER_PID]=$PSD_PID
}

# unit_ns_pid PID: PID as the server's own PID namespace numbers it (what its pid file holds).
unit_ns_pid() { awk '/^NSpid:/ { print $NF }' "/proc/$1/status"; }

# unit_exit_status SDPID: main's exit code once the service has stopped.
unit_exit_status() { psd_ctl "$1" show -p ExecMainStatus --value sslvpnd.service; }

unit_cleanup() {
  local sd
  for sd in "${UNIT_BOOTED[@]}"; do psd_stop "$sd"; done
}
