#!/bin/sh
# image.sh: the container image end to end, as root. Builds it (`make image`,
# unless IMAGE_BUILT=1 and the archives exist), reports its size, checks the
# image configuration in both archives (non-root user 10001, /data volume,
# ports 4318 and 4317, the TRACELITE_ environment, the `tracelite health`
# health check in the Docker archive), then runs it: with podman when podman
# can run a container here, otherwise (a container without cgroups or user
# namespaces, like this one) the image's root filesystem, unpacked from its
# layers, under chroot as the image's user with the image's environment
# (ports moved by the same TRACELITE_LISTEN/TRACELITE_GRPC_LISTEN variables).
# It checks that serving beyond loopback without a key refuses, that the
# documented `keys create` makes one, the health check, ingest and query of
# one OTLP JSON trace with curl (401 without the key), an empty OTLP/gRPC
# export with the key, the data owned by the user, HTTPS with
# --tls-self-signed (libssl in the image), and a clean stop. Not part of `make test`. Last line: "N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
[ "$(id -u)" = 0 ] || { echo "image.sh: needs root (debootstrap, chroot)"; exit 2; }
VERSION=$(sed -n 's/^VERSION *= *//p' Makefile)
ARCH=$(dpkg --print-architecture)
OCI=build/pkg/tracelite_${VERSION}_$ARCH.oci.tar
DOCKER=build/pkg/tracelite_${VERSION}_$ARCH.docker.tar
ART=tests/artifacts/pkg
ROOT=$PWD/build/pkg/image-test-root
X=$PWD/build/pkg/image-test-x
mkdir -p "$ART"
: >"$ART/image.log"
LOG=$ART/image.log
cleanup() { mountpoint -q "$ROOT/proc" && umount -l "$ROOT/proc"; }
. tests/pkg/lib.sh
command -v curl >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends curl >/dev/null
command -v node >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs >/dev/null

if [ "${IMAGE_BUILT:-}" != 1 ] || [ ! -f "$OCI" ] || [ ! -f "$DOCKER" ]; then
	check "make image" make -j2 image
fi
[ -f "$OCI" ] && [ -f "$DOCKER" ] || exit 1
echo "size: $OCI $(du -k "$OCI" | cut -f1) KiB, gzip -9: $(gzip -9c "$OCI" | wc -c | awk '{printf "%d", $1 / 1024}') KiB"

