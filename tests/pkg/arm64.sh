#!/bin/sh
# arm64.sh: the arm64 build end to end, as root on an amd64 Debian. `make
# cross-arm64` cross-builds the binary, the unit tests and
# build/pkg/tracelite_VERSION_arm64.deb (installing crossbuild-essential-arm64,
# the arm64 -dev packages through multiarch and qemu-user-static with
# packaging/deps.sh); then every unit test runs under qemu-aarch64-static
# (called by name: no binfmt_misc needed), and a smoke test serves the arm64
# binary on a free port, ingests one OTLP JSON trace with curl, queries it
# back, and asks `tracelite health`; lintian checks the .deb. Not part of
# `make test` (it needs root, the arm64 packages and a few minutes of
# emulation). Run as `make test-arm64`.
# Last line: "N passed, N failed"; exit status non-zero if anything failed.
cd "$(dirname "$0")/../.." || exit 2
[ "$(id -u)" = 0 ] || { echo "arm64.sh: needs root (apt-get, dpkg --add-architecture)"; exit 2; }
VERSION=$(sed -n 's/^VERSION *= *//p' Makefile)
B=build/pkg/obj-$VERSION-arm64
DEB=build/pkg/tracelite_${VERSION}_arm64.deb
ART=tests/artifacts/pkg
mkdir -p "$ART"
: >"$ART/arm64.log"
LOG=$ART/arm64.log
cleanup() { [ -n "${data:-}" ] && rm -rf "$data"; }
. tests/pkg/lib.sh
for c in curl lintian; do
	command -v $c >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $c >/dev/null
done

check "make cross-arm64 (binary, unit tests, .deb)" make -j2 cross-arm64
[ -x "$B/tracelite" ] || exit 1
QEMU=qemu-aarch64-static
check "the binary is an aarch64 ELF" sh -c "file -b '$B/tracelite' 2>/dev/null | grep -q aarch64 ||
	[ \"\$(od -An -tx1 -j18 -N2 '$B/tracelite' | tr -d ' ')\" = b700 ]"
check "$DEB: Architecture arm64, arm64 library Depends, /usr/bin/tracelite" sh -c "
	[ \"\$(dpkg-deb -f '$DEB' Architecture)\" = arm64 ] &&
	dpkg-deb -f '$DEB' Depends | grep -q libsqlite3 &&
	dpkg-deb -c '$DEB' | grep -q ' ./usr/bin/tracelite$'"
check "lintian $DEB: no errors" lintian --fail-on error --info "$DEB"
check "$QEMU runs it: tracelite version" sh -c "$QEMU $B/tracelite version | grep -qx 'tracelite $VERSION'"

# Unit tests: each prints "N passed, N failed" as its last line.
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	log="$ART/arm64-$name.log"
	timeout 600 $QEMU "$t" >"$log" 2>&1
	rc=$?
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$last" ] && [ "${last#*passed, }" = "0 failed" ]; then
		ok "unit $name under qemu: $last"
	else
		tail -n 10 "$log"
		bad "unit $name under qemu (exit $rc): ${last:-no summary}"
	fi
done

# Smoke test: serve, ingest one OTLP JSON trace with curl, query it back.
data=$(mktemp -d)
PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000 ))
URL=http://127.0.0.1:$PORT
TRACELITE_LISTEN=127.0.0.1:$PORT $QEMU "$B/tracelite" serve --data "$data" --grpc-listen off >"$ART/arm64-server.log" 2>&1 &
pid=$!
check "the arm64 server starts under qemu (GET /api/health)" wait_up 300 "$ART/arm64-server.log" curl -fs "$URL/api/health"
T=4bf92f3577b34da6a3ce929d0e0e4736
now=$(date +%s)000000000
check "curl POSTs one OTLP JSON trace to /v1/traces" curl -fsS "$URL/v1/traces" -H 'Content-Type: application/json' -d "{\"resourceSpans\":[{
	\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"arm64-smoke\"}}]},
	\"scopeSpans\":[{\"spans\":[{\"traceId\":\"$T\",\"spanId\":\"00f067aa0ba902b7\",\"name\":\"chat gpt-4o\",\"kind\":3,
	\"startTimeUnixNano\":\"$now\",\"endTimeUnixNano\":\"$now\",
	\"attributes\":[{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"gpt-4o\"}}]}]}]}]}"
has() {
	i=0
	while [ $i -lt 100 ]; do
		curl -fs "$URL/api/traces/$T" | grep -q '"chat gpt-4o"' && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
check "GET /api/traces/$T returns the span" has
check "GET /api/traces lists it with its service" sh -c "curl -fs '$URL/api/traces' | grep -q '$T'"
check "tracelite health (arm64, under qemu) answers ok" sh -c "TRACELITE_LISTEN=127.0.0.1:$PORT $QEMU $B/tracelite health | grep -qx ok"
check "it stops on SIGTERM with exit 0" stop
