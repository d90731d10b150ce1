// SPDX-License-Identifier: GPL-2.0
/*
 * synctl's command line, run as a program: exit codes, where usage and
 * errors go, and the message when synapse.ko is not loaded (the host
 * cannot load it; these checks skip when the family does exist).
 * SYNCTL_BIN names the program (default build/bin/synctl).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kselftest_harness.h>

#define OUT_MAX	16384

struct run {
	int status;		/* exit code, or -1 if it did not exit */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static void slurp(int fd, char *buf)
{
	ssize_t n = pread(fd, buf, OUT_MAX - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run synctl with args (NULL-terminated), stdin from /dev/null. */
static int run_synctl(struct run *r, const char *const args[])
{
	const char *bin = getenv("SYNCTL_BIN");
	char *argv[16];
	int out, err, null, i, wstatus;
	pid_t pid;

	if (!bin)
		bin = "build/bin/synctl";
	argv[0] = (char *)bin;
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;

	out = memfd_create("out", 0);
	err = memfd_create("err", 0);
	null = open("/dev/null", O_RDONLY);
	if (out < 0 || err < 0 || null < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(null, 0);
		dup2(out, 1);
		dup2(err, 2);
		execv(bin, argv);
		_exit(127);
	}
	close(null);
	if (waitpid(pid, &wstatus, 0) < 0)
		return -1;
	r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	slurp(out, r->out);
	slurp(err, r->err);
	return 0;
}

static bool module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/synapse", &st) == 0;
}

FIXTURE(cli) {
	struct run r;
};

FIXTURE_SETUP(cli)
{
	memset(&self->r, 0, sizeof(self->r));
}

FIXTURE_TEARDOWN(cli)
{
}

TEST_F(cli, no_arguments_is_a_usage_error)
{
	const char *args[] = { NULL };

	ASSERT_EQ(0, run_synctl(&self->r, args));
	EXPECT_EQ(2, self->r.status);
	EXPECT_STREQ("", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "Usage: "));
}

TEST_F(cli, unknown_command_usage_on_stderr)
{
	const char *args[] = { "frobnicate", NULL };

	ASSERT_EQ(0, run_synctl(&self->r, args));
	EXPECT_EQ(2, self->r.status);
	EXPECT_STREQ("", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown command 'frobnicate'"));
	EXPECT_NE(NULL, strstr(self->r.err, "Available subcommands:"));
}

TEST_F(cli, unknown_global_option)
{
	const char *args[] = { "--frob", "info", NULL };

	ASSERT_EQ(0, run_synctl(&self->r, args));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown option '--frob'"));
}

TEST_F(cli, help_lists_every_subcommand)
{
	const char *const variants[][3] = {
		{ "--help", NULL }, { "-h", NULL }, { "help", NULL },
	};
	unsigned int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, run_synctl(&self->r, variants[i]));
		EXPECT_EQ(0, self->r.status);
		EXPECT_NE(NULL, strstr(self->r.out, "Usage: "));
		EXPECT_NE(NULL, strstr(self->r.out, "  info "));
		EXPECT_NE(NULL, strstr(self->r.out, "  hash "));
		EXPECT_STREQ("", self->r.err);
	}
}

TEST_F(cli, version)
{
	const char *args[] = { "--version", NULL };

	ASSERT_EQ(0, run_synctl(&self->r, args));
	EXPECT_EQ(0, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.out, "synctl ", 7));
}

TEST_F(cli, subcommand_help)
{
	const char *a1[] = { "hash", "--help", NULL };
	const char *a2[] = { "help", "info", NULL };
	const char *a3[] = { "-j", "info", "-h", NULL };

	ASSERT_EQ(0, run_synctl(&self->r, a1));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Usage: synctl hash"));
	ASSERT_EQ(0, run_synctl(&self->r, a2));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Usage: synctl info"));
	ASSERT_EQ(0, run_synctl(&self->r, a3));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Usage: synctl info"));
}

TEST_F(cli, subcommand_usage_errors)
{
	const char *a1[] = { "info", "extra", NULL };
	const char *a2[] = { "hash", "--bogus", NULL };
	const char *a3[] = { "help", "nosuch", NULL };

	ASSERT_EQ(0, run_synctl(&self->r, a1));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unexpected argument 'extra'"));
	ASSERT_EQ(0, run_synctl(&self->r, a2));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown option '--bogus'"));
	ASSERT_EQ(0, run_synctl(&self->r, a3));
	EXPECT_EQ(2, self->r.status);
}

TEST_F(cli, module_not_loaded)
{
	const char *const cmds[][3] = {
		{ "info", NULL }, { "-j", "info", NULL }, { "hash", "-", NULL },
	};
	unsigned int i;

	if (module_loaded())
		SKIP(return, "synapse.ko is loaded here");
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, run_synctl(&self->r, cmds[i]));
		EXPECT_EQ(1, self->r.status);
		EXPECT_STREQ("", self->r.out);
		EXPECT_STREQ("synctl: synapse.ko is not loaded: generic netlink family 'synapse' not found\n",
			     self->r.err);
	}
}

TEST_HARNESS_MAIN
