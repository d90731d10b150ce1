// SPDX-License-Identifier: GPL-2.0
/*
 * synctl ca: the cluster PKI (Documentation/pki.md).
 *   synctl ca init   --dir DIR --cluster NAME [--days N]
 *   synctl ca issue  --dir DIR --node-id ID [--out DIR] [--days N]
 *   synctl ca revoke --dir DIR --cert FILE [--days N]
 * The work is in agent/identity/pki.c, shared with synapsed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/identity/pki.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"

static const char usage[] =
	"Usage: synctl ca init   --dir DIR --cluster NAME [--days N]\n"
	"       synctl ca issue  --dir DIR --node-id ID [--out DIR] [--days N]\n"
	"       synctl ca revoke --dir DIR --cert FILE [--days N]\n"
	"\n"
	"init    make an Ed25519 cluster CA in DIR: ca.key (0600), ca.crt and an\n"
	"        empty CRL ca.crl (default 3650 days)\n"
	"issue   make a node key ID.key (0600) and certificate ID.crt with the SAN\n"
	"        URI synapse://<cluster>/node/<ID>, in --out (default DIR)\n"
	"        (default 365 days)\n"
	"revoke  add the certificate to DIR/ca.crl and re-sign it; send SIGHUP to\n"
	"        the agents so they reload it (default CRL validity 30 days)\n"
	"\n"
	"Existing private keys are never overwritten.\n";

enum { OPT_EXPIRED = 0x100 };

struct ca_args {
	const char *dir, *cluster, *node_id, *out, *cert;
	int days;
	bool expired;
};

static int parse(int argc, char *argv[], struct ca_args *a, int *status)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "node-id", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "cert", required_argument, NULL, 'C' },
		{ "days", required_argument, NULL, 'D' },
		/* for tests: a certificate whose validity has already ended */
		{ "expired", no_argument, NULL, OPT_EXPIRED },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->dir = optarg;
			break;
		case 'c':
			a->cluster = optarg;
			break;
		case 'n':
			a->node_id = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'C':
			a->cert = optarg;
			break;
		case 'D':
			a->days = strtol(optarg, &end, 10);
			if (*end || a->days < 1 || a->days > 36500) {
				fprintf(stderr, "%s ca: --days must be 1..36500\n",
					PROG_NAME);
				*status = SYNCTL_EXIT_USAGE;
				return -1;
			}
			break;
		case OPT_EXPIRED:
			a->expired = true;
			break;
		case 'j':
			json_output = true;
			break;
		case 'h':
			fputs(usage, stdout);
			*status = SYNCTL_EXIT_OK;
			return -1;
		default:
			fprintf(stderr, "%s ca: unknown option '%s'\n", PROG_NAME,
				bad_option(argv));
			fputs(usage, stderr);
			*status = SYNCTL_EXIT_USAGE;
			return -1;
		}
	}
	return optind;
}

static int need(const char *what, const char *val)
{
	if (val)
		return 0;
	fprintf(stderr, "%s ca: %s is required\n", PROG_NAME, what);
	fputs(usage, stderr);
	return -1;
}

static int done(const char *action, const char *path)
{
	if (json_output)
		return json_print(stdout, json_pack("{s:s, s:s}", "action", action,
						    "path", path)) < 0;
	printf("%s: %s\n", action, path);
	return 0;
}

int ca_main(int argc, char *argv[])
{
	struct ca_args a = { 0 };
	struct pki_issue_opts io;
	char err[512], path[4200];
	const char *verb;
	int idx, status = SYNCTL_EXIT_USAGE;

	idx = parse(argc, argv, &a, &status);
	if (idx < 0)
		return status;
	if (idx != argc - 1) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	verb = argv[idx];
	if (need("--dir", a.dir))
		return SYNCTL_EXIT_USAGE;
	if (!strcmp(verb, "init")) {
		if (need("--cluster", a.cluster))
			return SYNCTL_EXIT_USAGE;
		if (pki_ca_init(a.dir, a.cluster, a.days ? a.days : 3650,
				err, sizeof(err)))
			goto out_fail;
		snprintf(path, sizeof(path), "%s/" CA_CERT_FILE, a.dir);
		return done("created CA", path) ? SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	}
	if (!strcmp(verb, "issue")) {
		if (need("--node-id", a.node_id))
			return SYNCTL_EXIT_USAGE;
		io = (struct pki_issue_opts){
			.node_id = a.node_id,
			.outdir = a.out ? a.out : a.dir,
			.days = a.days ? a.days : 365,
			.expired = a.expired,
		};
		if (pki_issue(a.dir, &io, err, sizeof(err)))
			goto out_fail;
		snprintf(path, sizeof(path), "%s/%s.crt", io.outdir, a.node_id);
		return done("issued", path) ? SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	}
	if (!strcmp(verb, "revoke")) {
		if (need("--cert", a.cert))
			return SYNCTL_EXIT_USAGE;
		if (pki_revoke(a.dir, a.cert, a.days ? a.days : 30,
			       err, sizeof(err)))
			goto out_fail;
		snprintf(path, sizeof(path), "%s/" CA_CRL_FILE, a.dir);
		return done("revoked, CRL updated", path) ?
			SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	}
	fprintf(stderr, "%s ca: unknown action '%s'\n", PROG_NAME, verb);
	fputs(usage, stderr);
	return SYNCTL_EXIT_USAGE;

out_fail:
	fprintf(stderr, "%s ca %s: %s\n", PROG_NAME, verb, err);
	return SYNCTL_EXIT_FAIL;
}
