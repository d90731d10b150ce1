// SPDX-License-Identifier: GPL-2.0
/*
 * synl-tool - tiny probes for the shell selftests in selftests/vm/.
 *
 *   synl-tool probe     exit 0 if the synapse family exists, 1 if not
 *   synl-tool streams   print the open hash streams of this netns
 *   synl-tool hold      open a hash stream, print "held", keep the socket
 *                       open until stdin closes (at most 120 s)
 *   synl-tool cycles KO N
 *                       N times: unload synapse, check the family is gone,
 *                       load KO, check it is listed, GET_INFO and a hash;
 *                       ends loaded.
 *                       Syscalls, not insmod/rmmod: a process per step
 *                       costs more than the load itself under emulation.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/genetlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "selftests/kmod/synl.h"

static int hold(struct synl *s)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;
	int err;

	err = synl_hash(s, "abc", 3, SYNAPSE_HASH_F_MORE, NULL, NULL);
	if (err) {
		fprintf(stderr, "synl-tool: stream: %s (%s)\n", strerror(-err), s->msg);
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	if (poll(&p, 1, 120 * 1000) > 0)
		(void)!read(0, &c, 1);
	return 0;
}

static int load(const char *ko)
{
	int fd, ret;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int name_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
	    !strcmp(mnl_attr_get_str(a), SYNAPSE_GENL_NAME))
		*(int *)data = 1;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), name_attr_cb,
			      data);
}

/*
 * Is the family registered? A dump of all families, because looking one
 * up by name makes the kernel try to modprobe it when it is missing
 * (MODULE_ALIAS_GENL_FAMILY): slow under emulation, and not the question.
 * Returns 1 or 0, or -errno.
 */
static int family_listed(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int found = 0, n, ret = 0, i;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out_close;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out_close;
	}
	/* A few dozen families: a handful of datagrams. */
	for (i = 0; i < 64; i++) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, n, 1, mnl_socket_get_portid(nl),
				 family_cb, &found);
		if (ret <= MNL_CB_STOP) {
			ret = ret < 0 ? -errno : 0;
			break;
		}
	}
	if (i == 64)
		ret = -ETIMEDOUT;
out_close:
	mnl_socket_close(nl);
	return ret ? ret : found;
}

static int cycle(const char *ko, int i)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	struct synl_info info;
	uint8_t digest[32];
	struct synl s;
	int err;

	if (syscall(SYS_delete_module, "synapse", O_NONBLOCK)) {
		printf("cycle %d: unload: %s\n", i, strerror(errno));
		return -1;
	}
	err = family_listed();
	if (err) {
		printf("cycle %d: family after unload: %s\n", i,
		       err > 0 ? "still registered" : strerror(-err));
		return -1;
	}
	err = load(ko);
	if (err) {
		printf("cycle %d: load %s: %s\n", i, ko, strerror(-err));
		return -1;
	}
	if (family_listed() != 1) {
		printf("cycle %d: family not listed after load\n", i);
		return -1;
	}
	err = synl_open(&s);
	if (err) {
		printf("cycle %d: family after load: %s\n", i, strerror(-err));
		return -1;
	}
	err = synl_info(&s, &info);
	if (!err && info.streams)
		err = -EEXIST;
	if (!err)
		err = synl_hash(&s, "abc", 3, 0, digest, NULL);
	if (!err && memcmp(digest, abc, 32))
		err = -EBADMSG;
	synl_close(&s);
	if (err)
		printf("cycle %d: info/hash: %s\n", i, strerror(-err));
	return err ? -1 : 0;
}

static int cycles(const char *ko, int n)
{
	int i;

	for (i = 1; i <= n; i++)
		if (cycle(ko, i))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct synl_info info;
	struct synl s;
	int err, ret;

	if (argc == 4 && !strcmp(argv[1], "cycles"))
		return cycles(argv[2], atoi(argv[3]));
	if (argc != 2) {
		fprintf(stderr, "usage: synl-tool probe|streams|hold|cycles KO N\n");
		return 2;
	}
	if (!strcmp(argv[1], "probe"))
		return family_listed() == 1 ? 0 : 1;
	err = synl_open(&s);
	if (err) {
		fprintf(stderr, "synl-tool: synapse family: %s\n", strerror(-err));
		return 1;
	}
	if (!strcmp(argv[1], "streams")) {
		ret = synl_info(&s, &info) ? 1 : 0;
		if (!ret)
			printf("%u\n", info.streams);
	} else if (!strcmp(argv[1], "hold")) {
		ret = hold(&s);
	} else {
		fprintf(stderr, "synl-tool: unknown command %s\n", argv[1]);
		ret = 2;
	}
	synl_close(&s);
	return ret;
}
