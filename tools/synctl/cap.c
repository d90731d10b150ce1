// SPDX-License-Identifier: GPL-2.0
/*
 * synctl cap: capability tokens and their revocation
 * (Documentation/capabilities.md). Tokens: agent/captoken.c. The pinned
 * BPF objects: agent/bpf/revoke.c. The kernel's verdict: SYNAPSE_CMD_CAP_CHECK.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "agent/bpf/revoke.h"
#include "agent/identity/captoken.h"
#include "common.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"
#include "uapi/synapse.h"
#include "uapi/synapse_cap.h"

static const char usage[] =
	"Usage: synctl cap issue  --ca DIR --subject NAME --expires WHEN -o FILE\n"
	"                         [--job NAME] [--fuel N] [--memory PAGES]\n"
	"                         [--not-before WHEN]\n"
	"       synctl cap verify --ca-cert FILE TOKEN\n"
	"       synctl cap attach | detach [--purge]\n"
	"       synctl cap revoke CAP | unrevoke CAP | expire CAP WHEN\n"
	"       synctl cap list\n"
	"       synctl cap status [CAP]\n"
	"       synctl cap bench CAP COUNT\n"
	"\n"
	"CAP is a capability id (64 hex digits) or a token file. WHEN is seconds\n"
	"since the epoch, or +N for N seconds from now (0: none, for expire).\n"
	"\n"
	"issue    sign a token with the cluster CA in DIR (ca.key, ca.crt)\n"
	"verify   check a token's signature, cluster and validity; print its id\n"
	"attach   load the revocation program and pin it with its maps under\n"
	"         --pin-dir (default " SYNAPSE_BPF_PIN_DIR "); reuses pinned objects\n"
	"detach   unpin program and link: every check allows again; --purge\n"
	"         also drops the revocation map\n"
	"revoke   revoke: running tasks end as revoked at their next checkpoint\n"
	"unrevoke lift a revocation (an expiry stays)\n"
	"expire   make the capability expire in the kernel at WHEN\n"
	"list     the revocation map\n"
	"status   the pinned objects and counters; with CAP, the kernel's verdict\n"
	"bench    time COUNT checks of CAP inside the kernel (ns per checkpoint)\n"
	"\n"
	"Options: --pin-dir DIR, -j/--json, -h/--help.\n";

enum {
	OPT_CA = 0x100, OPT_CA_CERT, OPT_SUBJECT, OPT_JOB, OPT_FUEL, OPT_MEMORY,
	OPT_EXPIRES, OPT_NOT_BEFORE, OPT_PIN_DIR, OPT_PURGE,
};

struct cap_args {
	const char *ca, *ca_cert, *subject, *out, *pin_dir;
	const char *expires, *not_before, *job;
	uint64_t fuel, memory;
	bool purge;
};

static int fail(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s cap %s: ", PROG_NAME, verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SYNCTL_EXIT_FAIL;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* "N" seconds since the epoch, or "+N" from now. */
static int parse_when(const char *s, uint64_t *t)
{
	if (*s == '+') {
		if (parse_u64(s + 1, t))
			return -1;
		*t += (uint64_t)time(NULL);
		return 0;
	}
	return parse_u64(s, t);
}

