// SPDX-License-Identifier: GPL-2.0
/*
 * synctl job: submit jobs to the cluster through the local synapsed and
 * follow them; verify a committed result offline with only the CA
 * certificate (Documentation/cluster.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "agent/cluster/attest.h"
#include "agent/blobs/blob.h"
#include "agent/identity/captoken.h"
#include "agent/control/ctl.h"
#include "agent/cluster/jobspec.h"
#include "agent/identity/pki.h"
#include "agent/cluster/scheduler.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"

static const char usage[] =
	"Usage: synctl job submit [-s SOCK] [-r N] [--fuel N] [--memory PAGES]\n"
	"                         [--name NAME] [--cap TOKEN_FILE] [--checkpoint-every FUEL]\n"
	"                         TASK_ID:MODULE.wasm[:INPUT_FILE] ...\n"
	"       synctl job status|result|wait [-s SOCK] [--timeout S] JOB\n"
	"       synctl job list|cluster [-s SOCK]\n"
	"       synctl job revoke|unrevoke [-s SOCK] CAP\n"
	"       synctl job verify --ca CA.crt RESULT.json\n"
	"\n"
	"submit   send a job (modules, tasks with inputs, fuel and memory limits per\n"
	"         task, replication factor, capability token from 'synctl cap issue')\n"
	"         to the local synapsed; prints the job id\n"
	"status   the job's state, committed tasks and, once committed, its four hashes;\n"
	"         for a refused job the reason; replicas that disagreed (first divergent\n"
	"         checkpoint, fuel, where the replay started, outcome)\n"
	"result   the committed result with its quorum certificate and task outputs (JSON)\n"
	"wait     poll until the job is committed, revoked or refused (default timeout\n"
	"         60 s); fails unless committed or revoked\n"
	"list     every job the cluster knows\n"
	"revoke   revoke a capability cluster-wide: running tasks under it end revoked,\n"
	"         jobs under it end revoked; CAP is a capability id (64 hex digits)\n"
	"         or a token file\n"
	"unrevoke lift a cluster-wide revocation (new jobs under it may run again)\n"
	"cluster  membership epoch, members, coordinator, fencing, quarantined nodes\n"
	"verify   check a result offline: certificates against the CA, every signature,\n"
	"         the accept quorum per epoch, the plan, a strict majority per task,\n"
	"         the input hash and both Merkle roots\n"
	"The socket defaults to $SYNAPSE_SOCKET, else " CTL_DEFAULT_SOCKET ".\n";

static const char *sock_path;

static int call(json_t *req, json_t **rep)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *line = json_dumps(req, JSON_COMPACT), *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, ret = -1;
	ssize_t n;

	json_decref(req);
	if (!line || strlen(sock_path) >= sizeof(sun.sun_path))
		goto out;
	strcpy(sun.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "synctl: %s: %s (is synapsed running?)\n", sock_path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    write(fd, "\n", 1) != 1) {
		close(fd);
		goto out;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > CTL_MAX_REPLY)
				break;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
		if (memchr(buf + len - n, '\n', n))
			break;
	}
	close(fd);
	if (!buf)
		goto out;
	buf[len] = '\0';
	*rep = json_loads(buf, 0, NULL);
	if (!*rep) {
		fprintf(stderr, "synctl: control socket: bad reply\n");
		goto out;
	}
	if (!json_is_true(json_object_get(*rep, "ok"))) {
		fprintf(stderr, "synctl: %s\n",
			json_string_value(json_object_get(*rep, "error")) ?: "error");
		json_decref(*rep);
		goto out;
	}
	ret = 0;
out:
	free(line);
	free(buf);
	return ret;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0) {
		rewind(f);
		b = malloc(len + 1);
		if (b && fread(b, 1, len, f) != (size_t)len) {
			free(b);
			b = NULL;
		}
		*n = len;
	}
	fclose(f);
	return b;
}

/* Base64 (padded, no newlines) -> bytes, malloc'd; NULL if malformed. */
static uint8_t *unb64(const char *s, size_t *n)
{
	size_t len = strlen(s);
	uint8_t *b;
	int r;

	if (len % 4)
		return NULL;
	b = malloc(len / 4 * 3 + 1);
	if (!b)
		return NULL;
	r = EVP_DecodeBlock(b, (const unsigned char *)s, (int)len);
	if (r < 0) {
		free(b);
		return NULL;
	}
	*n = (size_t)r - (len && s[len - 1] == '=') - (len > 1 && s[len - 2] == '=');
	return b;
}

