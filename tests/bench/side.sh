#!/bin/sh
# side.sh: the body of `make bench-clickhouse` (issue 13, "Measuring"):
# tracelite side by side with Debian's clickhouse-server on the same spans.
# Generates SPANS (default 1,000,000) spans of demo LLM-agent traces whose
# prompts and completions are rewritten into real English prose
# (tests/bench/corpus.sh, cached in $B/bench-corpus.txt), deterministic for
# SEED, and per run:
#  - tracelite: OTLP JSON from 4 clients into a fresh store (ingest rate,
#    peak RSS, bytes of the data directory per span), then the dashboard
#    queries; then the same spans as OTLP protobuf into another fresh store;
#    then SDK_SPANS (default a third) as OTLP JSON in 512-span requests, the
#    OpenTelemetry SDKs' batch size (ingest rate, peak RSS);
#  - ClickHouse: the same spans as JSONEachRow in 50,000-row inserts from 4
#    clients into a MergeTree table, zstd, started on loopback in a temp
#    directory; then the same questions written as SQL.
# Prints the figures of each run, then the table with medians over RUNS runs
# (default 1) and the ratios. CH_CLIENTS (default 4) sets how many inserts
# run at once; CLICKHOUSE_SERVER the server binary (default: on the PATH,
# else /usr/sbin/clickhouse-server). ORDER=time sends traces in time order,
# as live traffic arrives (default random: sessions at random times over
# the 7 days, as a backfill would). Without clickhouse-server (or with SKIP_CH=1)
# only tracelite's side is measured. Never fails on a time; exits non-zero
# only when tracelite's side could not be measured.
cd "$(dirname "$0")/../.." || exit 2
SPANS=${SPANS:-1000000}
RUNS=${RUNS:-1}
SEED=${SEED:-1}
ORDER=${ORDER:-random}
SDK_SPANS=${SDK_SPANS:-$((SPANS / 3))}
B=${BENCH_BUILD:-build}
TL=./tracelite
[ "$B" = build ] || TL=$B/tracelite
. tests/bench/lib.sh
bench_setup side
CORPUS=$B/bench-corpus.txt
if [ ! -s "$CORPUS" ]; then
	sh tests/bench/corpus.sh "$CORPUS" 40 || { echo "bench: no prose corpus"; exit 1; }
fi
CHBIN=${CLICKHOUSE_SERVER:-$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)}
if [ "${SKIP_CH:-0}" = 1 ]; then
	CHBIN=
	echo "bench: SKIP_CH=1, ClickHouse's side skipped"
elif [ ! -x "$CHBIN" ]; then
	echo "bench: no clickhouse-server at $CHBIN (Debian 12: apt-get install clickhouse-server; or set" \
		"CLICKHOUSE_SERVER); ClickHouse's side skipped"
	CHBIN=
fi
NOW=$(date +%s)
NOW_NS=${NOW}000000000
FROM=$((NOW - 8 * 86400))
FIG=$DIR/figures
: >"$FIG"
CHPID=

