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
