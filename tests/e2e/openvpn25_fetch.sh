#!/bin/bash
# Fetches the openvpn 2.5 client of Debian 11 (bullseye: openvpn 2.5.1, as Ubuntu 22.04's 2.5.5
# behaves: no TLS key export, no tls-crypt-v2 cookie) and the two libraries bookworm lacks
# (libssl1.1, and libpkcs11-helper1 built against it), checked the way apt checks them:
# InRelease signed by Debian's archive key (gpgv, debian-archive-keyring), Packages.xz by its
# SHA256 there, each .deb by its SHA256 in Packages. Unpacked with dpkg-deb -x, installed
# nowhere. Prints the path of a wrapper that runs that openvpn; exit 1 (with why on stderr) when
# it cannot be had.
#   tests/e2e/openvpn25_fetch.sh [CACHE_DIR]   (default /var/cache/sslvpnd-tests)
set -euo pipefail
CACHE=${1:-/var/cache/sslvpnd-tests}/openvpn-2.5
# bullseye leaves deb.debian.org for archive.debian.org when its LTS ends (2026): both are tried.
MIRRORS=${DEBIAN_MIRROR:-http://deb.debian.org/debian http://archive.debian.org/debian}
ARCH=$(dpkg --print-architecture)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PKGS="openvpn libssl1.1 libpkcs11-helper1"
WRAP="$CACHE/openvpn"

[ -x "$WRAP" ] && "$WRAP" --version >/dev/null 2>&1 && { echo "$WRAP"; exit 0; }
fail() { echo "openvpn25_fetch: $*" >&2; exit 1; }
for c in curl gpgv dpkg-deb python3 sha256sum; do command -v "$c" >/dev/null || fail "needs $c"; done
[ -r "$KEYRING" ] || fail "needs $KEYRING (debian-archive-keyring)"

rm -rf "$CACHE.tmp"
mkdir -p "$CACHE.tmp/debs" "$CACHE.tmp/root"
cd "$CACHE.tmp"
get() { curl -fsS --max-time 120 --retry 2 -o "$2" "$MIRROR/$1" || fail "cannot download $MIRROR/$1"; }

MIRROR=
for m in $MIRRORS; do
  curl -fsS --max-time 60 --retry 2 -o InRelease "$m/dists/bullseye/InRelease" 2>/dev/null && { MIRROR=$m; break; }
done
[ -n "$MIRROR" ] || fail "no mirror has dists/bullseye/InRelease (tried: $MIRRORS)"
gpgv --keyring "$KEYRING" --output Release InRelease 2>gpgv.err || fail "InRelease: bad signature: $(cat gpgv.err)"
want=$(awk -v f="main/binary-$ARCH/Packages.xz" '/^SHA256:/{s=1; next} /^[^ ]/{s=0} s && $3 == f {print $1}' Release)
[ -n "$want" ] || fail "Release lists no main/binary-$ARCH/Packages.xz"
get "dists/bullseye/main/binary-$ARCH/Packages.xz" Packages.xz
[ "$(sha256sum Packages.xz | cut -d' ' -f1)" = "$want" ] || fail "Packages.xz: SHA256 mismatch"

# "FILENAME SHA256" of each package, from the verified index
python3 - "$PKGS" >list <<'PY' || true
import lzma, sys
want = set(sys.argv[1].split())
for para in lzma.open("Packages.xz", "rt").read().split("\n\n"):
    f = dict(l.split(": ", 1) for l in para.splitlines() if ": " in l and not l.startswith(" "))
    if f.get("Package") in want:
        print(f["Filename"], f["SHA256"])
        want.discard(f["Package"])
sys.exit(1 if want else 0)
PY
[ "$(wc -l <list)" = 3 ] || fail "Packages lacks one of: $PKGS (or python3 could not read it)"
while read -r file sum; do
  deb="debs/$(basename "$file")"
  get "$file" "$deb"
  [ "$(sha256sum "$deb" | cut -d' ' -f1)" = "$sum" ] || fail "$deb: SHA256 mismatch"
  dpkg-deb -x "$deb" root
done <list

bin=$(ls root/usr/sbin/openvpn) || fail "no openvpn in the package"
libdir=$(dirname "$(find root/usr/lib -name 'libssl.so.1.1' | head -n 1)")
[ "$libdir" != . ] || fail "no libssl.so.1.1 in the packages"
cat >wrapper <<EOF
#!/bin/sh
# openvpn 2.5 from Debian 11, with its own libssl1.1 (tests only)
LD_LIBRARY_PATH="$CACHE/$libdir" exec "$CACHE/$bin" "\$@"
EOF
chmod 755 wrapper
mv wrapper openvpn
cd /
rm -rf "$CACHE"
mv "$CACHE.tmp" "$CACHE"
"$WRAP" --version >/dev/null 2>&1 || fail "the fetched openvpn does not run"
echo "$WRAP"
