#!/bin/sh
# run.sh: the body of `make bench` (./tracelite is built). Starts
# `tracelite serve` on a free loopback port with a fresh data directory,
# ingests pre-generated demo traffic as OTLP/JSON and then as OTLP/protobuf
# from 4 client threads (tests/bench/loadgen.c), then BENCH_GRPC_SPANS
# (default 100,000) as OTLP/gRPC on the gRPC port, loads the store to
# BENCH_SPANS spans (default 1,000,000; half per encoding), times every read
# endpoint (median of 20) and the web UI opening a 5,000-span trace, stops
# the server and measures the data directory. Then times replication into a
# real ClickHouse and Postgres (tests/bench/replication.mjs, BENCH_REPL_SPANS
# spans, default 100,000), and the export of 100,000 spans in each format
# with the server's peak RSS (tests/bench/export.sh), and the ingest rate
# while --max-disk deletes (tests/bench/retention.sh,
# BENCH_RETENTION_SPANS, default 100,000).
# Prints one figure per line; never fails on a time. BENCH_SPANS=N scales it;
# BENCH_BUILD (default build) names the build directory whose objects and
# tracelite binary to use.
cd "$(dirname "$0")/../.." || exit 2
SPANS=${BENCH_SPANS:-1000000}
B=${BENCH_BUILD:-build}
TL=./tracelite
[ "$B" = build ] || TL=$B/tracelite
# the load generator links the project's objects: `make B=$B $B/loadgen`
. tests/bench/lib.sh
bench_setup bench
GPORT=$($B/loadgen freeport) || exit 1
GRPC_SPANS=${BENCH_GRPC_SPANS:-100000}
# compaction off until its own phase at the end, so the figures before it
# are those of the store as ingested
bench_start --grpc-listen 127.0.0.1:$GPORT --compact-level 0

# value NAME FILE: the number after "NAME: " in FILE
value() { sed -n "s/^$1: \([0-9.]*\).*/\1/p" "$2" | head -n 1; }
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"; }

echo "bench: $($TL version 2>/dev/null), $(nproc) CPUs, BENCH_SPANS=$SPANS"
HALF=$((SPANS / 2))
$B/loadgen ingest --url "$URL/v1/traces" --format json --spans $HALF --first-trace 0 >"$DIR/json.out" || true
$B/loadgen ingest --url "$URL/v1/traces" --format protobuf --spans $HALF --first-trace 100000000 \
	>"$DIR/pb.out" || true
# the same protobuf bodies as OTLP/gRPC calls, 4 HTTP/2 connections
$B/loadgen ingest --url "http://127.0.0.1:$GPORT" --format grpc --spans $GRPC_SPANS --first-trace 200000000 \
	>"$DIR/grpc.out" || true
cat "$DIR/json.out" "$DIR/pb.out" "$DIR/grpc.out" | grep -v '^sample ids'
echo "server peak RSS after ingest MB: $(( $(hwm) / 1024 ))"

# search_field NAME: a number of /api/health's "search" object
search_field() { curl -s "$URL/api/health" | sed -n "s/.*\"search\":{[^}]*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
# wait_indexed: seconds until the indexer has no pending chunk (0.1 s steps)
wait_indexed() {
	t0=$(date +%s.%N)
	until [ "$(search_field pending_chunks)" = 0 ]; do sleep 0.1; done
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }'
}
echo "search index at end of ingest: pending spans $(search_field pending_spans), lag s $(search_field lag_seconds)"
echo "search index caught up after s: $(wait_indexed)"

stored=$(( $(value "json spans stored" "$DIR/json.out") + $(value "protobuf spans stored" "$DIR/pb.out") +
	$(value "grpc spans stored" "$DIR/grpc.out") ))
if [ "$stored" -lt "$SPANS" ]; then
	# top up through the HTTP path with a different seed (distinct trace ids)
	missing=$((SPANS - stored))
	$TL demo --url "$URL/v1/traces" --seed 7 --traces $((missing / 5 + 1)) >"$DIR/demo.out" 2>&1
	cat "$DIR/demo.out"
	added=$(sed -n 's/.* traces, \([0-9]*\) spans.*/\1/p' "$DIR/demo.out")
	stored=$((stored + ${added:-0}))
fi
echo "spans stored: $stored"

