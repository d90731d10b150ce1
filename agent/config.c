// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's configuration file: an INI-like "key = value" format with a
 * [node] section and one [peer "ID"] section per peer (see
 * Documentation/config.md). Parsing is strict on purpose: an unknown key, a
 * duplicate, a malformed value or a missing required key is an error with
 * the file name and line number, never a silent default.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"

enum section {
	SEC_NONE,
	SEC_NODE,
	SEC_PEER,
};

enum kind {
	K_STR,
	K_U32,
	K_BOOL,
	K_MODE,
};

struct key_desc {
	const char *name;
	enum kind kind;
	size_t off;
	size_t size;	/* for strings: buffer size */
	uint32_t min, max;
	bool required;
};

#define STR(n, f, req) { n, K_STR, offsetof(struct agent_config, f), \
			  sizeof(((struct agent_config *)0)->f), 0, 0, req }
#define U32(n, f, lo, hi) { n, K_U32, offsetof(struct agent_config, f), 0, \
			    lo, hi, false }

static const struct key_desc node_keys[] = {
	STR("id", node_id, true),
	STR("cluster", cluster, true),
	STR("listen", listen, true),
	STR("key", key, true),
	STR("cert", cert, true),
	STR("ca", ca, true),
	STR("crl", crl, false),
	STR("control", control, true),
	{ "control_mode", K_MODE, offsetof(struct agent_config, control_mode),
	  0, 0, 0, false },
	STR("metrics", metrics, false),
	STR("state_dir", state_dir, false),
	STR("log_level", log_level, false),
	{ "log_syslog", K_BOOL, offsetof(struct agent_config, log_syslog),
	  0, 0, 0, false },
	U32("heartbeat_ms", heartbeat_ms, 10, 600000),
	U32("suspect_ms", suspect_ms, 20, 3600000),
	U32("down_ms", down_ms, 30, 3600000),
	U32("max_skew_ms", max_skew_ms, 10, 3600000),
	U32("max_frame", max_frame, 1024, 16 << 20),
	U32("send_queue_bytes", send_queue_bytes, 4096, 1 << 30),
	U32("replay_capacity", replay_capacity, 64, 1 << 20),
	U32("backoff_min_ms", backoff_min_ms, 10, 600000),
	U32("backoff_max_ms", backoff_max_ms, 10, 3600000),
};

static void set_defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->control_mode = 0600;
	strcpy(cfg->log_level, "info");
	strcpy(cfg->state_dir, "/var/lib/synapse");
	cfg->heartbeat_ms = 1000;
	cfg->suspect_ms = 3000;
	cfg->down_ms = 10000;
	cfg->max_skew_ms = 30000;
	cfg->max_frame = 1 << 20;
	cfg->send_queue_bytes = 4 << 20;
	cfg->replay_capacity = 16384;
	cfg->backoff_min_ms = 100;
	cfg->backoff_max_ms = 30000;
}

bool node_id_valid(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > NODE_ID_MAX)
		return false;
	if (!islower((unsigned char)id[0]) && !isdigit((unsigned char)id[0]))
		return false;
	for (i = 1; i < n; i++) {
		unsigned char c = id[i];

		if (!islower(c) && !isdigit(c) && c != '-' && c != '_' &&
		    c != '.')
			return false;
	}
	return true;
}

int parse_hostport(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long p;

	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -1;
		h = s + 1;
		hl = colon - h;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = colon - s;
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || p == 0 || p > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = p;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

struct parser {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
	uint64_t seen;		/* node keys seen, by index */
	bool peer_has_address;
};

static int perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -1;
}

