#!/bin/sh
# filters.sh: a focused benchmark of the trace-list filters and search
# order (docs/api.md#filters): ingests BENCH_SPANS demo spans (default
# 1,000,000; half OTLP/JSON, half protobuf, 4 clients) into a fresh
# `tracelite serve`, prints the ingest rates and the attribute index's
# bytes per span (trace_attrs, or schema/011's or 015's tables, from SQLite's dbstat), then the median time
# of trace-list pages with filters on common and rare keys, and of
# searches for a rare and a common word with and without filters.
# Usage: sh tests/bench/filters.sh [BINARY]  (default ./tracelite; pass
# another build to compare ingest rates). Prints figures; never fails on a
# time.
cd "$(dirname "$0")/../.." || exit 2
TL=${1:-./tracelite}
SPANS=${BENCH_SPANS:-1000000}
B=${BENCH_BUILD:-build}
. tests/bench/lib.sh
bench_setup fbench
bench_start --grpc-listen off
echo "filters bench: $($TL version 2>/dev/null), $(nproc) CPUs, BENCH_SPANS=$SPANS"
HALF=$((SPANS / 2))
$B/loadgen ingest --url "$URL/v1/traces" --format json --spans $HALF --first-trace 0 | grep -E 'spans/s|stored'
$B/loadgen ingest --url "$URL/v1/traces" --format protobuf --spans $HALF --first-trace 100000000 | grep -E 'spans/s|stored'
until [ "$(curl -s "$URL/api/health" | sed -n 's/.*"pending_chunks":\([0-9]*\).*/\1/p')" = 0 ]; do sleep 0.2; done
kill "$PID"
wait "$PID" 2>/dev/null
DB=$DIR/data/tracelite.db
spans=$($TL sql --data "$DIR/data" "SELECT count(*) FROM spans")
traces=$(sqlite3 "$DB" "SELECT count(*) FROM traces")
echo "spans: $spans, traces: $traces"
if sqlite3 "$DB" "SELECT count(*) FROM trace_attrs" >/dev/null 2>&1; then
	rows=$(sqlite3 "$DB" "SELECT count(*) FROM trace_attrs")
	bytes=$(sqlite3 "$DB" "SELECT sum(pgsize) FROM dbstat WHERE name IN ('trace_attrs', 'scores_name')" 2>/dev/null)
	echo "trace_attrs rows: $rows ($(awk -v r="$rows" -v t="$traces" 'BEGIN { printf "%.1f", r / t }') per trace)"
	[ -n "$bytes" ] && awk -v b="$bytes" -v s="$spans" 'BEGIN { printf "attribute index bytes per span: %.1f\n", b / s }'
elif sqlite3 "$DB" "SELECT count(*) FROM trace_pairsets" >/dev/null 2>&1; then
	# schema/015: pairs once, one encoded set per trace, (pair, block) rows
	echo "trace_pairsets rows: $(sqlite3 "$DB" "SELECT count(*) FROM trace_pairsets"), attr_pairs: $(sqlite3 "$DB" "SELECT count(*) FROM attr_pairs")"
	sqlite3 "$DB" "SELECT name, sum(pgsize) FROM dbstat WHERE name IN ('attr_pairs', 'attr_pairs_key', 'trace_pairsets',
		'pair_blocks', 'scores_name') GROUP BY name" 2>/dev/null |
		awk -F'|' -v s="$spans" '{ t += $2; printf "  %s: %.1f B/span\n", $1, $2 / s } END { printf "attribute index bytes per span: %.1f\n", t / s }'
elif sqlite3 "$DB" "SELECT count(*) FROM trace_pairs" >/dev/null 2>&1; then
	# schema/011: pairs once, (trace, pair) rows, (pair, block) rows
	rows=$(sqlite3 "$DB" "SELECT count(*) FROM trace_pairs")
	echo "trace_pairs rows: $rows ($(awk -v r="$rows" -v t="$traces" 'BEGIN { printf "%.1f", r / t }') per trace), attr_pairs: $(sqlite3 "$DB" "SELECT count(*) FROM attr_pairs")"
	sqlite3 "$DB" "SELECT name, sum(pgsize) FROM dbstat WHERE name IN ('attr_pairs', 'attr_pairs_key', 'trace_pairs',
		'pair_blocks', 'scores_name') GROUP BY name" 2>/dev/null |
		awk -F'|' -v s="$spans" '{ t += $2; printf "  %s: %.1f B/span\n", $1, $2 / s } END { printf "attribute index bytes per span: %.1f\n", t / s }'
fi
awk -v d="$(du -sb "$DIR/data" | cut -f1)" -v s="$spans" 'BEGIN { printf "data dir bytes per span: %.0f\n", d / s }'
bench_start --grpc-listen off
# three traces holding a rare word, amid the million
now=$(date +%s%N)
for i in 1 2 3; do
	curl -s -o /dev/null -H 'Content-Type: application/json' "$URL/v1/traces" --data-binary \
	"{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"rare-svc\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"$(printf '%032x' $((now / 1000 + i)))\",\"spanId\":\"$(printf '%016x' $i)\",\"name\":\"ask\",\"startTimeUnixNano\":\"$((now - i * 1000000000))\",\"endTimeUnixNano\":\"$((now - i * 1000000000 + 5000000))\",\"attributes\":[{\"key\":\"input.value\",\"value\":{\"stringValue\":\"a question about zyxquokka number $i\"}},{\"key\":\"metadata\",\"value\":{\"stringValue\":\"{\\\"plan\\\":\\\"pro\\\"}\"}}]}]}]}]}"
done
until [ "$(curl -s "$URL/api/health" | sed -n 's/.*"pending_chunks":\([0-9]*\).*/\1/p')" = 0 ]; do sleep 0.2; done
echo "rare word traces found: $(curl -s "$URL/api/search?q=zyxquokka" | grep -o '"trace_id"' | wc -l)"
r="from=$(( $(date +%s) - 8 * 86400 ))"
$B/loadgen time --url "$URL" --runs 15 "/api/traces?$r" "/api/traces?$r&meta.plan=eq:pro" \
	"/api/traces?$r&attr.openinference.span.kind=eq:LLM" "/api/traces?$r&tag=first-turn" \
	"/api/traces?$r&meta.app_build=gt:1390" "/api/traces?$r&meta.plan=ne:pro" \
	"/api/traces?$r&attr.agent.turn=exists" "/api/traces?$r&meta.locale=contains:ja" \
	"/api/traces?$r&meta.plan=eq:pro&tag=first-turn&meta.locale=eq:de-DE" \
	"/api/traces?$r&attr.user.id=eq:nosuchuser" "/api/traces?$r&meta.plan=eq:pro&status=error" \
	"/api/search?$r&q=zyxquokka" "/api/search?q=zyxquokka" "/api/search?$r&q=zyxquokka&meta.plan=eq:pro" \
	"/api/search?$r&q=timeout" "/api/search?$r&q=zzqqxxnotthere" "/api/search?$r&q=the" \
	"/api/search?$r&q=refund&meta.plan=eq:pro" "/api/search?$r&q=the&meta.plan=eq:enterprise" || true
echo "server peak RSS MB: $(( $(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$PID/status) / 1024 ))"