static int parse(int argc, char *argv[], struct cap_args *a, int *status)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, OPT_CA },
		{ "ca-cert", required_argument, NULL, OPT_CA_CERT },
		{ "subject", required_argument, NULL, OPT_SUBJECT },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "fuel", required_argument, NULL, OPT_FUEL },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "expires", required_argument, NULL, OPT_EXPIRES },
		{ "not-before", required_argument, NULL, OPT_NOT_BEFORE },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "purge", no_argument, NULL, OPT_PURGE },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CA:
			a->ca = optarg;
			break;
		case OPT_CA_CERT:
			a->ca_cert = optarg;
			break;
		case OPT_SUBJECT:
			a->subject = optarg;
			break;
		case OPT_JOB:
			a->job = optarg;
			break;
		case OPT_FUEL:
		case OPT_MEMORY:
			if (parse_u64(optarg, c == OPT_FUEL ? &a->fuel : &a->memory))
				goto bad_number;
			break;
		case OPT_EXPIRES:
			a->expires = optarg;
			break;
		case OPT_NOT_BEFORE:
			a->not_before = optarg;
			break;
		case OPT_PIN_DIR:
			a->pin_dir = optarg;
			break;
		case OPT_PURGE:
			a->purge = true;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'j':
			json_output = true;
			break;
		case 'h':
			fputs(usage, stdout);
			*status = SYNCTL_EXIT_OK;
			return -1;
		default:
			fprintf(stderr, "%s cap: unknown option '%s'\n",
				PROG_NAME, bad_option(argv));
			fputs(usage, stderr);
			*status = SYNCTL_EXIT_USAGE;
			return -1;
		}
	}
	return optind;

bad_number:
	fprintf(stderr, "%s cap: '%s' is not a number\n", PROG_NAME, optarg);
	*status = SYNCTL_EXIT_USAGE;
	return -1;
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	*buf = malloc(CAPTOKEN_MAX_LEN + 1);
	if (!*buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(*buf, 1, CAPTOKEN_MAX_LEN + 1, f);
	fclose(f);
	if (n > CAPTOKEN_MAX_LEN) {
		free(*buf);
		return -EFBIG;
	}
	*len = n;
	return 0;
}

static int unhex(const char *s, uint8_t id[SYNAPSE_CAP_ID_LEN])
{
	unsigned int i, b;

	if (strlen(s) != 2 * SYNAPSE_CAP_ID_LEN)
		return -1;
	for (i = 0; i < SYNAPSE_CAP_ID_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1 ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -1;
		id[i] = (uint8_t)b;
	}
	return 0;
}

/* A capability id in hex, or the id of a token file. */
static int cap_arg(const char *verb, const char *s, uint8_t id[SYNAPSE_CAP_ID_LEN])
{
	struct captoken t;
	uint8_t *tok;
	size_t len;
	int err;

	if (!unhex(s, id))
		return 0;
	err = read_file(s, &tok, &len);
	if (err) {
		fail(verb, "'%s' is neither a capability id nor a token file: %s",
		     s, strerror(-err));
		return -1;
	}
	err = captoken_parse(tok, len, &t, id);
	free(tok);
	if (err)
		fail(verb, "%s: not a capability token", s);
	return err;
}

static void hex_id(const uint8_t id[SYNAPSE_CAP_ID_LEN], char hex[65])
{
	hex_digest(id, hex);
}

static json_t *token_json(const struct captoken *t, const char *hex)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}",
			 "id", hex, "cluster", t->cluster, "subject", t->subject,
			 "job", t->job,
			 "fuel_max", (json_int_t)t->fuel_max,
			 "memory_pages_max", (json_int_t)t->memory_pages_max,
			 "not_before", (json_int_t)t->not_before,
			 "not_after", (json_int_t)t->not_after);
}

static void token_print(const struct captoken *t, const char *hex)
{
	printf("id: %s\ncluster: %s\nsubject: %s\njob: %s\n"
	       "fuel_max: %llu\nmemory_pages_max: %llu\n"
	       "not_before: %llu\nnot_after: %llu\n", hex, t->cluster,
	       t->subject, t->job[0] ? t->job : "(any)",
	       (unsigned long long)t->fuel_max,
	       (unsigned long long)t->memory_pages_max,
	       (unsigned long long)t->not_before,
	       (unsigned long long)t->not_after);
}

