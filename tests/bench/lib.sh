# lib.sh: what the bench scripts share, sourced after B (build directory)
# and TL (binary) are set: bench_setup NAME makes the load generator, a
# temp directory DIR, a free PORT and URL, and a trap that stops the server
# (PID) and removes DIR; bench_start ARGS... starts `TL serve` on PORT with
# DIR/data and waits until /api/health answers, or shows the log and exits.
bench_setup() {
	make -s B="$B" "$B/loadgen" || exit 1
	DIR=$(mktemp -d "/tmp/tracelite-$1.XXXXXX")
	PORT=$($B/loadgen freeport) || exit 1
	URL=http://127.0.0.1:$PORT
	PID=
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$DIR"
}

bench_start() {
	lines=$(cat "$DIR/server.log" 2>/dev/null | wc -l)
	$TL serve --listen 127.0.0.1:$PORT --data "$DIR/data" "$@" >>"$DIR/server.log" 2>&1 &
	PID=$!
	i=0
	# health answered by this server: it has said it serves (the free port
	# may have been taken by another test's server meanwhile)
	until tail -n +$((lines + 1)) "$DIR/server.log" | grep -q "serving on" && kill -0 "$PID" 2>/dev/null &&
		curl -sf "$URL/api/health" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$PID" 2>/dev/null; then
			echo "bench: the server did not start:"
			tail -20 "$DIR/server.log"
			exit 1
		fi
		sleep 0.1
	done
}
