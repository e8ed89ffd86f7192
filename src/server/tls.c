/* tls.c: certificate and key files for HTTPS: read with a size bound,
 * parsed and matched with mbedtls (precise errors before civetweb and
 * OpenSSL see them), the self-signed pair made with mbedtls' x509write,
 * and the one-file PEM civetweb wants handed over in memory. */
#include "server/tls.h"
#include <arpa/inet.h>
#include <assert.h>
#include <civetweb.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include "base/datadir.h"
#include "base/mbed.h"

/* Reads all of path (at most TLS_FILE_MAX bytes) into a NUL-terminated
 * malloc'd buffer. what names the file's role in errors. */
static enum err read_file(const char *path, const char *what, char **out, size_t *len, char *err, size_t errlen)
{
	enum err rc = ERR_BAD_INPUT;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		err_set(err, errlen, ERR_BAD_INPUT, "%s %s: cannot open: %s", what, path, strerror(errno));
		goto out;
	}
	buf = malloc(TLS_FILE_MAX + 1);
	if (!buf)
		abort();
	n = fread(buf, 1, TLS_FILE_MAX + 1, f);
	if (ferror(f)) {
		err_set(err, errlen, ERR_BAD_INPUT, "%s %s: cannot read: %s", what, path, strerror(errno));
		goto out;
	}
	if (n > TLS_FILE_MAX) {
		err_set(err, errlen, ERR_BAD_INPUT, "%s %s: larger than %u bytes", what, path, TLS_FILE_MAX);
		goto out;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	buf = NULL;
	rc = ERR_OK;
out:
	if (f)
		fclose(f);
	free(buf);
	return rc;
}

static void fingerprint(const mbedtls_x509_crt *crt, char fp[TLS_FINGERPRINT_SIZE])
{
	unsigned char h[32];
	mbedtls_sha256_ret(crt->raw.p, crt->raw.len, h, 0);
	for (int i = 0; i < 32; i++)
		snprintf(fp + 3 * i, TLS_FINGERPRINT_SIZE - 3 * (size_t)i, "%02X%s", h[i], i < 31 ? ":" : "");
}