static json_t *b64j(const uint8_t *p, size_t n)
{
	size_t cap = 4 * ((n + 2) / 3) + 1;
	char *s = malloc(cap);
	json_t *j;

	if (!s)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, p, n);
	j = json_string(s);
	free(s);
	return j;
}

/* One JSON line from fd (the agent sends nothing after it). */
static json_t *read_reply(int fd)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	return json_loads(buf, 0, NULL);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= w;
	}
	return 0;
}

static int reply_ok(json_t *rep, const char *what)
{
	if (!rep) {
		fprintf(stderr, "synctl: %s: no reply from the agent\n", what);
		return -1;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		fprintf(stderr, "synctl: %s: %s\n", what,
			json_string_value(json_object_get(rep, "error")) ?: "error");
		return -1;
	}
	return 0;
}

/*
 * Hands a blob to the local agent over the control socket (blob_put:
 * the request line, then the raw bytes unless the agent has them).
 */
static int put_blob(const char *what, const uint8_t *b, size_t n,
		    const uint8_t hash[HASH_LEN])
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char hex[2 * HASH_LEN + 1], line[256];
	json_t *rep = NULL;
	int fd, ret = -1;

	hex_encode(hash, HASH_LEN, hex);
	if (strlen(sock_path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "synctl: %s: %s (is synapsed running?)\n", sock_path,
			strerror(errno));
		goto out;
	}
	snprintf(line, sizeof(line), "{\"cmd\":\"blob_put\",\"hash\":\"%s\",\"size\":%zu}\n",
		 hex, n);
	if (write_all(fd, line, strlen(line)))
		goto out;
	rep = read_reply(fd);
	if (reply_ok(rep, what))
		goto out;
	if (json_is_true(json_object_get(rep, "send"))) {
		json_decref(rep);
		rep = NULL;
		if (write_all(fd, b, n)) {
			fprintf(stderr, "synctl: %s: %s\n", what, strerror(errno));
			goto out;
		}
		rep = read_reply(fd);
		if (reply_ok(rep, what))
			goto out;
	}
	ret = 0;
out:
	json_decref(rep);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* A file as a blob: read (refused above the cap), hashed, handed over. */
