# A private systemd for running sslvpnd's unit where PID 1 is not systemd (containers, CI
# machines): systemd becomes PID 1 of a new PID and mount namespace, with a private /run, and
# loads units only from the directory it is given (SYSTEMD_UNIT_PATH). So it starts nothing of
# the host's (no journald, udev or tmpfiles, which would clean the host's /tmp), yet applies
# every sandboxing directive of the units it runs, as the real one would.
# Used by the end-to-end tests (tests/e2e/unit.sh) and the package's autopkgtest. Source it.
#
#   psd_units DIR UNITFILE [DROPIN]   makes DIR a unit path: the unit, its drop-in, and empty
#                                     stand-ins for the targets a service is ordered after
#   psd_boot DIR LOG [NETNS]          boots systemd on DIR (in NETNS if given); sets PSD_PID
#                                     (its PID as this shell sees it) and PSD_LAUNCHER
#   psd_ctl PID ARGS...               systemctl in that systemd
#   psd_main_pid PID SERVICE          the service's main PID, as this shell sees it
#   psd_stop PID                      stops every unit (their private /tmp dirs go), then systemd

PSD_SYSTEMD=${PSD_SYSTEMD:-/lib/systemd/systemd}

psd_available() { [ -x "$PSD_SYSTEMD" ] && command -v unshare >/dev/null && command -v nsenter >/dev/null; }

psd_units() {
  local dir=$1 unit=$2 dropin=${3:-} name t
  name=$(basename "$unit")
  mkdir -p "$dir"
  cp "$unit" "$dir/$name"
  for t in sysinit basic shutdown network-online network multi-user; do
    printf '[Unit]\nDescription=stand-in for %s.target\n' "$t" >"$dir/$t.target"
  done
  if [ -n "$dropin" ]; then
    mkdir -p "$dir/$name.d"
    cp "$dropin" "$dir/$name.d/local.conf"
  fi
}

psd_boot() {
  local dir=$1 log=$2 ns=${3:-} pre=() sd=""
  [ -n "$ns" ] && pre=(ip netns exec "$ns")
  # "container" tells systemd it is not on hardware of its own (no hostname, clock or modules).
  "${pre[@]}" unshare --pid --mount --uts --fork --mount-proc --propagation private \
    env container=sslvpnd-test SYSTEMD_UNIT_PATH="$dir" \
    "$PSD_SYSTEMD" --system --unit=multi-user.target --log-target=console --log-level=warning \
    --show-status=0 >"$log" 2>&1 </dev/null &
  PSD_LAUNCHER=$!
  for _ in $(seq 1 50); do
    sd=$(pgrep -P "$PSD_LAUNCHER" -x systemd) && [ -S "/proc/$sd/root/run/systemd/private" ] && break
    sd=""
    sleep 0.1
  done
  [ -n "$sd" ] || { echo "private systemd did not start:"; cat "$log"; return 1; }
  PSD_PID=$sd
}

psd_ctl() {
  local sd=$1
  shift
  timeout 60 nsenter -t "$sd" -m -p systemctl --no-pager "$@"
}

# Type=simple: "start" returns once systemd has forked; the child is "(name)" until it execs.
psd_main_pid() {
  local sd=$1 svc=$2 exe pid
  exe=$(psd_ctl "$sd" show -p ExecStart --value "$svc" | sed -n 's/.*path=\([^ ;]*\).*/\1/p' | head -n 1)
  for _ in $(seq 1 50); do
    pid=$(pgrep -P "$sd" -x "$(basename "$exe")") && { echo "$pid"; return 0; }
    sleep 0.1
  done
  return 1
}

psd_stop() {
  local sd=$1
  kill -0 "$sd" 2>/dev/null || return 0
  psd_ctl "$sd" stop '*.service' >/dev/null 2>&1
  kill -9 "$sd" 2>/dev/null
}
