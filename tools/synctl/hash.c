// SPDX-License-Identifier: GPL-2.0
/*
 * synctl hash: SHA-256 through synapse.ko's HASH command, printed like
 * sha256sum. Inputs up to SYNAPSE_HASH_CHUNK_MAX bytes take one request;
 * larger ones stream with SYNAPSE_HASH_F_MORE (which the kernel allows
 * only with CAP_NET_ADMIN, as a stream pins kernel memory). One chunk is
 * read ahead so an input of exactly one chunk is not mistaken for a stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "common.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"

static const char usage[] =
	"Usage: synctl hash [-j|--json] [FILE|-]...\n"
	"\n"
	"Print the SHA-256 of each FILE computed by synapse.ko, in sha256sum's\n"
	"format. With no FILE, or when FILE is -, read standard input.\n"
	"Inputs larger than one request (60 KiB) are streamed, which\n"
	"needs CAP_NET_ADMIN.\n";

struct hash_req {
	const uint8_t *data;
	size_t len;
	uint32_t flags;
	struct synctl_hash_reply reply;
};

static int build_hash(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	struct hash_req *hr = ctx;

	/* DATA is required, possibly empty, except to abort a stream. */
	if (!(hr->flags & SYNAPSE_HASH_F_ABORT) &&
	    !mnl_attr_put_check(nlh, buflen, SYNAPSE_A_HASH_DATA, hr->len,
				hr->data))
		return -EMSGSIZE;
	if (hr->flags &&
	    !mnl_attr_put_u32_check(nlh, buflen, SYNAPSE_A_HASH_FLAGS,
				    hr->flags))
		return -EMSGSIZE;
	return 0;
}

static int parse_hash(const struct nlmsghdr *nlh, void *ctx)
{
	struct hash_req *hr = ctx;

	return model_parse_hash(nlh, &hr->reply);
}

static int hash_send(struct ipc *ipc, struct hash_req *hr)
{
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_HASH,
		.build = build_hash,
		.parse = parse_hash,
		.ctx = hr,
	};

	memset(&hr->reply, 0, sizeof(hr->reply));
	return ipc_request(ipc, &req);
}

/* Fill buf unless EOF comes first; returns the byte count or -errno. */
static ssize_t read_full(int fd, uint8_t *buf, size_t size)
{
	size_t done = 0;
	ssize_t n;

	while (done < size) {
		n = read(fd, buf + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static void set_result_error(struct synctl_hash_result *res, int err,
			     const struct ipc_extack *extack, bool streaming)
{
	res->err = err < 0 ? -err : err;
	format_error(res->msg, sizeof(res->msg), err, extack);
	if (res->err == EPERM && streaming)
		snprintf(res->msg + strlen(res->msg),
			 sizeof(res->msg) - strlen(res->msg),
			 " (inputs over %d bytes are streamed: run as root or with CAP_NET_ADMIN)",
			 SYNAPSE_HASH_CHUNK_MAX);
}

/* Hash fd to its end into res; a failed stream is aborted in the kernel. */
static void hash_fd(struct ipc *ipc, int fd, struct synctl_hash_result *res)
{
	uint8_t *cur, *next, *tmp;
	struct hash_req hr = { 0 };
	struct hash_req abort_req = { .flags = SYNAPSE_HASH_F_ABORT };
	uint64_t total = 0;
	ssize_t cur_len, next_len = 0;
	bool more = false;
	int ret;

	cur = malloc(SYNAPSE_HASH_CHUNK_MAX);
	next = malloc(SYNAPSE_HASH_CHUNK_MAX);
	if (!cur || !next) {
		set_result_error(res, -ENOMEM, NULL, false);
		goto out_free;
	}
	cur_len = read_full(fd, cur, SYNAPSE_HASH_CHUNK_MAX);
	for (;;) {
		if (cur_len < 0) {
			set_result_error(res, cur_len, NULL, false);
			goto out_abort;
		}
		next_len = 0;
		if (cur_len == SYNAPSE_HASH_CHUNK_MAX) {
			next_len = read_full(fd, next, SYNAPSE_HASH_CHUNK_MAX);
			if (next_len < 0) {
				set_result_error(res, next_len, NULL, false);
				goto out_abort;
			}
		}
		more = next_len > 0;
		hr.data = cur;
		hr.len = cur_len;
		hr.flags = more ? SYNAPSE_HASH_F_MORE : 0;
		ret = hash_send(ipc, &hr);
		if (ret < 0) {
			set_result_error(res, ret, ipc_last_extack(ipc),
					 more || total);
			goto out_abort;
		}
		total += cur_len;
		if (!more)
			break;
		tmp = cur;
		cur = next;
		next = tmp;
		cur_len = next_len;
	}
	if (!hr.reply.has_digest || (hr.reply.has_len && hr.reply.len != total)) {
		res->err = EPROTO;
		snprintf(res->msg, sizeof(res->msg),
			 "%s: the module's reply lacks the digest or hashed %" PRIu64 " of %" PRIu64 " bytes",
			 strerror(EPROTO), hr.reply.len, total);
		goto out_free;
	}
	memcpy(res->digest, hr.reply.digest, sizeof(res->digest));
	res->len = total;
	goto out_free;

out_abort:
	/* Best effort: the stream also dies with the socket. */
	if (more || total)
		hash_send(ipc, &abort_req);
out_free:
	free(cur);
	free(next);
}

static void hash_one(struct ipc *ipc, const char *name,
		     struct synctl_hash_result *res)
{
	int fd = STDIN_FILENO;

	memset(res, 0, sizeof(*res));
	res->name = name;
	if (strcmp(name, "-")) {
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			set_result_error(res, -errno, NULL, false);
			return;
		}
	}
	hash_fd(ipc, fd, res);
	if (fd != STDIN_FILENO)
		close(fd);
}

int hash_main(int argc, char *argv[])
{
	struct synctl_hash_result res;
	struct ipc *ipc;
	json_t *array = NULL;
	int status, idx, i;

	idx = parse_common_opts(argc, argv, usage, &status);
	if (idx < 0)
		return status;
	if (synctl_connect(&ipc) < 0)
		return SYNCTL_EXIT_FAIL;
	if (json_output) {
		array = json_array();
		if (!array) {
			ipc_close(ipc);
			return SYNCTL_EXIT_FAIL;
		}
	}

	status = SYNCTL_EXIT_OK;
	/* No operand means standard input, as for sha256sum. */
	for (i = idx; i < argc || i == idx; i++) {
		hash_one(ipc, i < argc ? argv[i] : "-", &res);
		if (res.err) {
			fprintf(stderr, "%s: hash: %s: %s\n", PROG_NAME,
				res.name, res.msg);
			status = SYNCTL_EXIT_FAIL;
		}
		if (array)
			json_array_append_new(array, hash_result_to_json(&res));
		else if (!res.err)
			hash_print_line(stdout, &res);
	}
	if (array && json_print(stdout, array) < 0)
		status = SYNCTL_EXIT_FAIL;
	ipc_close(ipc);
	if (fflush(stdout) == EOF)
		status = SYNCTL_EXIT_FAIL;
	return status;
}
