/* demo.c: the demo traffic generator behind `tracelite demo` and the load
 * generator. Every trace is a pure function of (seed, trace index): a
 * splitmix64-seeded xoshiro256** stream per trace and per session keeps
 * traces independent, so they can be generated in parallel and regenerated
 * for the load generator. Text comes from word lists and templates so
 * prompts vary like real ones instead of compressing to nothing; system
 * prompts repeat per service as they do in production. */
#include "demo/demo.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/json.h"
#include "base/rng.h"
#include "base/text.h"
#include "otlp/otlp_build.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define NS_PER_DAY (86400ull * NS_PER_S)
#define SESSION_TRACES 4          /* consecutive traces sharing a session */
#define MAX_MSGS 48               /* messages in one LLM call's context */
#define DEMO_PODS 6               /* pods (processes, resources) per service */
#define COUNT(a) (sizeof(a) / sizeof *(a))

/* ---------- randomness ---------- */

static uint64_t hash3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t x = a;
	uint64_t h = rng_splitmix64(&x);
	x = h ^ b;
	h = rng_splitmix64(&x);
	x = h ^ c;
	return rng_splitmix64(&x);
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

static uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static int rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

#define PICK(r, arr) ((arr)[rng_below((r), COUNT(arr))])

/* ---------- text buffer ---------- */

/* The text buffers are base/json buffers kept NUL-terminated, so their
 * text can be read as a C string between appends. */
static void tb_nul(struct jbuf *t)
{
	jbuf_putc(t, 0);
	t->len--;
}

static void tb_put(struct jbuf *t, const char *s, size_t n)
{
	jbuf_put(t, s, n);
	tb_nul(t);
}

static void tb_puts(struct jbuf *t, const char *s)
{
	tb_put(t, s, strlen(s));
}

