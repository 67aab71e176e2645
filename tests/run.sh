#!/bin/bash
# The whole test suite: installs what is missing, builds, and runs unit, fuzz-corpus and
# end-to-end tests; then builds with ASan+UBSan and runs the unit and fuzz tests under them.
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

python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)["result"]
            key = "passed" if r in ("OK", "EXPECTEDFAIL") else "skipped" if r == "SKIP" else "failed"
            counts[key] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit $status