# value NAME FILE: the number after "NAME: " in FILE
value() { sed -n "s|^$1: \([0-9.]*\).*|\1|p" "$2" | head -n 1; }
# hwm PID: its peak RSS in MB
hwm() { awk '/^VmHWM:/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }
# put KEY VALUE: one figure of this run
put() { [ -n "$2" ] && echo "$1 $2" >>"$FIG"; }
urlenc() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }
# timed KEY URL PATH: the median of 15 GETs of PATH
timed() {
	ms=$($B/loadgen time --url "$2" --runs 15 "$3" | sed -n 's/.* median ms: \([0-9.]*\) (status 200.*/\1/p')
	[ -n "$ms" ] || echo "bench: $1 failed: $($B/loadgen time --url "$2" --runs 1 "$3")"
	put "$1" "$ms"
}
ingest() { # FORMAT URL OUTFILE [PER_REQUEST [CLIENTS [SPANS]]]
	$B/loadgen ingest --url "$2" --format "$1" --spans "${6:-$SPANS}" --seed "$SEED" --now-ns "$NOW_NS" \
		--corpus "$CORPUS" --order "$ORDER" --per-request "${4:-100}" --threads "${5:-4}" >"$3" 2>"$3.err" ||
		{ cat "$3.err"; tail -1 "$3"; }
}
# threads_cpu PID SPANS: the server's CPU per span by thread name
threads_cpu() {
	for t in /proc/$1/task/*; do echo "$(cat "$t/comm") $(cut -d' ' -f14,15 "$t/stat")"; done |
		awk -v n="$2" -v hz="$(getconf CLK_TCK)" '{ a[$1] += $2 + $3 } END {
			for (k in a) if (a[k]) printf " %s %.1f", k, a[k] * 1e6 / hz / n; print "" }'
}
# tables DATA SPANS: bytes per span of each table and index of the store (SQLite's dbstat), and search.db
tables() {
	command -v sqlite3 >/dev/null || return 0
	sqlite3 "$1/tracelite.db" "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC" |
		awk -F'|' -v n="$2" '$2 * 1.0 / n >= 1 { printf " %s %.0f", $1, $2 / n } END { print "" }'
	[ -f "$1/search.db" ] && echo "  search.db $(($(stat -c %s "$1/search.db") / $2))"
}
compact_pending() { curl -s "$URL/api/health" | sed -n 's/.*"compaction":{[^}]*"pending_chunks":\([0-9]*\).*/\1/p'; }
search_pending() { curl -s "$URL/api/health" | sed -n 's/.*"search":{[^}]*"pending_chunks":\([0-9]*\).*/\1/p'; }

# a word in exactly one corpus sentence (the rare-word search), chosen by SEED
WORDS=$(tr -cs 'A-Za-z' '\n' <"$CORPUS" | tr 'A-Z' 'a-z' | awk 'length($0) >= 9 && length($0) <= 14' |
	sort | uniq -u | awk -v s="$SEED" 'NR % 997 == s % 997' | head -n 20)

tracelite_run() { # RUN
	r=$1
	rm -rf "$DIR/data"
	# compaction off: the bytes as ingested; compacted afterwards below
	bench_start --grpc-listen off --compact-level 0
	ingest json "$URL/v1/traces" "$DIR/json.out"
	cat "$DIR/json.out" | grep -v '^sample ids'
	stored=$(value "json spans stored" "$DIR/json.out")
	put tl_json_rate "$(value "json spans/s" "$DIR/json.out")"
	put tl_rss "$(hwm "$PID")"
	t0=$(date +%s)
	until [ "$(search_pending)" = 0 ] || [ $(($(date +%s) - t0)) -gt 300 ]; do sleep 0.2; done
	echo "tracelite search index caught up $(($(date +%s) - t0)) s after ingest"
	r8="from=$FROM&to=$NOW"
	[ -n "$WORD" ] || for w in $WORDS; do
		if curl -s "$URL/api/search?$r8&q=$w&limit=1" | grep -q '"trace_id"'; then WORD=$w; break; fi
	done
	WORD=${WORD:-${WORDS%%[!a-z]*}}
	timed tl_timeseries "$URL" "/api/metrics/timeseries?$r8&metric=spans&bucket=1h"
	timed tl_summary "$URL" "/api/metrics/summary?$r8"
	timed tl_models "$URL" "/api/metrics/models?$r8"
	timed tl_latest "$URL" "/api/traces?$r8&limit=50"
	timed tl_search "$URL" "/api/search?$r8&q=$WORD"
	put tl_rss_all "$(hwm "$PID")"
	[ "${stored:-0}" -gt 0 ] && echo "tracelite CPU us per JSON span by thread (ingest, indexing, queries):$(threads_cpu "$PID" "$stored")"
	kill "$PID"
	wait "$PID" 2>/dev/null
	PID=
	[ "${stored:-0}" -gt 0 ] && put tl_bytes $(($(du -sb "$DIR/data" | cut -f1) / stored)) &&
		echo "tracelite bytes per span by table (JSON store):$(tables "$DIR/data" "$stored")"
	# the same store after the idle-time compaction (default level)
	bench_start --grpc-listen off
	t0=$(date +%s)
	until [ "$(compact_pending)" = 0 ] || [ $(($(date +%s) - t0)) -gt 900 ]; do sleep 1; done
	echo "tracelite idle-time compaction done $(($(date +%s) - t0)) s after a restart:$(threads_cpu "$PID" "$stored")"
	kill "$PID"
	wait "$PID" 2>/dev/null
	PID=
	[ "${stored:-0}" -gt 0 ] && put tl_bytes_compacted $(($(du -sb "$DIR/data" | cut -f1) / stored)) &&
		echo "tracelite bytes per span by table (JSON store, compacted):$(tables "$DIR/data" "$stored")"

	rm -rf "$DIR/data"
	bench_start --grpc-listen off --compact-level 0
	ingest protobuf "$URL/v1/traces" "$DIR/pb.out"
	grep -v '^sample ids' "$DIR/pb.out"
	put tl_pb_rate "$(value "protobuf spans/s" "$DIR/pb.out")"
	put tl_pb_rss "$(hwm "$PID")"
	stored=$(value "protobuf spans stored" "$DIR/pb.out")
	t0=$(date +%s)
	until [ "$(search_pending)" = 0 ] || [ $(($(date +%s) - t0)) -gt 300 ]; do sleep 0.2; done
	[ "${stored:-0}" -gt 0 ] && echo "tracelite CPU us per protobuf span by thread (ingest, indexing):$(threads_cpu "$PID" "$stored")"
	kill "$PID"
	wait "$PID" 2>/dev/null
	PID=
	[ "${stored:-0}" -gt 0 ] && put tl_pb_bytes $(($(du -sb "$DIR/data" | cut -f1) / stored))
	rm -rf "$DIR/data"

	# as the OpenTelemetry SDKs send by default: 512 spans per request
	bench_start --grpc-listen off --compact-level 0
	ingest json "$URL/v1/traces" "$DIR/sdk.out" 512 4 "$SDK_SPANS"
	echo "tracelite, JSON in the SDKs' 512-span batches ($SDK_SPANS spans): $(value "json spans/s" "$DIR/sdk.out")" \
		"spans/s, peak RSS $(hwm "$PID") MB"
	put tl_sdk_rate "$(value "json spans/s" "$DIR/sdk.out")"
	put tl_sdk_rss "$(hwm "$PID")"
	kill "$PID"
	wait "$PID" 2>/dev/null
	PID=
	rm -rf "$DIR/data"
}

ch_query() { curl -sS "http://127.0.0.1:$CHPORT/" --data-binary "$1"; }
ch_stop() { [ -n "$CHPID" ] && kill "$CHPID" 2>/dev/null && wait "$CHPID" 2>/dev/null; CHPID=; }

clickhouse_run() {
	d=$DIR/ch
	rm -rf "$d"
	mkdir -p "$d"
	CHPORT=$($B/loadgen freeport)
	TCPPORT=$($B/loadgen freeport)
	cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/error.log</errorlog></logger>
  <http_port>$CHPORT</http_port>
  <tcp_port>$TCPPORT</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <compression><case><method>zstd</method></case></compression>
</yandex>
EOF
	cat >"$d/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
	# clickhouse-server refuses nothing as root here; as another user it
	# needs the directory to be its own, which mkdir gave it
	(cd "$d" && exec "$CHBIN" --config-file="$d/config.xml" >"$d/stdout" 2>&1) &
	CHPID=$!
	i=0
	until [ "$(ch_query 'SELECT 1' 2>/dev/null)" = 1 ]; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$CHPID" 2>/dev/null; then
			echo "bench: clickhouse-server did not start:"
			tail -5 "$d/error.log" "$d/stdout" 2>/dev/null
			ch_stop
			return 1
		fi
		sleep 0.1
	done
	ch_query "CREATE DATABASE bench" && ch_query "CREATE TABLE bench.spans (
  trace_id String, span_id String, parent_span_id String, name String, service String, kind UInt8,
  type String, start_ns UInt64, end_ns UInt64, duration_ns UInt64, status_code UInt8,
  status_message String, model String, provider String, input_tokens UInt64, output_tokens UInt64,
  cost_usd Float64, session_id String, user_id String, input String, output String,
  attributes String, events String,
  start_time DateTime MATERIALIZED toDateTime(intDiv(start_ns, 1000000000))
) ENGINE = MergeTree PARTITION BY toDate(start_time) ORDER BY (start_ns, trace_id)" || { ch_stop; return 1; }
	q=$(urlenc "INSERT INTO bench.spans FORMAT JSONEachRow")
	ingest clickhouse "http://127.0.0.1:$CHPORT/?query=$q" "$DIR/ch.out" 50000 "${CH_CLIENTS:-4}"
	grep -v '^sample ids' "$DIR/ch.out"
	put ch_rate "$(value "clickhouse spans/s" "$DIR/ch.out")"
	put ch_rss "$(hwm "$CHPID")"
	t0=$(date +%s)
	while [ "$(ch_query 'SELECT count() FROM system.merges')" != 0 ] && [ $(($(date +%s) - t0)) -lt 120 ]; do
		sleep 1
	done
	echo "clickhouse merges settled $(($(date +%s) - t0)) s after ingest; parts: $(ch_query \
		"SELECT count() FROM system.parts WHERE active AND database = 'bench'")"
	F=${FROM}000000000
	T=$NOW_NS
	W="start_ns >= $F AND start_ns < $T"
	ch() { timed "$1" "http://127.0.0.1:$CHPORT" "/?query=$(urlenc "$2")"; }
	# spans per hour over 8 days (tracelite: metric=spans&bucket=1h)
	ch ch_timeseries "SELECT intDiv(start_ns, 3600000000000) AS h, count() FROM bench.spans WHERE $W
		GROUP BY h ORDER BY h"
	# the summary of the range and of the 8 days before it, per trace
	ch ch_summary "SELECT p, count() AS traces, sum(n) AS spans, countIf(err > 0) AS errors,
		quantiles(0.5, 0.95, 0.99)(lat) AS latency_ms, sum(llm) AS llm_calls, sum(itok), sum(otok), sum(cost)
		FROM (SELECT trace_id, min(start_ns) >= $F AS p, count() AS n, countIf(status_code = 2) AS err,
		(max(end_ns) - min(start_ns)) / 1e6 AS lat, countIf(type = 'llm') AS llm, sum(input_tokens) AS itok,
		sum(output_tokens) AS otok, sum(cost_usd) AS cost FROM bench.spans
		WHERE start_ns >= $F - ($T - $F) AND start_ns < $T GROUP BY trace_id) GROUP BY p"
	# tokens, cost and latency by model (tracelite: /api/metrics/models)
	ch ch_models "SELECT model, any(provider), count() AS calls, countIf(status_code = 2) AS errors,
		sum(input_tokens), sum(output_tokens), sum(cost_usd), quantiles(0.5, 0.95, 0.99)(duration_ns / 1e6)
		FROM bench.spans WHERE $W AND model != '' GROUP BY model ORDER BY calls DESC"
	# the latest 50 traces with their span counts, tokens and cost
	ch ch_latest "SELECT trace_id, any(name), any(service), min(start_ns) AS s, max(end_ns) - s, count(),
		countIf(status_code = 2), sum(input_tokens + output_tokens), sum(cost_usd) FROM bench.spans
		WHERE $W AND trace_id IN (SELECT trace_id FROM bench.spans WHERE $W AND parent_span_id = ''
		ORDER BY start_ns DESC LIMIT 50) GROUP BY trace_id ORDER BY s DESC"
	# the newest 50 traces with a span naming the word in its name, input,
	# output or status (tracelite: /api/search, a full-text index)
	ch ch_search "SELECT trace_id, any(span_id), min(start_ns) AS s FROM bench.spans WHERE $W AND
		(positionCaseInsensitive(input, '$WORD') > 0 OR positionCaseInsensitive(output, '$WORD') > 0
		OR positionCaseInsensitive(name, '$WORD') > 0 OR positionCaseInsensitive(status_message, '$WORD') > 0)
		GROUP BY trace_id ORDER BY s DESC LIMIT 50"
	echo "rare word '$WORD': in $(ch_query "SELECT count() FROM bench.spans WHERE positionCaseInsensitive(input,
		'$WORD') > 0 OR positionCaseInsensitive(output, '$WORD') > 0") spans"
	rows=$(ch_query "SELECT count() FROM bench.spans")
	echo "clickhouse average input, output, attributes bytes per span: $(ch_query "SELECT round(avg(length(input))),
		round(avg(length(output))), round(avg(length(attributes))) FROM bench.spans FORMAT TSV")"
	# every file of the data directory, less the merged-away parts that
	# wait for their cleanup (old_parts_lifetime)
	inactive=$(ch_query "SELECT sum(bytes) FROM system.parts WHERE NOT active")
	ch_stop
	total=$(du -sb "$d/data" | cut -f1)
	[ "${rows:-0}" -gt 0 ] && put ch_bytes $(((total - ${inactive:-0}) / rows))
	rm -rf "$d"
}