static int cap_issue(struct cap_args *a)
{
	struct captoken t;
	uint8_t id[CAPTOKEN_ID_LEN], *tok = NULL;
	char err[512], hex[65];
	size_t len;
	FILE *f;
	int ret = SYNCTL_EXIT_FAIL;

	if (!a->ca || !a->subject || !a->expires || !a->out) {
		fprintf(stderr, "%s cap issue: --ca, --subject, --expires and -o are required\n",
			PROG_NAME);
		return SYNCTL_EXIT_USAGE;
	}
	memset(&t, 0, sizeof(t));
	if (strlen(a->subject) >= sizeof(t.subject))
		return fail("issue", "subject too long");
	strcpy(t.subject, a->subject);
	if (a->job && strlen(a->job) >= sizeof(t.job))
		return fail("issue", "job name too long");
	if (a->job)
		strcpy(t.job, a->job);
	t.fuel_max = a->fuel;
	t.memory_pages_max = a->memory;
	t.not_before = (uint64_t)time(NULL);
	if ((a->not_before && parse_when(a->not_before, &t.not_before)) ||
	    parse_when(a->expires, &t.not_after)) {
		fprintf(stderr, "%s cap issue: bad time\n", PROG_NAME);
		return SYNCTL_EXIT_USAGE;
	}
	if (captoken_issue(a->ca, &t, &tok, &len, id, err, sizeof(err)))
		return fail("issue", "%s", err);
	f = fopen(a->out, "wbx");
	if (!f) {
		fail("issue", "%s: %s", a->out, strerror(errno));
		goto out_free;
	}
	if (fwrite(tok, 1, len, f) != len) {
		fclose(f);
		fail("issue", "%s: write failed", a->out);
		goto out_free;
	}
	if (fclose(f)) {
		fail("issue", "%s: %s", a->out, strerror(errno));
		goto out_free;
	}
	hex_id(id, hex);
	if (json_output)
		ret = json_print(stdout, token_json(&t, hex)) < 0 ?
		      SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	else
		ret = printf("%s  %s\n", hex, a->out) < 0 ?
		      SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
out_free:
	free(tok);
	return ret;
}

static int cap_verify(struct cap_args *a, const char *path)
{
	struct captoken t;
	uint8_t id[CAPTOKEN_ID_LEN], *tok;
	char err[512], hex[65];
	size_t len;
	int ret;

	if (!a->ca_cert) {
		fprintf(stderr, "%s cap verify: --ca-cert is required\n", PROG_NAME);
		return SYNCTL_EXIT_USAGE;
	}
	ret = read_file(path, &tok, &len);
	if (ret)
		return fail("verify", "%s: %s", path, strerror(-ret));
	ret = captoken_verify(a->ca_cert, tok, len, (uint64_t)time(NULL), &t,
			      id, err, sizeof(err));
	free(tok);
	if (ret)
		return fail("verify", "%s: %s", path, err);
	hex_id(id, hex);
	if (json_output)
		return json_print(stdout, token_json(&t, hex)) < 0 ?
		       SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	token_print(&t, hex);
	return SYNCTL_EXIT_OK;
}

static int cap_attach(struct cap_args *a)
{
	bool reused;
	int err;

	err = synapse_bpf_setup(a->pin_dir, &reused);
	if (err == -ENOENT)
		return fail("attach", "no tracepoint %s: is synapse.ko loaded? (%s)",
			    SYNAPSE_CAP_TRACEPOINT, strerror(-err));
	if (err)
		return fail("attach", "%s", strerror(-err));
	if (json_output)
		return json_print(stdout, json_pack("{s:b}", "reused", reused)) < 0;
	printf("%s\n", reused ? "attached (reused the pinned program)" :
	       "attached");
	return SYNCTL_EXIT_OK;
}

static int cap_detach(struct cap_args *a)
{
	int err = synapse_bpf_teardown(a->pin_dir, a->purge);

	if (err)
		return fail("detach", "%s", strerror(-err));
	return SYNCTL_EXIT_OK;
}

static int open_maps(const char *verb, struct cap_args *a, struct synapse_bpf *b)
{
	int err = synapse_bpf_open(a->pin_dir, b);

	if (err == -ENOENT)
		fail(verb, "no pinned revocation map (run 'synctl cap attach')");
	else if (err)
		fail(verb, "%s", strerror(-err));
	return err;
}

