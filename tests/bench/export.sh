#!/bin/sh
# export.sh: the export part of `make bench` (tests/bench/run.sh calls it):
# a fresh `tracelite serve` holding BENCH_EXPORT_SPANS demo spans (default
# 100,000), then GET /api/export/spans and /api/export/traces in each
# format: time, bytes, lines (checked against the spans stored) and the
# server's peak RSS during each export (VmHWM reset before it through
# /proc/PID/clear_refs). Prints figures; never fails on a time.
# Usage: sh tests/bench/export.sh [BINARY]
cd "$(dirname "$0")/../.." || exit 2
TL=${1:-./tracelite}
SPANS=${BENCH_EXPORT_SPANS:-100000}
B=${BENCH_BUILD:-build}
. tests/bench/lib.sh
bench_setup xbench
bench_start --grpc-listen off
rss() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$PID/status"; }
$B/loadgen ingest --url "$URL/v1/traces" --format json --spans "$SPANS" --first-trace 0 >"$DIR/ingest.out" || true
stored=$(sed -n 's/^json spans stored: \([0-9]*\).*/\1/p' "$DIR/ingest.out")
echo "export bench: $stored spans stored; server RSS MB after ingest: $(( $(rss VmRSS) / 1024 )), peak $(( $(rss VmHWM) / 1024 ))"
for what in spans traces; do
	for fmt in jsonl csv otlp; do
		# peak RSS of this export alone: reset VmHWM to the current RSS (Linux >= 4.0)
		echo 5 >"/proc/$PID/clear_refs" 2>/dev/null
		before=$(rss VmRSS)
		set -- $(curl -s -o "$DIR/out" -w '%{http_code} %{time_total} %{size_download}' "$URL/api/export/$what?format=$fmt")
		lines=$(wc -l <"$DIR/out")
		[ "$fmt" = csv ] && lines="$(($(grep -c '' "$DIR/out") - 1)) (CSV lines, cells may hold line breaks)"
		awk -v w="$what" -v f="$fmt" -v s="$1" -v t="$2" -v b="$3" -v l="$lines" -v r0="$before" -v r1="$(rss VmHWM)" -v n="$stored" 'BEGIN {
			printf "export %s %s: status %s, %.2f s, %.1f MB, %.0f spans/s, lines %s, server RSS MB before %.0f, peak during %.0f\n",
				w, f, s, t, b / 1e6, (t > 0 ? n / t : 0), l, r0 / 1024, r1 / 1024 }'
	done
done
