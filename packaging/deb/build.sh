#!/bin/sh
# build.sh BINARY VERSION OUTDIR: lays out the tracelite .deb from a built
# BINARY (hardened flags: see the Makefile's deb target) and the files in
# packaging/deb/, computes Depends with dpkg-shlibdeps, and builds
# OUTDIR/tracelite_VERSION_ARCH.deb with dpkg-deb. Run from the source root.
set -eu
bin=$1
version=$2
out=$3
# DEB_HOST_ARCH (e.g. arm64, from make cross-arm64): a cross-built BINARY,
# stripped by that architecture's binutils; dpkg-shlibdeps reads it too.
arch=${DEB_HOST_ARCH:-$(dpkg --print-architecture)}
strip=strip
[ "$arch" = "$(dpkg --print-architecture)" ] || strip=$(dpkg-architecture -a"$arch" -qDEB_HOST_GNU_TYPE 2>/dev/null)-strip
here=packaging/deb
stage=$out/stage-$version
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"

# /usr/lib/systemd/system: where Debian 13 wants units (/lib is an aliased
# location there) and where Debian 12's systemd and lintian take them too.
unitdir=/usr/lib/systemd/system

install -D -m 0755 "$bin" "$stage/usr/bin/tracelite"
"$strip" --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/tracelite"
install -D -m 0644 "$here/tracelite.service" "$stage$unitdir/tracelite.service"
install -D -m 0644 "$here/default" "$stage/etc/default/tracelite"
install -d -m 0755 "$stage/usr/share/man/man1" "$stage/usr/share/doc/tracelite"
gzip -9n <docs/tracelite.1 >"$stage/usr/share/man/man1/tracelite.1.gz"
install -m 0644 "$here/copyright" "$stage/usr/share/doc/tracelite/copyright"
# A native package's changelog, in Debian's format.
date=$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")
printf 'tracelite (%s) unstable; urgency=medium\n\n  * Built from the tracelite source tree (see its git log).\n\n -- tracelite maintainers <maintainers@tracelite.invalid>  %s\n' \
	"$version" "$date" | gzip -9n >"$stage/usr/share/doc/tracelite/changelog.gz"
chmod 0644 "$stage/usr/share/man/man1/tracelite.1.gz" "$stage/usr/share/doc/tracelite/changelog.gz"

# Depends: the shared libraries the binary links, as Debian's packages
# (dpkg-shlibdeps wants a debian/control beside it), adduser (postinst), and
# libssl-dev: for HTTPS (--tls-cert, --tls-self-signed) Debian's civetweb
# dlopens OpenSSL by the unversioned names libssl.so and libcrypto.so, which
# only libssl-dev installs (it depends on the matching libssl3 or libssl3t64,
# whatever the release calls it). Without it TLS start-up refuses with a
# message naming libssl-dev.
shl=$(mktemp -d)
mkdir -p "$shl/debian"
printf 'Source: tracelite\n\nPackage: tracelite\nArchitecture: any\n' >"$shl/debian/control"
abs=$(cd "$stage" && pwd)/usr/bin/tracelite
libs=$(cd "$shl" && dpkg-shlibdeps -O "$abs" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shl"
[ -n "$libs" ] || { echo "build.sh: dpkg-shlibdeps found no libraries" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/adduser, libssl-dev, $libs/" \
	"$here/control.in" >"$stage/DEBIAN/control"
install -m 0644 "$here/conffiles" "$stage/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
(cd "$stage" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
	>"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

deb=$out/tracelite_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "$deb"