static void x509_time_text(const mbedtls_x509_time *t, char *out, size_t n)
{
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

enum err tls_check(const char *cert, const char *key, char fp[TLS_FINGERPRINT_SIZE], char *err, size_t errlen)
{
	enum err rc = ERR_BAD_INPUT;
	char *cbuf = NULL, *kbuf = NULL, mbed[160], when[32];
	size_t clen = 0, klen = 0;
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	if (read_file(cert, "TLS certificate", &cbuf, &clen, err, errlen))
		goto out;
	if (!strstr(cbuf, "-----BEGIN CERTIFICATE-----")) {
		err_set(err, errlen, ERR_BAD_INPUT, "TLS certificate %s: no PEM certificate in it (expected a "
		        "'-----BEGIN CERTIFICATE-----' block)%s", cert,
		        strstr(cbuf, "PRIVATE KEY-----") ? "; it holds a private key: swapped with --tls-key?" : "");
		goto out;
	}
	int r = mbedtls_x509_crt_parse(&crt, (const unsigned char *)cbuf, clen + 1);
	if (r) {
		if (r < 0)
			mbedtls_strerror(r, mbed, sizeof mbed);
		else
			snprintf(mbed, sizeof mbed, "%d of its certificates could not be parsed", r);
		err_set(err, errlen, ERR_BAD_INPUT, "TLS certificate %s: not a valid certificate: %s", cert, mbed);
		goto out;
	}
	if (mbedtls_x509_time_is_past(&crt.valid_to)) {
		x509_time_text(&crt.valid_to, when, sizeof when);
		err_set(err, errlen, ERR_BAD_INPUT, "TLS certificate %s: expired on %s", cert, when);
		goto out;
	}
	if (mbedtls_x509_time_is_future(&crt.valid_from)) {
		x509_time_text(&crt.valid_from, when, sizeof when);
		err_set(err, errlen, ERR_BAD_INPUT, "TLS certificate %s: not valid before %s", cert, when);
		goto out;
	}
	if (read_file(key, "TLS key", &kbuf, &klen, err, errlen))
		goto out;
	if (!strstr(kbuf, "PRIVATE KEY-----")) {
		err_set(err, errlen, ERR_BAD_INPUT, "TLS key %s: no PEM private key in it (expected a "
		        "'-----BEGIN ... PRIVATE KEY-----' block)%s", key,
		        strstr(kbuf, "-----BEGIN CERTIFICATE-----") ? "; it holds a certificate: swapped with --tls-cert?" : "");
		goto out;
	}
	r = mbed_pk_parse_key(&pk, (const unsigned char *)kbuf, klen + 1);
	if (r == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
		err_set(err, errlen, ERR_BAD_INPUT, "TLS key %s: encrypted with a passphrase; give an unencrypted key "
		        "(e.g. openssl pkey -in %s -out plain.key)", key, key);
		goto out;
	}
	if (r) {
		mbedtls_strerror(r, mbed, sizeof mbed);
		err_set(err, errlen, ERR_BAD_INPUT, "TLS key %s: not a valid private key: %s", key, mbed);
		goto out;
	}
	if (mbed_pk_check_pair(&crt.pk, &pk)) {
		err_set(err, errlen, ERR_BAD_INPUT, "TLS key %s: does not match the certificate in %s", key, cert);
		goto out;
	}
	fingerprint(&crt, fp);
	rc = ERR_OK;
out:
	mbedtls_x509_crt_free(&crt);
	mbedtls_pk_free(&pk);
	if (kbuf)
		mbedtls_platform_zeroize(kbuf, klen);
	free(cbuf);
	free(kbuf);
	return rc;
}

/* Appends one DER tag-length-value to der[*n] (lengths below 64 KiB). */
static int der_put(unsigned char *der, size_t cap, size_t *n, unsigned char tag, const void *v, size_t len)
{
	size_t head = len < 128 ? 2 : len < 256 ? 3 : 4;
	if (len > 0xffff || *n + head + len > cap)
		return -1;
	der[(*n)++] = tag;
	if (len >= 256) {
		der[(*n)++] = 0x82;
		der[(*n)++] = (unsigned char)(len >> 8);
	} else if (len >= 128) {
		der[(*n)++] = 0x81;
	}
	der[(*n)++] = (unsigned char)len;
	memcpy(der + *n, v, len);
	*n += len;
	return 0;
}

/* Adds host to the GeneralNames body names[*n]: an iPAddress for an IP
 * literal (brackets allowed), else a dNSName; nothing for an any-address. */
static int san_add(unsigned char *names, size_t cap, size_t *n, const char *host, size_t len)
{
	char buf[256];
	unsigned char ip[16];
	if (len > 1 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (!len || len >= sizeof buf)
		return 0;
	snprintf(buf, sizeof buf, "%.*s", (int)len, host);
	if (inet_pton(AF_INET, buf, ip) == 1)
		return memcmp(ip, "\0\0\0\0", 4) ? der_put(names, cap, n, 0x87, ip, 4) : 0;
	if (inet_pton(AF_INET6, buf, ip) == 1)
		return memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) ? der_put(names, cap, n, 0x87, ip, 16) : 0;
	return der_put(names, cap, n, 0x82, buf, len);
}

/* Writes len bytes of data to path through path.tmp (mode), renamed into
 * place so a reader never sees half a file. */
static enum err write_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err, size_t errlen)
{
	enum err rc = ERR_STORE;
	char tmp[CONFIG_PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		err_set(err, errlen, ERR_STORE, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, data, len) != (ssize_t)len || fsync(fd)) {
		err_set(err, errlen, ERR_STORE, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path)) {
		err_set(err, errlen, ERR_STORE, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	rc = ERR_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	return rc;
}

enum err tls_self_signed(const char *cert, const char *key, const char *host, char *err, size_t errlen)
{
	enum err rc = ERR_STORE;
	static const char pers[] = "tracelite tls";
	unsigned char names[1024], san[1100], pem[8192], serial[16];
	size_t nn = 0, ns = 0;
	char from[16], to[16], hostname[256], mbed[160];
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context pk;
	mbedtls_x509write_cert crt;
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&pk);
	mbedtls_x509write_crt_init(&crt);
	int r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)pers, sizeof pers - 1);
	if (!r)
		r = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (!r)
		r = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random, &drbg);
	if (!r)
		r = mbedtls_ctr_drbg_random(&drbg, serial, sizeof serial);
	if (r)
		goto out;
	serial[0] &= 0x7f; /* a positive serial number */
	serial[0] |= 0x01;
	time_t now = time(NULL), start = now - 86400, end = now + 10 * 365 * 86400L;
	struct tm tm;
	gmtime_r(&start, &tm);
	strftime(from, sizeof from, "%Y%m%d%H%M%S", &tm);
	gmtime_r(&end, &tm);
	strftime(to, sizeof to, "%Y%m%d%H%M%S", &tm);
	int bad = san_add(names, sizeof names, &nn, "localhost", 9) || san_add(names, sizeof names, &nn, "127.0.0.1", 9) ||
	          san_add(names, sizeof names, &nn, "::1", 3);
	if (!bad && !gethostname(hostname, sizeof hostname) && (hostname[sizeof hostname - 1] = 0, strcmp(hostname, "localhost")))
		bad = san_add(names, sizeof names, &nn, hostname, strlen(hostname));
	if (!bad && host && strcmp(host, "localhost") && strcmp(host, "127.0.0.1") && strcmp(host, "[::1]") &&
	    strcmp(host, hostname))
		bad = san_add(names, sizeof names, &nn, host, strlen(host));
	assert(!bad);
	if (bad || der_put(san, sizeof san, &ns, 0x30, names, nn)) {
		err_set(err, errlen, ERR_STORE, "self-signed certificate: host names too long");
		goto out;
	}
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &pk);
	mbedtls_x509write_crt_set_issuer_key(&crt, &pk);
	if ((r = mbed_x509write_crt_set_serial(&crt, serial, sizeof serial)) ||
	    (r = mbedtls_x509write_crt_set_subject_name(&crt, "CN=tracelite self-signed,O=tracelite")) ||
	    (r = mbedtls_x509write_crt_set_issuer_name(&crt, "CN=tracelite self-signed,O=tracelite")) ||
	    (r = mbedtls_x509write_crt_set_validity(&crt, from, to)) ||
	    /* its own trust anchor, as `openssl req -x509` makes it */
	    (r = mbedtls_x509write_crt_set_basic_constraints(&crt, 1, 0)) ||
	    (r = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_CERT_SIGN)) ||
	    (r = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) ||
	    (r = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) ||
	    (r = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
	                                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san, ns)))
		goto out;
	if ((r = mbedtls_pk_write_key_pem(&pk, pem, sizeof pem)))
		goto out;
	if ((rc = write_atomic(key, pem, strlen((char *)pem), 0600, err, errlen)))
		goto out;
	rc = ERR_STORE;
	if ((r = mbedtls_x509write_crt_pem(&crt, pem, sizeof pem, mbedtls_ctr_drbg_random, &drbg)))
		goto out;
	rc = write_atomic(cert, pem, strlen((char *)pem), 0644, err, errlen);
