// SPDX-License-Identifier: GPL-2.0
/*
 * synapsed: the Synapse agent. This file only wires things together:
 * options, configuration, signals, and start/stop in order (see
 * synapsed.h for the threading model).
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent/cluster/membership.h"
#include "agent/synapsed.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: synapsed --config FILE [--foreground] [--log-level LEVEL]\n"
		"                [--syslog] [--check-config]\n"
		"  -c, --config FILE      configuration (Documentation/config.md)\n"
		"  -f, --foreground       do not detach; log to stderr\n"
		"  -l, --log-level LEVEL  error, warn, info or debug\n"
		"  -s, --syslog           log to syslog even in the foreground\n"
		"  -n, --check-config     parse the config and key files, then exit\n"
		"  cluster (Documentation/cluster.md):\n"
		"  --etcd URL[,URL...]    join the cluster through etcd (https://...;\n"
		"                         several members: failover between them)\n"
		"  --engine user|kernel|auto  task engine (default auto)\n"
		"  --lease-ttl SECONDS    membership lease TTL (default 3)\n"
		"  --require-cap          refuse jobs without a capability token\n"
		"  --bpf-pin-dir DIR|none revocation map and program (default\n"
		"                         /sys/fs/bpf/synapse; none: in-process only)\n"
		"  --enable-faults --fault NAME  fault injection, for tests only\n");
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;
	char err[512];

	if (tls_load(a, err, sizeof(err))) {
		log_err("reload failed, keeping the old certificates: %s", err);
		return;
	}
	a->reloads++;
	log_info("reloaded key, certificate, CA and CRL");
	mesh_recheck_certs(a);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(a->base, NULL);
}

/*
 * A detached agent runs in "/", and SIGHUP reloads files by name: relative
 * paths are made absolute against the directory we were started in.
 */
static int absolutize(char *path, size_t size)
{
	char cwd[CONF_PATH_MAX], tmp[CONF_PATH_MAX];
	int n;

	if (!path[0] || path[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	n = snprintf(tmp, sizeof(tmp), "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= size)
		return -1;
	memcpy(path, tmp, n + 1);
	return 0;
}

static int absolutize_config(struct agent_config *cfg)
{
	return absolutize(cfg->key, sizeof(cfg->key)) ||
	       absolutize(cfg->cert, sizeof(cfg->cert)) ||
	       absolutize(cfg->ca, sizeof(cfg->ca)) ||
	       absolutize(cfg->crl, sizeof(cfg->crl)) ||
	       absolutize(cfg->control, sizeof(cfg->control));
}

static int setup_signals(struct agent *a)
{
	signal(SIGPIPE, SIG_IGN);
	a->sig_hup = evsignal_new(a->base, SIGHUP, on_hup, a);
	a->sig_term = evsignal_new(a->base, SIGTERM, on_term, a);
	a->sig_int = evsignal_new(a->base, SIGINT, on_term, a);
	if (!a->sig_hup || !a->sig_term || !a->sig_int)
		return -1;
	if (evsignal_add(a->sig_hup, NULL) || evsignal_add(a->sig_term, NULL) ||
	    evsignal_add(a->sig_int, NULL))
		return -1;
	return 0;
}

static void teardown(struct agent *a)
{
	if (a->sig_hup)
		event_free(a->sig_hup);
	if (a->sig_term)
		event_free(a->sig_term);
	if (a->sig_int)
		event_free(a->sig_int);
	if (a->hb_timer)
		event_free(a->hb_timer);
	cluster_stop(a);
	metrics_stop(a);
	control_stop(a);
	mesh_stop(a);
	if (a->base)
		event_base_free(a->base);
	SSL_CTX_free(a->ssl_ctx);
	EVP_PKEY_free(a->key);
	X509_free(a->cert);
	X509_CRL_free(a->crl);
	config_free(&a->cfg);
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog", no_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "etcd", required_argument, NULL, 'E' },
		{ "engine", required_argument, NULL, 'G' },
		{ "lease-ttl", required_argument, NULL, 'L' },
		{ "fault", required_argument, NULL, 'F' },
		{ "enable-faults", no_argument, NULL, 'X' },
		{ "require-cap", no_argument, NULL, 'R' },
		{ "bpf-pin-dir", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	const char *level_opt = NULL;
	bool foreground = false, use_syslog = false, check = false;
	enum log_level level;
	struct cluster_opts copts = { 0 };
	struct agent a;
	char err[512];
	int c, ret = 1;

	/*
	 * Every task's engine allocates an 8 MiB value stack. glibc's dynamic
	 * mmap threshold rises past that size after the first free, and then
	 * every later stack comes from the heap, zeroed page by page: resident
	 * memory grew by 8 MiB per run kept for a rollback (15-67 MB, uneven,
	 * in the soak). A fixed threshold keeps large blocks mmapped, touched
	 * only where used and returned to the kernel when freed.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	memset(&a, 0, sizeof(a));
	LIST_INIT(&a.conns);
	while ((c = getopt_long(argc, argv, "c:fl:snh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'l':
			level_opt = optarg;
			break;
		case 's':
			use_syslog = true;
			break;
		case 'n':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'E':
			copts.etcd_url = optarg;
			break;
		case 'G':
			copts.engine = optarg;
			break;
		case 'L':
			copts.lease_ttl_s = atoi(optarg);
			break;
		case 'F':
			copts.fault = optarg;
			break;
		case 'X':
			copts.enable_faults = true;
			break;
		case 'R':
			copts.require_cap = true;
			break;
		case 'B':
			copts.bpf_pin_dir = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!a.config_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config_load(a.config_path, &a.cfg, err, sizeof(err))) {
		fprintf(stderr, "synapsed: %s\n", err);
		return 1;
	}
	if (absolutize_config(&a.cfg)) {
		fprintf(stderr, "synapsed: cannot make config paths absolute\n");
		goto out;
	}
	if (log_parse_level(level_opt ? level_opt : a.cfg.log_level, &level)) {
		fprintf(stderr, "synapsed: unknown log level\n");
		goto out;
	}
	use_syslog = use_syslog || a.cfg.log_syslog || !foreground;
	log_setup("synapsed", level, use_syslog);
	if (tls_load(&a, err, sizeof(err))) {
		log_err("%s", err);
		if (!use_syslog || check)
			fprintf(stderr, "synapsed: %s\n", err);
		goto out;
	}
	if (check) {
		printf("synapsed: %s: ok\n", a.config_path);
		ret = 0;
		goto out;
	}
	if (!foreground && daemon(0, 0)) {
		log_err("daemon: %m");
		goto out;
	}
	a.base = event_base_new();
	if (!a.base || setup_signals(&a) || mesh_start(&a) ||
	    heartbeat_start(&a) || control_start(&a) || metrics_start(&a) ||
	    cluster_start(&a, &copts)) {
		log_err("startup failed");
		goto out;
	}
	a.started_ms = now_realtime_ms();
	log_info("synapsed %s ready (cluster %s)", a.cfg.node_id, a.cfg.cluster);
	event_base_dispatch(a.base);
	log_info("stopped");
	ret = 0;
out:
	teardown(&a);
	return ret;
}
