// SPDX-License-Identifier: GPL-2.0
/*
 * synl-tool - tiny probes for the shell selftests in selftests/vm/.
 *
 *   synl-tool probe     exit 0 if the synapse family exists, 1 if not
 *   synl-tool streams   print the open hash streams of this netns
 *   synl-tool hold      open a hash stream, print "held", keep the socket
 *                       open until stdin closes (at most 120 s)
 *   synl-tool cycles KO N
 *                       N times: unload synapse, check the family is gone
 *                       (every tenth time), load KO, check GET_INFO and a
 *                       hash; ends loaded.
 *                       Syscalls, not insmod/rmmod: a process per step
 *                       costs more than the load itself under emulation.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/syscall.h>
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
	/*
	 * Looking up a missing family makes the kernel try to modprobe it
	 * (MODULE_ALIAS_GENL_FAMILY): slow under emulation, so every tenth.
	 */
	err = i % 10 ? -ENOENT : synl_open(&s);
	if (err != -ENOENT) {
		printf("cycle %d: family after unload: %s\n", i, strerror(-err));
		if (!err)
			synl_close(&s);
		return -1;
	}
	err = load(ko);
	if (err) {
		printf("cycle %d: load %s: %s\n", i, ko, strerror(-err));
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
	err = synl_open(&s);
	if (!strcmp(argv[1], "probe"))
		return err ? 1 : 0;
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
