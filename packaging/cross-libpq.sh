#!/bin/sh
# cross-libpq.sh GNUTYPE DIR: when libpq-dev is not installed for GNUTYPE
# (e.g. aarch64-linux-gnu; Debian 12's and 13's libpq-dev is not Multi-Arch: same, so
# packaging/deps.sh installs only libpq5 of that architecture), makes DIR a
# pkg-config directory with a libpq.pc that takes the native libpq-dev's
# headers (the same version: the -dev packages come from one release) and
# links DIR/libpq.so -> that architecture's libpq.so.5. Otherwise leaves DIR
# empty, and pkg-config finds the real libpq.pc.
set -eu
gnu=$1
dir=$2
lib=/usr/lib/$gnu
mkdir -p "$dir"
rm -f "$dir/libpq.pc" "$dir/libpq.so"
[ -f "$lib/pkgconfig/libpq.pc" ] && exit 0
[ -f "$lib/libpq.so.5" ] || { echo "cross-libpq.sh: no $lib/libpq.so.5 (libpq5 of that architecture)" >&2; exit 1; }
inc=$(pkg-config --variable=includedir libpq 2>/dev/null || echo /usr/include/postgresql)
ln -s "$lib/libpq.so.5" "$dir/libpq.so"
absdir=$(cd "$dir" && pwd)
printf 'Name: libpq\nDescription: PostgreSQL libpq library (%s, libpq5 only)\nVersion: %s\nCflags: -I%s\nLibs: -L%s -lpq\n' \
	"$gnu" "$(pkg-config --modversion libpq 2>/dev/null || echo 0)" "$inc" "$absdir" >"$dir/libpq.pc"
