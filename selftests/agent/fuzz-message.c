// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for everything a peer's bytes reach before any trust:
 * the frame splitter, the NodeMessage decoder and the mesh payload
 * decoders. Besides "no crash, no sanitizer report" it checks one
 * property: a decoded message re-encodes to exactly the input bytes (the
 * decoder accepts canonical CBOR only, so signatures are over one
 * encoding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mesh/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const uint8_t *p, size_t n)
{
	struct node_msg m;
	struct hello h;
	struct refuse r;
	struct heartbeat hb;
	uint8_t *again;
	size_t len;

	if (msg_decode(p, n, &m))
		return;
	if (msg_encode(&m, true, &again, &len))
		abort();
	if (len != n || memcmp(again, p, n))
		abort();	/* two encodings of one message */
	free(again);
	switch (m.message_type) {
	case MSG_HELLO:
		hello_decode(m.payload, m.payload_len, &h);
		break;
	case MSG_REFUSE:
		refuse_decode(m.payload, m.payload_len, &r);
		break;
	default:
		heartbeat_decode(m.payload, m.payload_len, &hb);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hello h;
	struct refuse r;
	struct heartbeat hb;
	size_t off = 0;
	long n;

	/* the input as a stream of frames, as a session reads it */
	while (off < size) {
		n = frame_check(data + off, size - off, 65536);
		if (n <= 0)
			break;
		check_message(data + off + FRAME_HDR_LEN, n - FRAME_HDR_LEN);
		off += n;
	}
	/* and as one bare message and payload */
	check_message(data, size);
	hello_decode(data, size, &h);
	refuse_decode(data, size, &r);
	heartbeat_decode(data, size, &hb);
	return 0;
}
