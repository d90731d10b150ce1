/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_LOG_H
#define SYNAGENT_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_setup(const char *ident, enum log_level level, bool use_syslog);
int log_parse_level(const char *name, enum log_level *level);
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A rate-limit bucket: at most LOG_RL_BURST lines per LOG_RL_INTERVAL_S
 * seconds; the number of suppressed lines is reported with the next line
 * that gets through. One bucket per rejection reason keeps a flood of one
 * kind of garbage from hiding every other kind.
 */
struct log_ratelimit {
	long window_start;
	unsigned int printed;
	unsigned long suppressed;
};

#define LOG_RL_BURST		5
#define LOG_RL_INTERVAL_S	10

void log_ratelimited(struct log_ratelimit *rl, enum log_level level,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
