/* counters.c: the series table behind counters.h. Series are found by a
 * hash of name and label text in an open-addressed table whose slots are
 * published with release stores, so adding to an existing series is a
 * lookup and one atomic add; creating one (and declaring, and rendering)
 * holds one mutex. Series are never freed. */
#include "base/counters.h"
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 128
#define HELP_MAX_LEN 256
#define SLOTS (COUNTERS_MAX_SERIES * 2)   /* at most half full */

struct family {
	char name[NAME_MAX_LEN];
	char help[HELP_MAX_LEN];
	enum counters_type type;
	double bounds[COUNTERS_MAX_BUCKETS];
	int nb;
	struct series *first, *last;   /* creation order; under lock */
};

/* Invariant: value holds a uint64 count for counters and the bits of a
 * double for gauges and histogram sums; bucket[i] counts observations in
 * (bounds[i-1], bounds[i]] and count all of them (the +Inf bucket). */
struct series {
	struct family *fam;
	struct series *next;
	uint64_t hash;
	_Atomic uint64_t value;
	_Atomic uint64_t count;
	_Atomic uint64_t bucket[COUNTERS_MAX_BUCKETS];
	char labels[];
};

const double counters_default_seconds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const int counters_default_seconds_n = sizeof counters_default_seconds / sizeof *counters_default_seconds;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct family families[COUNTERS_MAX_FAMILIES];
static int nfamilies, nseries;
static _Atomic(struct series *) slots[SLOTS];
static _Atomic uint64_t dropped;

static int valid_name(const char *s, int metric)
{
	size_t n = strlen(s);
	if (!n || n >= NAME_MAX_LEN || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      (metric && c == ':')))
			return 0;
	}
	return 1;
}

static uint64_t hash_key(const char *name, const char *labels)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ 1) * 1099511628211ull;
	for (const char *p = labels; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

/* Under lock. */
static struct family *family_find(const char *name)
{
	for (int i = 0; i < nfamilies; i++)
		if (!strcmp(families[i].name, name))
			return &families[i];
	return NULL;
}

/* Under lock. */
static struct family *family_add(const char *name, enum counters_type type, const char *help, const double *bounds,
                                 int nb)
{
	struct family *f = family_find(name);
	if (f)
		return f;
	if (nfamilies == COUNTERS_MAX_FAMILIES || !valid_name(name, 1))
		return NULL;
	if (type == COUNTERS_HISTOGRAM && !bounds) {
		bounds = counters_default_seconds;
		nb = counters_default_seconds_n;
	}
	assert(nb >= 0 && nb <= COUNTERS_MAX_BUCKETS);
	f = &families[nfamilies++];
	snprintf(f->name, sizeof f->name, "%s", name);
	snprintf(f->help, sizeof f->help, "%s", help ? help : "");
	f->type = type;
	f->nb = type == COUNTERS_HISTOGRAM ? nb : 0;
	for (int i = 0; i < f->nb; i++) {
		assert(i == 0 || bounds[i] > bounds[i - 1]);
		f->bounds[i] = bounds[i];
	}
	return f;
}

int counters_declare(const char *name, enum counters_type type, const char *help, const double *bounds, int nb)
{
	pthread_mutex_lock(&lock);
	struct family *f = family_add(name, type, help, bounds, nb);
	pthread_mutex_unlock(&lock);
	return f ? 0 : -1;
}

/* Writes the label pairs of ap as k="v",... into out (values escaped as
 * the text format wants: backslash, double quote, newline). A pair that
 * does not fit is left out. */
static void format_labels(char out[COUNTERS_LABELS_MAX], va_list ap)
{
	size_t n = 0;
	const char *k;
	out[0] = 0;
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		char buf[COUNTERS_LABELS_MAX];
		size_t m = 0;
		assert(valid_name(k, 0));
		m += (size_t)snprintf(buf, sizeof buf, "%s%s=\"", n ? "," : "", k);
		for (const char *p = v ? v : ""; *p && m + 3 < sizeof buf; p++) {
			if (*p == '\\' || *p == '"' || *p == '\n') {
				buf[m++] = '\\';
				buf[m++] = *p == '\n' ? 'n' : *p;
			} else {
				buf[m++] = *p;
			}
		}
		if (m + 2 > sizeof buf || n + m + 2 > COUNTERS_LABELS_MAX)
			continue;
		buf[m++] = '"';
		memcpy(out + n, buf, m);
		n += m;
		out[n] = 0;
	}
}