/* revoke, unrevoke and expire: one map update each. */
static int cap_update(struct cap_args *a, const char *verb, int argc, char *argv[])
{
	uint8_t id[SYNAPSE_CAP_ID_LEN];
	struct synapse_bpf b;
	uint64_t when = 0;
	int err;

	if (argc != (strcmp(verb, "expire") ? 1 : 2)) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	if (argc == 2 && parse_when(argv[1], &when)) {
		fprintf(stderr, "%s cap expire: bad time '%s'\n", PROG_NAME, argv[1]);
		return SYNCTL_EXIT_USAGE;
	}
	if (cap_arg(verb, argv[0], id))
		return SYNCTL_EXIT_FAIL;
	if (open_maps(verb, a, &b))
		return SYNCTL_EXIT_FAIL;
	if (!strcmp(verb, "revoke"))
		err = synapse_bpf_revoke(&b, id);
	else if (!strcmp(verb, "unrevoke"))
		err = synapse_bpf_unrevoke(&b, id);
	else
		err = synapse_bpf_expire(&b, id, when);
	synapse_bpf_close(&b);
	if (err == -ENOENT)
		return fail(verb, "%s is not revoked", argv[0]);
	if (err)
		return fail(verb, "%s", strerror(-err));
	return SYNCTL_EXIT_OK;
}

static json_t *entry_json(const uint8_t id[SYNAPSE_CAP_ID_LEN],
			  const struct synapse_cap_entry *e)
{
	char hex[65];

	hex_id(id, hex);
	return json_pack("{s:s, s:b, s:I, s:I}", "id", hex,
			 "revoked", !!(e->flags & SYNAPSE_CAP_F_REVOKED),
			 "revoked_at", (json_int_t)e->revoked_unix,
			 "expires", (json_int_t)(e->expires_boot_ns ?
				synapse_bpf_boot_ns_to_unix(e->expires_boot_ns) : 0));
}

static int list_one(const uint8_t id[SYNAPSE_CAP_ID_LEN],
		    const struct synapse_cap_entry *e, void *arg)
{
	json_t *arr = arg, *o = entry_json(id, e);

	if (!o || json_array_append_new(arr, o))
		return -ENOMEM;
	return 0;
}

static int cap_list(struct cap_args *a)
{
	struct synapse_bpf b;
	json_t *arr, *o;
	size_t i;
	int err;

	if (open_maps("list", a, &b))
		return SYNCTL_EXIT_FAIL;
	arr = json_array();
	err = arr ? synapse_bpf_for_each(&b, list_one, arr) : -ENOMEM;
	synapse_bpf_close(&b);
	if (err) {
		json_decref(arr);
		return fail("list", "%s", strerror(-err));
	}
	if (json_output)
		return json_print(stdout, arr) < 0;
	json_array_foreach(arr, i, o) {
		json_int_t exp = json_integer_value(json_object_get(o, "expires"));

		printf("%s %s", json_string_value(json_object_get(o, "id")),
		       json_is_true(json_object_get(o, "revoked")) ?
		       "revoked" : "allowed");
		if (exp)
			printf(" expires=%lld", (long long)exp);
		putchar('\n');
	}
	json_decref(arr);
	return SYNCTL_EXIT_OK;
}

struct cap_verdict {
	const uint8_t *id;		/* the request's capability id */
	uint32_t repeat;		/* 0, or checks to time in the kernel */
	bool has_verdict;
	uint32_t verdict;
	uint32_t enforced;
	bool has_elapsed;
	uint64_t elapsed_ns;
};

static int cap_check_build(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	const struct cap_verdict *v = ctx;

	if (!mnl_attr_put_check(nlh, buflen, SYNAPSE_A_CAP_ID,
				SYNAPSE_CAP_ID_LEN, v->id))
		return -EMSGSIZE;
	if (v->repeat &&
	    !mnl_attr_put_u32_check(nlh, buflen, SYNAPSE_A_CAP_REPEAT, v->repeat))
		return -EMSGSIZE;
	return 0;
}

