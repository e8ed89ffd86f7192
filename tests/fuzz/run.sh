#!/bin/sh
# run.sh: runs each libFuzzer harness of build-fuzz/fuzz/ (make fuzz-build)
# over its corpus, tests/fuzz/corpus/<harness>/ (every input first), then
# fuzzes it for SECONDS (the first argument, default 10). Each harness is one
# test, failed by any crash, stack overflow, leak, timeout or stored span
# that does not read back. Output goes under $FUZZ_OUT (default
# build-fuzz/out): <harness>.log, the failing input as <harness>-crash-<sha1>
# (or leak-, timeout-, oom-), and inputs that reached new code in
# new/<harness>/, which stay there (docs/fuzzing.md says when to add one to
# the corpus). FUZZ_JOBS harnesses (default 2) run at once. The last line
# is "N passed, N failed".
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/../.." || exit 2
out=${FUZZ_OUT:-build-fuzz/out}
mkdir -p "$out"

# The corpus file whose content is the saved input $1 (named by its SHA-1).
corpus_name() {
	sha=$(sha1sum <"$1" | cut -c1-40)
	for f in "$2"/*; do
		[ "$(sha1sum <"$f" | cut -c1-40)" = "$sha" ] && printf ' (corpus file %s)' "$f"
	done
}

# Runs harness $2 (tests/fuzz/fuzz_X.c) for $1 seconds and prints one line:
# "ok NAME: ..." or "FAIL NAME: ...".
fuzz_one() {
	secs=$1
	src=$2
	name=$(basename "$src" .c)
	bin=build-fuzz/fuzz/$name
	corpus=tests/fuzz/corpus/$name
	case $name in
	fuzz_searchq) max_len=4096 ;;    # q is at most 1,024 bytes
	fuzz_sketch) max_len=49152 ;;    # SKETCH_ENCODED_MAX is 48,010
	*) max_len=65536 ;;
	esac
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: no binary at $bin (make fuzz-build)"
		return
	fi
	mkdir -p "$out/new/$name"
	log=$out/$name.log
	"$bin" -max_total_time="$secs" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/$name-" "$out/new/$name" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "ok $name: ${runs:-?} runs, ${speed:-?} execs/s, corpus $(ls "$corpus" | wc -l) + $(ls "$out/new/$name" | wc -l) new"
		return
	fi
	what=$(grep -m1 -E '^fuzz|ERROR:|runtime error:' "$log")
	saved=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | head -n 1)
	if [ -n "$saved" ] && [ -f "$saved" ]; then
		saved="; input saved as $saved$(corpus_name "$saved" "$corpus")"
	fi
	echo "FAIL $name: exit $rc: ${what:-see $log}$saved"
}

if [ "${1:-}" = --one ]; then
	fuzz_one "$2" "$3"
	exit 0
fi
secs=${1:-10}
# One harness per xargs call, FUZZ_JOBS at once; each prints its line whole.
ls tests/fuzz/fuzz_*.c | xargs -n1 -P"${FUZZ_JOBS:-2}" sh "$self" --one "$secs" >"$out/results"
cat "$out/results"
passed=$(grep -c '^ok ' "$out/results")
failed=$(grep -c '^FAIL ' "$out/results")
expected=$(ls tests/fuzz/fuzz_*.c | wc -l)
if [ $((passed + failed)) -ne "$expected" ]; then
	echo "FAIL: $((passed + failed)) of $expected harnesses reported"
	failed=$((expected - passed))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