static int parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int set_node_key(struct parser *p, struct agent_config *cfg,
			const char *key, const char *val)
{
	unsigned int i;

	for (i = 0; i < sizeof(node_keys) / sizeof(node_keys[0]); i++) {
		const struct key_desc *d = &node_keys[i];
		void *field = (char *)cfg + d->off;

		if (strcmp(d->name, key))
			continue;
		if (p->seen & (1ULL << i))
			return perr(p, "duplicate key '%s'", key);
		p->seen |= 1ULL << i;
		switch (d->kind) {
		case K_STR:
			if (strlen(val) >= d->size || !*val)
				return perr(p, "bad value for '%s'", key);
			strcpy(field, val);
			return 0;
		case K_U32:
			if (parse_u32(val, d->min, d->max, field))
				return perr(p, "'%s' must be an integer in %u..%u",
					    key, d->min, d->max);
			return 0;
		case K_BOOL:
			if (!strcmp(val, "yes") || !strcmp(val, "true"))
				*(bool *)field = true;
			else if (!strcmp(val, "no") || !strcmp(val, "false"))
				*(bool *)field = false;
			else
				return perr(p, "'%s' must be yes or no", key);
			return 0;
		case K_MODE:
			if (!strcmp(val, "0600"))
				*(unsigned int *)field = 0600;
			else if (!strcmp(val, "0660"))
				*(unsigned int *)field = 0660;
			else
				return perr(p, "'%s' must be 0600 or 0660", key);
			return 0;
		}
	}
	return perr(p, "unknown key '%s' in [node]", key);
}

static int add_peer(struct parser *p, struct agent_config *cfg, char *hdr)
{
	struct peer_conf *np;
	char *id, *q;

	/* hdr is: peer "ID" */
	id = trim(hdr + 4);
	if (hdr[4] != ' ' && hdr[4] != '\t')
		return perr(p, "bad section header");
	if (*id != '"')
		return perr(p, "peer section needs a quoted id: [peer \"ID\"]");
	id++;
	q = strchr(id, '"');
	if (!q || q[1])
		return perr(p, "bad peer section header");
	*q = '\0';
	if (!node_id_valid(id))
		return perr(p, "invalid peer id '%s'", id);
	if (config_find_peer(cfg, id))
		return perr(p, "duplicate peer '%s'", id);
	if (cfg->npeers >= CONF_MAX_PEERS)
		return perr(p, "too many peers (max %d)", CONF_MAX_PEERS);
	np = realloc(cfg->peers, (cfg->npeers + 1) * sizeof(*np));
	if (!np)
		return perr(p, "out of memory");
	cfg->peers = np;
	memset(&np[cfg->npeers], 0, sizeof(*np));
	strcpy(np[cfg->npeers].id, id);
	cfg->npeers++;
	p->peer_has_address = false;
	return 0;
}

static int set_peer_key(struct parser *p, struct agent_config *cfg,
			const char *key, const char *val)
{
	struct peer_conf *pc = &cfg->peers[cfg->npeers - 1];
	char host[CONF_ADDR_MAX];
	uint16_t port;

	if (strcmp(key, "address"))
		return perr(p, "unknown key '%s' in [peer]", key);
	if (p->peer_has_address)
		return perr(p, "duplicate key 'address'");
	if (strlen(val) >= sizeof(pc->address) ||
	    parse_hostport(val, host, sizeof(host), &port))
		return perr(p, "address must be HOST:PORT");
	strcpy(pc->address, val);
	p->peer_has_address = true;
	return 0;
}