# The configuration. js FILE EXPR: EXPR of the JSON in FILE (as c).
js() { node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(eval(process.argv[2]))' "$1" "$2"; }
rm -rf "$X" && mkdir -p "$X/docker" "$X/oci"
tar -xf "$DOCKER" -C "$X/docker"
tar -xf "$OCI" -C "$X/oci"
dconf=$X/docker/$(js "$X/docker/manifest.json" 'c[0].Config')
m=$(js "$X/oci/index.json" 'c.manifests[0].digest' | sed 's#:#/#')
oconf=$X/oci/blobs/$(js "$X/oci/blobs/$m" 'c.config.digest' | sed 's#:#/#')
for f in "$dconf" "$oconf"; do
	kind=Docker
	[ "$f" = "$oconf" ] && kind=OCI
	check "$kind config: user 10001:10001, volume /data, ports 4318 and 4317" test \
		"$(js "$f" '[c.config.User, Object.keys(c.config.Volumes), Object.keys(c.config.ExposedPorts).sort()].join(" ")')" = \
		"10001:10001 /data 4317/tcp,4318/tcp"
	check "$kind config: TRACELITE_LISTEN, TRACELITE_GRPC_LISTEN, TRACELITE_DATA; tracelite serve" test \
		"$(js "$f" '[c.config.Env.filter(e => e.startsWith("TRACELITE_")).sort().join(" "), c.config.Entrypoint, c.config.Cmd].join(" ")')" = \
		"TRACELITE_DATA=/data TRACELITE_GRPC_LISTEN=0.0.0.0:4317 TRACELITE_LISTEN=0.0.0.0:4318 /usr/bin/tracelite serve"
done
check "Docker config: health check CMD /usr/bin/tracelite health" test \
	"$(js "$dconf" 'c.config.Healthcheck.Test.join(" ")')" = "CMD /usr/bin/tracelite health"
ENVS=$(js "$dconf" 'c.config.Env.join("\n")')

# The root filesystem, from the Docker archive's layers in order.
mountpoint -q "$ROOT/proc" && umount -l "$ROOT/proc"
rm -rf "$ROOT" && mkdir -p "$ROOT"
for l in $(js "$X/docker/manifest.json" 'c[0].Layers.join(" ")'); do
	tar -xf "$X/docker/$l" -C "$ROOT"
done
rm -rf "$X"
echo "root filesystem: $(du -sk "$ROOT" | cut -f1) KiB, $(find "$ROOT" -type f | wc -l) files"
check "the image holds the binary, no shell, no package manager" sh -c "
	[ -x '$ROOT/usr/bin/tracelite' ] && [ ! -e '$ROOT/usr/bin/sh' ] && [ ! -e '$ROOT/usr/bin/dpkg' ] && [ ! -e '$ROOT/usr/bin/apt-get' ]"
check "the copyright files of the libraries' packages (libc6, libcurl4, libsqlite3-0, libssl3)" sh -c "
	cd '$ROOT/usr/share/doc' && for p in libc6 libcurl4* libsqlite3-0 libssl3* tracelite; do [ -s \$p/copyright ] || exit 1; done"
check "/data is the user's (10001, 0750)" test "$(stat -c '%u %a' "$ROOT/data")" = "10001 750"

PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000 ))
GPORT=$((PORT + 1))
if command -v podman >/dev/null 2>&1 && podman run --rm --network none "docker-archive:$DOCKER" version >"$ART/podman.log" 2>&1; then
	echo "podman runs containers here: testing the documented podman run line"
	name=tracelite-image-test-$$
	check "podman run --rm -v VOL:/data IMAGE keys create" sh -c \
		"podman volume create $name >/dev/null && podman run --rm -v $name:/data docker-archive:$DOCKER keys create --name admin --scope admin | tail -n 1 >'$ART/image-key'"
	check "podman run -d -p $PORT:4318 -v VOL:/data IMAGE" podman run -d --name "$name" -p "127.0.0.1:$PORT:4318" -v "$name:/data" "docker-archive:$DOCKER"
	i=0
	while [ $i -lt 100 ] && ! curl -fs "http://127.0.0.1:$PORT/api/health" >/dev/null; do sleep 0.2; i=$((i + 1)); done
	check "podman healthcheck run: healthy" podman healthcheck run "$name"
	KEY=$(cat "$ART/image-key")
	T=7d2f2f4e9a3b4c1d8e6f5a4b3c2d1e0f
	check "ingest and query with the key" sh -c "
		curl -fsS http://127.0.0.1:$PORT/v1/traces -H 'Authorization: Bearer $KEY' -H 'Content-Type: application/json' -d '{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"$T\",\"spanId\":\"00000000000000a1\",\"name\":\"chat\",\"startTimeUnixNano\":\"1764590000000000000\",\"endTimeUnixNano\":\"1764590001000000000\"}]}]}]}' &&
		sleep 2 && curl -fs -H 'Authorization: Bearer $KEY' http://127.0.0.1:$PORT/api/traces/$T | grep -q $T"
	podman rm -f "$name" >/dev/null 2>&1
	podman volume rm "$name" >/dev/null 2>&1
	exit 0
fi
why="not installed"
command -v podman >/dev/null 2>&1 && why=$(tail -n 1 "$ART/podman.log")
echo "skip: podman cannot run a container here ($why); running the image's root under chroot"

mount -t proc proc "$ROOT/proc" 2>/dev/null || { mkdir -p "$ROOT/proc" && mount -t proc proc "$ROOT/proc"; }
mkdir -p "$ROOT/dev"
for d in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
	n=${d%%:*}
	mknod -m 666 "$ROOT/dev/$n" c $(echo "${d#*:}" | tr : ' ')
