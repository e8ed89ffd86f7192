#!/bin/sh
# build.sh BINARY VERSION OUTDIR: the container image of tracelite, as root,
# from Debian's packages only (no image registry): a debootstrapped minimal
# Debian (cached in OUTDIR/image-base-RELEASE) gets the runtime packages of
# BINARY; the image's root holds only BINARY, the shared libraries it loads
# (ldd, plus libssl/libcrypto that civetweb dlopens for TLS), CA
# certificates, their copyright files, passwd/group with the tracelite user
# (uid 10001) and an empty /data. buildah (Debian's, with its own storage
# under OUTDIR) commits it with the user, volume, ports, environment and
# health check, and writes OUTDIR/tracelite_VERSION_ARCH.oci.tar (OCI
# archive) and OUTDIR/tracelite_VERSION_ARCH.docker.tar (Docker archive: the
# format that keeps the health check). Run from the source root.
set -eu
bin=$1
version=$2
out=$3
. /etc/os-release
release=${RELEASE:-$VERSION_CODENAME}
mirror=${DEB_MIRROR:-http://deb.debian.org/debian}
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
uid=10001
base=$(pwd)/$out/image-base-$release
root=$(pwd)/$out/image-root
store=$(pwd)/$out/image-buildah
name=tracelite_${version}_$arch
mkdir -p "$out"

need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/lib/podman/$1" ] || missing="${missing:-} $2"; }
missing=
need debootstrap debootstrap
# netavark: only recommended, but Debian 13's buildah refuses to start without
# a network backend even for `from scratch`.
need buildah buildah
need netavark netavark
if [ -n "$missing" ]; then
	echo "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# 1. The minimal Debian the files come from, and the runtime packages.
if [ ! -x "$base/usr/bin/apt-get" ]; then
	rm -rf "$base"
	debootstrap --variant=minbase "$release" "$base" "$mirror" >"$out/image-debootstrap.log" 2>&1 ||
		{ tail -n 5 "$out/image-debootstrap.log"; exit 1; }
fi
cp /etc/resolv.conf "$base/etc/resolv.conf"
mountpoint -q "$base/proc" || mount -t proc proc "$base/proc"
trap 'umount -l "$base/proc" 2>/dev/null || true' EXIT
in_base() { chroot "$base" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# The packages of the libraries BINARY links (dpkg-shlibdeps, as build.sh of
# the .deb), the OpenSSL civetweb dlopens, and CA certificates for https
# replication targets.
shl=$(mktemp -d)
mkdir -p "$shl/debian"
printf 'Source: tracelite\n\nPackage: tracelite\nArchitecture: any\n' >"$shl/debian/control"
absbin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
pkgs=$(cd "$shl" && dpkg-shlibdeps -O "$absbin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p' |
	tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g' | grep .)
rm -rf "$shl"
ssl=$(dpkg -S "$(readlink -f "/usr/lib/$multiarch/libssl.so.3")" | cut -d: -f1)
in_base apt-get update -q >/dev/null
in_base apt-get install -y -q --no-install-recommends $pkgs "$ssl" ca-certificates >"$out/image-apt.log" 2>&1 ||
	{ tail -n 5 "$out/image-apt.log"; exit 1; }

# 2. The image's root: only what BINARY needs.
rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/data" "$root/usr/share/doc/tracelite"
for d in bin sbin lib lib64; do   # the merged-/usr links, so that /lib64/ld-linux... resolves
	[ -L "$base/$d" ] && cp -a "$base/$d" "$root/$d"
done
install -m 0755 "$bin" "$root/usr/bin/tracelite"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/tracelite"
cp "$root/usr/bin/tracelite" "$base/tmp/tracelite-image"
copy_file() { # copy_file PATH: PATH of the base into the root, through its symlinks
	p=$1
	while :; do
		d=$(in_base readlink -f "$(dirname "$p")")
		f=$d/$(basename "$p")
		mkdir -p "$root$d"
		if [ -L "$base$f" ]; then
			t=$(readlink "$base$f")
			[ -L "$root$f" ] || ln -s "$t" "$root$f"
			case $t in /*) p=$t ;; *) p=$d/$t ;; esac
		else
			[ -e "$root$f" ] || cp -a "$base$f" "$root$f"
			echo "$f" >>"$root.files"
			return
		fi
	done
}
: >"$root.files"
libs=$(in_base ldd /tmp/tracelite-image "/usr/lib/$multiarch/libssl.so.3" |
	awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u)
for l in $libs "/usr/lib/$multiarch/libssl.so.3" "/usr/lib/$multiarch/libcrypto.so.3"; do
	copy_file "$l"
done
# civetweb loads OpenSSL by the unversioned names only libssl-dev installs.
ln -sf libssl.so.3 "$root/usr/lib/$multiarch/libssl.so"
ln -sf libcrypto.so.3 "$root/usr/lib/$multiarch/libcrypto.so"
copy_file /etc/ssl/certs/ca-certificates.crt
copy_file /usr/lib/os-release
ln -s ../usr/lib/os-release "$root/etc/os-release"
# The copyright of every package a file came from (by file name: Debian 12
# registers /lib/... files that merged /usr shows as /usr/lib/...).
for p in $(sort -u "$root.files" | while read -r f; do in_base dpkg -S "*/${f##*/}" 2>/dev/null || true; done | cut -d: -f1 | sort -u); do
	p=${p%%,*}
	[ -f "$base/usr/share/doc/$p/copyright" ] && install -D -m 0644 "$base/usr/share/doc/$p/copyright" "$root/usr/share/doc/$p/copyright"
done
rm -f "$root.files" "$base/tmp/tracelite-image"
install -m 0644 packaging/deb/copyright "$root/usr/share/doc/tracelite/copyright"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\ntracelite:x:%s:%s:tracelite:/data:/usr/sbin/nologin\n' $uid $uid >"$root/etc/passwd"
printf 'root:x:0:\ntracelite:x:%s:\n' $uid >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"
chown $uid:$uid "$root/data"
chmod 0750 "$root/data"

# 3. The image: buildah with its own storage (vfs: no overlay needed).
bh() { BUILDAH_FORMAT=docker buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs "$@"; }
ctr=$(bh from --quiet scratch)
mnt=$(bh mount "$ctr")
cp -a "$root/." "$mnt/"
bh umount "$ctr" >/dev/null
bh config --user $uid:$uid --workingdir /data --volume /data --port 4318/tcp --port 4317/tcp \
	--env TRACELITE_LISTEN=0.0.0.0:4318 --env TRACELITE_GRPC_LISTEN=0.0.0.0:4317 --env TRACELITE_DATA=/data \
	--entrypoint '["/usr/bin/tracelite"]' --cmd serve --stop-signal SIGTERM \
	--healthcheck 'CMD /usr/bin/tracelite health' --healthcheck-interval 30s \
	--healthcheck-timeout 10s --healthcheck-start-period 5s --healthcheck-retries 3 \
	--label org.opencontainers.image.title=tracelite --label org.opencontainers.image.version="$version" \
	--label org.opencontainers.image.description="local-first trace store for LLM and agent applications" \
	--os linux --arch "$arch" "$ctr"
rm -f "$out/$name.oci.tar" "$out/$name.docker.tar"
# Committed straight into the archives (no image in buildah's storage:
# applying a layer there wants a remount this container may refuse).
bh commit --quiet --format docker "$ctr" "docker-archive:$out/$name.docker.tar:localhost/tracelite:$version" >/dev/null
bh commit --quiet --format oci "$ctr" "oci-archive:$out/$name.oci.tar:localhost/tracelite:$version" >/dev/null 2>"$out/image-oci.log" ||
	{ cat "$out/image-oci.log"; exit 1; }
bh rm "$ctr" >/dev/null
rm -rf "$store"
echo "$out/$name.oci.tar"
echo "$out/$name.docker.tar"