/* The series name{labels}, created (its family declared as type if it is
 * not) when missing; NULL when the table is full. */
static struct series *series_get(const char *name, const char *labels, enum counters_type type)
{
	uint64_t h = hash_key(name, labels);
	size_t i = h % SLOTS;
	struct series *s;
	for (;; i = (i + 1) % SLOTS) {
		s = atomic_load_explicit(&slots[i], memory_order_acquire);
		if (!s)
			break;
		if (s->hash == h && !strcmp(s->fam->name, name) && !strcmp(s->labels, labels))
			return s;
	}
	pthread_mutex_lock(&lock);
	/* another thread may have made it, in slot i or after */
	for (;; i = (i + 1) % SLOTS) {
		s = atomic_load_explicit(&slots[i], memory_order_acquire);
		if (!s)
			break;
		if (s->hash == h && !strcmp(s->fam->name, name) && !strcmp(s->labels, labels))
			goto out;
	}
	struct family *f = family_add(name, type, NULL, NULL, 0);
	if (!f || nseries == COUNTERS_MAX_SERIES) {
		atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
		goto out;
	}
	size_t len = strlen(labels);
	s = calloc(1, sizeof *s + len + 1);
	if (!s)
		abort();
	memcpy(s->labels, labels, len + 1);
	s->fam = f;
	s->hash = h;
	if (f->last)
		f->last->next = s;
	else
		f->first = s;
	f->last = s;
	nseries++;
	atomic_store_explicit(&slots[i], s, memory_order_release);
out:
	pthread_mutex_unlock(&lock);
	return s;
}

static double bits_to_double(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

static uint64_t double_to_bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static void add_double(_Atomic uint64_t *a, double d)
{
	uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(a, &old, double_to_bits(bits_to_double(old) + d),
	                                              memory_order_relaxed, memory_order_relaxed))
		;
}

/* The series of name with the labels of the NULL-terminated pairs in ap. */
static struct series *series_va(const char *name, enum counters_type type, va_list ap)
{
	char labels[COUNTERS_LABELS_MAX];
	format_labels(labels, ap);
	return series_get(name, labels, type);
}

void counters_add(const char *name, uint64_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	struct series *s = series_va(name, COUNTERS_COUNTER, ap);
	va_end(ap);
	if (!s)
		return;
	if (s->fam->type == COUNTERS_COUNTER)
		atomic_fetch_add_explicit(&s->value, n, memory_order_relaxed);
	else
		add_double(&s->value, (double)n);
}

void counters_gauge_add(const char *name, int64_t delta, ...)
{
	va_list ap;
	va_start(ap, delta);
	struct series *s = series_va(name, COUNTERS_GAUGE, ap);
	va_end(ap);
	if (s && s->fam->type == COUNTERS_GAUGE)
		add_double(&s->value, (double)delta);
}

void counters_set(const char *name, double v, ...)
{
	va_list ap;
	va_start(ap, v);
	struct series *s = series_va(name, COUNTERS_GAUGE, ap);
	va_end(ap);
	if (!s || s->fam->type == COUNTERS_HISTOGRAM)
		return;
	if (s->fam->type == COUNTERS_COUNTER)
		atomic_store_explicit(&s->value, v > 0 ? (uint64_t)v : 0, memory_order_relaxed);
	else
		atomic_store_explicit(&s->value, double_to_bits(v), memory_order_relaxed);
}