static int cap_check_parse(const struct nlmsghdr *nlh, void *ctx)
{
	struct cap_verdict *v = ctx;
	const struct nlattr *attr;

	ipc_attr_for_each(attr, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(attr)) {
		case SYNAPSE_A_CAP_VERDICT:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			v->verdict = mnl_attr_get_u32(attr);
			v->has_verdict = true;
			break;
		case SYNAPSE_A_CAP_ENFORCED:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			v->enforced = mnl_attr_get_u32(attr);
			break;
		case SYNAPSE_A_CAP_ELAPSED_NS:
			if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			v->elapsed_ns = mnl_attr_get_u64(attr);
			v->has_elapsed = true;
			break;
		}
	}
	return 0;
}

static const char *verdict_name(uint32_t v)
{
	switch (v) {
	case SYNAPSE_CAP_ALLOW:
		return "allowed";
	case SYNAPSE_CAP_REVOKED:
		return "revoked";
	case SYNAPSE_CAP_EXPIRED:
		return "expired";
	}
	return "unknown";
}

static int kernel_verdict(uint8_t id[SYNAPSE_CAP_ID_LEN], uint32_t repeat,
			  struct cap_verdict *v)
{
	struct ipc_request req = {
		.cmd = SYNAPSE_CMD_CAP_CHECK,
		.build = cap_check_build,
		.parse = cap_check_parse,
	};
	struct ipc *ipc;
	int ret;

	memset(v, 0, sizeof(*v));
	v->id = id;
	v->repeat = repeat;
	if (synctl_connect(&ipc) < 0)
		return -1;
	req.ctx = v;
	ret = ipc_request(ipc, &req);
	if (ret < 0)
		report_error("cap status", ret, ipc_last_extack(ipc));
	ipc_close(ipc);
	if (ret >= 0 && !v->has_verdict) {
		fprintf(stderr, "%s: cap status: the module sent no verdict\n",
			PROG_NAME);
		return -1;
	}
	return ret < 0 ? -1 : 0;
}

static int cap_status(struct cap_args *a, int argc, char *argv[])
{
	static const char * const stat_names[] = {
		[SYNAPSE_CAP_STAT_CHECKS] = "checks",
		[SYNAPSE_CAP_STAT_REVOKED] = "revoked",
		[SYNAPSE_CAP_STAT_EXPIRED] = "expired",
	};
	uint8_t id[SYNAPSE_CAP_ID_LEN];
	struct synapse_bpf_status st;
	int err, i, map_verdict = -1;
	struct cap_verdict v;
	struct synapse_bpf b;
	json_t *o, *stats;

	if (argc > 1) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	if (argc == 1 && (cap_arg("status", argv[0], id) ||
			  kernel_verdict(id, 0, &v)))
		return SYNCTL_EXIT_FAIL;
	err = synapse_bpf_status(a->pin_dir, &st);
	if (err)
		return fail("status", "%s", strerror(-err));
	/* What the userspace engine would decide from the same map. */
	if (argc == 1 && st.maps && !synapse_bpf_open(a->pin_dir, &b)) {
		map_verdict = synapse_bpf_verdict(&b, id);
		synapse_bpf_close(&b);
	}
	if (json_output) {
		stats = json_object();
		for (i = 0; i < __SYNAPSE_CAP_STAT_MAX; i++)
			json_object_set_new(stats, stat_names[i],
					    json_integer((json_int_t)st.stats[i]));
		o = json_pack("{s:b, s:b, s:b, s:i, s:i, s:i, s:o}",
			      "maps", st.maps, "prog", st.prog, "link", st.link,
			      "prog_id", (int)st.prog_id, "link_id", (int)st.link_id,
			      "entries", (int)st.entries, "stats", stats);
		if (o && argc == 1) {
			json_object_set_new(o, "verdict",
					    json_string(verdict_name(v.verdict)));
			json_object_set_new(o, "enforced",
					    json_boolean(v.enforced));
			json_object_set_new(o, "map_verdict", map_verdict < 0 ?
					    json_null() :
					    json_string(verdict_name(map_verdict)));
		}
		return json_print(stdout, o) < 0;
	}
	printf("program: %s", st.link ? "attached" : "not attached");
	if (st.link)
		printf(" (link %u, prog %u)", st.link_id, st.prog_id);
	printf("\nmaps: %s, %u entries\n", st.maps ? "pinned" : "absent",
	       st.entries);
	for (i = 0; i < __SYNAPSE_CAP_STAT_MAX; i++)
		printf("%s: %llu\n", stat_names[i],
		       (unsigned long long)st.stats[i]);
	if (argc == 1)
		printf("verdict: %s%s\nmap verdict: %s\n", verdict_name(v.verdict),
		       v.enforced ? "" : " (nothing attached in the kernel)",
		       map_verdict < 0 ? "no map" : verdict_name(map_verdict));
	return SYNCTL_EXIT_OK;
}