static int file_blob(const char *path, char hex[2 * HASH_LEN + 1], size_t *size)
{
	uint8_t h[HASH_LEN], *b;
	struct stat st;
	int r;

	if (stat(path, &st)) {
		fprintf(stderr, "synctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (st.st_size > BLOB_MAX) {
		fprintf(stderr, "synctl: %s: %lld bytes exceeds the cap of %u bytes (%u MiB) per module or input\n",
			path, (long long)st.st_size, BLOB_MAX, BLOB_MAX >> 20);
		return -1;
	}
	b = slurp(path, size);
	if (!b) {
		fprintf(stderr, "synctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	EVP_Digest(b, *size, h, NULL, EVP_sha256(), NULL);
	hex_encode(h, HASH_LEN, hex);
	r = put_blob(path, b, *size, h);
	free(b);
	return r;
}

/* TASK_ID:MODULE.wasm[:INPUT_FILE] -> a task referring to its blobs */
static int add_task(json_t *spec, const char *arg)
{
	char *a = strdup(arg), *id, *mod, *in;
	char mhex[2 * HASH_LEN + 1], ihex[2 * HASH_LEN + 1];
	size_t mn, in_n = 0;
	uint8_t h[HASH_LEN];
	int ret = -1;

	id = strtok(a, ":");
	mod = strtok(NULL, ":");
	in = strtok(NULL, "");
	if (!id || !mod) {
		fprintf(stderr, "synctl: task %s: want ID:MODULE[:INPUT_FILE]\n", arg);
		goto out;
	}
	if (file_blob(mod, mhex, &mn))
		goto out;
	if (in) {
		if (file_blob(in, ihex, &in_n))
			goto out;
	} else {
		/* no input: the empty blob, which every agent makes itself */
		EVP_Digest("", 0, h, NULL, EVP_sha256(), NULL);
		hex_encode(h, HASH_LEN, ihex);
	}
	json_array_append_new(json_object_get(spec, "tasks"),
			      json_pack("{s:s, s:s, s:I, s:s, s:s, s:I}", "id", id,
					"module", mhex, "module_size", (json_int_t)mn,
					"entry", "run", "input_blob", ihex,
					"input_size", (json_int_t)in_n));
	ret = 0;
out:
	free(a);
	return ret;
}

/* The token file as the spec's "cap" (base64); the agents verify it. */
static int add_token(json_t *spec, const char *path)
{
	uint8_t *tok, id[CAPTOKEN_ID_LEN];
	struct captoken t;
	size_t n;

	tok = slurp(path, &n);
	if (!tok) {
		fprintf(stderr, "synctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (captoken_parse(tok, n, &t, id)) {
		fprintf(stderr, "synctl: %s: not a capability token (synctl cap issue)\n", path);
		free(tok);
		return -1;
	}
	json_object_set_new(spec, "cap", b64j(tok, n));
	free(tok);
	return 0;
}

/* A capability id: 64 hex digits as they are, or the id of a token file. */
static int cap_id_arg(const char *s, char hex[2 * HASH_LEN + 1])
{
	uint8_t id[HASH_LEN], *tok;
	struct captoken t;
	size_t n;
	int r;

	if (!hex_decode(s, id, HASH_LEN)) {
		hex_encode(id, HASH_LEN, hex);
		return 0;
	}
	tok = slurp(s, &n);
	if (!tok) {
		fprintf(stderr, "synctl: '%s' is neither a capability id (64 lowercase hex digits) nor a token file\n", s);
		return -1;
	}
	r = captoken_parse(tok, n, &t, id);
	free(tok);
	if (r) {
		fprintf(stderr, "synctl: %s: not a capability token\n", s);
		return -1;
	}
	hex_encode(id, HASH_LEN, hex);
	return 0;
}

static int do_submit(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "replicas", required_argument, NULL, 'r' },
		{ "fuel", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "cap", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "checkpoint-every", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *spec = json_pack("{s:s, s:i, s:I, s:[]}", "name", "",
				 "replicas", 3, "fuel", (json_int_t)0, "tasks");
	json_t *rep;
	int c, i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:r:f:n:c:m:k:j", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'r':
			json_object_set_new(spec, "replicas", json_integer(atoi(optarg)));
			break;
		case 'f':
			json_object_set_new(spec, "fuel", json_integer(strtoll(optarg, NULL, 0)));
			break;
		case 'n':
			json_object_set_new(spec, "name", json_string(optarg));
			break;
		case 'c':
			if (add_token(spec, optarg)) {
				json_decref(spec);
				return SYNCTL_EXIT_FAIL;
			}
			break;
		case 'm':
			json_object_set_new(spec, "memory", json_integer(strtoll(optarg, NULL, 0)));
			break;
		case 'k':
			json_object_set_new(spec, "checkpoint_every",
					    json_integer(strtoll(optarg, NULL, 0)));
			break;
		case 'j':
			json_output = true;
			break;
		default:
			json_decref(spec);
			return SYNCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		json_decref(spec);
		return SYNCTL_EXIT_USAGE;
	}
	for (i = optind; i < argc; i++)
		if (add_task(spec, argv[i])) {
			json_decref(spec);
			return SYNCTL_EXIT_FAIL;
		}
	if (call(json_pack("{s:s, s:o}", "cmd", "job_submit", "spec", spec), &rep))
		return SYNCTL_EXIT_FAIL;
	if (json_output)
		json_print(stdout, json_incref(rep));	/* it drops what it prints */
	else
		printf("%s\n", json_string_value(json_object_get(rep, "job")));
	json_decref(rep);
	return SYNCTL_EXIT_OK;
}

static void print_hashes(json_t *o)
{
	static const char *const f[] = { "input_hash", "plan_hash",
		"execution_hash", "output_hash" };
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (json_is_string(json_object_get(o, f[i])))
			printf("%-15s %s\n", f[i],
			       json_string_value(json_object_get(o, f[i])));
}

/* Replicas that disagreed with the committed majority, and what they did. */
static void print_mismatches(json_t *rep)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(rep, "mismatches"), i, m) {
		long long from = json_integer_value(json_object_get(m, "replayed_from"));
		long long last = json_integer_value(json_object_get(m, "last_agreed"));

		printf("mismatch        task %s on %s vs %s: first divergent checkpoint %lld at fuel %lld%s",
		       json_string_value(json_object_get(m, "task")),
		       json_string_value(json_object_get(m, "node")),
		       json_string_value(json_object_get(m, "majority")),
		       json_integer_value(json_object_get(m, "first_divergent")),
		       json_integer_value(json_object_get(m, "first_divergent_fuel")),
		       json_is_true(json_object_get(m, "after_last")) ?
		       " (every checkpoint agrees: the end of the run differs)" : "");
		if (last >= 0)
			printf(", last agreed %lld at fuel %lld", last,
			       json_integer_value(json_object_get(m, "last_agreed_fuel")));
		if (from >= 0)
			printf("; replayed from checkpoint %lld (fuel %lld)", from,
			       json_integer_value(json_object_get(m, "replayed_from_fuel")));
		else
			printf("; replayed from the input");
		printf(": %s\n", json_string_value(json_object_get(m, "outcome")));
	}
}

static int status_once(const char *job, json_t **rep)
{
	return call(json_pack("{s:s, s:s}", "cmd", "job_status", "job", job), rep);
}

static int do_query(const char *what, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	double timeout = 60;
	const char *job = NULL;
	struct timespec t0, t;
	json_t *rep;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:t:j", opts, NULL)) != -1) {
		if (c == 's')
			sock_path = optarg;
		else if (c == 't')
			timeout = atof(optarg);
		else if (c == 'j')
			json_output = true;
		else
			return SYNCTL_EXIT_USAGE;
	}
	if (strcmp(what, "list") && strcmp(what, "cluster")) {
		if (optind != argc - 1) {
			fputs(usage, stderr);
			return SYNCTL_EXIT_USAGE;
		}
		job = argv[optind];
	}
	if (!strcmp(what, "revoke") || !strcmp(what, "unrevoke")) {
		char hex[2 * HASH_LEN + 1];

		if (cap_id_arg(job, hex))
			return SYNCTL_EXIT_FAIL;
		if (call(json_pack("{s:s, s:s}", "cmd", !strcmp(what, "revoke") ?
				   "job_revoke" : "job_unrevoke", "cap_id", hex), &rep))
			return SYNCTL_EXIT_FAIL;
		if (json_output)
			json_print(stdout, json_incref(rep));	/* it drops what it prints */
		json_decref(rep);
		return SYNCTL_EXIT_OK;
	}
	if (!strcmp(what, "list") || !strcmp(what, "cluster")) {
		if (call(json_pack("{s:s}", "cmd", !strcmp(what, "list") ? "job_list" : "cluster"), &rep))
			return SYNCTL_EXIT_FAIL;
		json_print(stdout, json_incref(rep));	/* it drops what it prints */
		json_decref(rep);
		return SYNCTL_EXIT_OK;
	}
	if (!strcmp(what, "result")) {
		if (call(json_pack("{s:s, s:s}", "cmd", "job_result", "job", job), &rep))
			return SYNCTL_EXIT_FAIL;
		json_print(stdout, json_incref(rep));	/* it drops what it prints */
		json_decref(rep);
		return SYNCTL_EXIT_OK;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		const char *st;

		if (status_once(job, &rep))
			return SYNCTL_EXIT_FAIL;
		st = json_string_value(json_object_get(rep, "state"));
		if (!strcmp(what, "status") || !strcmp(st, "committed") ||
		    !strcmp(st, "revoked") || !strcmp(st, "refused"))
			break;
		json_decref(rep);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 > timeout) {
			fprintf(stderr, "synctl: job %s: not committed after %.0f s\n", job, timeout);
			return SYNCTL_EXIT_FAIL;
		}
		usleep(20000);
	}
	if (json_output) {
		json_print(stdout, json_incref(rep));	/* it drops what it prints */
	} else {
		printf("job             %s\nstate           %s\nepoch           %lld\ntasks           %lld/%lld committed\n",
		       job, json_string_value(json_object_get(rep, "state")),
		       json_integer_value(json_object_get(rep, "epoch")),
		       json_integer_value(json_object_get(rep, "tasks_committed")),
		       json_integer_value(json_object_get(rep, "tasks")));
		if (json_is_string(json_object_get(rep, "cap_id")))
			printf("%-15s %s\n", "capability",
			       json_string_value(json_object_get(rep, "cap_id")));
		if (json_is_string(json_object_get(rep, "reason")))
			printf("%-15s %s\n", "reason",
			       json_string_value(json_object_get(rep, "reason")));
		print_hashes(rep);
		print_mismatches(rep);
	}
	c = !strcmp(what, "wait") &&
	    !strcmp(json_string_value(json_object_get(rep, "state")), "refused");
	if (c)
		fprintf(stderr, "synctl: job %s refused: %s\n", job,
			json_string_value(json_object_get(rep, "reason")) ?: "?");
	json_decref(rep);
	return c ? SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
}

