/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_CONFIG_H
#define SYNAGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_ID_MAX	63	/* [a-z0-9][a-z0-9._-]*, also for cluster names */
#define CONF_PATH_MAX	4096
#define CONF_ADDR_MAX	64	/* "host:port", IPv4 or [IPv6] literal */
#define CONF_MAX_PEERS	256

struct peer_conf {
	char id[NODE_ID_MAX + 1];
	char address[CONF_ADDR_MAX];
};

struct agent_config {
	char node_id[NODE_ID_MAX + 1];
	char cluster[NODE_ID_MAX + 1];
	char listen[CONF_ADDR_MAX];
	char key[CONF_PATH_MAX];
	char cert[CONF_PATH_MAX];
	char ca[CONF_PATH_MAX];
	char crl[CONF_PATH_MAX];	/* optional: "" = no CRL checking */
	char control[CONF_PATH_MAX];
	unsigned int control_mode;	/* 0600 or 0660 */
	char metrics[CONF_ADDR_MAX];	/* "" = no metrics endpoint */
	char state_dir[CONF_PATH_MAX];	/* blobs live in <state_dir>/blobs */
	char log_level[16];
	bool log_syslog;
	uint32_t heartbeat_ms;
	uint32_t suspect_ms;
	uint32_t down_ms;
	uint32_t max_skew_ms;
	uint32_t max_frame;
	uint32_t send_queue_bytes;
	uint32_t replay_capacity;
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	unsigned int npeers;
	struct peer_conf *peers;
};

int config_load(const char *path, struct agent_config *cfg,
		char *err, size_t errlen);
int config_parse(const char *text, const char *name, struct agent_config *cfg,
		 char *err, size_t errlen);
void config_free(struct agent_config *cfg);
const struct peer_conf *config_find_peer(const struct agent_config *cfg,
					 const char *id);
bool node_id_valid(const char *id);
int parse_hostport(const char *s, char *host, size_t hostlen, uint16_t *port);

#endif
