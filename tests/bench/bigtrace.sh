#!/bin/sh
# bigtrace.sh: memory and time of GET /api/traces/{id} for one big trace
# (issue 13: peak RSS <= 96 MB while 4 clients fetch a 5,000-span trace 10
# times each). Stores BENCH_BIG_SPANS (default 5,000) spans of one LLM-agent
# trace (prompts ~1.6 KB, completions ~0.6 KB, tool and retrieval spans,
# events) into a fresh `tracelite serve`, then BENCH_BIG_CLIENTS (4) curl
# loops fetch it BENCH_BIG_FETCHES (10) times each at once. Prints the
# answer's size, the server's RSS before and its peak during the fetches
# (VmHWM, reset through /proc/PID/clear_refs) and the fetch times. Prints
# figures; never fails on a figure. BENCH_BIG_QUERY (e.g. "?format=otlp")
# is appended to the fetched path.
# Usage: sh tests/bench/bigtrace.sh [BINARY]   (make bench-bigtrace)
cd "$(dirname "$0")/../.." || exit 2
TL=${1:-./tracelite}
SPANS=${BENCH_BIG_SPANS:-5000}
CLIENTS=${BENCH_BIG_CLIENTS:-4}
FETCHES=${BENCH_BIG_FETCHES:-10}
QUERY=${BENCH_BIG_QUERY:-}
B=${BENCH_BUILD:-build}
. tests/bench/lib.sh
bench_setup bigtrace
bench_start --grpc-listen off
rss() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$PID/status"; }
TID=b16b16b16b16b16b16b16b16b16b16b1

# the trace, as OTLP JSON requests of 1,000 spans (DIR/req-N.json)
node - "$DIR" "$SPANS" "$TID" <<'EOF' || exit 1
const fs = require('fs');
const [dir, n, tid] = [process.argv[2], +process.argv[3], process.argv[4]];
const words = ('the model reads the retrieved passages and answers the question about shipping times refunds '
	+ 'orders accounts invoices with a short summary that cites each source it used and flags any conflict').split(' ');
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const text = (len) => { let s = ''; while (s.length < len) s += words[Math.floor(rnd() * words.length)] + ' '; return s; };
const sid = (i) => (0x2000000000000000n + BigInt(i)).toString(16);
const base = (BigInt(Date.now()) - 3600000n) * 1000000n;
const kv = (key, v) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } });
for (let at = 0, r = 0; at < n; at += 1000, r++) {
	const spans = [];
	for (let i = at; i < Math.min(n, at + 1000); i++) {
		const kind = i === 0 ? 'agent' : ['llm', 'tool', 'llm', 'retrieval'][i % 4];
		const start = base + BigInt(i) * 2000000n;
		const attrs = [kv('gen_ai.operation.name', kind === 'llm' ? 'chat' : kind === 'tool' ? 'execute_tool' : 'invoke_agent')];
		if (kind === 'llm')
			attrs.push(kv('gen_ai.request.model', 'gpt-4o'), kv('gen_ai.usage.input_tokens', 400 + i % 300),
				kv('gen_ai.usage.output_tokens', 150), kv('gen_ai.prompt', text(1600)), kv('gen_ai.completion', text(600)));
		else if (kind === 'tool')
			attrs.push(kv('tool.name', 'search_orders'), kv('input.value', text(200)), kv('output.value', text(400)));
		else
			attrs.push(kv('retrieval.query', text(100)), kv('retrieval.documents', text(800)));
		const s = { traceId: tid, spanId: sid(i), name: `${kind}-${i % 13}`, kind: 1,
			startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1500000n), attributes: attrs,
			events: i % 5 ? [] : [{ name: 'log', timeUnixNano: String(start + 10n), attributes: [kv('message', text(120))] }] };
		if (i) s.parentSpanId = sid(i < 50 ? 0 : Math.floor(i / 50));
		spans.push(s);
	}
	fs.writeFileSync(`${dir}/req-${r}.json`, JSON.stringify({ resourceSpans: [{
		resource: { attributes: [kv('service.name', 'bigtrace-agent')] },
		scopeSpans: [{ scope: { name: 'bench' }, spans }] }] }));
}
EOF
for f in "$DIR"/req-*.json; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$f" "$URL/v1/traces")
	[ "$code" = 200 ] || { echo "bigtrace bench: POST answered $code"; exit 1; }
done
set -- $(curl -s -o "$DIR/one.json" -w '%{http_code} %{time_total} %{size_download}' "$URL/api/traces/$TID$QUERY")
echo "bigtrace bench: $SPANS-span trace, answer status $1, $(($3 / 1024)) KiB, one fetch alone $2 s"
echo 5 >"/proc/$PID/clear_refs" 2>/dev/null
before=$(rss VmRSS)
[ -n "$BENCH_SAMPLE" ] && { sh $BENCH_SAMPLE $PID & spid=$!; }
t0=$(date +%s.%N)
c=0
pids=
while [ $c -lt "$CLIENTS" ]; do
	(i=0; while [ $i -lt "$FETCHES" ]; do
		curl -s -o /dev/null -w '%{time_total}\n' "$URL/api/traces/$TID$QUERY"; i=$((i + 1)); done) >"$DIR/times-$c" &
	pids="$pids $!"
	c=$((c + 1))
done
wait $pids   # not the server's
[ -n "$BENCH_SAMPLE" ] && { kill $spid; wait $spid; }
t1=$(date +%s.%N)
sort -n "$DIR"/times-* | awk -v r0="$before" -v r1="$(rss VmHWM)" -v t0="$t0" -v t1="$t1" -v c="$CLIENTS" -v f="$FETCHES" '
	{ t[NR] = $1 }
	END { printf "bigtrace bench: %d clients x %d fetches in %.2f s; fetch median %.3f s, max %.3f s; server RSS MB before %.0f, peak during %.0f\n",
		c, f, t1 - t0, t[int((NR + 1) / 2)], t[NR], r0 / 1024, r1 / 1024 }'