set -- $(sed -n 's/^sample ids: //p' "$DIR/pb.out")
if [ $# -eq 2 ]; then
	$B/loadgen query --url "$URL" --trace-id "$1" --span-id "$2" --runs 20 || true
else
	echo "bench: no sample ids, query timings skipped"
fi
# Dashboard and search endpoints over the last 24 hours and 7 days of the
# demo data (search: a rare word, a common one, a phrase, a word with a
# service filter, a negation), with the ranges the web UI sends: a range
# over two days starts on a whole hour (web/state.js), older minutes having
# no minute rollups. The metrics again over 7 days from an odd second, an
# API range whose oldest part-hour (and its previous period's) is read from
# the spans themselves (docs/storage.md, Rollups).
now=$(date +%s)
for range in 24h:86400 7d:604800; do
	label=${range%%:*}
	from=$((now - ${range#*:}))
	[ "${range#*:}" -gt 172800 ] && from=$((from / 3600 * 3600)) && label="$label (from on the hour, as the UI asks)"
	r="from=$from&to=$now"
	echo "dashboard queries over $label:"
	$B/loadgen time --url "$URL" --runs 15 "/api/metrics/summary?$r" \
		"/api/metrics/timeseries?$r&metric=traces" "/api/metrics/timeseries?$r&metric=latency_p95" \
		"/api/metrics/timeseries?$r&metric=cost&group_by=model" "/api/metrics/models?$r" \
		"/api/metrics/operations?$r" "/api/traces?$r&service=support-agent" "/api/traces?$r&status=error" \
		"/api/traces?$r&model=gpt-4o-2024-08-06" "/api/search?$r&q=timeout" "/api/search?$r&q=the" \
		"/api/search?$r&q=%22rate+limit%22" "/api/search?$r&q=the&service=docs-qa" \
		"/api/search?$r&q=refund+-invoice&limit=10" || true
done
r="from=$((now - 604800))&to=$now"
echo "dashboard queries over 7d from an odd second (an API range; part-hours read from the spans):"
$B/loadgen time --url "$URL" --runs 15 "/api/metrics/summary?$r" "/api/metrics/timeseries?$r&metric=traces" \
	"/api/metrics/models?$r" "/api/metrics/operations?$r" || true
echo "server peak RSS MB: $(( $(hwm) / 1024 ))"
# The web UI on the full store: a 5,000-span trace opened in chromium
# (after the RSS figure: a 5 MiB trace answer is built in memory).
if [ -x /usr/bin/chromium ] && [ -d node_modules/playwright-core ]; then
	node tests/ui/bench.mjs "$URL" || echo "bench: UI timing failed"
else
	echo "bench: no chromium or node_modules (make test installs them), UI timing skipped"
fi
echo "server peak RSS after the UI MB: $(( $(hwm) / 1024 ))"

kill "$PID"
wait "$PID" 2>/dev/null
search_bytes=$(cat "$DIR"/data/search.db* | wc -c)
bytes=$(du -sb "$DIR/data" | cut -f1)
awk -v b="$search_bytes" -v s="$stored" 'BEGIN { if (s) printf "search index bytes per span: %.0f\n", b / s }'
# index rate alone: delete search.db and time its rebuild from the store
rm -f "$DIR"/data/search.db*
bench_start --grpc-listen off --compact-level 0
secs=$(wait_indexed)
spans=$(search_field indexed_spans)
text=$(search_field indexed_text_bytes)
awk -v n="$spans" -v t="$secs" -v b="$text" 'BEGIN { if (n && t > 0)
	printf "search index rebuild: %d spans in %.1f s = %.0f spans/s, %.1f MB of text/s (%.0f text bytes/span)\n",
		n, t, n / t, b / t / 1e6, b / n }'
kill "$PID"
wait "$PID" 2>/dev/null
echo "data dir bytes (after shutdown): $bytes"
awk -v d="$bytes" -v s="$stored" -v j="$(value "json raw OTLP bytes per span" "$DIR/json.out")" \
	-v p="$(value "protobuf raw OTLP bytes per span" "$DIR/pb.out")" 'BEGIN {
	if (s == 0) exit
	printf "bytes on disk per span: %.0f\n", d / s
	if (j > 0) printf "bytes on disk per raw OTLP/JSON byte: %.3f\n", d / s / j
	if (p > 0) printf "bytes on disk per raw OTLP/protobuf byte: %.3f\n", d / s / p
}'
# the idle-time compaction (default level) of the whole store, timed
bench_start --grpc-listen off
t0=$(date +%s)
until [ "$(curl -s "$URL/api/health" | sed -n 's/.*"compaction":{[^}]*"pending_chunks":\([0-9]*\).*/\1/p')" = 0 ] ||
	[ $(($(date +%s) - t0)) -gt 900 ]; do sleep 1; done
echo "idle-time compaction: done $(($(date +%s) - t0)) s after a restart (5 s of them idle wait), $(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' /proc/$PID/stat) s of server CPU"
kill "$PID"
wait "$PID" 2>/dev/null
awk -v d="$(du -sb "$DIR/data" | cut -f1)" -v s="$stored" 'BEGIN { if (s) printf "bytes on disk per span after compaction: %.0f\n", d / s }'

sh tests/bench/retention.sh "$TL" "$B" "$DIR/data" || echo "bench: retention figures failed"
node tests/bench/replication.mjs "$TL" || echo "bench: replication figures failed"
# export of BENCH_EXPORT_SPANS spans (default 100,000): time and peak RSS
sh tests/bench/export.sh "$TL" || echo "bench: export figures failed"
