#!/bin/sh
# deps.sh: installs the Debian packages tracelite builds and tests with, if
# any is missing (as root via apt-get; otherwise says what to install).
# tests/run.sh installs the npm packages of package-lock.json itself.
set -e
# libssl-dev: civetweb loads OpenSSL for --tls-cert as libssl.so/libcrypto.so, names only it installs
BUILD="gcc make pkg-config libcivetweb-dev libsqlite3-dev libzstd-dev libmbedtls-dev libprotobuf-c-dev protobuf-c-compiler libcjson-dev zlib1g-dev libcurl4-openssl-dev libpq-dev libssl-dev libnghttp2-dev"
# The fuzz harnesses (make fuzz-build): clang, and libFuzzer's runtime
# (libclang_rt.fuzzer), which is in libclang-rt-N-dev, only recommended by
# clang. Both names follow Debian's default LLVM (14 in Debian 12, 19 in 13).
FUZZ="clang libclang-rt-dev"
missing=""
for p in $BUILD $FUZZ; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# The test tools may come from elsewhere (a node in /usr/local): only a
# missing command calls for the Debian package.
command -v curl >/dev/null 2>&1 || missing="$missing curl"
# sqlite3: tests edit a stored database by hand (an older store, a pre-007 one)
command -v sqlite3 >/dev/null 2>&1 || missing="$missing sqlite3"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "tracelite needs these Debian packages:$missing" >&2
		echo "run as root: apt-get install$missing" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# Optional: `packaging/deps.sh cross arm64` (make cross-arm64, make deb
# ARCH=arm64) adds Debian's cross compiler, the ARCH -dev packages of BUILD
# through multiarch (dpkg --add-architecture) and qemu-user-static, which
# runs the ARCH binaries here (tests/pkg/arm64.sh).
[ "${1:-}" = cross ] || exit 0
arch=${2:-arm64}
case $arch in arm64) gnu=aarch64-linux-gnu ;; armhf) gnu=arm-linux-gnueabihf ;; *) echo "deps.sh: no cross section for $arch" >&2; exit 2 ;; esac
CROSS="crossbuild-essential-$arch qemu-user-static"
for p in $BUILD; do
	case $p in
	gcc | make | pkg-config | protobuf-c-compiler) ;;
	# Debian 12's and 13's libpq-dev is not Multi-Arch: same (libpq-dev:arm64 would
	# remove the native one): only the arm64 library, which the Makefile
	# links through packaging/cross-libpq.sh. Where it is, the -dev package.
	libpq-dev)
		if apt-cache show libpq-dev 2>/dev/null | grep -q '^Multi-Arch: same'; then
			CROSS="$CROSS libpq-dev:$arch"
		else
			CROSS="$CROSS libpq5:$arch"
		fi ;;
	*) CROSS="$CROSS $p:$arch" ;;
	esac
done
missing=""
for p in $CROSS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "cross-building for $arch needs: dpkg --add-architecture $arch; apt-get update; apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	dpkg --add-architecture "$arch"
fi
apt-get update -q >/dev/null
# --force-overwrite: Debian 13's libpsl-dev (which libcurl4-openssl-dev
# needs) has a man page that differs between amd64 and arm64 builds of one
# version, which dpkg otherwise refuses for a Multi-Arch: same package.
apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-overwrite $missing >/dev/null
command -v "$gnu-gcc" >/dev/null
