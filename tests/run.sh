#!/bin/sh
# run.sh: the whole test suite, run by `make test` after the builds. Runs
# every unit-test binary (plain and sanitized), a short run of each libFuzzer
# harness over its corpus (one test per harness), then the JavaScript
# black-box suite twice: against ./tracelite and against the ASan/UBSan
# build, then the web UI's browser tests once. The sanitized JS suite runs
# in the background from the start, beside all the rest, so both cores
# stay busy; its output is shown when it ends. Each part's
# counts are summed; the last line is exactly "N passed, N failed", and the
# exit status is non-zero if anything failed.
# Logs (unit output, TAP, server logs) go to tests/artifacts/.
cd "$(dirname "$0")/.." || exit 2
ART=tests/artifacts
rm -rf "$ART"
mkdir -p "$ART"
passed=0
failed=0

note() { printf '%s\n' "$*"; }
fail_one() { note "FAIL: $*"; failed=$((failed + 1)); }

# Unit tests: each binary prints "N passed, N failed" as its last line.
# $1 the binary, rest: its arguments.
run_unit() {
	bin=$1
	shift
	log="$ART/unit-$(echo "$bin" | tr / _).log"
	timeout 300 "$bin" "$@" >"$log" 2>&1
	rc=$?
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$last" ]; then
		tail -n 20 "$log"
		fail_one "$bin exited $rc without a 'N passed, N failed' line"
		return
	fi
	p=${last%% passed*}
	f=${last#*passed, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		tail -n 20 "$log"
		fail_one "$bin exited $rc after reporting no failure"
	elif [ "$f" -ne 0 ]; then
		grep -E '^FAIL' "$log" | head -n 20
	fi
	note "$bin: $last"
}

# The layering of src/ (folders along the data path, no include cycles).
run_unit tests/static/layering.mjs

# npm packages of package-lock.json, installed again when the lock changed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	note "npm ci"
	if ! npm ci --no-audit --no-fund >"$ART/npm-ci.log" 2>&1; then
		tail -n 20 "$ART/npm-ci.log"
		fail_one "npm ci"
	fi
fi

# Test files run at once: node runs one at a time on 2 cores
# (availableParallelism - 1), and most of a file's time is spent waiting on
# its servers. Node before 20.10 (Debian 12's 18) has no such flag.
if node --test-concurrency=1 -e 0 >/dev/null 2>&1; then
	concurrency() { echo "--test-concurrency=$1"; }
else
	concurrency() { :; }
fi

# The JS suite's files, the longest first (measured under ASan; the rest in
# name order), so that no long file starts last and runs alone at the end.
LONGEST="zformat chunkfmt span_ids retention span_totals search_tidy zcompact replication previews auth rollup_horizon preview_refs"
js_files() {
	for n in $LONGEST; do
		[ -f "tests/js/$n.test.mjs" ] && echo "tests/js/$n.test.mjs"
	done
	for f in tests/js/*.test.mjs; do
		case " $LONGEST " in *" $(basename "$f" .test.mjs) "*) ;; *) echo "$f" ;; esac
	done
}

# The JS suite (or $SUITE, e.g. tests/ui/) against one binary, $3 files at
# once. $1 label, $2 binary, rest: env settings.
run_js() {
	label=$1
	bin=$2
	files=$3
	shift 3
	if [ ! -x "$bin" ]; then
		fail_one "$label: no binary at $bin"
		return
	fi
	tap="$ART/js-$label.tap"
	note "== node --test ${SUITE:-tests/js/} with TRACELITE_BIN=$bin"
	env "$@" TRACELITE_BIN="$bin" TRACELITE_ARTIFACTS="servers-$label" \
		timeout 1500 node --test $(concurrency "$files") \
		--test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=tap --test-reporter-destination="$tap" \
		${SUITE:-$(js_files)}
	rc=$?
	p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
	f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
	c=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
	if [ -z "$p" ] || [ -z "$f" ]; then
		fail_one "$label: node --test exited $rc without a summary"
		return
	fi
	f=$((f + ${c:-0}))
	passed=$((passed + p))
	failed=$((failed + f))
	# A failing hook (a server that would not stop) fails the run but no test.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail_one "$label: node --test exited $rc after reporting no failure"
	fi
	note "$label: $p passed, $f failed"
}

# A JS suite in the background: run_js's output in $ART/js-$1.out and its
# counts in $ART/js-$1.counts, read by js_collect. Arguments as run_js's.
js_background() {
	(
		passed=0
		failed=0
		run_js "$@"
		echo "$passed $failed" >"$ART/js-$1.counts"
	) >"$ART/js-$1.out" 2>&1 &
}

# Waits for the background suite $2 (its pid $1), shows its output and adds
# its counts.
js_collect() {
	wait "$1"
	cat "$ART/js-$2.out"
	if read -r p f <"$ART/js-$2.counts" 2>/dev/null; then
		passed=$((passed + p))
		failed=$((failed + f))
	else
		fail_one "$2: the background suite left no counts ($ART/js-$2.out)"
	fi
}

# The sanitized suite, the longest part and CPU-bound, runs in the
# background from the start, beside the rest, so both cores stay busy. The
# server aborts on any report (leaks at exit) and the helpers fail the test
# whose server log holds one.
js_background asan build-asan/tracelite 2 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	TRACELITE_SANITIZED=1
asan_pid=$!

for dir in build/tests build-asan/tests; do
	for bin in "$dir"/test_*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		run_unit "$bin"
	done
done

# The fuzz harnesses (tests/fuzz/, docs/fuzzing.md): every corpus input,
# then FUZZ_SMOKE_SECONDS (default 10) of fuzzing each, one test each.
export FUZZ_OUT="$ART/fuzz"
run_unit tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-10}"

# The side-by-side benchmark's smoke (tests/bench/side.sh, run in full by
# `make bench-clickhouse`): 2,000 spans of prose, tracelite's side only.
if SPANS=2000 SKIP_CH=1 timeout 300 sh tests/bench/side.sh >"$ART/bench-side.log" 2>&1; then
	passed=$((passed + 1))
	note "bench-clickhouse smoke: 1 passed, 0 failed"
else
	tail -n 20 "$ART/bench-side.log"
	fail_one "bench-clickhouse smoke (SPANS=2000 SKIP_CH=1 sh tests/bench/side.sh)"
fi

# The browser tests of the web UI, once, against ./tracelite: Debian's
# chromium driven by playwright-core (chromium installed here if missing),
# after the plain suite (beside it, with the sanitized suite too, the
# machine is so loaded that waits sized for one suite run out).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
	note "apt-get install chromium"
	# under the lock the replication tests' apt-get takes (tests/js/targets.mjs),
	# as the sanitized suite runs them meanwhile
	flock /tmp/tracelite-apt.lock sh -c 'apt-get -o DPkg::Lock::Timeout=600 update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends chromium' \
		>"$ART/apt-chromium.log" 2>&1 || tail -n 5 "$ART/apt-chromium.log"
fi
run_js plain ./tracelite 3
SUITE=tests/ui/
run_js ui ./tracelite 1
SUITE=

js_collect "$asan_pid" asan

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