static int check_complete(struct parser *p, struct agent_config *cfg)
{
	char host[CONF_ADDR_MAX];
	unsigned int i;
	uint16_t port;

	for (i = 0; i < sizeof(node_keys) / sizeof(node_keys[0]); i++)
		if (node_keys[i].required && !(p->seen & (1ULL << i)))
			return perr(p, "missing required key '%s' in [node]",
				    node_keys[i].name);
	if (!node_id_valid(cfg->node_id))
		return perr(p, "invalid node id '%s'", cfg->node_id);
	if (!node_id_valid(cfg->cluster))
		return perr(p, "invalid cluster name '%s'", cfg->cluster);
	if (parse_hostport(cfg->listen, host, sizeof(host), &port))
		return perr(p, "listen must be HOST:PORT");
	if (cfg->metrics[0] &&
	    parse_hostport(cfg->metrics, host, sizeof(host), &port))
		return perr(p, "metrics must be HOST:PORT");
	if (cfg->suspect_ms <= cfg->heartbeat_ms ||
	    cfg->down_ms <= cfg->suspect_ms)
		return perr(p, "need heartbeat_ms < suspect_ms < down_ms");
	if (cfg->backoff_max_ms < cfg->backoff_min_ms)
		return perr(p, "need backoff_min_ms <= backoff_max_ms");
	for (i = 0; i < cfg->npeers; i++) {
		if (!cfg->peers[i].address[0])
			return perr(p, "peer '%s' has no address",
				    cfg->peers[i].id);
		if (!strcmp(cfg->peers[i].id, cfg->node_id))
			return perr(p, "peer '%s' is this node",
				    cfg->peers[i].id);
	}
	return 0;
}

static int parse_line(struct parser *p, struct agent_config *cfg,
		      enum section *sec, char *line)
{
	char *eq, *key, *val;

	line = trim(line);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[') {
		size_t n = strlen(line);

		if (line[n - 1] != ']')
			return perr(p, "bad section header");
		line[n - 1] = '\0';
		line = trim(line + 1);
		if (!strcmp(line, "node")) {
			if (*sec != SEC_NONE)
				return perr(p, "[node] must come first, once");
			*sec = SEC_NODE;
			return 0;
		}
		if (!strncmp(line, "peer", 4)) {
			if (*sec == SEC_NONE)
				return perr(p, "[node] must come first");
			*sec = SEC_PEER;
			return add_peer(p, cfg, line);
		}
		return perr(p, "unknown section [%s]", line);
	}
	eq = strchr(line, '=');
	if (!eq)
		return perr(p, "expected 'key = value'");
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	switch (*sec) {
	case SEC_NODE:
		return set_node_key(p, cfg, key, val);
	case SEC_PEER:
		return set_peer_key(p, cfg, key, val);
	default:
		return perr(p, "key outside of a section");
	}
}

int config_parse(const char *text, const char *name, struct agent_config *cfg,
		 char *err, size_t errlen)
{
	struct parser p = { .name = name, .err = err, .errlen = errlen };
	enum section sec = SEC_NONE;
	char *copy, *line;
	int ret = 0;

	set_defaults(cfg);
	copy = strdup(text);
	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	/* strtok_r would merge empty lines and break line numbers */
	line = copy;
	while (line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		p.line++;
		ret = parse_line(&p, cfg, &sec, line);
		if (ret)
			break;
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
	if (!ret) {
		p.line = 0;
		if (sec == SEC_NONE)
			ret = perr(&p, "no [node] section");
		else
			ret = check_complete(&p, cfg);
	}
	if (ret)
		config_free(cfg);
	return ret;
}

int config_load(const char *path, struct agent_config *cfg,
		char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int ret;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	do {
		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > (1 << 20)) {
				snprintf(err, errlen, "%s: file too large", path);
				goto out_free;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out_free;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s: NUL byte in file", path);
		free(buf);
		return -1;
	}
	ret = config_parse(buf, path, cfg, err, errlen);
	free(buf);
	return ret;

out_free:
	free(buf);
	fclose(f);
	return -1;
}

void config_free(struct agent_config *cfg)
{
	free(cfg->peers);
	cfg->peers = NULL;
	cfg->npeers = 0;
}

const struct peer_conf *config_find_peer(const struct agent_config *cfg,
					 const char *id)
{
	unsigned int i;

	for (i = 0; i < cfg->npeers; i++)
		if (!strcmp(cfg->peers[i].id, id))
			return &cfg->peers[i];
	return NULL;
}
