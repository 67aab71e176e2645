#!/bin/bash
# The whole test suite: installs what is missing, builds, and runs unit, fuzz-corpus and
# end-to-end tests (each server runs as the packaged systemd unit: tests/e2e/unit.sh); then
# builds with ASan+UBSan and runs the unit and fuzz tests under them; then builds the Debian
# package, checks it with lintian and runs its autopkgtest; then builds the libFuzzer targets
# with clang and replays every corpus under them.
# Run as root (end-to-end tests skip, and say so, without root). Ends with one line:
#   "N passed, N failed, N skipped"
set -uo pipefail
cd "$(dirname "$0")/.."
packaging/deps.sh || exit 1
export CCACHE_DIR=${CCACHE_DIR:-$PWD/.ccache}

status=0
packaging/build.sh build || exit 1
meson test -C build --print-errorlogs || status=1

packaging/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug || exit 1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --suite unit --suite fuzz --print-errorlogs || status=1

# The Debian package: dpkg-buildpackage, lintian (no error, no warning), and its autopkgtest
# against the built .deb on this machine (null virtualisation server).
PKG_RESULTS=build-deb-results.txt
: >"$PKG_RESULTS"
if packaging/deb.sh --autopkgtest build-deb >build-deb.log 2>&1; then pkg_rc=0; else pkg_rc=1; fi
grep -q "^dpkg-deb: building package 'sslvpnd'" build-deb.log && echo "deb_build OK" >>"$PKG_RESULTS" || echo "deb_build FAIL" >>"$PKG_RESULTS"
grep -q "^deb.sh: lintian reports no errors and no warnings" build-deb.log && echo "lintian OK" >>"$PKG_RESULTS" || echo "lintian FAIL" >>"$PKG_RESULTS"
grep -Eq "^tunnel +PASS" build-deb.log && echo "autopkgtest OK" >>"$PKG_RESULTS" || echo "autopkgtest FAIL" >>"$PKG_RESULTS"
if [ "$pkg_rc" != 0 ] || grep -q FAIL "$PKG_RESULTS"; then
  status=1
  grep -E "^(W|E): |FAIL|error" build-deb.log | tail -n 40
fi
echo "Debian package: $(tr '\n' ' ' <"$PKG_RESULTS")"

# The libFuzzer build (clang; every library instrumented, ASan+UBSan) must keep compiling, and
# each target replays its corpus under it (tests/fuzz/campaign.sh runs the real campaign).
FUZZ_RESULTS=build-fuzz-results.txt
: >"$FUZZ_RESULTS"
if tests/fuzz/build.sh build-fuzz >build-fuzz.log 2>&1; then
  for bin in build-fuzz/tests/fuzz/fuzz_*; do
    [ -f "$bin" ] && [ -x "$bin" ] || continue  # the targets, not their .p object directories
    name=$(basename "$bin" | sed 's/^fuzz_//')
    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
        "$bin" -runs=0 "tests/fuzz/corpus/$name" >"build-fuzz/replay-$name.log" 2>&1; then
      echo "libfuzzer_$name OK" >>"$FUZZ_RESULTS"
    else
      echo "libfuzzer_$name FAIL" >>"$FUZZ_RESULTS"; tail -n 30 "build-fuzz/replay-$name.log"; status=1
    fi
  done
else
  echo "libfuzzer_build FAIL" >>"$FUZZ_RESULTS"; tail -n 40 build-fuzz.log; status=1
fi
echo "libFuzzer build and replay: $(grep -c ' OK' "$FUZZ_RESULTS") targets passed, $(grep -c ' FAIL' "$FUZZ_RESULTS") failed"

python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json "$FUZZ_RESULTS" "$PKG_RESULTS" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:3]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)["result"]
            key = "passed" if r in ("OK", "EXPECTEDFAIL") else "skipped" if r == "SKIP" else "failed"
            counts[key] += 1
for path in sys.argv[3:5]:
    with open(path) as f:
        for line in f:
            counts["passed" if line.split()[1] == "OK" else "failed"] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit $status
