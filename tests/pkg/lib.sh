# lib.sh: what the package tests (deb.sh, image.sh, arm64.sh, static.sh)
# share: counting checks, logging each command to $LOG, and the exit that
# prints "N passed, N failed". Source it after setting LOG; a script may
# define cleanup() (called first on exit) to stop what it started.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...: one test, passed when COMMAND succeeds
	what=$1
	shift
	if "$@" >>"$LOG" 2>&1; then ok "$what"; else bad "$what"; fi
}
finish() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
	command -v cleanup >/dev/null 2>&1 && cleanup
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}
trap 'finish' EXIT INT TERM
# wait_up TRIES SERVERLOG COMMAND...: polls COMMAND every 0.1 s, up to TRIES
# times, while the server $pid lives; on failure shows SERVERLOG's end.
wait_up() {
	tries=$1
	serverlog=$2
	shift 2
	i=0
	while [ $i -lt "$tries" ]; do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	tail -n 5 "$serverlog"
	return 1
}
# stop: SIGTERM to the server $pid, as systemd or a container engine stops
# it; true when it exits 0.
stop() {
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=
	return $rc
}