/* ---- offline verification ---- */

struct vctx {
	X509 *ca;
	const char *ca_path;
	const char *cluster;
	int errors;
};

static void verr(struct vctx *v, const char *what, const char *detail)
{
	fprintf(stderr, "verify: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	v->errors++;
}

static int check_att(struct vctx *v, json_t *o, struct attest *a)
{
	char node[NODE_ID_MAX + 1], err[256];
	EVP_PKEY *pub;
	int r;

	if (attest_from_json(o, a)) {
		verr(v, "malformed attestation", NULL);
		return -1;
	}
	pub = attest_cert_check(v->ca, json_string_value(json_object_get(o, "cert")),
				v->cluster, node, err, sizeof(err));
	if (!pub) {
		verr(v, a->node, err);
		return -1;
	}
	r = strcmp(node, a->node) || attest_verify(a, pub);
	EVP_PKEY_free(pub);
	if (r) {
		verr(v, "bad signature or signer", a->node);
		return -1;
	}
	return 0;
}

static bool seen(char **names, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return true;
	return false;
}

/*
 * A job under a capability carries its token ("cap"): signed by this CA,
 * of this cluster, with the id the input hash binds. Its validity window
 * is the agents' business at acceptance, not an offline check's.
 */
static void check_token(struct vctx *v, json_t *res, const uint8_t cap[HASH_LEN])
{
	static const uint8_t none[HASH_LEN];
	const char *b64 = json_string_value(json_object_get(res, "cap"));
	uint8_t *tok, id[CAPTOKEN_ID_LEN];
	struct captoken t;
	char err[256];
	size_t n;

	if (!memcmp(cap, none, HASH_LEN) && !b64)
		return;		/* a job without a capability */
	tok = b64 ? unb64(b64, &n) : NULL;
	if (!tok || captoken_parse(tok, n, &t, id)) {
		verr(v, "capability token missing or malformed", NULL);
	} else if (captoken_verify(v->ca_path, tok, n, t.not_before, &t, id,
				   err, sizeof(err))) {
		verr(v, "capability token", err);
	} else if (memcmp(id, cap, HASH_LEN)) {
		verr(v, "capability token is not the one the input hash binds", NULL);
	} else if (!json_output) {
		printf("capability token: signed by the CA, subject %s\n", t.subject);
	}
	free(tok);
}

/*
 * A task committed with tie-breakers (nrep > r replicas): its "dissent"
 * and "attestations" must show that for every m from r to nrep - 1, the
 * first m replicas had all attested and no claim had a strict majority of
 * them - the only case in which the agent adds replica m + 1.
 */
static int check_tie(struct vctx *v, json_t *t, const struct plan *p,
		     unsigned int ti, const char *job, const uint8_t input[HASH_LEN],
		     unsigned int nrep)
{
	struct attest a[64], *by[64] = { NULL };
	unsigned int n = 0, k, m, i, best;
	const char *list[] = { "attestations", "dissent" };
	size_t idx;
	json_t *x;

	if (nrep > 64)
		return -1;
	for (i = 0; i < 2; i++) {
		json_array_foreach(json_object_get(t, list[i]), idx, x) {
			if (n >= 64 || check_att(v, x, &a[n]) || a[n].kind != ATT_TASK ||
			    strcmp(a[n].job, job) || strcmp(a[n].task, p->tasks[ti]) ||
			    memcmp(a[n].input, input, HASH_LEN))
				return -1;
			for (k = 0; k < nrep; k++)
				if (!strcmp(plan_replica_ext(p, ti, k), a[n].node) && !by[k])
					by[k] = &a[n];
			n++;
		}
	}
	for (m = p->r; m < nrep; m++) {
		best = 0;
		for (k = 0; k < m; k++) {
			unsigned int same = 0;

			if (!by[k])
				return -1;	/* a tie needs every replica's claim */
			for (i = 0; i < m; i++)
				same += by[i] && attest_task_same(by[k], by[i]);
			if (same > best)
				best = same;
		}
		if (best >= quorum_of(m))
			return -1;	/* there was a majority: no tie-breaker */
	}
	return 0;
}

static int verify_result(struct vctx *v, json_t *res)
{
	json_t *tasks = json_object_get(res, "tasks"), *epochs = json_object_get(res, "epochs");
	const char *job = json_string_value(json_object_get(res, "job"));
	unsigned int nt = json_array_size(tasks), r = json_integer_value(json_object_get(res, "replicas"));
	const char **ids = calloc(nt + 1, sizeof(*ids));
	uint8_t (*ti)[HASH_LEN] = calloc(nt + 1, HASH_LEN);
	uint8_t (*tr)[HASH_LEN] = calloc(nt + 1, HASH_LEN);
	uint8_t (*out)[HASH_LEN] = calloc(nt + 1, HASH_LEN);
	uint8_t input[HASH_LEN], h[HASH_LEN], want[HASH_LEN], cap[HASH_LEN];
	const char *ekey;
	json_t *e, *t;
	size_t k;

	v->cluster = json_string_value(json_object_get(res, "cluster"));
	if (!job || !v->cluster || !nt || !ids || !ti || !tr || !out ||
	    hex_decode(json_string_value(json_object_get(res, "input_hash")), input, HASH_LEN)) {
		verr(v, "result is missing fields", NULL);
		goto out;
	}
	json_array_foreach(tasks, k, t) {
		ids[k] = json_string_value(json_object_get(t, "id"));
		if (!ids[k] || (k && strcmp(ids[k - 1], ids[k]) >= 0) ||
		    hex_decode(json_string_value(json_object_get(t, "input_hash")), ti[k], HASH_LEN) ||
		    hex_decode(json_string_value(json_object_get(t, "trace_hash")), tr[k], HASH_LEN) ||
		    hex_decode(json_string_value(json_object_get(t, "output_hash")), out[k], HASH_LEN)) {
			verr(v, "task list malformed or not sorted by id", NULL);
			goto out;
		}
	}
	if (hex_decode(json_string_value(json_object_get(res, "cap_id")), cap, HASH_LEN)) {
		verr(v, "result has no capability id", NULL);
		goto out;
	}
	check_token(v, res, cap);
	job_input_hash(json_string_value(json_object_get(res, "name")) ?: "", r,
		       cap, nt, ids,
		       (const uint8_t (*)[HASH_LEN])ti, h);
	if (memcmp(h, input, HASH_LEN))
		verr(v, "input hash does not match the tasks", NULL);
	/* each epoch: the plan recomputed, a quorum of members accepted it */
	json_object_foreach(epochs, ekey, e) {
		json_t *mem = json_object_get(e, "members"), *acc;
		const char **m = calloc(json_array_size(mem) + 1, sizeof(*m));
		char *who[64];
		unsigned int nacc = 0;
		struct plan p;
		struct attest a;

		json_array_foreach(mem, k, acc)
			m[k] = json_string_value(acc);
		if (plan_compute(&p, strtoull(ekey, NULL, 10), m, json_array_size(mem), ids, nt, r)) {
			free(m);
			verr(v, "epoch has no valid member list", ekey);
			continue;
		}
		free(m);
		plan_hash(&p, h);
		if (hex_decode(json_string_value(json_object_get(e, "plan_hash")), want, HASH_LEN) ||
		    memcmp(h, want, HASH_LEN))
			verr(v, "plan hash does not match the scheduler", ekey);
		json_array_foreach(json_object_get(e, "accepts"), k, acc) {
			if (check_att(v, acc, &a))
				continue;
			if (a.kind != ATT_ACCEPT || strcmp(a.job, job) || a.epoch != p.epoch ||
			    memcmp(a.input, input, HASH_LEN) || memcmp(a.plan, h, HASH_LEN) ||
			    plan_member_index(&p, a.node) < 0 || nacc >= 64 ||
			    seen(who, nacc, a.node)) {
				verr(v, "accept does not match", a.node);
				continue;
			}
			who[nacc++] = strdup(a.node);
		}
		if (nacc < quorum_of(p.nmembers))
			verr(v, "no accept quorum in epoch", ekey);
		else if (!json_output)
			printf("epoch %s: %u/%u members accepted (quorum %u)\n", ekey,
			       nacc, p.nmembers, quorum_of(p.nmembers));
		while (nacc)
			free(who[--nacc]);
		plan_free(&p);
	}
	{	/* the top-level plan hash is the final epoch's */
		char eb[32];
		json_t *fe;

		snprintf(eb, sizeof(eb), "%lld", json_integer_value(json_object_get(res, "epoch")));
		fe = json_object_get(epochs, eb);
		if (!fe || strcmp(json_string_value(json_object_get(fe, "plan_hash")) ?: "",
				  json_string_value(json_object_get(res, "plan_hash")) ?: ""))
			verr(v, "plan hash is not the final epoch's", NULL);
	}
	/* each task: a strict majority of its replicas in its commit epoch */
	json_array_foreach(tasks, k, t) {
		char eb[32], *who[64];
		json_t *ej, *mem, *x;
		const char **m;
		unsigned int nok = 0, idx, nrep;
		struct plan p;
		struct attest a;

		snprintf(eb, sizeof(eb), "%lld", json_integer_value(json_object_get(t, "epoch")));
		ej = json_object_get(epochs, eb);
		mem = json_object_get(ej, "members");
		m = calloc(json_array_size(mem) + 1, sizeof(*m));
		json_array_foreach(mem, idx, x)
			m[idx] = json_string_value(x);
		if (!ej || plan_compute(&p, strtoull(eb, NULL, 10), m, json_array_size(mem), ids, nt, r)) {
			free(m);
			verr(v, "task commit epoch unknown", ids[k]);
			continue;
		}
		free(m);
		nrep = json_is_integer(json_object_get(t, "replicas")) ?
		       json_integer_value(json_object_get(t, "replicas")) : p.r;
		if (nrep < p.r || nrep > p.nmembers ||
		    (nrep > p.r && check_tie(v, t, &p, k, job, ti[k], nrep))) {
			verr(v, "tie-breaker replicas without a tie among the planned ones", ids[k]);
			nrep = p.r;
		}
		json_array_foreach(json_object_get(t, "attestations"), idx, x) {
			if (check_att(v, x, &a))
				continue;
			if (a.kind != ATT_TASK || strcmp(a.job, job) || strcmp(a.task, ids[k]) ||
			    memcmp(a.input, ti[k], HASH_LEN) || memcmp(a.trace, tr[k], HASH_LEN) ||
			    memcmp(a.output, out[k], HASH_LEN) ||
			    a.status != json_integer_value(json_object_get(t, "status")) ||
			    !plan_runs_ext(&p, k, a.node, nrep) || nok >= 64 ||
			    seen(who, nok, a.node)) {
				verr(v, "task attestation does not match", a.node);
				continue;
			}
			who[nok++] = strdup(a.node);
		}
		if (nok < quorum_of(nrep))
			verr(v, "no replica majority for task", ids[k]);
		else if (!json_output)
			printf("task %s: %u/%u replicas agree%s\n", ids[k], nok, nrep,
			       nrep > p.r ? " (tie broken by added replicas)" : "");
		while (nok)
			free(who[--nok]);
		plan_free(&p);
	}
	merkle_root((const uint8_t (*)[HASH_LEN])tr, nt, h);
	if (hex_decode(json_string_value(json_object_get(res, "execution_hash")), want, HASH_LEN) ||
	    memcmp(h, want, HASH_LEN))
		verr(v, "execution hash is not the Merkle root of the trace hashes", NULL);
	merkle_root((const uint8_t (*)[HASH_LEN])out, nt, h);
	if (hex_decode(json_string_value(json_object_get(res, "output_hash")), want, HASH_LEN) ||
	    memcmp(h, want, HASH_LEN))
		verr(v, "output hash is not the Merkle root of the output hashes", NULL);
out:
	free(ids);
	free(ti);
	free(tr);
	free(out);
	return v->errors ? -1 : 0;
}

static int do_verify(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct vctx v = { 0 };
	const char *ca = NULL;
	json_t *doc, *res;
	char err[256];
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:j", opts, NULL)) != -1) {
		if (c == 'c')
			ca = optarg;
		else if (c == 'j')
			json_output = true;
		else
			return SYNCTL_EXIT_USAGE;
	}
	if (!ca || optind != argc - 1) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	v.ca_path = ca;
	v.ca = pki_load_cert(ca, err, sizeof(err));
	if (!v.ca) {
		fprintf(stderr, "synctl: %s\n", err);
		return SYNCTL_EXIT_FAIL;
	}
	doc = json_load_file(argv[optind], 0, NULL);
	if (!doc) {
		fprintf(stderr, "synctl: %s: not JSON\n", argv[optind]);
		X509_free(v.ca);
		return SYNCTL_EXIT_FAIL;
	}
	res = json_object_get(doc, "result") ?: doc;
	ret = verify_result(&v, res);
	if (!ret && !json_output) {
		printf("verified: job %s (%s)\n", json_string_value(json_object_get(res, "job")),
		       json_string_value(json_object_get(res, "state")));
		print_hashes(res);
	}
	if (json_output)
		printf("{\"verified\": %s, \"errors\": %d}\n", ret ? "false" : "true", v.errors);
	json_decref(doc);
	X509_free(v.ca);
	return ret ? SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
}

int job_main(int argc, char *argv[])
{
	const char *sub;

	sock_path = getenv("SYNAPSE_SOCKET") ?: CTL_DEFAULT_SOCKET;
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? SYNCTL_EXIT_USAGE : SYNCTL_EXIT_OK;
	}
	sub = argv[1];
	if (!strcmp(sub, "submit"))
		return do_submit(argc - 1, argv + 1);
	if (!strcmp(sub, "verify"))
		return do_verify(argc - 1, argv + 1);
	if (!strcmp(sub, "status") || !strcmp(sub, "result") || !strcmp(sub, "wait") ||
	    !strcmp(sub, "list") || !strcmp(sub, "cluster") || !strcmp(sub, "revoke") ||
	    !strcmp(sub, "unrevoke"))
		return do_query(sub, argc - 1, argv + 1);
	fprintf(stderr, "synctl job: unknown command %s\n", sub);
	fputs(usage, stderr);
	return SYNCTL_EXIT_USAGE;
}
