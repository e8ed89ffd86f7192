#!/bin/sh
# static.sh BINARY: smoke test of `make static` (build/static/tracelite):
# SQLite, protobuf-c and mbedTLS are linked in (not in its NEEDED
# libraries), it answers version, serves on a free port from a fresh data
# directory, takes one OTLP JSON trace from curl and returns it, and stops
# cleanly on SIGTERM. Last line: "N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
bin=${1:-build/static/tracelite}
ART=tests/artifacts/pkg
mkdir -p "$ART"
LOG=$ART/static.log
cleanup() { [ -n "${data:-}" ] && rm -rf "$data"; }
. tests/pkg/lib.sh
: >"$ART/static.log"
needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}')
echo "NEEDED: $(echo $needed)"
check "SQLite, protobuf-c and mbedTLS are linked in" sh -c "! echo '$needed' | grep -E 'sqlite|protobuf-c|mbed'"
check "tracelite version" sh -c "'$bin' version | grep -q '^tracelite '"
data=$(mktemp -d)
PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000 ))
URL=http://127.0.0.1:$PORT
"$bin" serve --listen "127.0.0.1:$PORT" --grpc-listen off --data "$data" >"$ART/static-server.log" 2>&1 &
pid=$!
check "it serves (tracelite health)" sh -c "i=0; while [ \$i -lt 100 ]; do '$bin' health --url $URL >/dev/null 2>&1 && exit 0; sleep 0.1; i=\$((i + 1)); done; exit 1"
T=3c1e9a7b5d2f4e6a8b0c1d2e3f4a5b6c
now=$(date +%s)000000000
check "curl POSTs one OTLP JSON trace" curl -fsS "$URL/v1/traces" -H 'Content-Type: application/json' -d "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[
	{\"traceId\":\"$T\",\"spanId\":\"00000000000000a1\",\"name\":\"chat gpt-4o\",\"startTimeUnixNano\":\"$now\",\"endTimeUnixNano\":\"$now\"}]}]}]}"
check "GET /api/traces/$T returns it" sh -c "i=0; while [ \$i -lt 50 ]; do curl -fs '$URL/api/traces/$T' | grep -q '\"chat gpt-4o\"' && exit 0; sleep 0.2; i=\$((i + 1)); done; exit 1"
check "it stops on SIGTERM with exit 0" stop
