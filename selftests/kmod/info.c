// SPDX-License-Identifier: GPL-2.0
/*
 * GET_INFO: versions, the hash driver really in use, limits; unprivileged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <kselftest_harness.h>

#include "kmod/limits.h"
#include "kmod/vm/svm.h"
#include "kmod/vm/task.h"
#include "synl.h"
#include "util.h"

FIXTURE(info) {
	struct synl s;
	struct synl_info info;
};

FIXTURE_SETUP(info)
{
	ASSERT_EQ(0, synl_open(&self->s)) TH_LOG("synapse family missing: is synapse.ko loaded?");
	ASSERT_EQ(0, synl_info(&self->s, &self->info)) TH_LOG("extack: %s", self->s.msg);
}

FIXTURE_TEARDOWN(info)
{
	synl_close(&self->s);
}

TEST_F(info, versions)
{
	char buf[64] = "";
	FILE *f;

	EXPECT_EQ((uint32_t)SYNAPSE_ABI_VERSION, self->info.abi_version);
	ASSERT_NE(0U, strlen(self->info.module_version));
	f = fopen("/sys/module/synapse/version", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	EXPECT_STREQ(buf, self->info.module_version);
}

/* The reported driver must be a registered "sha256" implementation. */
TEST_F(info, hash_driver_is_real)
{
	char line[256], name[128] = "";
	bool found = false;
	FILE *f;

	ASSERT_NE(0U, strlen(self->info.hash_driver));
	f = fopen("/proc/crypto", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char v[128];

		if (sscanf(line, "name : %127s", v) == 1)
			snprintf(name, sizeof(name), "%s", v);
		else if (sscanf(line, "driver : %127s", v) == 1 &&
			 !strcmp(name, "sha256") &&
			 !strcmp(v, self->info.hash_driver))
			found = true;
	}
	fclose(f);
	EXPECT_TRUE(found) TH_LOG("driver %s not in /proc/crypto", self->info.hash_driver);
	TH_LOG("sha256 driver: %s", self->info.hash_driver);
}

TEST_F(info, hash_limits)
{
	EXPECT_EQ((uint32_t)SYNAPSE_HASH_CHUNK_MAX, self->info.chunk_max);
	EXPECT_EQ(SYNAPSE_HASH_MAX, self->info.hash_max);
	EXPECT_EQ((uint32_t)SYNAPSE_HASH_STREAMS_MAX, self->info.streams_max);
	EXPECT_TRUE(self->info.has_streams);
	EXPECT_GE(SYNAPSE_HASH_CHUNK_MAX, 1024);
}

/* The task limits GET_INFO reports are the engine's own defaults. */
TEST_F(info, engine_limits)
{
	struct svm_task_limits d;
	uint64_t want[SYNAPSE_A_LIMIT_MAX + 1] = { 0 };
	int t;

	svm_task_default_limits(&d);
	want[SYNAPSE_A_LIMIT_MODULE_SIZE] = SYNAPSE_LIMIT_MODULE_SIZE_DEFAULT;
	want[SYNAPSE_A_LIMIT_MEMORY_PAGES] = d.max_pages;
	want[SYNAPSE_A_LIMIT_TABLE_SIZE] = d.max_table;
	want[SYNAPSE_A_LIMIT_VALUE_STACK] = d.stack_slots;
	want[SYNAPSE_A_LIMIT_CALL_DEPTH] = d.max_frames;
	want[SYNAPSE_A_LIMIT_OUTPUT_SIZE] = d.max_output;
	for (t = SYNAPSE_A_LIMIT_MODULE_SIZE; t <= SYNAPSE_A_LIMIT_MAX; t++) {
		EXPECT_TRUE(self->info.has_limit[t]) TH_LOG("limit %d missing", t);
		EXPECT_EQ(want[t], self->info.limits[t]) TH_LOG("limit %d", t);
	}
	/* the values the engine documents (Documentation/abi.md) */
	EXPECT_EQ(1u << 20, self->info.limits[SYNAPSE_A_LIMIT_VALUE_STACK]);
	EXPECT_EQ(10000u, self->info.limits[SYNAPSE_A_LIMIT_CALL_DEPTH]);
}

TEST(info_unprivileged)
{
	struct synl_info info;
	struct synl s;

	ASSERT_EQ(0, drop_to_nobody());
	ASSERT_EQ(0, synl_open(&s));
	EXPECT_EQ(0, synl_info(&s, &info)) TH_LOG("extack: %s", s.msg);
	EXPECT_EQ((uint32_t)SYNAPSE_ABI_VERSION, info.abi_version);
	synl_close(&s);
}

TEST_HARNESS_MAIN