done
# as_image CMD...: CMD in the image's root as its user, with its environment
# and the test's ports (the same variables a `podman run -e` sets).
CHROOT=$(command -v chroot)
as_image() {
	# shellcheck disable=SC2086
	(IFS='
'; exec env -i $ENVS TRACELITE_LISTEN="0.0.0.0:$PORT" TRACELITE_GRPC_LISTEN="0.0.0.0:$GPORT" \
		"$CHROOT" --userspec=10001:10001 "$ROOT" "$@")
}
as_image /usr/bin/tracelite serve >"$ART/image-nokey.log" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q 'keys create' "$ART/image-nokey.log"; then
	ok "serve on 0.0.0.0 with no key refuses (exit 2), naming keys create"
else
	bad "serve on 0.0.0.0 with no key refuses (exit $rc): $(tail -n 2 "$ART/image-nokey.log")"
fi
KEY=$(as_image /usr/bin/tracelite keys create --name admin --scope admin 2>>"$ART/image.log" | tail -n 1)
check "tracelite keys create (as the image's user) prints a key" sh -c "echo '$KEY' | grep -qx 'tl_[0-9a-f]\{64\}'"

HEALTH=""   # tracelite health's flags (none: the image's health check as is)
start() { # start [FLAGS...]: serve in the image's root; waits for the health check
	# one fork that execs env, chroot and tracelite: $! is the server's pid
	(IFS='
'; exec env -i $ENVS TRACELITE_LISTEN="0.0.0.0:$PORT" TRACELITE_GRPC_LISTEN="0.0.0.0:$GPORT" \
		"$CHROOT" --userspec=10001:10001 "$ROOT" /usr/bin/tracelite serve "$@") >>"$ART/image-server.log" 2>&1 &
	pid=$!
	wait_up 100 "$ART/image-server.log" as_image /usr/bin/tracelite health $HEALTH
}
URL=http://127.0.0.1:$PORT
T=7d2f2f4e9a3b4c1d8e6f5a4b3c2d1e0f
now=$(date +%s)000000000
check "the image's command serves; its health check (tracelite health) answers ok" start
check "it runs as uid 10001" sh -c "awk '/^Uid:/ {print \$2}' /proc/$pid/status | grep -qx 10001"
check "curl POSTs one OTLP JSON trace with the key" curl -fsS "$URL/v1/traces" -H "Authorization: Bearer $KEY" \
	-H 'Content-Type: application/json' -d "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",
	\"value\":{\"stringValue\":\"image-test\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"$T\",\"spanId\":\"00000000000000a1\",
	\"name\":\"chat gpt-4o\",\"kind\":3,\"startTimeUnixNano\":\"$now\",\"endTimeUnixNano\":\"$now\"}]}]}]}"
has() {
	i=0
	while [ $i -lt 50 ]; do
		curl -fs -H "Authorization: Bearer $KEY" "$URL/api/traces/$T" | grep -q '"chat gpt-4o"' && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
check "GET /api/traces/$T with the key returns it" has
check "without the key: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/traces")" = 401
printf '\0\0\0\0\0' >"$ART/image-grpc-empty"
check "OTLP/gRPC on TRACELITE_GRPC_LISTEN with the key: grpc-status 0" sh -c "
	curl -sS --http2-prior-knowledge -o /dev/null -D - -H 'content-type: application/grpc' -H 'te: trailers' \
		-H 'authorization: Bearer $KEY' --data-binary @'$ART/image-grpc-empty' \
		http://127.0.0.1:$GPORT/opentelemetry.proto.collector.trace.v1.TraceService/Export | tr -d '\r' | grep -qx 'grpc-status: 0'"
check "the data in /data is the user's" sh -c "[ -s '$ROOT/data/tracelite.db' ] && [ -z \"\$(find '$ROOT/data' ! -user 10001)\" ]"
check "it stops on SIGTERM with exit 0" stop
URL=https://127.0.0.1:$PORT
HEALTH="--url $URL"
check "serve --tls-self-signed (OpenSSL in the image); tracelite health --url https://... ok" start --tls-self-signed
check "curl trusting /data/tls-self-signed.crt gets the trace over HTTPS" sh -c "
	curl -fsS --cacert '$ROOT/data/tls-self-signed.crt' -H 'Authorization: Bearer $KEY' '$URL/api/traces/$T' | grep -q '$T'"
check "the TLS server stops on SIGTERM with exit 0" stop
