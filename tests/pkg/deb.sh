#!/bin/sh
# deb.sh [RELEASE]: the Debian package end to end, as root. Builds two .debs
# (`make deb` at VERSION and at NEWER), checks them with lintian (no errors)
# and the unit with systemd-analyze verify, then in a debootstrapped minimal
# RELEASE chroot (default: this machine's codename; kept in build/pkg/) installs
# the older one, runs the service the way tracelite.service does (its User,
# Environment, EnvironmentFile and ExecStart, no systemd in a chroot), sends
# traces with curl, upgrades to the newer one (the traces and an edited
# /etc/default/tracelite stay), removes (data and settings stay, and a new
# install serves the old traces), and purges (both gone). On the way: OTLP/gRPC
# answers on TRACELITE_GRPC_LISTEN, an API key made with the documented
# `runuser -u tracelite -- tracelite keys create` is then required (401
# without, 200 with; gRPC UNAUTHENTICATED without) and leaves the store the
# service's, and --tls-self-signed in TRACELITE_SERVE_FLAGS serves HTTPS and
# gRPC over TLS (curl trusting the made certificate). Then it boots the
# chroot with systemd-nspawn (systemd-container) to run the real unit:
# hardening in force (user, NoNewPrivileges, seccomp, MemoryMax), with a key
# and --tls-self-signed (so the system-call filter meets TLS, gRPC and keys),
# on 0.0.0.0:4318, ingest, gRPC on 4317, the login link in the journal, restart,
# Restart=on-failure after a kill -9, a clean stop.
# Not part of `make test`: it needs root, debootstrap and a Debian mirror, and
# builds the binary twice (a few minutes). Run it as `make test-deb`.
# Last line: "N passed, N failed"; exit status non-zero if anything failed.
cd "$(dirname "$0")/../.." || exit 2
[ "$(id -u)" = 0 ] || { echo "deb.sh: needs root (chroot, dpkg)"; exit 2; }
. /etc/os-release
RELEASE=${1:-$VERSION_CODENAME}
MIRROR=${DEB_MIRROR:-http://deb.debian.org/debian}
OLD=${OLD_VERSION:-0.1.0}
NEW=${NEW_VERSION:-0.1.1}
ARCH=$(dpkg --print-architecture)
ROOT=$PWD/build/pkg/chroot-$RELEASE
ART=tests/artifacts/pkg
mkdir -p "$ART"
LOG=$ART/deb.log
cleanup() { mountpoint -q "$ROOT/proc" && umount -l "$ROOT/proc"; }
. tests/pkg/lib.sh
: >"$ART/deb.log"

need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
missing=""
need lintian lintian
need debootstrap debootstrap
need curl curl
need setpriv util-linux
if [ -n "$missing" ]; then
	echo "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >>"$ART/deb.log" 2>&1
fi

# 1. Two builds and their static checks.
for v in "$OLD" "$NEW"; do
	check "make deb VERSION=$v" make deb VERSION="$v"
	deb=build/pkg/tracelite_${v}_$ARCH.deb
	check "lintian $deb: no errors" lintian --fail-on error --info "$deb"
	lintian --info "$deb" >"$ART/lintian-$v.txt" 2>&1
done
OLD_DEB=build/pkg/tracelite_${OLD}_$ARCH.deb
NEW_DEB=build/pkg/tracelite_${NEW}_$ARCH.deb
check "the package holds the binary, unit, settings, man page and copyright" sh -c "
	dpkg-deb -c $NEW_DEB | grep -q ' ./usr/bin/tracelite$' &&
	dpkg-deb -c $NEW_DEB | grep -q 'systemd/system/tracelite.service$' &&
	dpkg-deb -c $NEW_DEB | grep -q ' ./etc/default/tracelite$' &&
	dpkg-deb -c $NEW_DEB | grep -q ' ./usr/share/man/man1/tracelite.1.gz$' &&
	dpkg-deb -c $NEW_DEB | grep -q ' ./usr/share/doc/tracelite/copyright$' &&
	dpkg-deb -f $NEW_DEB Depends | grep -q libsqlite3 &&
	dpkg-deb -I $NEW_DEB conffiles | grep -qx /etc/default/tracelite"
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants ExecStart's binary: a root with the package unpacked; the
	# man page of Documentation= is not installed here (--man=no).
	vroot=$(mktemp -d)
	dpkg-deb -x "$NEW_DEB" "$vroot"
	unit=$(find "$vroot" -name tracelite.service)
	sed "s#^ExecStart=/usr/bin/tracelite#ExecStart=$vroot/usr/bin/tracelite#" "$unit" >"$vroot/tracelite.service"
	check "systemd-analyze verify tracelite.service" sh -c "
		systemd-analyze verify --man=no '$vroot/tracelite.service' >'$ART/verify.txt' 2>&1; rc=\$?
		cat '$ART/verify.txt'; [ \$rc -eq 0 ] && ! grep -i 'tracelite.service' '$ART/verify.txt'"
	rm -rf "$vroot"
else
	echo "skip: systemd-analyze not installed"
fi
[ -f "$OLD_DEB" ] && [ -f "$NEW_DEB" ] || exit 1

# 2. The chroot.
if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
	echo "debootstrap $RELEASE into $ROOT"
	rm -rf "$ROOT"
	debootstrap --variant=minbase "$RELEASE" "$ROOT" "$MIRROR" >"$ART/debootstrap.log" 2>&1 ||
		{ tail -n 5 "$ART/debootstrap.log"; bad "debootstrap $RELEASE"; exit 1; }
fi
# Only a proc of its own is mounted (no bind of the host's /dev or /sys, so
# removing build/ never reaches them); debootstrap made the device nodes.
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
for d in null:1:3 zero:1:5 urandom:1:9; do
	n=${d%%:*}
	[ -c "$ROOT/dev/$n" ] || { rm -f "$ROOT/dev/$n"; mknod -m 666 "$ROOT/dev/$n" c $(echo "${d#*:}" | tr : ' '); }
done
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
apt_in() { in_root apt-get -y -q -o Dpkg::Options::=--force-confold "$@"; }
# A leftover from an earlier run.
in_root dpkg --purge tracelite >>"$ART/deb.log" 2>&1
cp "$OLD_DEB" "$NEW_DEB" "$ROOT/tmp/"
in_root apt-get update -q >>"$ART/deb.log" 2>&1

PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000 ))
GPORT=$((PORT + 1))
URL=http://127.0.0.1:$PORT
TLS=""   # curl's flags for the server's TLS, when it serves it

