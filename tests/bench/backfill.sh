#!/bin/sh
# backfill.sh: the attribute-index backfill (src/store/backfill.c) on a demo
# store of TRACES agent traces (default 16,700: about 100k spans) written
# with the index, then stripped back to what a store written before schema
# 007 holds (no trace_pairsets, attr_pairs, resource_attrs, trace_resources
# rows; schema 013 undone). Starting the binary migrates and backfills in the
# background: prints the time, the batches, the rows it made against the
# rows ingest had made, and an ingest probe's latency while it runs.
# Usage: B=build TL=./tracelite sh tests/bench/backfill.sh [TRACES]
B=${B:-build}
TL=${TL:-./tracelite}
TRACES=${1:-16700}
. tests/bench/lib.sh
bench_setup backfill
NMIG=$(ls schema/*.sql | grep -c '/[0-9][0-9][0-9]_')
$TL demo --traces "$TRACES" --days 7 --data "$DIR/data" >/dev/null || exit 1
DB="$DIR/data/tracelite.db"
SPANS=$($TL sql --data "$DIR/data" 'SELECT count(*) FROM spans')
CHUNKS=$(sqlite3 "$DB" 'SELECT count(*) FROM chunks')
ROWS_INGEST=$(sqlite3 "$DB" 'SELECT (SELECT count(*) FROM trace_pairsets) || "/" || (SELECT count(*) FROM resource_attrs) || "/" || (SELECT count(*) FROM trace_resources)')
sqlite3 "$DB" "DELETE FROM trace_pairsets; DELETE FROM pair_blocks; DELETE FROM attr_pairs;
  DELETE FROM resource_attrs; DELETE FROM trace_resources;
  DROP TABLE attr_backfill; DROP INDEX scores_session; ALTER TABLE scores DROP COLUMN session_id;
  DELETE FROM schema_migrations WHERE number = 13; PRAGMA user_version = $((NMIG - 1)); VACUUM;" || exit 1
T0=$(date +%s.%N)
bench_start
# one small OTLP request every 0.2 s while the backfill runs: its latency
# is what ingest pays (it waits for at most one batch); then 10 more after
probe() {
	curl -s -o /dev/null -w '%{time_total}' -H 'content-type: application/json' \
		--data '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"probe"}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"probe","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}' \
		"$URL/v1/traces"
}
worst=0
n=0
until curl -s "$URL/api/health" | grep -q '"complete":true'; do
	worst=$(echo "$(probe) $worst" | awk '{print ($1 > $2) ? $1 : $2}')
	n=$((n + 1))
	sleep 0.2
done
T1=$(date +%s.%N)
after=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	after=$(echo "$(probe) $after" | awk '{print ($1 > $2) ? $1 : $2}')
	sleep 0.2
done
ROWS_BACKFILL=$(sqlite3 "$DB" 'SELECT (SELECT count(*) FROM trace_pairsets) || "/" || (SELECT count(*) FROM resource_attrs) || "/" || (SELECT count(*) FROM trace_resources)')
echo "store: $SPANS spans in $CHUNKS chunks"
echo "backfill: $(grep -o 'attribute index: .*' "$DIR/server.log"); wall from start $(echo "$T1 $T0" | awk '{printf "%.1f", $1 - $2}') s"
echo "rows trace_pairsets/resource_attrs/trace_resources: at ingest $ROWS_INGEST, by the backfill $ROWS_BACKFILL"
echo "ingest probe: worst of $n while backfilling $(echo "$worst" | awk '{printf "%.0f", $1 * 1000}') ms, of 10 after $(echo "$after" | awk '{printf "%.0f", $1 * 1000}') ms"
