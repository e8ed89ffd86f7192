#!/bin/sh
# retention.sh TL BUILD DATA: part of `make bench`: ingest rate while
# retention deletes. Copies the bench store DATA, ingests
# BENCH_RETENTION_SPANS protobuf spans (default 100,000) without deletion,
# then restarts with --max-disk at half the store's size and ingests as
# many again while the retention thread deletes the oldest traces; prints
# both rates, what was deleted (and its share of the traces stored) and how
# long the store took to fit, or that it did not within the wait. Prints
# figures only; never fails on a time.
TL=$1
B=$2
SRC=$3
SPANS=${BENCH_RETENTION_SPANS:-100000}
. tests/bench/lib.sh
bench_setup bench-ret
cp -r "$SRC" "$DIR/data" || exit 1
start() { bench_start --grpc-listen off "$@"; }
stop() {
	kill "$PID"
	wait "$PID" 2>/dev/null
	PID=
}
# disk_field NAME: a number of /api/health's "disk" object
disk_field() { curl -s "$URL/api/health" | sed -n "s/.*\"disk\":{.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
rate() { sed -n 's/^protobuf spans\/s: \([0-9.]*\).*/\1/p' "$1"; }

start
# trace numbers no other step sends: run.sh's gRPC step sends from
# 200,000,000, and the same spans again are found stored and skipped
# (1.7x the rate of new ones), which is not the rate of ingest
$B/loadgen ingest --url "$URL/v1/traces" --format protobuf --spans "$SPANS" --first-trace 400000000 >"$DIR/base.out" || true
stop
size=$(du -sb "$DIR/data" | cut -f1)
cap=$((size / 2))
traces() { "$TL" sql --data "$DIR/data" "SELECT count(*) FROM traces"; }
before=$(traces)
start --max-disk "$cap"
t0=$(date +%s.%N)
$B/loadgen ingest --url "$URL/v1/traces" --format protobuf --spans "$SPANS" --first-trace 300000000 >"$DIR/ret.out" || true
during=$(disk_field deleted_traces)
i=0
until [ "$(disk_field data_bytes)" -le "$cap" ] 2>/dev/null || [ $i -gt 3000 ]; do
	i=$((i + 1))
	sleep 0.1
done
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
fit="fit after s: $secs"
[ "$(disk_field data_bytes)" -le "$cap" ] 2>/dev/null || fit="did not fit within s: $secs"
deleted=$(disk_field deleted_traces)
reclaimed=$(disk_field reclaimed_bytes)
stop
after=$(du -sb "$DIR/data" | cut -f1)
left=$(traces)
share=$(awk -v d="$deleted" -v l="$left" 'BEGIN { if (d + l > 0) printf "%.0f", 100 * d / (d + l) }')
echo "retention: ingest protobuf spans/s without deletion: $(rate "$DIR/base.out")"
echo "retention: ingest protobuf spans/s while --max-disk deletes: $(rate "$DIR/ret.out") ($during traces deleted meanwhile)"
echo "retention: store bytes $size ($before traces), --max-disk $cap, after $after; $deleted traces deleted" \
	"($share% of the $((deleted + left)) stored), $reclaimed bytes given back, $fit"