/* The kernel times N back-to-back checks: one checkpoint's cost. */
static int cap_bench(int argc, char *argv[])
{
	uint8_t id[SYNAPSE_CAP_ID_LEN];
	struct cap_verdict v;
	uint64_t n;

	if (argc != 2 || parse_u64(argv[1], &n) || !n ||
	    n > SYNAPSE_CAP_REPEAT_MAX) {
		fprintf(stderr, "%s cap bench: CAP and a count 1..%d\n",
			PROG_NAME, SYNAPSE_CAP_REPEAT_MAX);
		return SYNCTL_EXIT_USAGE;
	}
	if (cap_arg("bench", argv[0], id) || kernel_verdict(id, (uint32_t)n, &v))
		return SYNCTL_EXIT_FAIL;
	if (!v.has_elapsed)
		return fail("bench", "the module sent no time");
	if (json_output)
		return json_print(stdout, json_pack("{s:I, s:I, s:f, s:s, s:b}",
			"checks", (json_int_t)n,
			"elapsed_ns", (json_int_t)v.elapsed_ns,
			"ns_per_check", (double)v.elapsed_ns / (double)n,
			"verdict", verdict_name(v.verdict),
			"enforced", v.enforced)) < 0;
	printf("%llu checks in %llu ns: %.1f ns/check (%s, verdict %s)\n",
	       (unsigned long long)n, (unsigned long long)v.elapsed_ns,
	       (double)v.elapsed_ns / (double)n,
	       v.enforced ? "attached" : "detached", verdict_name(v.verdict));
	return SYNCTL_EXIT_OK;
}

int cap_main(int argc, char *argv[])
{
	struct cap_args a = { 0 };
	int idx, status = SYNCTL_EXIT_USAGE;
	const char *verb;

	idx = parse(argc, argv, &a, &status);
	if (idx < 0)
		return status;
	if (idx >= argc) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	verb = argv[idx++];
	argc -= idx;
	argv += idx;
	if (!strcmp(verb, "issue") && !argc)
		return cap_issue(&a);
	if (!strcmp(verb, "verify") && argc == 1)
		return cap_verify(&a, argv[0]);
	if (!strcmp(verb, "attach") && !argc)
		return cap_attach(&a);
	if (!strcmp(verb, "detach") && !argc)
		return cap_detach(&a);
	if (!strcmp(verb, "revoke") || !strcmp(verb, "unrevoke") ||
	    !strcmp(verb, "expire"))
		return cap_update(&a, verb, argc, argv);
	if (!strcmp(verb, "list") && !argc)
		return cap_list(&a);
	if (!strcmp(verb, "status"))
		return cap_status(&a, argc, argv);
	if (!strcmp(verb, "bench"))
		return cap_bench(argc, argv);
	fprintf(stderr, "%s cap: unknown action or bad arguments for '%s'\n",
		PROG_NAME, verb);
	fputs(usage, stderr);
	return SYNCTL_EXIT_USAGE;
}