trap 'ch_stop; bench_cleanup' EXIT INT TERM
echo "bench: side by side, $($TL version 2>/dev/null), $(nproc) CPUs, SPANS=$SPANS RUNS=$RUNS SEED=$SEED ORDER=$ORDER, load average $(cut -d' ' -f1-3 /proc/loadavg)"
WORD=
for run in $(seq 1 "$RUNS"); do
	echo "== run $run of $RUNS"
	tracelite_run "$run"
	if [ -n "$CHBIN" ]; then
		clickhouse_run || echo "bench: ClickHouse's side of run $run failed"
	fi
done

# the table: medians over the runs, ratios ClickHouse / tracelite
echo
echo "side by side, $SPANS spans, median of $RUNS run(s), load average $(cut -d' ' -f1-3 /proc/loadavg):"
awk -v word="$WORD" -v chc="${CH_CLIENTS:-4}" '
{ v[$1] = v[$1] " " $2 }
function median(k,   n, a, i, j, t) {
	n = split(v[k], a, " ")
	if (n == 0) return ""
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(x, unit) { return x == "" ? "-" : (x >= 100 || x == int(x) ? sprintf("%.0f", x) : sprintf("%.2f", x)) unit }
# row LABEL CHKEY TLKEY UNIT HIGHER_IS_BETTER
function row(label, c, t, unit, up,   cm, tm, r) {
	cm = median(c); tm = median(t)
	r = "-"
	if (cm != "" && tm != "" && cm > 0 && tm > 0)
		r = up ? sprintf("%.2fx", tm / cm) : (cm >= tm ? sprintf("%.2fx better", cm / tm) : sprintf("%.2fx worse", tm / cm))
	if (!up && r != "-" && unit == " ms") r = cm >= tm ? sprintf("%.1fx faster", cm / tm) : sprintf("%.1fx slower", tm / cm)
	printf "| %s | %s | %s | %s |\n", label, fmt(cm, unit), fmt(tm, unit), r
}
END {
	print "| figure | ClickHouse | tracelite | ratio |"
	print "|---|---|---|---|"
	row("ingest, OTLP JSON, 4 clients (ClickHouse: JSONEachRow, concurrent inserts: " chc ")", "ch_rate", "tl_json_rate", " spans/s", 1)
	row("ingest, OTLP protobuf, 4 clients", "ch_rate", "tl_pb_rate", " spans/s", 1)
	row("bytes on disk per span, all files (JSON store, as ingested)", "ch_bytes", "tl_bytes", "", 0)
	row("bytes on disk per span, all files (JSON store, after the idle-time compaction)", "ch_bytes", "tl_bytes_compacted", "", 0)
	row("bytes on disk per span, all files (protobuf store)", "ch_bytes", "tl_pb_bytes", "", 0)
	row("peak RSS while ingesting, MB (JSON)", "ch_rss", "tl_rss", "", 0)
	row("timeseries spans/1h over 8 days", "ch_timeseries", "tl_timeseries", " ms", 0)
	row("summary over 8 days", "ch_summary", "tl_summary", " ms", 0)
	row("tokens by model over 8 days", "ch_models", "tl_models", " ms", 0)
	row("latest 50 traces", "ch_latest", "tl_latest", " ms", 0)
	row("search for a rare word (" word ")", "ch_search", "tl_search", " ms", 0)
	if (median("tl_rss_all") != "") printf "tracelite peak RSS after the queries: %s MB\n", median("tl_rss_all")
	if (median("tl_pb_rss") != "") printf "tracelite peak RSS while ingesting protobuf: %s MB\n", median("tl_pb_rss")
	if (median("tl_sdk_rss") != "") printf "tracelite peak RSS while ingesting JSON in 512-span requests (the OpenTelemetry SDKs\x27 batch): %s MB (%s spans/s)\n", median("tl_sdk_rss"), median("tl_sdk_rate")
	for (k in v) printf "runs %s:%s\n", k, v[k] | "sort"
}' "$FIG"
grep -q '^tl_json_rate ' "$FIG"
