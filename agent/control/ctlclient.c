// SPDX-License-Identifier: GPL-2.0
/*
 * Control-socket client used by synctl (see ctl.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control/ctl.h"

#define CTL_TIMEOUT_MS	5000

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

/* Reads one line (without the newline) into a malloc'd buffer. */
static char *read_line(int fd, char *err, size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;

	while (buf) {
		if (poll(&pfd, 1, CTL_TIMEOUT_MS) <= 0) {
			snprintf(err, errlen, "control socket: no reply in time");
			break;
		}
		if (len + 1 >= cap) {
			if (cap >= CTL_MAX_REPLY) {
				snprintf(err, errlen, "control socket: reply too large");
				break;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "control socket: connection closed");
			break;
		}
		len += r;
		buf[len] = '\0';
		if (memchr(buf, '\n', len)) {
			*strchr(buf, '\n') = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

int ctl_request(const char *path, const char *cmd, json_t **reply,
		char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd);
	int r;

	if (!req) {
		snprintf(err, errlen, "bad command");
		return -1;
	}
	r = ctl_request_json(path, req, reply, err, errlen);
	json_decref(req);
	return r;
}

int ctl_request_json(const char *path, json_t *reqj, json_t **reply,
		     char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	json_error_t jerr;
	char *req, *line;
	int fd;
	size_t n;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	req = json_dumps(reqj, JSON_COMPACT);
	n = req ? strlen(req) : 0;
	if (!req || n + 1 > CTL_MAX_REQUEST) {
		free(req);
		snprintf(err, errlen, "bad request");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		snprintf(err, errlen, "%s: %s (is synapsed running?)", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		free(req);
		return -1;
	}
	if (write_all(fd, req, n) || write_all(fd, "\n", 1)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		free(req);
		return -1;
	}
	free(req);
	line = read_line(fd, err, errlen);
	close(fd);
	if (!line)
		return -1;
	*reply = json_loads(line, 0, &jerr);
	free(line);
	if (!*reply || !json_is_object(*reply)) {
		json_decref(*reply);
		snprintf(err, errlen, "control socket: reply is not a JSON object");
		return -1;
	}
	return 0;
}
