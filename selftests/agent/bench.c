// SPDX-License-Identifier: GPL-2.0
/*
 * bench-agent: NodeMessages signed and verified per second on one core,
 * for a heartbeat-sized message: the whole path (canonical encoding +
 * Ed25519), the bare Ed25519 operation, and the receive path (decode +
 * verify + replay window). Each figure is the best of three ~0.5 s runs
 * (the machine is shared; the best run is the least disturbed). Time is
 * this thread's CPU time, so the figures are per CPU-second of one core
 * however loaded the machine is (as `openssl speed` measures by default).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "agent/mesh/message.h"
#include "agent/mesh/replay.h"

#define RUN_NS		500000000ULL
#define ROUNDS		3

static EVP_PKEY *key;
static struct node_msg msg;
static uint8_t payload[16];
static uint8_t *frame;
static size_t frame_len;
static uint8_t sbuf[256];
static size_t slen;
static uint8_t raw_sig[ED25519_SIG_LEN];
static struct replay_win win;

static int op_msg_sign(void)
{
	return msg_sign(&msg, key);
}

static int op_msg_verify(void)
{
	return msg_verify(&msg, key);
}

static int op_raw_sign(void)
{
	uint8_t sig[ED25519_SIG_LEN];

	return pki_sign(key, sbuf, slen, sig);
}

static int op_raw_verify(void)
{
	return pki_verify(key, sbuf, slen, raw_sig);
}

static int op_encode(void)
{
	uint8_t *b;
	size_t n;

	if (msg_encode(&msg, true, &b, &n))
		return -1;
	free(b);
	return 0;
}

static uint64_t rx_counter;

static int op_receive(void)
{
	struct node_msg m;

	if (msg_decode(frame + FRAME_HDR_LEN, frame_len - FRAME_HDR_LEN, &m) ||
	    msg_verify(&m, key))
		return -1;
	/* a fresh id each time, as real traffic has */
	memcpy(m.message_id, &rx_counter, sizeof(rx_counter));
	rx_counter++;
	return replay_check(&win, m.message_id, m.timestamp_ms, m.timestamp_ms);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double rate(int (*op)(void))
{
	double best = 0, r;
	uint64_t t0, t;
	unsigned long n;
	int round;

	for (round = 0; round < ROUNDS; round++) {
		n = 0;
		t0 = cpu_ns();
		do {
			for (int i = 0; i < 64; i++)
				if (op())
					return -1;
			n += 64;
			t = cpu_ns();
		} while (t - t0 < RUN_NS);
		r = n / ((t - t0) / 1e9);
		if (r > best)
			best = r;
	}
	return best;
}

int main(void)
{
	static const struct {
		const char *name;
		int (*op)(void);
	} ops[] = {
		{ "nodemessage_sign (encode + Ed25519 sign)", op_msg_sign },
		{ "nodemessage_verify (encode + Ed25519 verify)", op_msg_verify },
		{ "nodemessage_receive (decode + verify + replay)", op_receive },
		{ "ed25519_sign (raw, same bytes)", op_raw_sign },
		{ "ed25519_verify (raw, same bytes)", op_raw_verify },
		{ "canonical_encode (CBOR only)", op_encode },
	};
	uint8_t seed[32] = { 1 };
	unsigned int i;
	double r;

	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!key || replay_init(&win, 1 << 20, 60000))
		return 1;
	msg_init(&msg, MSG_HEARTBEAT, "n1", "n2", payload, sizeof(payload));
	if (msg_sign(&msg, key) || frame_build(&msg, &frame, &frame_len))
		return 1;
	slen = frame_len < sizeof(sbuf) ? frame_len : sizeof(sbuf);
	memcpy(sbuf, frame, slen);
	if (pki_sign(key, sbuf, slen, raw_sig))
		return 1;
	printf("# agent bench: one core, %zu-byte signed frame, best of %d x %.1f CPU-s\n",
	       frame_len, ROUNDS, RUN_NS / 1e9);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		r = rate(ops[i].op);
		if (r < 0) {
			printf("%-48s FAILED\n", ops[i].name);
			return 1;
		}
		printf("%-48s %10.0f /s  (%6.2f us each)\n", ops[i].name, r,
		       1e6 / r);
	}
	replay_free(&win);
	free(frame);
	EVP_PKEY_free(key);
	return 0;
}