out:
	if (r) {
		mbedtls_strerror(r, mbed, sizeof mbed);
		err_set(err, errlen, ERR_STORE, "cannot make a self-signed certificate: %s", mbed);
	}
	mbedtls_platform_zeroize(pem, sizeof pem);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return rc;
}

/* civetweb 1.15 as Debian builds it loads OpenSSL with dlopen("libssl.so")
 * and dlopen("libcrypto.so"): the unversioned names, which only the -dev
 * package installs. Say so rather than let civetweb fail vaguely. */
static enum err tls_runtime_ok(char *err, size_t errlen)
{
	if (!mg_check_feature(MG_FEATURES_TLS))
		return err_set(err, errlen, ERR_BAD_INPUT, "TLS: this civetweb library was built without TLS support");
	const char *libs[] = {"libssl.so", "libcrypto.so"};
	for (size_t i = 0; i < 2; i++) {
		void *h = dlopen(libs[i], RTLD_LAZY | RTLD_LOCAL);
		if (!h)
			return err_set(err, errlen, ERR_BAD_INPUT, "TLS: civetweb loads OpenSSL as %s, which is missing (%s); "
			               "install Debian's libssl-dev, which provides it", libs[i], dlerror());
		dlclose(h);
	}
	return ERR_OK;
}

/* Finds the NUL-terminated string s, preceded by a NUL, in the read-only
 * segments of the loaded object. */
static const char *find_string(const struct dl_phdr_info *info, const char *s)
{
	size_t n = strlen(s) + 1;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_filesz < n + 1)
			continue;
		const char *base = (const char *)(info->dlpi_addr + ph->p_vaddr);
		for (const char *p = base + 1; p + n <= base + ph->p_filesz; p++) {
			p = memchr(p, s[0], (size_t)(base + ph->p_filesz - p));
			if (!p || p + n > base + ph->p_filesz)
				break;
			if (p[-1] == 0 && !memcmp(p, s, n))
				return p;
		}
	}
	return NULL;
}

/* Finds the pointer-aligned word holding v in the object's writable
 * segments (where civetweb keeps its table of OpenSSL functions). */
static uintptr_t *find_word(const struct dl_phdr_info *info, uintptr_t v)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t start = (info->dlpi_addr + ph->p_vaddr + sizeof v - 1) & ~(uintptr_t)(sizeof v - 1);
		for (uintptr_t *w = (uintptr_t *)start; (uintptr_t)(w + 1) <= info->dlpi_addr + ph->p_vaddr + ph->p_memsz; w++)
			if (*w == v)
				return w;
	}
	return NULL;
}

struct fix {
	void *libssl;
	int found, fixed;
};

/* civetweb's table entry for name: { const char *name; [int required;]
 * void (*ptr)(void); }, its layout told by the entry of a neighbour
 * (SSL_get_version, the next one) whose pointer must equal libssl's. */
