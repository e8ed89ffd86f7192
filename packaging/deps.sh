#!/bin/sh
# deps.sh: installs the Debian packages tracelite builds and tests with, if
# any is missing (as root via apt-get; otherwise says what to install), and
# the npm packages of package-lock.json for the test suite.
set -e
BUILD="gcc make pkg-config libcivetweb-dev libsqlite3-dev libzstd-dev libmbedtls-dev libprotobuf-c-dev protobuf-c-compiler libcjson-dev zlib1g-dev"
TEST="curl nodejs npm"
missing=""
for p in $BUILD $TEST; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
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