static void tb_printf(struct jbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(struct jbuf *t, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	tb_put(t, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Appends s as a JSON string literal. */
static void tb_json(struct jbuf *t, const char *s)
{
	json_strz(t, s);
	tb_nul(t);
}

/* Moves the buffer's text into the arena and empties the buffer. */
static char *tb_take(struct jbuf *t, struct arena *a)
{
	char *s = arena_strndup(a, t->p ? t->p : "", t->len);
	t->len = 0;
	return s;
}

/* ---------- vocabulary ---------- */

static const char *const nouns[] = {
	"account", "request", "response", "customer", "policy", "report", "summary", "record",
	"workflow", "pipeline", "dashboard", "deadline", "budget", "contract", "schedule", "version",
	"release", "feature", "setting", "permission", "team", "manager", "partner", "vendor",
	"region", "quarter", "metric", "threshold", "estimate", "forecast", "timeline", "milestone",
	"document", "section", "paragraph", "table", "chart", "spreadsheet", "template", "draft",
	"message", "thread", "channel", "notification", "reminder", "calendar", "meeting", "agenda",
	"question", "answer", "explanation", "example", "reason", "decision", "tradeoff", "risk",
	"issue", "incident", "outage", "alert", "log", "trace", "error", "warning",
	"database", "index", "query", "cache", "queue", "service", "cluster", "node",
	"invoice", "payment", "refund", "discount", "subscription", "plan", "tier", "quota",
	"shipment", "package", "carrier", "warehouse", "address", "delivery", "return", "label",
	"model", "prompt", "context", "token", "embedding", "retriever", "evaluation", "benchmark",
	"user", "session", "profile", "preference", "history", "feedback", "survey", "rating",
	"migration", "backup", "snapshot", "rollback", "deployment", "environment", "secret", "certificate",
};

static const char *const adjectives[] = {
	"recent", "pending", "failed", "delayed", "updated", "previous", "current", "upcoming",
	"critical", "minor", "major", "urgent", "optional", "required", "missing", "duplicate",
	"internal", "external", "public", "private", "shared", "default", "custom", "legacy",
	"quarterly", "monthly", "weekly", "daily", "annual", "temporary", "permanent", "partial",
	"accurate", "incomplete", "consistent", "detailed", "concise", "relevant", "outdated", "valid",
	"expensive", "cheap", "fast", "slow", "stable", "flaky", "secure", "compliant",
	"primary", "secondary", "regional", "global", "automated", "manual", "expected", "unexpected",
	"large", "small", "new", "existing", "active", "archived", "verified", "unverified",
};

static const char *const verbs[][2] = {
	{"check", "checks"}, {"update", "updates"}, {"review", "reviews"}, {"confirm", "confirms"},
	{"cancel", "cancels"}, {"schedule", "schedules"}, {"export", "exports"}, {"import", "imports"},
	{"compare", "compares"}, {"summarize", "summarizes"}, {"explain", "explains"}, {"resolve", "resolves"},
	{"escalate", "escalates"}, {"approve", "approves"}, {"reject", "rejects"}, {"retry", "retries"},
	{"validate", "validates"}, {"process", "processes"}, {"track", "tracks"}, {"monitor", "monitors"},
	{"migrate", "migrates"}, {"deploy", "deploys"}, {"restore", "restores"}, {"archive", "archives"},
	{"calculate", "calculates"}, {"estimate", "estimates"}, {"forecast", "forecasts"}, {"measure", "measures"},
	{"share", "shares"}, {"send", "sends"}, {"forward", "forwards"}, {"attach", "attaches"},
	{"reset", "resets"}, {"rotate", "rotates"}, {"revoke", "revokes"}, {"grant", "grants"},
	{"refund", "refunds"}, {"charge", "charges"}, {"ship", "ships"}, {"deliver", "delivers"},
	{"index", "indexes"}, {"search", "searches"}, {"filter", "filters"}, {"rank", "ranks"},
	{"draft", "drafts"}, {"rewrite", "rewrites"}, {"translate", "translates"}, {"format", "formats"},
};

static const char *const adverbs[] = {
	"quickly", "carefully", "usually", "currently", "automatically", "manually", "temporarily",
	"immediately", "eventually", "roughly", "exactly", "already", "still", "only", "typically",
	"occasionally", "rarely", "explicitly", "silently", "gradually", "safely", "correctly",
};

static const char *const preps[] = {
	"for", "with", "from", "into", "after", "before", "during", "across", "within", "without",
	"under", "over", "behind", "alongside", "through",
};

static const char *const dets[] = {"the", "each", "every", "our", "their", "this", "that", "any"};

static const char *const sentence_forms[] = {
	"The %a %n %s the %n %p %d %a %n.",
	"%R, the %n %s %d %n before it %s the %a %n.",
	"If the %n is %a, %v the %n and %v its %n.",
	"We %v every %a %n so that the %n %s %r.",
	"Make sure the %n %s %d %a %n %p %d %n, not the %n.",
	"This %s the %D %p %d %a %n %p %d %n.",
	"In most cases the %D %s %r, but a %a %n can %v the %n.",
	"Please %v the %D and %v the %a %n %p %d %n.",
	"The %D from %N %s the %a %n %p the %n.",
	"You can %v the %n %p the %D settings if the %n is %a.",
	"Our %a %D %s %N %n %p %d %a %n.",
	"Note that the %n %s the %D %r %p the %a %n.",
};

/* ---------- services, models, tools ---------- */

enum style { STYLE_GENAI, STYLE_OPENLLMETRY, STYLE_OPENINFERENCE };

struct model {
	const char *provider, *request, *response, *host;
};

static const struct model models[] = {
	{"openai", "gpt-4o", "gpt-4o-2024-08-06", "api.openai.com"},
	{"openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "api.openai.com"},
	{"openai", "gpt-4.1", "gpt-4.1-2025-04-14", "api.openai.com"},
	{"anthropic", "claude-sonnet-4", "claude-sonnet-4-20250514", "api.anthropic.com"},
	{"anthropic", "claude-3-5-haiku", "claude-3-5-haiku-20241022", "api.anthropic.com"},
	{"google", "gemini-2.0-flash", "gemini-2.0-flash", "generativelanguage.googleapis.com"},
	{"google", "gemini-2.5-pro", "gemini-2.5-pro", "generativelanguage.googleapis.com"},
	{"mistral", "mistral-large", "mistral-large-2411", "api.mistral.ai"},
	{"mistral", "mistral-small", "mistral-small-2503", "api.mistral.ai"},
};

enum tool_id {
	T_SEARCH_KB, T_ORDER_STATUS, T_CREATE_TICKET, T_ISSUE_REFUND, T_WEB_SEARCH, T_FETCH_URL,
	T_RUN_SQL, T_PYTHON, T_GET_DIFF, T_POST_COMMENT, T_CRM_LOOKUP, T_CALENDAR, T_COUNT
};

static const char *const tool_names[T_COUNT] = {
	"search_knowledge_base", "get_order_status", "create_support_ticket", "issue_refund",
	"web_search", "fetch_url", "run_sql", "python_repl", "get_pull_request_diff",
	"post_review_comment", "crm_lookup", "create_calendar_event",
};

static const char *const tool_descriptions[T_COUNT] = {
	"Search the internal knowledge base and return the most relevant passages.",
	"Look up the current status, carrier and delivery estimate of an order.",
	"Open a ticket for the human support team with a title, priority and description.",
	"Refund all or part of an order; requires the order id, the amount and a reason.",
	"Search the public web and return titles, URLs and snippets.",
	"Download a web page and return its readable text.",
	"Run a read-only SQL query against the analytics warehouse.",
	"Execute Python code in a sandbox and return stdout and the exit code.",
	"Return the unified diff of a pull request, file by file.",
	"Post a review comment on a line of a pull request.",
	"Look up an account in the CRM: owner, stage, revenue and open opportunities.",
	"Create a calendar event with attendees, a start time and a duration.",
};

struct service {
	const char *name, *version, *env, *language, *runtime, *runtime_version;
	const char *agent, *company, *role, *project;
	enum style style;
	const char *fw_scope, *fw_version, *llm_scope, *llm_version;
	int main_model, small_model;
	int tools[5];
	const char *const *domain;
	size_t ndomain;
	const char *const *questions;
	size_t nquestions;
};

static const char *const support_domain[] = {
	"order", "tracking number", "refund request", "return label", "shipping address", "invoice",
	"loyalty points", "gift card", "warranty claim", "replacement", "delivery window", "promo code",
};
static const char *const research_domain[] = {
	"paper", "citation", "dataset", "benchmark", "ablation", "hypothesis", "survey",
	"preprint", "evaluation protocol", "baseline", "literature review", "experiment",
};
static const char *const code_domain[] = {
	"pull request", "diff", "unit test", "function", "migration", "dependency", "commit",
	"branch", "null check", "race condition", "error handler", "API endpoint",
};
static const char *const sales_domain[] = {
	"lead", "opportunity", "account", "renewal", "pipeline", "quote", "discount approval",
	"champion", "procurement review", "pilot", "expansion deal", "forecast call",
};
static const char *const docs_domain[] = {
	"SDK", "API key", "webhook", "rate limit", "configuration file", "environment variable",
	"endpoint", "pagination cursor", "OAuth scope", "retry policy", "CLI flag", "quickstart",
};

static const char *const support_questions[] = {
	"Hi, my order #%N still has not arrived and the tracking page says it is %a. Can you %v what happened?",
	"I was charged twice for the same %D last week. Could you %v the %n and refund the duplicate?",
	"How do I %v the %D on my account? The %a %n keeps showing an error.",
	"I want to return the %a %n I bought on order %N, but the %D link is broken.",
	"Can you change the %D for my %a order before it ships? I moved last month.",
};
static const char *const research_questions[] = {
	"Summarize the %a work on %D evaluation from the last two years and list the main open problems.",
	"Which %D should I use to %v a retrieval model for %a legal documents, and why?",
	"Compare the %D results of the %N papers you found and explain where they disagree.",
	"Find the %a %D for long-context reasoning and check whether their numbers are reproducible.",
	"Draft a related-work section about %a %D methods with citations in ACL style.",
};
static const char *const code_questions[] = {
	"Review pull request #%N: it changes the %D in the %n module. Anything %a?",
	"The %D added in #%N fails on CI with a timeout. Can you %v why and suggest a fix?",
	"Is the %D in this %n safe under concurrent access? Please %v the diff carefully.",
	"Suggest a %a %D for the %n service; the current one is hard to %v.",
	"Explain what commit %N changes in the %D and whether it needs a migration.",
};
static const char *const sales_questions[] = {
	"Prepare me for the call with account %N tomorrow: what is the %D status and who is the %n?",
	"Which %a %D should we prioritize this quarter, and what is the expected revenue?",
	"Draft a follow-up email after the %D review; they asked about %a pricing for %N seats.",
	"Why did the %D with %N stall, and what should I %v before the renewal?",
	"Summarize the %a notes for the %D and update the forecast category.",
};
static const char *const docs_questions[] = {
	"How do I set the %D when I %v the client from a %a container?",
	"The docs say the %D is optional, but I get a %N error without it. What is %a?",
	"What is the %D for the %n API, and can I raise it for %a workloads?",
	"Show me an example that uses the %D to %v every %n with retries.",
	"Why does the %D stop working after %N minutes in the %a environment?",
};

static const struct service services[] = {
	{"support-agent", "2.14.0", "production", "python", "cpython", "3.12.7",
	 "support_agent", "Northwind Outfitters", "a customer support agent", NULL, STYLE_GENAI,
	 "langgraph", "0.4.8", "opentelemetry.instrumentation.openai_v2", "2.1b0", 0, 1,
	 {T_ORDER_STATUS, T_SEARCH_KB, T_ISSUE_REFUND, T_CREATE_TICKET, -1},
	 support_domain, COUNT(support_domain), support_questions, COUNT(support_questions)},
	{"research-assistant", "1.8.3", "production", "python", "cpython", "3.11.9",
	 "research_assistant", "Meridian Labs", "a research assistant for applied scientists", "research",
	 STYLE_OPENINFERENCE, "openinference.instrumentation.langchain", "0.1.43",
	 "openinference.instrumentation.langchain", "0.1.43", 3, 4,
	 {T_WEB_SEARCH, T_FETCH_URL, T_SEARCH_KB, T_PYTHON, -1},
	 research_domain, COUNT(research_domain), research_questions, COUNT(research_questions)},
	{"code-review-bot", "0.9.12", "staging", "nodejs", "nodejs", "22.11.0",
	 "code_reviewer", "Lattice Systems", "a senior code reviewer", NULL, STYLE_OPENLLMETRY,
	 "@traceloop/node-server-sdk", "0.12.1", "@traceloop/instrumentation-anthropic", "0.12.0", 3, 2,
	 {T_GET_DIFF, T_POST_COMMENT, T_SEARCH_KB, -1, -1},
	 code_domain, COUNT(code_domain), code_questions, COUNT(code_questions)},
	{"sales-copilot", "3.2.1", "production", "nodejs", "nodejs", "20.18.1",
	 "sales_copilot", "Brightline CRM", "a sales assistant for account executives", NULL, STYLE_GENAI,
	 "@mastra/core", "0.10.4", "@opentelemetry/instrumentation-google-genai", "0.3.0", 5, 6,
	 {T_CRM_LOOKUP, T_CALENDAR, T_RUN_SQL, T_WEB_SEARCH, -1},
	 sales_domain, COUNT(sales_domain), sales_questions, COUNT(sales_questions)},
	{"docs-qa", "1.3.0", "development", "python", "cpython", "3.12.4",
	 "docs_assistant", "Polaris Cloud", "a documentation assistant for developers", NULL, STYLE_GENAI,
	 "llama_index", "0.12.38", "opentelemetry.instrumentation.mistralai", "0.3.1", 7, 8,
	 {T_SEARCH_KB, T_FETCH_URL, T_PYTHON, -1, -1},
	 docs_domain, COUNT(docs_domain), docs_questions, COUNT(docs_questions)},
};

/* ---------- text generation ---------- */

/* Expands a template: %n noun, %a adjective, %v verb, %s verb (3rd person),
 * %r adverb, %R capitalized adverb, %p preposition, %d determiner, %D domain
 * term of the service, %N a number. */
static void expand(struct rng *r, const struct service *svc, struct jbuf *t, const char *form)
{
	for (const char *p = form; *p; p++) {
		if (*p != '%' || !p[1]) {
			tb_put(t, p, 1);
			continue;
		}
		switch (*++p) {
		case 'n': tb_puts(t, PICK(r, nouns)); break;
		case 'a': tb_puts(t, PICK(r, adjectives)); break;
		case 'v': tb_puts(t, verbs[rng_below(r, COUNT(verbs))][0]); break;
		case 's': tb_puts(t, verbs[rng_below(r, COUNT(verbs))][1]); break;
		case 'r': tb_puts(t, PICK(r, adverbs)); break;
		case 'R': {
			const char *w = PICK(r, adverbs);
			char c = (char)(w[0] - 'a' + 'A');
			tb_put(t, &c, 1);
			tb_puts(t, w + 1);
			break;
		}
		case 'p': tb_puts(t, PICK(r, preps)); break;
		case 'd': tb_puts(t, PICK(r, dets)); break;
		case 'D': tb_puts(t, svc->domain[rng_below(r, svc->ndomain)]); break;
		case 'N': tb_printf(t, "%u", (unsigned)rng_range(r, 2, 99999)); break;
		default: tb_put(t, p - 1, 2); break;
		}
	}
}

static void sentences(struct rng *r, const struct service *svc, struct jbuf *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i)
			tb_puts(t, " ");
		expand(r, svc, t, PICK(r, sentence_forms));
	}
}

/* A paragraph-structured answer, sometimes with a numbered list. */
static void answer_text(struct rng *r, const struct service *svc, struct jbuf *t)
{
	static const char *const openers[] = {
		"Thanks for the details.", "Here is what I found.", "Short answer: yes, with one caveat.",
		"I looked into this.", "Good question.", "Based on the sources I checked:",
	};
	tb_puts(t, PICK(r, openers));
	tb_puts(t, " ");
	sentences(r, svc, t, (unsigned)rng_range(r, 1, 3));
	if (rng_chance(r, 0.5)) {
		tb_puts(t, "\n\n");
		unsigned items = (unsigned)rng_range(r, 2, 3);
		for (unsigned i = 0; i < items; i++) {
			tb_printf(t, "%u. **", i + 1);
			expand(r, svc, t, "%D");
			tb_puts(t, "**: ");
			sentences(r, svc, t, 1);
			tb_puts(t, "\n");
		}
	}
	tb_puts(t, "\n");
	sentences(r, svc, t, (unsigned)rng_range(r, 1, 2));
}

/* The service's system prompt: fixed per service (not per seed), as in
 * production, where the same prompt opens every call. */
static void system_prompt(size_t svc_index, struct jbuf *t)
{
	const struct service *svc = &services[svc_index];
	struct rng r;
	rng_seed(&r, hash3(0x5157e11, svc_index, 0));
	tb_printf(t, "You are %s, %s at %s. Today you are helping a signed-in user through the %s app.\n\n",
	          svc->agent, svc->role, svc->company, svc->name);
	tb_puts(t, "## Goals\n");
	for (int i = 0; i < 3; i++) {
		tb_puts(t, "- ");
		sentences(&r, svc, t, 1);
		tb_puts(t, "\n");
	}
	tb_puts(t, "\n## Rules\n");
	for (int i = 0; i < 4; i++) {
		tb_printf(t, "%d. ", i + 1);
		sentences(&r, svc, t, 1);
		tb_puts(t, "\n");
	}
	tb_puts(t, "\n## Tools\n");
	for (int i = 0; i < 5 && svc->tools[i] >= 0; i++)
		tb_printf(t, "- `%s`: %s\n", tool_names[svc->tools[i]], tool_descriptions[svc->tools[i]]);
	tb_puts(t, "\n## Style\nAnswer in the user's language. Be concise, use short paragraphs and numbered "
	           "steps for procedures, cite the source of every fact you took from a tool result, and "
	           "never invent order numbers, prices, citations or commit hashes. If a tool fails, say so "
	           "plainly and offer the next best step instead of guessing.\n");
}

/* ---------- per-trace state ---------- */

enum msg_kind { MSG_TEXT, MSG_TOOL_CALL, MSG_TOOL_RESULT };

struct msg {
	enum msg_kind kind;
	const char *role, *text;           /* text or tool result */
	const char *call_id, *tool, *args; /* tool call / result; args is JSON */
};

struct gen {
	struct arena *a;
	struct rng r;
	const struct service *svc;
	size_t svc_index;
	uint8_t trace_id[16];
	Tl__ScopeSpans *fw, *llm;       /* the trace's two instrumentation scopes */
	size_t nspans;
	struct jbuf t, t2;          /* text buffers (tb_*), uncapped */
	struct msg msgs[MAX_MSGS];
	size_t nmsgs;
	const char *session, *user;
	int failed;                      /* the agent gave up (root is an error) */
	const char *fail_type, *fail_message, *fail_stack;
};

static ProtobufCBinaryData id_bytes(struct arena *a, const uint8_t *src, size_t n)
{
	ProtobufCBinaryData d = {n, arena_alloc(a, n)};
	memcpy(d.data, src, n);
	return d;
}

static void random_id(struct rng *r, uint8_t *out, size_t n)
{
	do {
		for (size_t i = 0; i < n; i += 8) {
			uint64_t v = rng_next(r);
			memcpy(out + i, &v, n - i < 8 ? n - i : 8);
		}
	} while (out[0] == 0 && out[n - 1] == 0);
}

/* The trace id and root span id of a trace, so the next trace of its
 * session can link to it. */
static void trace_ids(uint64_t seed, size_t idx, uint8_t tid[16], uint8_t root[8])
{
	struct rng r;
	rng_seed(&r, hash3(seed, idx, 0x7ace));
	random_id(&r, tid, 16);
	random_id(&r, root, 8);
}

static Tl__Span *span_new(struct gen *g, Tl__ScopeSpans *scope, const Tl__Span *parent,
                          const char *name, int kind, uint64_t start, uint64_t end)
{
	Tl__Span *s = arena_alloc(g->a, sizeof *s);
	tl__span__init(s);
	s->trace_id = id_bytes(g->a, g->trace_id, 16);
	uint8_t sid[8];
	random_id(&g->r, sid, 8);
	s->span_id = id_bytes(g->a, sid, 8);
	if (parent)
		s->parent_span_id = parent->span_id;
	s->flags = 0x101; /* sampled, parent-is-remote known */
	s->name = arena_strdup(g->a, name);
	s->kind = kind;
	s->start_time_unix_nano = start;
	s->end_time_unix_nano = end;
	otlp_push(g->a, &scope->spans, &scope->n_spans, s);
	g->nspans++;
	return s;
}

#define ATTRS(s) &(s)->attributes, &(s)->n_attributes

/* Adds an empty array attribute to s and returns the array. */
static Tl__ArrayValue *attr_array(struct gen *g, Tl__Span *s, const char *key)
{
	Tl__AnyValue *v = otlp_any_new(g->a);
	v->value_case = TL__ANY_VALUE__VALUE_ARRAY_VALUE;
	v->array_value = arena_alloc(g->a, sizeof *v->array_value);
	tl__array_value__init(v->array_value);
	otlp_push(g->a, ATTRS(s), otlp_kv_new(g->a, key, v));
	return v->array_value;
}

static void attr_strs(struct gen *g, Tl__Span *s, const char *key, const char *const *vals, size_t n)
{
	Tl__ArrayValue *arr = attr_array(g, s, key);
	for (size_t i = 0; i < n; i++) {
		Tl__AnyValue *e = otlp_any_new(g->a);
		e->value_case = TL__ANY_VALUE__VALUE_STRING_VALUE;
		e->string_value = arena_strdup(g->a, vals[i]);
		otlp_push(g->a, &arr->values, &arr->n_values, e);
	}
}

static void attr_doubles(struct gen *g, Tl__Span *s, const char *key, const double *vals, size_t n)
{
	Tl__ArrayValue *arr = attr_array(g, s, key);
	for (size_t i = 0; i < n; i++) {
		Tl__AnyValue *e = otlp_any_new(g->a);
		e->value_case = TL__ANY_VALUE__VALUE_DOUBLE_VALUE;
		e->double_value = vals[i];
		otlp_push(g->a, &arr->values, &arr->n_values, e);
	}
}

static void attr_fmt(struct gen *g, Tl__Span *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void attr_fmt(struct gen *g, Tl__Span *s, const char *key, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	otlp_attr_str(g->a, ATTRS(s), key, buf);
}

static void set_status(struct gen *g, Tl__Span *s, int code, const char *message)
{
	s->status = arena_alloc(g->a, sizeof *s->status);
	tl__status__init(s->status);
	s->status->code = code;
	if (message)
		s->status->message = arena_strdup(g->a, message);
}

/* Status 2 plus the OTel "exception" event. */
static void add_exception(struct gen *g, Tl__Span *s, const char *type, const char *message,
                          const char *stack)
{
	set_status(g, s, 2, message);
	Tl__Span__Event *e = arena_alloc(g->a, sizeof *e);
	tl__span__event__init(e);
	e->time_unix_nano = s->end_time_unix_nano;
	e->name = "exception";
	otlp_attr_str(g->a, &e->attributes, &e->n_attributes, "exception.type", type);
	otlp_attr_str(g->a, &e->attributes, &e->n_attributes, "exception.message", message);
	otlp_attr_str(g->a, &e->attributes, &e->n_attributes, "exception.stacktrace", stack);
	otlp_attr_bool(g->a, &e->attributes, &e->n_attributes, "exception.escaped", 1);
	otlp_push(g->a, &s->events, &s->n_events, e);
}

static const char *stacktrace(struct gen *g, const char *type, const char *message, const char *where)
{
	struct jbuf *t = &g->t2;
	const struct service *svc = g->svc;
	if (strcmp(svc->language, "python") == 0) {
		tb_puts(t, "Traceback (most recent call last):\n");
		tb_printf(t, "  File \"/app/%s/agent/graph.py\", line %u, in run_step\n    result = await node.ainvoke(state, config)\n",
		          svc->agent, (unsigned)rng_range(&g->r, 80, 400));
		tb_printf(t, "  File \"/app/%s/agent/%s.py\", line %u, in %s\n    response = await self._call(**kwargs)\n",
		          svc->agent, where, (unsigned)rng_range(&g->r, 20, 300), where);
		tb_printf(t, "  File \"/usr/local/lib/python3.12/site-packages/httpx/_client.py\", line %u, in send\n    response = await self._send_handling_auth(request)\n",
		          (unsigned)rng_range(&g->r, 1500, 1700));
		tb_printf(t, "%s: %s\n", type, message);
	} else {
		tb_printf(t, "%s: %s\n", type, message);
		tb_printf(t, "    at %s (/app/dist/agent/%s.js:%u:%u)\n", where, where,
		          (unsigned)rng_range(&g->r, 10, 900), (unsigned)rng_range(&g->r, 5, 60));
		tb_printf(t, "    at async Agent.step (/app/dist/agent/agent.js:%u:%u)\n",
		          (unsigned)rng_range(&g->r, 10, 900), (unsigned)rng_range(&g->r, 5, 60));
		tb_puts(t, "    at async Agent.run (/app/dist/agent/agent.js:88:22)\n"
		           "    at async /app/dist/server/routes.js:41:19\n");
	}
	return tb_take(t, g->a);
}

/* ---------- tools ---------- */

static void tool_io(struct gen *g, int tool, const char *question, const char **args, const char **result)
{
	struct rng *r = &g->r;
	struct jbuf *t = &g->t;
	const struct service *svc = g->svc;
	unsigned n = (unsigned)rng_range(r, 100000, 999999);
	switch (tool) {
	case T_SEARCH_KB:
	case T_WEB_SEARCH:
		tb_puts(t, "{\"query\":");
		tb_json(t, question);
		tb_printf(t, ",\"top_k\":%u}", (unsigned)rng_range(r, 3, 8));
		*args = tb_take(t, g->a);
		tb_puts(t, "{\"results\":[");
		for (unsigned i = 0, k = (unsigned)rng_range(r, 2, 4); i < k; i++) {
			tb_puts(t, i ? ",{\"title\":" : "{\"title\":");
			expand(r, svc, &g->t2, "The %a %D: how to %v the %n");
			tb_json(t, g->t2.p);
			g->t2.len = 0;
			tb_printf(t, ",\"url\":\"https://%s/%s/%u\",\"snippet\":", tool == T_WEB_SEARCH ? "www.example.org" : "kb.internal",
			          nouns[rng_below(r, COUNT(nouns))], (unsigned)rng_range(r, 100, 9999));
			sentences(r, svc, &g->t2, (unsigned)rng_range(r, 1, 2));
			tb_json(t, g->t2.p);
			g->t2.len = 0;
			tb_printf(t, ",\"score\":%.3f}", 0.95 - 0.1 * i - 0.05 * rng_unit(r));
		}
		tb_puts(t, "]}");
		break;
	case T_ORDER_STATUS:
		tb_printf(t, "{\"order_id\":\"ORD-%u\"}", n);
		*args = tb_take(t, g->a);
		tb_printf(t, "{\"order_id\":\"ORD-%u\",\"status\":\"%s\",\"carrier\":\"%s\",\"tracking\":\"1Z%08uX%u\",\"eta\":\"2025-%02u-%02u\",\"events\":[",
		          n, (const char *[]){"in_transit", "delayed", "delivered", "label_created"}[rng_below(r, 4)],
		          (const char *[]){"UPS", "DHL", "FedEx", "USPS"}[rng_below(r, 4)], n, (unsigned)rng_below(r, 10),
		          (unsigned)rng_range(r, 1, 12), (unsigned)rng_range(r, 1, 28));
		for (unsigned i = 0, k = (unsigned)rng_range(r, 2, 5); i < k; i++) {
			tb_printf(t, "%s{\"at\":\"2025-%02u-%02uT%02u:%02u:00Z\",\"description\":", i ? "," : "",
			          (unsigned)rng_range(r, 1, 12), (unsigned)rng_range(r, 1, 28),
			          (unsigned)rng_below(r, 24), (unsigned)rng_below(r, 60));
			sentences(r, svc, &g->t2, 1);
			tb_json(t, g->t2.p);
			g->t2.len = 0;
			tb_puts(t, "}");
		}
		tb_puts(t, "]}");
		break;
	case T_CREATE_TICKET:
		tb_puts(t, "{\"title\":");
		expand(r, svc, &g->t2, "Customer cannot %v the %a %D");
		tb_json(t, g->t2.p);
		g->t2.len = 0;
		tb_printf(t, ",\"priority\":\"%s\",\"description\":", (const char *[]){"low", "normal", "high", "urgent"}[rng_below(r, 4)]);
		sentences(r, svc, &g->t2, 3);
		tb_json(t, g->t2.p);
		g->t2.len = 0;
		tb_puts(t, "}");
		*args = tb_take(t, g->a);
		tb_printf(t, "{\"ticket_id\":\"TCK-%u\",\"url\":\"https://support.example.com/t/%u\",\"queue\":\"tier-2\"}", n, n);
		break;
	case T_ISSUE_REFUND:
		tb_printf(t, "{\"order_id\":\"ORD-%u\",\"amount\":%u.%02u,\"currency\":\"USD\",\"reason\":\"duplicate_charge\"}",
		          n, (unsigned)rng_range(r, 5, 400), (unsigned)rng_below(r, 100));
		*args = tb_take(t, g->a);
		tb_printf(t, "{\"refund_id\":\"re_%u%u\",\"status\":\"%s\",\"expected_days\":%u}", n,
		          (unsigned)rng_below(r, 1000), rng_chance(r, 0.8) ? "approved" : "pending_review",
		          (unsigned)rng_range(r, 3, 10));
		break;
	case T_FETCH_URL:
		tb_printf(t, "{\"url\":\"https://www.example.org/%s/%u\"}", nouns[rng_below(r, COUNT(nouns))], n);
		*args = tb_take(t, g->a);
		tb_puts(t, "{\"status\":200,\"content\":");
		sentences(r, svc, &g->t2, (unsigned)rng_range(r, 4, 8));
		tb_json(t, g->t2.p);
		g->t2.len = 0;
		tb_puts(t, "}");
		break;
	case T_RUN_SQL:
		tb_printf(t, "{\"query\":\"SELECT account_id, stage, SUM(amount) AS total FROM opportunities WHERE close_date >= '2025-%02u-01' GROUP BY 1, 2 ORDER BY total DESC LIMIT %u\"}",
		          (unsigned)rng_range(r, 1, 12), (unsigned)rng_range(r, 5, 20));
		*args = tb_take(t, g->a);
		tb_puts(t, "{\"columns\":[\"account_id\",\"stage\",\"total\"],\"rows\":[");
		for (unsigned i = 0, k = (unsigned)rng_range(r, 3, 12); i < k; i++)
			tb_printf(t, "%s[\"acc_%u\",\"%s\",%u.%02u]", i ? "," : "", (unsigned)rng_range(r, 1000, 99999),
			          (const char *[]){"prospecting", "proposal", "negotiation", "closed_won"}[rng_below(r, 4)],
			          (unsigned)rng_range(r, 1000, 900000), (unsigned)rng_below(r, 100));
		tb_puts(t, "]}");
		break;
	case T_PYTHON:
		tb_printf(t, "{\"code\":\"import pandas as pd\\ndf = pd.read_csv('results_%u.csv')\\nprint(df.groupby('%s')['%s'].agg(['mean', 'std']).round(3))\"}",
		          n, nouns[rng_below(r, COUNT(nouns))], nouns[rng_below(r, COUNT(nouns))]);
		*args = tb_take(t, g->a);
		tb_puts(t, "{\"exit_code\":0,\"stdout\":\"");
		for (unsigned i = 0, k = (unsigned)rng_range(r, 3, 8); i < k; i++)
			tb_printf(t, "%-12s %.3f %.3f\\n", adjectives[rng_below(r, COUNT(adjectives))],
			          rng_unit(r), rng_unit(r) / 10);
		tb_puts(t, "\"}");
		break;
	case T_GET_DIFF:
		tb_printf(t, "{\"repo\":\"lattice/api\",\"pull_number\":%u}", n % 5000);
		*args = tb_take(t, g->a);
		tb_puts(t, "{\"files\":[");
		for (unsigned i = 0, k = (unsigned)rng_range(r, 1, 3); i < k; i++) {
			const char *noun = nouns[rng_below(r, COUNT(nouns))];
			tb_printf(t, "%s{\"path\":\"src/%s/%s.ts\",\"additions\":%u,\"deletions\":%u,\"patch\":",
			          i ? "," : "", noun, nouns[rng_below(r, COUNT(nouns))],
			          (unsigned)rng_range(r, 1, 80), (unsigned)rng_range(r, 0, 40));
			tb_printf(&g->t2, "@@ -%u,7 +%u,9 @@ export async function %sHandler(", (unsigned)rng_range(r, 1, 300),
			          (unsigned)rng_range(r, 1, 300), verbs[rng_below(r, COUNT(verbs))][0]);
			tb_printf(&g->t2, "req: Request) {\n-  const %s = await db.%s.find(req.params.id);\n+  const %s = await db.%s.findUnique({ where: { id: req.params.id } });\n+  if (!%s) throw new NotFoundError('%s');\n   return %s;\n",
			          noun, noun, noun, noun, noun, noun, noun);
			tb_json(t, g->t2.p);
			g->t2.len = 0;
			tb_puts(t, "}");
		}
		tb_puts(t, "]}");
		break;
	case T_POST_COMMENT:
		tb_printf(t, "{\"path\":\"src/%s/index.ts\",\"line\":%u,\"body\":", nouns[rng_below(r, COUNT(nouns))],
		          (unsigned)rng_range(r, 1, 400));
		sentences(r, svc, &g->t2, 2);
		tb_json(t, g->t2.p);
		g->t2.len = 0;
		tb_puts(t, "}");
		*args = tb_take(t, g->a);
		tb_printf(t, "{\"id\":%u,\"url\":\"https://git.example.com/lattice/api/pull/%u#discussion_r%u\"}", n, n % 5000, n);
		break;
	case T_CRM_LOOKUP:
		tb_printf(t, "{\"account\":\"acc_%u\"}", n);
		*args = tb_take(t, g->a);
		tb_printf(t, "{\"account_id\":\"acc_%u\",\"owner\":\"%s\",\"stage\":\"%s\",\"arr\":%u,\"open_opportunities\":%u,\"notes\":",
		          n, (const char *[]){"Dana Whitfield", "Ravi Menon", "Lucia Ortega", "Tom Becker"}[rng_below(r, 4)],
		          (const char *[]){"discovery", "evaluation", "negotiation", "renewal"}[rng_below(r, 4)],
		          (unsigned)rng_range(r, 10, 900) * 1000, (unsigned)rng_range(r, 0, 6));
		sentences(r, svc, &g->t2, (unsigned)rng_range(r, 2, 5));
		tb_json(t, g->t2.p);
		g->t2.len = 0;
		tb_puts(t, "}");
		break;
	default: /* T_CALENDAR */
		tb_printf(t, "{\"title\":\"Follow-up: %s review\",\"start\":\"2025-%02u-%02uT%02u:00:00Z\",\"duration_minutes\":%u,\"attendees\":[\"ae@brightline.example\",\"buyer%u@customer.example\"]}",
		          nouns[rng_below(r, COUNT(nouns))], (unsigned)rng_range(r, 1, 12), (unsigned)rng_range(r, 1, 28),
		          (unsigned)rng_range(r, 8, 17), (unsigned)(rng_range(r, 1, 4) * 15), n % 100);
		*args = tb_take(t, g->a);
		tb_printf(t, "{\"event_id\":\"evt_%u\",\"status\":\"confirmed\"}", n);
		break;
	}
	*result = tb_take(t, g->a);
}

/* ---------- LLM call attributes, per convention ---------- */

static void msg_push(struct gen *g, enum msg_kind kind, const char *role, const char *text,
                     const char *call_id, const char *tool, const char *args)
{
	if (g->nmsgs == MAX_MSGS)
		return; /* context window full: older turns fall out of later calls */
	g->msgs[g->nmsgs++] = (struct msg){kind, role, text, call_id, tool, args};
}

/* OTel GenAI gen_ai.input.messages / gen_ai.output.messages JSON. */
static const char *genai_messages(struct gen *g, const struct msg *m, size_t n, const char *finish)
{
	struct jbuf *t = &g->t;
	tb_puts(t, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			tb_puts(t, ",");
		tb_puts(t, "{\"role\":");
		tb_json(t, m[i].role);
		if (m[i].kind == MSG_TEXT) {
			tb_puts(t, ",\"parts\":[{\"type\":\"text\",\"content\":");
			tb_json(t, m[i].text);
		} else if (m[i].kind == MSG_TOOL_CALL) {
			tb_puts(t, ",\"parts\":[{\"type\":\"tool_call\",\"id\":");
			tb_json(t, m[i].call_id);
			tb_puts(t, ",\"name\":");
			tb_json(t, m[i].tool);
			tb_puts(t, ",\"arguments\":");
			tb_puts(t, m[i].args);
		} else {
			tb_puts(t, ",\"parts\":[{\"type\":\"tool_call_response\",\"id\":");
			tb_json(t, m[i].call_id);
			tb_puts(t, ",\"response\":");
			tb_json(t, m[i].text);
		}
		tb_puts(t, "}]");
		if (finish) {
			tb_puts(t, ",\"finish_reason\":");
			tb_json(t, finish);
		}
		tb_puts(t, "}");
	}
	tb_puts(t, "]");
	return tb_take(t, g->a);
}

/* Indexed flat attributes: OpenInference llm.input_messages.N.message.* or
 * OpenLLMetry gen_ai.prompt.N.*. */
static void flat_messages(struct gen *g, Tl__Span *s, const char *prefix, int oi,
                          const struct msg *m, size_t n)
{
	char key[160];
	for (size_t i = 0; i < n; i++) {
		const char *mid = oi ? ".message" : "";
		snprintf(key, sizeof key, "%s.%zu%s.role", prefix, i, mid);
		otlp_attr_str(g->a, ATTRS(s), key, m[i].role);
		if (m[i].kind == MSG_TOOL_CALL) {
			snprintf(key, sizeof key, oi ? "%s.%zu%s.tool_calls.0.tool_call.function.name"
			                             : "%s.%zu%s.tool_calls.0.name", prefix, i, mid);
			otlp_attr_str(g->a, ATTRS(s), key, m[i].tool);
			snprintf(key, sizeof key, oi ? "%s.%zu%s.tool_calls.0.tool_call.function.arguments"
			                             : "%s.%zu%s.tool_calls.0.arguments", prefix, i, mid);
			otlp_attr_str(g->a, ATTRS(s), key, m[i].args);
		} else {
			snprintf(key, sizeof key, "%s.%zu%s.content", prefix, i, mid);
			otlp_attr_str(g->a, ATTRS(s), key, m[i].text);
		}
	}
}

static int64_t approx_tokens(const struct msg *m, size_t n)
{
	int64_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += (int64_t)strlen(m[i].kind == MSG_TOOL_CALL ? m[i].args : m[i].text) + 16;
	return chars / 4 + 3;
}

static const char *llm_error_types[][3] = {
	/* python type, node type, message */
	{"openai.RateLimitError", "RateLimitError",
	 "Error code: 429 - Rate limit reached for requests per minute (RPM). Please try again in 2s."},
	{"anthropic.InternalServerError", "InternalServerError",
	 "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}"},
	{"httpx.ReadTimeout", "APIConnectionTimeoutError", "Request timed out after 60.0 seconds."},
	{"openai.BadRequestError", "BadRequestError",
	 "Error code: 400 - This model's maximum context length was exceeded. Please reduce the length of the messages."},
};

/* One chat call with the context in g->msgs, from start. out_text is the
 * completion, or NULL when the model answers with a call of out_tool
 * (out_args); fail makes it an error span with an exception event and no
 * output. Returns the span. */
static Tl__Span *llm_call(struct gen *g, const Tl__Span *parent, uint64_t start, const struct model *m,
                          const char *out_text, const char *out_call_id, const char *out_tool,
                          const char *out_args, int fail)
{
	struct rng *r = &g->r;
	const struct service *svc = g->svc;
	struct msg out = out_text ? (struct msg){MSG_TEXT, "assistant", out_text, NULL, NULL, NULL}
	                          : (struct msg){MSG_TOOL_CALL, "assistant", NULL, out_call_id, out_tool, out_args};
	int64_t in_tok = approx_tokens(g->msgs, g->nmsgs);
	int64_t out_tok = fail ? 0 : approx_tokens(&out, 1);
	int64_t sys_tok = approx_tokens(g->msgs, 1);
	int64_t cache_read = strcmp(m->provider, "mistral") != 0 && rng_chance(r, 0.55) ? sys_tok / 128 * 128 : 0;
	int stream = rng_chance(r, 0.5);
	uint64_t ttft = (uint64_t)rng_range(r, 180, 900) * NS_PER_MS;
	uint64_t dur = fail ? (uint64_t)rng_range(r, 40, 30000) * NS_PER_MS
	                    : ttft + (uint64_t)out_tok * rng_range(r, 8, 25) * NS_PER_MS;
	const char *finish = out_text ? "stop" : "tool_calls";
	char name[128];
	snprintf(name, sizeof name, svc->style == STYLE_OPENINFERENCE ? "Chat%s" : "chat %s",
	         svc->style == STYLE_OPENINFERENCE
	             ? (strcmp(m->provider, "anthropic") == 0 ? "Anthropic" : strcmp(m->provider, "openai") == 0 ? "OpenAI" : "Model")
	             : m->request);
	Tl__Span *s = span_new(g, g->llm, parent, name, 3, start, start + dur);
	double temperature = (double)rng_below(r, 11) / 10.0;
	int64_t max_tokens = (int64_t)(1024u << rng_below(r, 3));
	if (svc->style == STYLE_OPENINFERENCE) {
		otlp_attr_str(g->a, ATTRS(s), "openinference.span.kind", "LLM");
		otlp_attr_str(g->a, ATTRS(s), "llm.provider", m->provider);
		otlp_attr_str(g->a, ATTRS(s), "llm.system", m->provider);
		otlp_attr_str(g->a, ATTRS(s), "llm.model_name", m->response);
		attr_fmt(g, s, "llm.invocation_parameters", "{\"model\":\"%s\",\"temperature\":%.1f,\"max_tokens\":%lld,\"stream\":%s}",
		         m->request, temperature, (long long)max_tokens, stream ? "true" : "false");
		flat_messages(g, s, "llm.input_messages", 1, g->msgs, g->nmsgs);
		if (!fail) {
			flat_messages(g, s, "llm.output_messages", 1, &out, 1);
			otlp_attr_int(g->a, ATTRS(s), "llm.token_count.prompt", in_tok);
			otlp_attr_int(g->a, ATTRS(s), "llm.token_count.completion", out_tok);
			otlp_attr_int(g->a, ATTRS(s), "llm.token_count.total", in_tok + out_tok);
			if (cache_read)
				otlp_attr_int(g->a, ATTRS(s), "llm.token_count.prompt_details.cache_read", cache_read);
		}
		otlp_attr_str(g->a, ATTRS(s), "session.id", g->session);
		otlp_attr_str(g->a, ATTRS(s), "user.id", g->user);
	} else {
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.operation.name", "chat");
		otlp_attr_str(g->a, ATTRS(s), svc->style == STYLE_GENAI ? "gen_ai.provider.name" : "gen_ai.system", m->provider);
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.request.model", m->request);
		otlp_attr_double(g->a, ATTRS(s), "gen_ai.request.temperature", temperature);
		otlp_attr_int(g->a, ATTRS(s), "gen_ai.request.max_tokens", max_tokens);
		if (rng_chance(r, 0.3))
			otlp_attr_double(g->a, ATTRS(s), "gen_ai.request.top_p", 0.9 + 0.01 * (double)rng_below(r, 10));
		otlp_attr_bool(g->a, ATTRS(s), "gen_ai.request.stream", stream);
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.conversation.id", g->session);
		otlp_attr_str(g->a, ATTRS(s), "server.address", m->host);
		otlp_attr_int(g->a, ATTRS(s), "server.port", 443);
		if (svc->style == STYLE_GENAI) {
			otlp_attr_str(g->a, ATTRS(s), "gen_ai.input.messages", genai_messages(g, g->msgs, g->nmsgs, NULL));
		} else {
			otlp_attr_str(g->a, ATTRS(s), "traceloop.span.kind", "llm");
			otlp_attr_str(g->a, ATTRS(s), "llm.request.type", "chat");
			flat_messages(g, s, "gen_ai.prompt", 0, g->msgs, g->nmsgs);
		}
		if (!fail) {
			otlp_attr_str(g->a, ATTRS(s), "gen_ai.response.model", m->response);
			attr_fmt(g, s, "gen_ai.response.id", "%s%016llx", strcmp(m->provider, "anthropic") == 0 ? "msg_" : "chatcmpl-",
			         (unsigned long long)rng_next(r));
			attr_strs(g, s, "gen_ai.response.finish_reasons", &finish, 1);
			if (svc->style == STYLE_GENAI) {
				otlp_attr_int(g->a, ATTRS(s), "gen_ai.usage.input_tokens", in_tok);
				otlp_attr_int(g->a, ATTRS(s), "gen_ai.usage.output_tokens", out_tok);
				otlp_attr_str(g->a, ATTRS(s), "gen_ai.output.messages", genai_messages(g, &out, 1, finish));
			} else {
				otlp_attr_int(g->a, ATTRS(s), "gen_ai.usage.prompt_tokens", in_tok);
				otlp_attr_int(g->a, ATTRS(s), "gen_ai.usage.completion_tokens", out_tok);
				otlp_attr_int(g->a, ATTRS(s), "llm.usage.total_tokens", in_tok + out_tok);
				flat_messages(g, s, "gen_ai.completion", 0, &out, 1);
			}
			if (cache_read)
				otlp_attr_int(g->a, ATTRS(s), "gen_ai.usage.cache_read.input_tokens", cache_read);
		}
	}
	if (stream && !fail) {
		Tl__Span__Event *e = arena_alloc(g->a, sizeof *e);
		tl__span__event__init(e);
		e->time_unix_nano = start + ttft;
		e->name = "gen_ai.first_token";
		otlp_attr_double(g->a, &e->attributes, &e->n_attributes, "gen_ai.server.time_to_first_token",
		                 (double)ttft / 1e9);
		otlp_push(g->a, &s->events, &s->n_events, e);
	}
	if (fail) {
		size_t k = rng_below(r, COUNT(llm_error_types));
		int py = strcmp(svc->language, "python") == 0;
		const char *type = llm_error_types[k][py ? 0 : 1];
		add_exception(g, s, type, llm_error_types[k][2], stacktrace(g, type, llm_error_types[k][2], "llm_client"));
	}
	return s;
}

static const char *tool_error_types[][2] = {
	{"TimeoutError", "upstream did not answer within 10 s"},
	{"ValueError", "invalid identifier: expected a value like ORD-123456"},
	{"PermissionError", "the service account is not allowed to read this resource"},
	{"ConnectionError", "connection reset by peer while reading the response"},
};

static Tl__Span *tool_call(struct gen *g, const Tl__Span *parent, uint64_t start, int tool,
                           const char *call_id, const char *args, const char *result, int fail)
{
	struct rng *r = &g->r;
	const struct service *svc = g->svc;
	uint64_t dur = (uint64_t)rng_range(r, 15, tool == T_WEB_SEARCH || tool == T_FETCH_URL ? 2500 : 600) * NS_PER_MS;
	char name[96];
	snprintf(name, sizeof name, svc->style == STYLE_OPENINFERENCE ? "%s" : "execute_tool %s", tool_names[tool]);
	Tl__Span *s = span_new(g, g->fw, parent, name, 1, start, start + dur);
	if (svc->style == STYLE_OPENINFERENCE) {
		otlp_attr_str(g->a, ATTRS(s), "openinference.span.kind", "TOOL");
		otlp_attr_str(g->a, ATTRS(s), "tool.name", tool_names[tool]);
		otlp_attr_str(g->a, ATTRS(s), "tool.description", tool_descriptions[tool]);
		otlp_attr_str(g->a, ATTRS(s), "input.value", args);
		otlp_attr_str(g->a, ATTRS(s), "input.mime_type", "application/json");
		if (!fail) {
			otlp_attr_str(g->a, ATTRS(s), "output.value", result);
			otlp_attr_str(g->a, ATTRS(s), "output.mime_type", "application/json");
		}
		otlp_attr_str(g->a, ATTRS(s), "session.id", g->session);
		otlp_attr_str(g->a, ATTRS(s), "user.id", g->user);
	} else {
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.operation.name", "execute_tool");
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.tool.name", tool_names[tool]);
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.tool.description", tool_descriptions[tool]);
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.tool.type", "function");
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.tool.call.id", call_id);
		otlp_attr_str(g->a, ATTRS(s), "gen_ai.tool.call.arguments", args);
		if (!fail)
			otlp_attr_str(g->a, ATTRS(s), "gen_ai.tool.call.result", result);
		if (svc->style == STYLE_OPENLLMETRY)
			otlp_attr_str(g->a, ATTRS(s), "traceloop.span.kind", "tool");
	}
	otlp_attr_bool(g->a, ATTRS(s), "tool.cache_hit", rng_chance(r, 0.15));
	if (fail) {
		size_t k = rng_below(r, COUNT(tool_error_types));
		add_exception(g, s, tool_error_types[k][0], tool_error_types[k][1],
		              stacktrace(g, tool_error_types[k][0], tool_error_types[k][1], tool_names[tool]));
	} else {
		set_status(g, s, 1, NULL);
	}
	return s;
}

/* Query embedding plus vector search, as a RETRIEVER span with an optional
 * EMBEDDING child. Returns the end time. */
static uint64_t retrieval(struct gen *g, const Tl__Span *parent, uint64_t start, const char *query)
{
	struct rng *r = &g->r;
	const struct service *svc = g->svc;
	unsigned ndocs = (unsigned)rng_range(r, 2, 5);
	uint64_t t = start + (uint64_t)rng_range(r, 1, 5) * NS_PER_MS;
	uint64_t embed_end = t;
	int embed = rng_chance(r, 0.5);
	if (embed)
		embed_end = t + (uint64_t)rng_range(r, 25, 180) * NS_PER_MS;
	uint64_t end = embed_end + (uint64_t)rng_range(r, 15, 350) * NS_PER_MS;
	Tl__Span *s = span_new(g, g->fw, parent, svc->style == STYLE_OPENINFERENCE ? "VectorStoreRetriever" : "retrieve documents",
	                       1, start, end + NS_PER_MS);
	otlp_attr_str(g->a, ATTRS(s), "openinference.span.kind", "RETRIEVER");
	otlp_attr_str(g->a, ATTRS(s), "input.value", query);
	otlp_attr_str(g->a, ATTRS(s), "db.system", rng_chance(r, 0.5) ? "qdrant" : "pgvector");
	otlp_attr_int(g->a, ATTRS(s), "retrieval.top_k", ndocs);
	double scores[6];
	for (unsigned i = 0; i < ndocs; i++)
		scores[i] = 0.92 - 0.07 * i - 0.03 * rng_unit(r);
	attr_doubles(g, s, "retrieval.scores", scores, ndocs);
	char key[96];
	for (unsigned i = 0; i < ndocs; i++) {
		snprintf(key, sizeof key, "retrieval.documents.%u.document.id", i);
		attr_fmt(g, s, key, "%s-doc-%05u#chunk-%u", svc->name, (unsigned)rng_below(r, 20000), (unsigned)rng_below(r, 40));
		snprintf(key, sizeof key, "retrieval.documents.%u.document.content", i);
		sentences(r, svc, &g->t, (unsigned)rng_range(r, 2, 4));
		otlp_attr_str(g->a, ATTRS(s), key, tb_take(&g->t, g->a));
		snprintf(key, sizeof key, "retrieval.documents.%u.document.score", i);
		otlp_attr_double(g->a, ATTRS(s), key, scores[i]);
		snprintf(key, sizeof key, "retrieval.documents.%u.document.metadata", i);
		attr_fmt(g, s, key, "{\"source\":\"docs/%s/%s.md\",\"updated_at\":\"2025-%02u-%02u\",\"lang\":\"en\"}",
		         nouns[rng_below(r, COUNT(nouns))], nouns[rng_below(r, COUNT(nouns))],
		         (unsigned)rng_range(r, 1, 12), (unsigned)rng_range(r, 1, 28));
	}
	if (svc->style == STYLE_OPENINFERENCE) {
		otlp_attr_str(g->a, ATTRS(s), "session.id", g->session);
		otlp_attr_str(g->a, ATTRS(s), "user.id", g->user);
	}
	if (embed) {
		int google = strcmp(models[svc->main_model].provider, "google") == 0;
		const char *model = google ? "text-embedding-004" : "text-embedding-3-small";
		char name[96];
		snprintf(name, sizeof name, "embeddings %s", model);
		Tl__Span *e = span_new(g, g->llm, s, name, 3, t, embed_end);
		otlp_attr_str(g->a, ATTRS(e), "gen_ai.operation.name", "embeddings");
		otlp_attr_str(g->a, ATTRS(e), "openinference.span.kind", "EMBEDDING");
		otlp_attr_str(g->a, ATTRS(e), svc->style == STYLE_GENAI ? "gen_ai.provider.name" : "gen_ai.system",
		              google ? "google" : "openai");
		otlp_attr_str(g->a, ATTRS(e), "gen_ai.request.model", model);
		otlp_attr_str(g->a, ATTRS(e), "embedding.model_name", model);
		otlp_attr_str(g->a, ATTRS(e), "embedding.embeddings.0.embedding.text", query);
		otlp_attr_int(g->a, ATTRS(e), "gen_ai.usage.input_tokens", (int64_t)strlen(query) / 4 + 1);
		otlp_attr_int(g->a, ATTRS(e), "gen_ai.embeddings.dimension.count", google ? 768 : 1536);
		const char *formats[] = {"float"};
		attr_strs(g, e, "gen_ai.request.encoding_formats", formats, 1);
	}
	return end + NS_PER_MS;
}

/* ---------- sessions and traces ---------- */

/* The user question and final answer of turn `turn` of a session, identical
 * whichever trace asks (later turns carry earlier ones as history). */
static void turn_texts(struct gen *g, uint64_t seed, uint64_t session, unsigned turn,
                       const char **question, const char **answer)
{
	struct rng r;
	rng_seed(&r, hash3(seed, session, 0x7e47 + turn));
	if (rng_chance(&r, 0.3))
		tb_puts(&g->t, turn ? "Thanks. One more thing: " : "Hello! ");
	expand(&r, g->svc, &g->t, g->svc->questions[rng_below(&r, g->svc->nquestions)]);
	tb_puts(&g->t, " ");
	sentences(&r, g->svc, &g->t, (unsigned)rng_range(&r, 0, 2));
	*question = tb_take(&g->t, g->a);
	answer_text(&r, g->svc, &g->t);
	*answer = tb_take(&g->t, g->a);
}

static Tl__Resource *make_resource(struct gen *g, struct rng *sr)
{
	const struct service *svc = g->svc;
	Tl__Resource *res = arena_alloc(g->a, sizeof *res);
	tl__resource__init(res);
	Tl__KeyValue ***at = &res->attributes;
	size_t *n = &res->n_attributes;
	otlp_attr_str(g->a, at, n, "service.name", svc->name);
	otlp_attr_str(g->a, at, n, "service.version", svc->version);
	otlp_attr_str(g->a, at, n, "service.namespace", "agents");
	otlp_attr_str(g->a, at, n, "deployment.environment", svc->env);
	otlp_attr_str(g->a, at, n, "telemetry.sdk.name", "opentelemetry");
	otlp_attr_str(g->a, at, n, "telemetry.sdk.language", svc->language);
	otlp_attr_str(g->a, at, n, "telemetry.sdk.version", strcmp(svc->language, "python") == 0 ? "1.34.1" : "2.0.1");
	otlp_attr_str(g->a, at, n, "process.runtime.name", svc->runtime);
	otlp_attr_str(g->a, at, n, "process.runtime.version", svc->runtime_version);
	/* A trace runs in one of the service's DEMO_PODS pods, each one process
	 * with its own resource, as an SDK reports it; as many draws as before
	 * a pod was picked, so the traces' other draws stay the same. */
	(void)rng_range(sr, 7, 65000);
	uint64_t pod = hash3(0x90d5, g->svc_index, rng_below(sr, 1u << 24) % DEMO_PODS);
	(void)rng_below(sr, 1u << 20);
	(void)rng_chance(sr, 0.7);
	otlp_attr_int(g->a, at, n, "process.pid", (int64_t)(7 + pod % 64994));
	char host[96];
	snprintf(host, sizeof host, "%s-%06llx-%05llx", svc->name, (unsigned long long)(pod >> 40),
	         (unsigned long long)((pod >> 8) & 0xfffff));
	otlp_attr_str(g->a, at, n, "host.name", host);
	otlp_attr_str(g->a, at, n, "k8s.pod.name", host);
	otlp_attr_str(g->a, at, n, "cloud.provider", "aws");
	otlp_attr_str(g->a, at, n, "cloud.region", (pod >> 4) % 10 < 7 ? "us-east-1" : "eu-west-1");
	if (svc->project)
		otlp_attr_str(g->a, at, n, "openinference.project.name", svc->project);
	return res;
}

static Tl__ScopeSpans *make_scope(struct gen *g, Tl__ResourceSpans *rs, const char *name, const char *version)
{
	Tl__ScopeSpans *ss = arena_alloc(g->a, sizeof *ss);
	tl__scope_spans__init(ss);
	ss->scope = arena_alloc(g->a, sizeof *ss->scope);
	tl__instrumentation_scope__init(ss->scope);
	ss->scope->name = (char *)name;
	ss->scope->version = (char *)version;
	otlp_push(g->a, &rs->scope_spans, &rs->n_scope_spans, ss);
	return ss;
}

static void agent_fail(struct gen *g, const char *type, const char *message)
{
	g->failed = 1;
	g->fail_type = type;
	g->fail_message = message;
	g->fail_stack = stacktrace(g, type, message, "agent");
}

/* Runs the agent loop under root: optional retrieval, then LLM calls that
 * either call tools or answer. Returns the end time of the last child. */
static uint64_t agent_loop(struct gen *g, Tl__Span *root, uint64_t t, const char *question,
                           const char *answer)
{
	struct rng *r = &g->r;
	const struct service *svc = g->svc;
	if (rng_chance(r, 0.55)) {
		t = retrieval(g, root, t, question);
		t += (uint64_t)rng_range(r, 1, 20) * NS_PER_MS;
	}
	unsigned rounds = (unsigned)rng_below(r, 4);
	for (unsigned round = 0; round <= rounds; round++) {
		const struct model *m = &models[rng_chance(r, 0.7) ? svc->main_model : svc->small_model];
		int last = round == rounds;
		/* a failed call is retried once; a second failure ends the run */
		for (int attempt = 0; attempt < 2; attempt++) {
			int fail = rng_chance(r, 0.05);
			int tool = svc->tools[0];
			const char *call_id = NULL, *args = NULL, *result = NULL;
			if (!last) {
				int ntools = 0;
				while (ntools < 5 && svc->tools[ntools] >= 0)
					ntools++;
				tool = svc->tools[rng_below(r, (uint64_t)ntools)];
				char id[40];
				snprintf(id, sizeof id, "call_%016llx", (unsigned long long)rng_next(r));
				call_id = arena_strdup(g->a, id);
				tool_io(g, tool, question, &args, &result);
			}
			Tl__Span *s = llm_call(g, root, t, m, last ? answer : NULL, call_id,
			                       tool_names[tool], args, fail);
			t = s->end_time_unix_nano + (uint64_t)rng_range(r, 1, 15) * NS_PER_MS;
			if (fail) {
				if (attempt == 1) {
					agent_fail(g, "AgentExecutionError", "LLM call failed twice; giving up on this request");
					return t;
				}
				continue;
			}
			if (last) {
				msg_push(g, MSG_TEXT, "assistant", answer, NULL, NULL, NULL);
				return t;
			}
			msg_push(g, MSG_TOOL_CALL, "assistant", NULL, call_id, tool_names[tool], args);
			int tfail = rng_chance(r, 0.08);
			Tl__Span *ts = tool_call(g, root, t, tool, call_id, args, result, tfail);
			t = ts->end_time_unix_nano + (uint64_t)rng_range(r, 1, 10) * NS_PER_MS;
			msg_push(g, MSG_TOOL_RESULT, "tool",
			         tfail ? ts->status->message : result, call_id, tool_names[tool], NULL);
			if (tfail && rng_chance(r, 0.3)) {
				agent_fail(g, "ToolExecutionError", "a required tool failed; the agent stopped");
				return t;
			}
			break;
		}
	}
	return t;
}

/* Writes the low n bytes of v at p, most significant first. */
static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

size_t demo_generate(uint64_t seed, size_t trace_index, uint64_t now_ns, unsigned days,
                     struct arena *a, Tl__ExportTraceServiceRequest *req)
{
	struct gen g;
	memset(&g, 0, sizeof g);
	jbuf_init(&g.t, JBUF_NO_CAP);
	jbuf_init(&g.t2, JBUF_NO_CAP);
	g.a = a;
	uint64_t session = trace_index / SESSION_TRACES;
	unsigned turn = (unsigned)(trace_index % SESSION_TRACES);
	struct rng sr; /* session-wide choices: service, user, start, pacing */
	rng_seed(&sr, hash3(seed, session, 0x5e55));
	g.svc_index = rng_below(&sr, COUNT(services));
	g.svc = &services[g.svc_index];
	uint8_t root_id[8], prev_trace[16], prev_root[8];
	trace_ids(seed, trace_index, g.trace_id, root_id);
	rng_seed(&g.r, hash3(seed, trace_index, 0x7ace5));

	/* a version-4-looking UUID from five draws, last group first: the order
	 * the compiler used to evaluate them in, so a seed keeps its sessions */
	uint64_t part[5];
	for (int i = 4; i >= 0; i--)
		part[i] = rng_next(&sr);
	uint8_t sb[16];
	put_be(sb, part[0], 4);
	put_be(sb + 4, part[1], 2);
	put_be(sb + 6, 0x4000 | (part[2] & 0xfff), 2);
	put_be(sb + 8, 0xa000 | (part[3] & 0xfff), 2);
	put_be(sb + 10, part[4], 6);
	char sess[TEXT_UUID_SIZE], user[32];
	text_uuid_format(sb, sess);
	snprintf(user, sizeof user, "user_%04u", (unsigned)rng_below(&sr, 750));
	g.session = arena_strdup(a, sess);
	g.user = arena_strdup(a, user);
	uint64_t window = (days ? days : 1) * NS_PER_DAY;
	uint64_t margin = 3600 * NS_PER_S;
	uint64_t t = now_ns - window + rng_below(&sr, window - margin);
	for (unsigned i = 0; i < SESSION_TRACES; i++) { /* draw all, so later draws match */
		uint64_t gap = (uint64_t)rng_range(&sr, 20, 480) * NS_PER_S;
		if (i <= turn)
			t += gap;
	}
	Tl__Resource *res = make_resource(&g, &sr);

	Tl__ResourceSpans *rs = arena_alloc(a, sizeof *rs);
	tl__resource_spans__init(rs);
	rs->resource = res;
	rs->schema_url = "https://opentelemetry.io/schemas/1.27.0";
	g.fw = make_scope(&g, rs, g.svc->fw_scope, g.svc->fw_version);
	g.llm = strcmp(g.svc->fw_scope, g.svc->llm_scope) == 0 ? g.fw : make_scope(&g, rs, g.svc->llm_scope, g.svc->llm_version);
	otlp_push(a, &req->resource_spans, &req->n_resource_spans, rs);

	/* context: system prompt, the previous turn of the session (the agent
	 * keeps a one-turn memory), then the question */
	system_prompt(g.svc_index, &g.t);
	msg_push(&g, MSG_TEXT, "system", tb_take(&g.t, a), NULL, NULL, NULL);
	const char *question = NULL, *answer = NULL;
	for (unsigned i = turn ? turn - 1 : 0; i <= turn; i++) {
		turn_texts(&g, seed, session, i, &question, &answer);
		msg_push(&g, MSG_TEXT, "user", question, NULL, NULL, NULL);
		if (i < turn)
			msg_push(&g, MSG_TEXT, "assistant", answer, NULL, NULL, NULL);
	}

	char name[96];
	snprintf(name, sizeof name, "invoke_agent %s", g.svc->agent);
	Tl__Span *root = span_new(&g, g.fw, NULL, name, 2, t, t);
	root->span_id = id_bytes(a, root_id, 8);
	if (rng_chance(&g.r, 0.2))
		root->trace_state = "vendor=t61rcWkgMzE";
	uint64_t end = agent_loop(&g, root, t + (uint64_t)rng_range(&g.r, 2, 30) * NS_PER_MS, question, answer);
	root->end_time_unix_nano = end + (uint64_t)rng_range(&g.r, 1, 25) * NS_PER_MS;

	otlp_attr_str(a, ATTRS(root), "gen_ai.operation.name", "invoke_agent");
	otlp_attr_str(a, ATTRS(root), "openinference.span.kind", "AGENT");
	otlp_attr_str(a, ATTRS(root), "gen_ai.agent.name", g.svc->agent);
	attr_fmt(&g, root, "gen_ai.agent.id", "asst_%s_%zu", g.svc->agent, g.svc_index);
	otlp_attr_str(a, ATTRS(root), "session.id", g.session);
	otlp_attr_str(a, ATTRS(root), "gen_ai.conversation.id", g.session);
	otlp_attr_str(a, ATTRS(root), "user.id", g.user);
	otlp_attr_str(a, ATTRS(root), "input.value", question);
	otlp_attr_str(a, ATTRS(root), "input.mime_type", "text/plain");
	if (!g.failed) {
		otlp_attr_str(a, ATTRS(root), "output.value", answer);
		otlp_attr_str(a, ATTRS(root), "output.mime_type", "text/plain");
	}
	otlp_attr_int(a, ATTRS(root), "agent.turn", turn);
	otlp_attr_int(a, ATTRS(root), "agent.max_iterations", 8);
	const char *tags[] = {g.svc->env, g.svc->language, turn ? "follow-up" : "first-turn"};
	attr_strs(&g, root, "tag.tags", tags, COUNT(tags));
	attr_fmt(&g, root, "metadata", "{\"plan\":\"%s\",\"locale\":\"%s\",\"app_build\":%u}",
	         (const char *[]){"free", "pro", "team", "enterprise"}[rng_below(&sr, 4)],
	         (const char *[]){"en-US", "en-GB", "de-DE", "fr-FR", "ja-JP"}[rng_below(&sr, 5)],
	         (unsigned)rng_range(&sr, 1000, 1400));
	if (g.svc->style == STYLE_OPENLLMETRY) {
		otlp_attr_str(a, ATTRS(root), "traceloop.span.kind", "agent");
		otlp_attr_str(a, ATTRS(root), "traceloop.entity.name", g.svc->agent);
	}
	if (g.failed)
		add_exception(&g, root, g.fail_type, g.fail_message, g.fail_stack);
	else
		set_status(&g, root, 1, NULL);
	if (turn > 0) {
		trace_ids(seed, trace_index - 1, prev_trace, prev_root);
		Tl__Span__Link *l = arena_alloc(a, sizeof *l);
		tl__span__link__init(l);
		l->trace_id = id_bytes(a, prev_trace, 16);
		l->span_id = id_bytes(a, prev_root, 8);
		l->flags = 0x101;
		otlp_attr_str(a, &l->attributes, &l->n_attributes, "link.reason", "previous_turn");
		otlp_push(a, &root->links, &root->n_links, l);
	}
	free(g.t.p);
	free(g.t2.p);
	return g.nspans;
}