static int fix_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct fix *f = arg;
	(void)size;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "libcivetweb"))
		return 0;
	f->found = 1;
	const char *name = find_string(info, "SSL_get_peer_certificate"), *next = find_string(info, "SSL_get_version");
	uintptr_t *entry = name ? find_word(info, (uintptr_t)name) : NULL, *nentry = next ? find_word(info, (uintptr_t)next) : NULL;
	void *want = dlsym(f->libssl, "SSL_get_version"), *get1 = dlsym(f->libssl, "SSL_get1_peer_certificate");
	if (!entry || !nentry || !want || !get1 || nentry <= entry || nentry - entry > 4)
		return 1;
	size_t stride = (size_t)(nentry - entry);
	if (nentry[stride - 1] != (uintptr_t)want)
		return 1;   /* not the layout expected: leave it alone */
	if (entry[stride - 1] == 0)
		entry[stride - 1] = (uintptr_t)get1;
	f->fixed = entry[stride - 1] != 0;
	return 1;
}

enum err tls_civetweb_fix(char *err, size_t errlen)
{
	struct fix f = {0};
	f.libssl = dlopen("libssl.so", RTLD_LAZY | RTLD_LOCAL);
	if (!f.libssl)
		return err_set(err, errlen, ERR_BAD_INPUT, "TLS: cannot load libssl.so: %s", dlerror());
	if (!dlsym(f.libssl, "SSL_get_peer_certificate"))
		dl_iterate_phdr(fix_object, &f);
	else
		f.found = f.fixed = 1;   /* OpenSSL 1.1: nothing to mend */
	dlclose(f.libssl);
	if (!f.fixed)
		return err_set(err, errlen, ERR_BAD_INPUT, "TLS: this civetweb calls SSL_get_peer_certificate, which "
		               "OpenSSL 3 no longer has, and tracelite could not %s; serve plain HTTP behind a TLS proxy",
		               f.found ? "redirect it to SSL_get1_peer_certificate" : "find libcivetweb");
	return ERR_OK;
}

static enum err set_path(char *dst, const char *dir, const char *name, char *err, size_t errlen)
{
	if ((size_t)snprintf(dst, CONFIG_PATH_MAX, "%s/%s", dir, name) >= CONFIG_PATH_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT, "--data: path too long for %s", name);
	return ERR_OK;
}

enum err tls_prepare(const struct config *c, struct tls_files *out, char *err, size_t errlen)
{
	enum err rc;
	struct stat st;
	memset(out, 0, sizeof *out);
	assert(c->tls_on);
	if ((rc = tls_runtime_ok(err, errlen)))
		return rc;
	if (!c->tls_self_signed) {
		snprintf(out->cert, sizeof out->cert, "%s", c->tls_cert);
		snprintf(out->key, sizeof out->key, "%s", c->tls_key);
		return tls_check(out->cert, out->key, out->fingerprint, err, errlen);
	}
	if ((rc = set_path(out->cert, c->data, TLS_SELF_CERT, err, errlen)) ||
	    (rc = set_path(out->key, c->data, TLS_SELF_KEY, err, errlen)))
		return rc;
	/* A pair is made only when one is missing: a later start keeps the
	 * certificate clients were told to trust. */
	if ((rc = datadir_create(c->data, err, errlen)))
		return rc;
	if (stat(out->cert, &st) || stat(out->key, &st)) {
		char host[256];
		const char *colon = strrchr(c->listen, ':');
		snprintf(host, sizeof host, "%.*s", (int)(colon - c->listen), c->listen);
		if ((rc = tls_self_signed(out->cert, out->key, host, err, errlen)))
			return rc;
		out->created = 1;
	}
	return tls_check(out->cert, out->key, out->fingerprint, err, errlen);
}

int tls_pem_for_civetweb(const struct tls_files *f, char *path, size_t pathlen, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int ok = 0, fd = memfd_create("tracelite-tls", MFD_CLOEXEC);
	if (fd < 0) {
		err_set(err, errlen, ERR_STORE, "TLS: memfd_create: %s", strerror(errno));
		goto out;
	}
	const char *files[2] = {f->key, f->cert}, *what[2] = {"TLS key", "TLS certificate"};
	for (int i = 0; i < 2; i++) {
		if (read_file(files[i], what[i], &buf, &len, err, errlen))
			goto out;
		ssize_t w = write(fd, buf, len);
		mbedtls_platform_zeroize(buf, len);
		free(buf);
		buf = NULL;
		if (w != (ssize_t)len || write(fd, "\n", 1) != 1) {
			err_set(err, errlen, ERR_STORE, "TLS: cannot write the memory file: %s", strerror(errno));
			goto out;
		}
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	ok = 1;
out:
	if (!ok && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}
