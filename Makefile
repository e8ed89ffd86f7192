# tracelite build. `make run` and `make test` install what is missing
# (Debian packages as root, npm ci) and then build; see README.md.
CC      ?= cc
PKGS     = sqlite3 libzstd libprotobuf-c libcjson zlib libcurl libpq libnghttp2
CFLAGS  ?= -O2 -g
SAN     ?=
B       ?= build
VERSION  = 0.1.0
# CFLAGS and SAN may be set on the command line; the rest always applies.
ALLFLAGS = $(CFLAGS) $(SAN) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I$(B) -Isrc \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -DTRACELITE_VERSION='"$(VERSION)"'
LDLIBS   = -lcivetweb $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lmbedtls -lmbedx509 -lmbedcrypto -ldl -lpthread -lm
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS     = $(wildcard src/*/*.c)
OBJS     = $(patsubst src/%.c,$(B)/%.o,$(SRCS)) $(B)/otlp.pb-c.o $(B)/schema.o $(B)/schema_ch.o $(B)/schema_pg.o \
           $(B)/prices_table.o $(B)/webfiles.o
# The web UI: web/ plus uPlot's built files from npm (node_modules via npm ci).
WEB      = $(sort $(wildcard web/*))
WEB_NPM  = node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css
LIBOBJS  = $(filter-out $(B)/cmd/%.o,$(OBJS))
UNIT     = $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all run test test-asan bench bench-clickhouse deps clean unit fuzz fuzz-build fuzzers deb test-deb bench-bigtrace
.PHONY: cross-arm64 test-arm64 image test-image static test-static
all: tracelite

deps:
	@sh packaging/deps.sh

tracelite: $(B)/tracelite
	cp $(B)/tracelite $@.tmp && mv -f $@.tmp $@

$(B)/tracelite: $(OBJS)
	$(CC) $(ALLFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# one run makes both files (grouped targets: make -j runs it once)
$(B)/otlp.pb-c.c $(B)/otlp.pb-c.h &: src/otlp/otlp.proto
	@mkdir -p $(B)
	protoc-c --c_out=$(B) -Isrc/otlp src/otlp/otlp.proto

$(B)/schema.c: src/gen-embed.sh $(sort $(wildcard schema/*.sql))
	@mkdir -p $(B)
	sh src/gen-embed.sh embedded_schema $(sort $(wildcard schema/*.sql)) > $@

$(B)/schema_ch.c: src/gen-embed.sh $(sort $(wildcard schema/clickhouse/*.sql))
	@mkdir -p $(B)
	sh src/gen-embed.sh embedded_clickhouse_schema $(sort $(wildcard schema/clickhouse/*.sql)) > $@

$(B)/schema_pg.c: src/gen-embed.sh $(sort $(wildcard schema/postgres/*.sql))
	@mkdir -p $(B)
	sh src/gen-embed.sh embedded_postgres_schema $(sort $(wildcard schema/postgres/*.sql)) > $@

$(B)/schema.o $(B)/schema_ch.o $(B)/schema_pg.o: $(B)/%.o: $(B)/%.c src/base/embed.h
	$(CC) $(ALLFLAGS) -c -o $@ $<

$(B)/prices_table.c: src/gen-embed.sh schema/prices.csv
	@mkdir -p $(B)
	sh src/gen-embed.sh embedded_prices schema/prices.csv > $@

$(B)/prices_table.o: $(B)/prices_table.c src/base/embed.h
	$(CC) $(ALLFLAGS) -c -o $@ $<

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

$(B)/webfiles.c: src/gen-embed.sh $(WEB) node_modules/.package-lock.json
	@mkdir -p $(B)
	sh src/gen-embed.sh embedded_web $(WEB) $(WEB_NPM) > $@

$(B)/webfiles.o: $(B)/webfiles.c src/base/embed.h
	$(CC) $(ALLFLAGS) -c -o $@ $<

$(B)/otlp.pb-c.o: $(B)/otlp.pb-c.c
	$(CC) $(ALLFLAGS) -c -o $@ $<

$(B)/%.o: src/%.c $(B)/otlp.pb-c.h $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c tests/unit/test.h tests/unit/spandump.h $(LIBOBJS)
	@mkdir -p $(B)/tests
	$(CC) $(ALLFLAGS) -Itests/unit -o $@ $< $(LIBOBJS) $(LDLIBS)

unit: $(UNIT)

# libFuzzer harnesses (tests/fuzz/, docs/fuzzing.md): clang builds the
# project's objects into build-fuzz/ with coverage and ASan/UBSan, so build/
# and build-asan/ are left alone. `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_SAN  = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZERS   = $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.c tests/fuzz/fuzz.h $(LIBOBJS)
	@mkdir -p $(B)/fuzz
	$(CC) $(ALLFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< tests/fuzz/fuzz.c $(LIBOBJS) $(LDLIBS)

# Only through fuzz-build, which sets the compiler and flags.
fuzzers: $(FUZZERS)

fuzz-build:
	$(MAKE) B=build-fuzz CC=clang CFLAGS="-O1 -g" SAN="$(FUZZ_SAN)" fuzzers

fuzz: deps fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# the load generator of `make bench` links the project's objects
$(B)/loadgen: tests/bench/loadgen.c tests/bench/side.c tests/bench/side.h $(LIBOBJS)
	$(CC) $(ALLFLAGS) -o $@ tests/bench/loadgen.c tests/bench/side.c $(LIBOBJS) $(LDLIBS)

run: deps tracelite
	./tracelite serve

# the builds of `make test` use every core (the suite's time budget)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

test: deps
	$(MAKE) -j$(JOBS) tracelite unit
	$(MAKE) -j$(JOBS) B=build-asan CFLAGS="-O1 -g" SAN="$(SANITIZE)" unit build-asan/tracelite
	$(MAKE) -j$(JOBS) fuzz-build
	sh tests/run.sh

bench: deps tracelite
	sh tests/bench/run.sh

# tracelite side by side with Debian's clickhouse-server on the same spans of
# real prose (issue 13): `make bench-clickhouse SPANS=300000 RUNS=3`
bench-clickhouse: deps tracelite
	sh tests/bench/side.sh

# peak RSS while 4 clients fetch a 5,000-span trace 10 times each (issue 13)
bench-bigtrace: deps tracelite
	sh tests/bench/bigtrace.sh

# The Debian package build/pkg/tracelite_$(VERSION)_ARCH.deb (packaging/deb/):
# built with Debian's hardening flags in its own object folder per version
# (the version is compiled in), e.g. `make deb VERSION=0.1.1`.
DEB_B = build/pkg/obj-$(VERSION)
ifeq ($(ARCH),arm64)
deb: cross-arm64
else
deb: deps
	$(MAKE) B=$(DEB_B) CFLAGS="$$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CFLAGS) \
	  $$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CPPFLAGS)" \
	  LDFLAGS="$$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get LDFLAGS)" $(DEB_B)/tracelite
	sh packaging/deb/build.sh $(DEB_B)/tracelite $(VERSION) build/pkg
endif

# arm64, cross-built with Debian's crossbuild-essential-arm64 and the arm64
# -dev packages (multiarch; `packaging/deps.sh cross arm64` installs them):
# the binary and unit tests in build/pkg/obj-VERSION-arm64, then
# build/pkg/tracelite_VERSION_arm64.deb. `make test-arm64` runs them under
# qemu-user-static (tests/pkg/arm64.sh). Also `make deb ARCH=arm64`.
CROSS_B   = build/pkg/obj-$(VERSION)-arm64
CROSS_ENV = PKG_CONFIG_LIBDIR=$(CROSS_B)/pc:/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig DEB_HOST_ARCH=arm64
cross-arm64:
	sh packaging/deps.sh
	sh packaging/deps.sh cross arm64
	sh packaging/cross-libpq.sh aarch64-linux-gnu $(CROSS_B)/pc
	$(CROSS_ENV) $(MAKE) B=$(CROSS_B) CC=aarch64-linux-gnu-gcc \
	  CFLAGS="$$(DEB_HOST_ARCH=arm64 DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CFLAGS 2>/dev/null) \
	  $$(DEB_HOST_ARCH=arm64 DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CPPFLAGS 2>/dev/null)" \
	  LDFLAGS="$$(DEB_HOST_ARCH=arm64 DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get LDFLAGS 2>/dev/null)" \
	  $(CROSS_B)/tracelite unit
	DEB_HOST_ARCH=arm64 sh packaging/deb/build.sh $(CROSS_B)/tracelite $(VERSION) build/pkg

test-arm64:
	sh tests/pkg/arm64.sh

# The container image (packaging/image/): the .deb's hardened binary in a
# root made from a debootstrapped minimal Debian (root, a Debian mirror),
# committed by buildah: build/pkg/tracelite_VERSION_ARCH.oci.tar and .docker.tar.
image: deb
	sh packaging/image/build.sh $(DEB_B)/tracelite $(VERSION) build/pkg

# Runs it (podman if it works here, else its root under chroot): tests/pkg/image.sh.
test-image:
	sh tests/pkg/image.sh

# A mostly-static build/static/tracelite for edge boxes (docs/install.md):
# the libraries with a static archive in Debian that nothing else loads are
# linked in (SQLite, protobuf-c, mbedTLS); civetweb and cJSON have no .a in
# Debian, libcurl's and libpq's static forms need libraries that have none
# (rtmp, ssh2, psl, gssapi_krb5, ldap; pgcommon, pgport), and zlib, zstd and
# nghttp2 are loaded by libcurl anyway: those stay shared, as does glibc
# (NSS, and civetweb dlopens OpenSSL). `make test-static` smoke-tests it.
STATIC_B = build/static
static: deps
	$(MAKE) B=$(STATIC_B) LDLIBS="-lcivetweb -Wl,-Bstatic -lsqlite3 -lprotobuf-c -lmbedtls -lmbedx509 -lmbedcrypto \
	  -Wl,-Bdynamic -lcjson $$(pkg-config --libs libcurl libpq libnghttp2 libzstd zlib) -ldl -lpthread -lm" $(STATIC_B)/tracelite

test-static: static
	sh tests/pkg/static.sh $(STATIC_B)/tracelite

# Installs, upgrades, removes and purges it in a debootstrapped chroot (root).
test-deb:
	sh tests/pkg/deb.sh

clean:
	rm -rf build build-asan build-fuzz tracelite