# Runs /usr/bin/tracelite in the chroot as tracelite.service would: its
# User/Group, WorkingDirectory, UMask, Environment= then EnvironmentFile=,
# and ExecStart with $TRACELITE_SERVE_FLAGS split on spaces.
start() {
	unit=$(in_root sh -c 'ls /lib/systemd/system/tracelite.service /usr/lib/systemd/system/tracelite.service 2>/dev/null | head -n 1')
	u=$ROOT$unit
	user=$(sed -n 's/^User=//p' "$u")
	wd=$(sed -n 's/^WorkingDirectory=//p' "$u")
	umask_=$(sed -n 's/^UMask=//p' "$u")
	envs=$(sed -n 's/^Environment=//p' "$u")
	envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$u")
	exec_=$(sed -n 's/^ExecStart=//p' "$u")
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin $envs sh -c "
		set -a; [ -r $envfile ] && . $envfile; set +a
		cd $wd && umask $umask_ &&
		exec setpriv --reuid $user --regid $user --init-groups --no-new-privs $exec_" \
		>>"$ART/server.log" 2>&1 &
	pid=$!
	wait_up 100 "$ART/server.log" curl $TLS -fs "$URL/api/health"
}
send() { # send TRACE_ID: one OTLP JSON span with curl
	now=$(date +%s)000000000
	curl $TLS -fsS "$URL/v1/traces" -H 'Content-Type: application/json' -d "{\"resourceSpans\":[{\"resource\":
		{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"deb-test\"}}]},\"scopeSpans\":[{\"spans\":[
		{\"traceId\":\"$1\",\"spanId\":\"00000000000000a1\",\"name\":\"chat gpt-4o\",\"kind\":3,
		 \"startTimeUnixNano\":\"$now\",\"endTimeUnixNano\":\"$now\"}]}]}]}"
}
has() { # has TRACE_ID: the API returns it (the write queue commits within a few seconds)
	i=0
	while [ $i -lt 50 ]; do
		curl $TLS -fs "$URL/api/traces/$1" | grep -q "$1" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# grpc [CURL ARGS...]: one empty OTLP/gRPC trace Export (a 5-byte frame)
# to GPORT; prints the grpc-status trailer's value.
printf '\0\0\0\0\0' >"$ART/grpc-empty"
grpc() {
	scheme=http h2=--http2-prior-knowledge
	[ -n "$TLS" ] && scheme=https h2=--http2
	curl $TLS -sS $h2 -o /dev/null -D - -H 'content-type: application/grpc' -H 'te: trailers' \
		--data-binary @"$ART/grpc-empty" "$@" \
		"$scheme://127.0.0.1:$GPORT/opentelemetry.proto.collector.trace.v1.TraceService/Export" |
		tr -d '\r' | sed -n 's/^grpc-status: //p'
}
code() { # code [CURL ARGS...]: the HTTP status of GET /api/traces
	curl $TLS -s -o /dev/null -w '%{http_code}' "$@" "$URL/api/traces"
}
until_code() { # until_code WANT [CURL ARGS...]: the server rereads its keys within 200 ms
	want=$1
	shift
	i=0
	while [ $i -lt 20 ]; do
		[ "$(code "$@")" = "$want" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "GET /api/traces: $(code "$@"), wanted $want"
	return 1
}
owned() { # every file of /var/lib/tracelite is the tracelite user's
	[ -n "$(ls "$ROOT/var/lib/tracelite")" ] &&
		[ -z "$(find "$ROOT/var/lib/tracelite" ! -user "$(chroot "$ROOT" id -u tracelite)")" ]
}
T1=0af7651916cd43dd8448eb211c80319c
T2=5b8efff798038103d269b633813fc60c

# 3. Install the older build, serve, send.
check "apt-get install $OLD_DEB (dependencies from Debian)" apt_in install "/tmp/$(basename "$OLD_DEB")"
check "the tracelite system user and /var/lib/tracelite (0750, tracelite's)" sh -c "
	in_root() { chroot '$ROOT' \"\$@\"; }
	in_root getent passwd tracelite | grep -q ':/var/lib/tracelite:' &&
	[ \"\$(in_root stat -c '%U %a' /var/lib/tracelite)\" = 'tracelite 750' ]"
check "the service is enabled (multi-user.target.wants)" test -L "$ROOT/etc/systemd/system/multi-user.target.wants/tracelite.service"
check "man tracelite is installed" test -s "$ROOT/usr/share/man/man1/tracelite.1.gz"
# The settings file: every line a comment; set the port here (kept on upgrade).
check "/etc/default/tracelite has every option commented" sh -c "! grep -v '^#' '$ROOT/etc/default/tracelite' | grep -q ."
# serve reads the environment before its flags, so --help fails on a bad value.
check "its settings, uncommented as shown, are accepted by tracelite serve" chroot "$ROOT" /bin/sh -c "
	set -a; $(sed -n 's/^#\(TRACELITE_[A-Z_]*=.*\)/\1/p' "$ROOT/etc/default/tracelite"); set +a
	tracelite serve --help >/dev/null"
check "it names every TRACELITE_ variable the source reads" sh -c "
	for v in \$(grep -rhoE '\"TRACELITE_[A-Z_]+\"' src | tr -d '\"' | sort -u); do
		grep -q \"\$v\" '$ROOT/etc/default/tracelite' || { echo \"missing \$v\"; exit 1; }
	done"
echo "TRACELITE_LISTEN=127.0.0.1:$PORT" >>"$ROOT/etc/default/tracelite"
echo "TRACELITE_GRPC_LISTEN=127.0.0.1:$GPORT" >>"$ROOT/etc/default/tracelite"
check "$OLD starts as the unit would (port from /etc/default/tracelite)" start
check "curl sends a trace to $OLD" send "$T1"
check "$OLD serves it" has "$T1"
check "$OLD stops on SIGTERM with exit 0" stop
check "the data is in /var/lib/tracelite, owned by tracelite" owned

# 4. Upgrade.
check "apt-get install $NEW_DEB upgrades" apt_in install "/tmp/$(basename "$NEW_DEB")"
check "tracelite version is $NEW" sh -c "in_root() { chroot '$ROOT' \"\$@\"; }; in_root tracelite version | grep -qx 'tracelite $NEW'"
check "the edited /etc/default/tracelite is kept" grep -qx "TRACELITE_LISTEN=127.0.0.1:$PORT" "$ROOT/etc/default/tracelite"
check "$NEW starts on the same data" start
check "$NEW still serves the trace sent to $OLD" has "$T1"
check "curl sends a trace to $NEW" send "$T2"
check "$NEW serves it" has "$T2"
check "$NEW answers OTLP/gRPC on TRACELITE_GRPC_LISTEN (grpc-status 0)" test "$(grpc)" = 0

# 4b. An API key for the service, made as /etc/default/tracelite says.
KEY=$(in_root runuser -u tracelite -- tracelite keys create --name deb-admin --scope admin --data /var/lib/tracelite |
	tail -n 1)
check "runuser -u tracelite -- tracelite keys create prints a key" sh -c "echo '$KEY' | grep -qx 'tl_[0-9a-f]\{64\}'"
check "then GET /api/traces without the key: 401" until_code 401
check "with 'Authorization: Bearer KEY': 200" until_code 200 -H "Authorization: Bearer $KEY"
check "gRPC without the key: grpc-status 16 (UNAUTHENTICATED)" test "$(grpc)" = 16
check "gRPC with the key: grpc-status 0" test "$(grpc -H "authorization: Bearer $KEY")" = 0
check "the store stays the tracelite user's after keys create" owned
check "tracelite keys revoke deb-admin (as tracelite)" in_root runuser -u tracelite -- tracelite keys revoke deb-admin --data /var/lib/tracelite
check "with no key left, loopback answers without one again: 200" until_code 200
check "$NEW stops on SIGTERM with exit 0" stop

# 4c. HTTPS with --tls-self-signed from /etc/default/tracelite.
echo "TRACELITE_SERVE_FLAGS=--tls-self-signed" >>"$ROOT/etc/default/tracelite"
URL=https://127.0.0.1:$PORT
TLS=-k
check "$NEW starts with TRACELITE_SERVE_FLAGS=--tls-self-signed (curl -k https)" start
CRT=$ROOT/var/lib/tracelite/tls-self-signed.crt
check "its certificate and key are in /var/lib/tracelite, the key 0600, both tracelite's" sh -c "
	[ \"\$(chroot '$ROOT' stat -c '%U %a' /var/lib/tracelite/tls-self-signed.key)\" = 'tracelite 600' ] &&
	[ \"\$(chroot '$ROOT' stat -c %U /var/lib/tracelite/tls-self-signed.crt)\" = tracelite ]"
check "curl trusting tls-self-signed.crt (no -k) gets the trace over https" sh -c "
	curl -fsS --cacert '$CRT' '$URL/api/traces/$T1' | grep -q '$T1'"
check "plain http on the TLS port gets no answer" sh -c "! curl -fs -m 5 http://127.0.0.1:$PORT/api/health"
check "OTLP/gRPC over TLS (ALPN h2): grpc-status 0" test "$(grpc)" = 0
check "$NEW with TLS stops on SIGTERM with exit 0" stop
sed -i '/^TRACELITE_SERVE_FLAGS=--tls-self-signed$/d' "$ROOT/etc/default/tracelite"
URL=http://127.0.0.1:$PORT
TLS=""

# 5. Remove keeps data and settings; a new install serves them.
check "apt-get remove tracelite" apt_in remove tracelite
check "remove took the binary" test ! -e "$ROOT/usr/bin/tracelite"
check "remove kept /var/lib/tracelite" sh -c "[ -n \"\$(ls '$ROOT/var/lib/tracelite')\" ]"
check "remove kept /etc/default/tracelite" test -f "$ROOT/etc/default/tracelite"
check "reinstall $NEW" apt_in install "/tmp/$(basename "$NEW_DEB")"
check "the reinstalled service starts" start
if has "$T1" && has "$T2"; then ok "after remove and reinstall both traces are served"; else bad "after remove and reinstall both traces are served"; fi
check "it stops on SIGTERM with exit 0" stop

# 6. Purge deletes data and settings.
check "apt-get purge tracelite" apt_in purge tracelite
check "purge deleted /var/lib/tracelite" test ! -e "$ROOT/var/lib/tracelite"
check "purge deleted /etc/default/tracelite" test ! -e "$ROOT/etc/default/tracelite"
check "purge removed the enablement link" test ! -L "$ROOT/etc/systemd/system/multi-user.target.wants/tracelite.service"

# 7. The real unit under systemd: the chroot booted with systemd-nspawn
# (no host systemd needed: --register=no --keep-unit), its own network, and
# a oneshot unit that checks tracelite.service and powers the container off.
if ! command -v systemd-nspawn >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd-container >>"$ART/deb.log" 2>&1
fi
if ! command -v systemd-nspawn >/dev/null 2>&1; then
	echo "skip: systemd-nspawn (systemd-container) not available"
	exit 0
fi
check "systemd, dbus and curl in the chroot" apt_in install --no-install-recommends systemd systemd-sysv dbus curl
check "install $NEW_DEB for the boot" apt_in install "/tmp/$(basename "$NEW_DEB")"
# Beyond loopback, in the container's own network namespace: this needs the
# key made before the service's first start (the store is then the key
# command's: as the tracelite user it stays the service's); and TLS.
echo "TRACELITE_LISTEN=0.0.0.0:4318" >>"$ROOT/etc/default/tracelite"   # a fresh file since the purge
in_root runuser -u tracelite -- tracelite keys create --name boot --scope admin --data /var/lib/tracelite |
	tail -n 1 >"$ROOT/root/tl-key"
check "keys create as tracelite before the first start makes the store, tracelite's" sh -c "
	grep -qx 'tl_[0-9a-f]\{64\}' '$ROOT/root/tl-key' && [ \"\$(chroot '$ROOT' stat -c %U /var/lib/tracelite/tracelite.db)\" = tracelite ]"
echo "TRACELITE_SERVE_FLAGS=--tls-self-signed" >>"$ROOT/etc/default/tracelite"
cat >"$ROOT/etc/systemd/system/tl-check.service" <<'UNIT'
[Unit]
Description=tests/pkg/deb.sh: checks tracelite.service, then powers off
After=tracelite.service
Wants=tracelite.service
[Service]
Type=oneshot
ExecStart=/bin/sh /root/tl-check.sh
ExecStopPost=/bin/systemctl poweroff --no-block
UNIT
ln -sf /etc/systemd/system/tl-check.service "$ROOT/etc/systemd/system/multi-user.target.wants/tl-check.service"
cat >"$ROOT/root/tl-check.sh" <<'CHECK'
#!/bin/sh
# The service runs with an API key in its store and --tls-self-signed.
out=/root/tl-check.out
: >$out
say() { echo "$1" >>$out; }
KEY=$(cat /root/tl-key)
U=https://127.0.0.1:4318
up() { i=0; while [ $i -lt 100 ]; do curl -kfs $U/api/health >/dev/null && return 0; sleep 0.1; i=$((i + 1)); done; return 1; }
served() { i=0; while [ $i -lt 50 ]; do curl -kfs -H "Authorization: Bearer $KEY" $U/api/traces/nspawn-1 | grep -q '"name":"plan"' && return 0; sleep 0.2; i=$((i + 1)); done; return 1; }
prop() { systemctl show tracelite -p "$1" --value; }
up && say up=yes
say "state=$(prop ActiveState)"
say "user=$(prop User)"
pid=$(prop MainPID)
say "uid=$(awk '/^Uid:/ {print $2}' /proc/$pid/status)"
say "nonewprivs=$(awk '/^NoNewPrivs:/ {print $2}' /proc/$pid/status)"
say "seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/$pid/status)"
say "memorymax=$(prop MemoryMax)"
curl -kfs $U/api/spans -H 'Content-Type: application/json' -H "Authorization: Bearer $KEY" \
	-d '{"trace_id":"nspawn-1","span_id":"s1","name":"plan","timestamp":"2026-12-01T10:00:00Z","duration_ms":5}' >/dev/null &&
	served && say served=yes
say "noauth=$(curl -ks -o /dev/null -w '%{http_code}' $U/api/traces)"
curl -fs --cacert /var/lib/tracelite/tls-self-signed.crt $U/api/health >/dev/null && say tls=yes
printf '\0\0\0\0\0' >/root/grpc-empty
say "grpc=$(curl -ksS --http2 -o /dev/null -D - -H 'content-type: application/grpc' -H 'te: trailers' \
	-H "authorization: Bearer $KEY" --data-binary @/root/grpc-empty \
	https://127.0.0.1:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export | tr -d '\r' | sed -n 's/^grpc-status: //p')"
journalctl -b -u tracelite --no-pager | grep -q 'log in to the UI once with https://0.0.0.0:4318/login?token=' && say login_link=yes
systemctl restart tracelite && up && served && say after_restart=yes
kill -9 "$(prop MainPID)"
sleep 3
up && served && say after_crash=yes
say "restarts=$(prop NRestarts)"
say "owner=$(stat -c %U /var/lib/tracelite/tracelite.db)"
systemctl stop tracelite
say "stop=$(prop Result)/$(prop ExecMainStatus)"
journalctl -b -u tracelite --no-pager >/root/tl-check.journal 2>&1
say done=yes
CHECK
rm -f "$ROOT/root/tl-check.out" "$ROOT/root/tl-check.journal"
umount -l "$ROOT/proc"
# On a cgroup v1 host, systemd 256 and later (Debian 13) in the container
# boots only when told to use the legacy hierarchy.
legacy=
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]; then
	legacy="systemd.unified_cgroup_hierarchy=0 SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1"
	export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0
fi
timeout 300 systemd-nspawn --register=no --keep-unit --private-network -D "$ROOT" --boot $legacy >"$ART/nspawn.log" 2>&1
mount -t proc proc "$ROOT/proc"
rm -f "$ART/tl-check.out"
cp "$ROOT/root/tl-check.out" "$ROOT/root/tl-check.journal" "$ART/" 2>/dev/null
if [ ! -f "$ART/tl-check.out" ] && grep -qi cgroup "$ART/nspawn.log"; then
	# e.g. inside a chroot without /sys/fs/cgroup: no container, no verdict
	echo "skip: systemd-nspawn could not boot here: $(grep -i -m1 cgroup "$ART/nspawn.log")"
	rm -f "$ROOT/etc/systemd/system/multi-user.target.wants/tl-check.service" "$ROOT/etc/systemd/system/tl-check.service"
	apt_in purge tracelite >>"$ART/deb.log" 2>&1
	exit 0
fi
uid=$(in_root id -u tracelite)
for want in done=yes up=yes state=active user=tracelite "uid=$uid" nonewprivs=1 seccomp=2 memorymax=536870912 \
	served=yes noauth=401 tls=yes grpc=0 login_link=yes after_restart=yes after_crash=yes restarts=1 owner=tracelite stop=success/0; do
	check "booted with systemd: $want" grep -qx "$want" "$ART/tl-check.out"
done
rm -f "$ROOT/etc/systemd/system/multi-user.target.wants/tl-check.service" "$ROOT/etc/systemd/system/tl-check.service" "$ROOT/root/tl-key"
check "apt-get purge tracelite after the boot" apt_in purge tracelite
check "the purge deleted /var/lib/tracelite" test ! -e "$ROOT/var/lib/tracelite"
