/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_CTL_H
#define SYNAGENT_CTL_H

/*
 * Client side of synapsed's control socket (see agent/control/control.c): one
 * JSON request line, one JSON reply line.
 */
#include <stddef.h>
#include <jansson.h>

#define CTL_MAX_REQUEST		(64 * 1024)
#define CTL_MAX_REPLY		(16 * 1024 * 1024)
#define CTL_DEFAULT_SOCKET	"/run/synapse/synapsed.sock"

/* Sends {"cmd": cmd}; on success *reply holds the parsed reply object. */
int ctl_request(const char *path, const char *cmd, json_t **reply,
		char *err, size_t errlen);
/* Sends the request object req (the caller keeps it). */
int ctl_request_json(const char *path, json_t *req, json_t **reply,
		     char *err, size_t errlen);

#endif