void counters_observe(const char *name, double v, ...)
{
	va_list ap;
	va_start(ap, v);
	struct series *s = series_va(name, COUNTERS_HISTOGRAM, ap);
	va_end(ap);
	if (!s || s->fam->type != COUNTERS_HISTOGRAM || isnan(v))
		return;
	int i = 0;
	while (i < s->fam->nb && v > s->fam->bounds[i])
		i++;
	if (i < s->fam->nb)
		atomic_fetch_add_explicit(&s->bucket[i], 1, memory_order_relaxed);
	add_double(&s->value, v);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

/* A sample value: integers exactly, else the shortest round-trip text;
 * the text format spells the specials NaN, +Inf and -Inf. */
static void put_number(struct jbuf *b, double v)
{
	char t[JSON_DOUBLE_MAX];
	if (isnan(v))
		jbuf_lit(b, "NaN");
	else if (isinf(v))
		jbuf_put(b, v > 0 ? "+Inf" : "-Inf", 4);
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		json_i64(b, (int64_t)v);
	else
		jbuf_put(b, t, json_double_fmt(t, v));
}

static void put_series(struct jbuf *b, const char *name, const char *suffix, const char *labels, const char *extra)
{
	jbuf_put(b, name, strlen(name));
	jbuf_put(b, suffix, strlen(suffix));
	if (*labels || *extra) {
		jbuf_putc(b, '{');
		jbuf_put(b, labels, strlen(labels));
		if (*labels && *extra)
			jbuf_putc(b, ',');
		jbuf_put(b, extra, strlen(extra));
		jbuf_putc(b, '}');
	}
	jbuf_putc(b, ' ');
}

static void render_histogram(struct jbuf *b, const struct family *f, struct series *s)
{
	char le[64], t[JSON_DOUBLE_MAX];
	uint64_t cum = 0;
	/* count first: a concurrent observation then shows in _count no
	 * earlier than in its bucket, so +Inf >= every bucket */
	uint64_t count = atomic_load_explicit(&s->count, memory_order_relaxed);
	for (int i = 0; i < f->nb; i++) {
		cum += atomic_load_explicit(&s->bucket[i], memory_order_relaxed);
		json_double_fmt(t, f->bounds[i]);
		snprintf(le, sizeof le, "le=\"%s\"", t);
		put_series(b, f->name, "_bucket", s->labels, le);
		json_u64(b, cum < count ? cum : count);
		jbuf_putc(b, '\n');
	}
	put_series(b, f->name, "_bucket", s->labels, "le=\"+Inf\"");
	json_u64(b, count);
	jbuf_putc(b, '\n');
	put_series(b, f->name, "_sum", s->labels, "");
	put_number(b, bits_to_double(atomic_load_explicit(&s->value, memory_order_relaxed)));
	jbuf_putc(b, '\n');
	put_series(b, f->name, "_count", s->labels, "");
	json_u64(b, count);
	jbuf_putc(b, '\n');
}

void counters_render(struct jbuf *b)
{
	static const char *types[] = {"counter", "gauge", "histogram"};
	counters_declare("tracelite_metrics_series_dropped_total", COUNTERS_COUNTER,
	                 "Series not created because the table of series was full", NULL, 0);
	counters_set("tracelite_metrics_series_dropped_total", (double)atomic_load(&dropped), NULL);
	pthread_mutex_lock(&lock);
	for (int i = 0; i < nfamilies; i++) {
		const struct family *f = &families[i];
		jbuf_lit(b, "# HELP ");
		jbuf_put(b, f->name, strlen(f->name));
		jbuf_putc(b, ' ');
		for (const char *p = f->help; *p; p++) {
			if (*p == '\\' || *p == '\n') {
				jbuf_putc(b, '\\');
				jbuf_putc(b, *p == '\n' ? 'n' : '\\');
			} else {
				jbuf_putc(b, *p);
			}
		}
		jbuf_lit(b, "\n# TYPE ");
		jbuf_put(b, f->name, strlen(f->name));
		jbuf_putc(b, ' ');
		jbuf_put(b, types[f->type], strlen(types[f->type]));
		jbuf_putc(b, '\n');
		for (struct series *s = f->first; s; s = s->next) {
			if (f->type == COUNTERS_HISTOGRAM) {
				render_histogram(b, f, s);
				continue;
			}
			put_series(b, f->name, "", s->labels, "");
			uint64_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
			if (f->type == COUNTERS_COUNTER)
				json_u64(b, v);
			else
				put_number(b, bits_to_double(v));
			jbuf_putc(b, '\n');
		}
	}
	pthread_mutex_unlock(&lock);
}

int counters_series_count(void)
{
	pthread_mutex_lock(&lock);
	int n = nseries;
	pthread_mutex_unlock(&lock);
	return n;
}
