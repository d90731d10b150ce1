// SPDX-License-Identifier: GPL-2.0
/*
 * probe: a deliberately misbehaving (or well-behaved) peer for the mesh
 * tests. It connects to one synapsed, optionally completes TLS with the
 * given certificate, sends a HELLO (claiming any sender id), then does one
 * thing, and prints one line "result: ..." saying how the agent answered:
 *
 *   accepted            the agent sent its HELLO (session established)
 *   refused TEXT        the agent sent a REFUSE (TEXT is its reason)
 *   closed              the connection was closed without a REFUSE
 *   tls-failed TEXT     the TLS handshake (or first read) failed
 *   acks N rtt_us X     heartbeats answered (modes heartbeat, replay)
 *   timeout             nothing happened in time
 *
 * Modes: raw-garbage, hello, version, forge, garbage, oversize, replay,
 * unknown-type, heartbeat.
 *
 * probe --control SOCKET --send TEXT sends TEXT (plus a newline) to a
 * control socket as is and prints the reply line: for malformed requests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "agent/mesh/message.h"
#include "agent/identity/pki.h"

struct probe {
	const char *connect, *ca, *cert, *key, *cluster, *claim, *to, *mode;
	int timeout_ms, count;
	int fd;
	SSL *ssl;
	EVP_PKEY *pkey;
	char cert_id[NODE_ID_MAX + 1];
	uint8_t rbuf[1 << 20];
	size_t rlen;
	uint64_t hb_seq;
};

static void die(const char *msg)
{
	fprintf(stderr, "probe: %s\n", msg);
	exit(2);
}

static int tcp_connect(struct probe *p)
{
	char host[CONF_ADDR_MAX];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = p->timeout_ms / 1000,
			      .tv_usec = (p->timeout_ms % 1000) * 1000 };
	uint16_t port;
	int one = 1;

	if (parse_hostport(p->connect, host, sizeof(host), &port) ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		die("--connect wants IPv4:PORT");
	sin.sin_port = htons(port);
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect failed");
	setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static void result(const char *what, const char *detail)
{
	printf("result: %s%s%s\n", what, *detail ? " " : "", detail);
	fflush(stdout);
}

static void tls_connect(struct probe *p)
{
	char err[512];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509 *cert;

	if (!ctx)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	if (SSL_CTX_use_certificate_file(ctx, p->cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, p->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, p->ca, NULL) != 1)
		die("cannot load cert/key/ca");
	/* the probe trusts whoever answers: it tests the server's checks */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	p->pkey = pki_load_key(p->key, err, sizeof(err));
	cert = pki_load_cert(p->cert, err, sizeof(err));
	if (!p->pkey || !cert)
		die(err);
	if (pki_cert_node_id(cert, p->cluster, p->cert_id, sizeof(p->cert_id)))
		snprintf(p->cert_id, sizeof(p->cert_id), "nobody");
	X509_free(cert);
	p->ssl = SSL_new(ctx);
	SSL_set_fd(p->ssl, p->fd);
	if (SSL_connect(p->ssl) != 1) {
		result("tls-failed",
		       ERR_reason_error_string(ERR_get_error()) ?: "handshake");
		exit(0);
	}
}

/* Sends one message; with repeat > 1 the very same frame again (a replay). */
static void send_msg(struct probe *p, uint32_t type, uint32_t version,
		     const uint8_t *payload, size_t len, int tamper,
		     int64_t ts_shift_ms, int repeat)
{
	struct node_msg m;
	uint8_t *frame;
	size_t flen;

	msg_init(&m, type, p->claim ? p->claim : p->cert_id,
		 p->to, payload, len);
	m.protocol_version = version;
	m.timestamp_ms += ts_shift_ms;
	if (msg_sign(&m, p->pkey))
		die("sign");
	if (tamper)
		m.signature[tamper % ED25519_SIG_LEN] ^= 0x01;
	if (frame_build(&m, &frame, &flen))
		die("frame");
	while (repeat-- > 0)
		SSL_write(p->ssl, frame, flen);
	free(frame);
}

static void send_hello(struct probe *p, uint32_t lo, uint32_t hi)
{
	struct hello h = { lo, hi, "" };
	uint8_t *pl;
	size_t n;

	snprintf(h.cluster, sizeof(h.cluster), "%s", p->cluster);
	if (hello_encode(&h, &pl, &n))
		die("hello");
	send_msg(p, MSG_HELLO, 1, pl, n, 0, 0, 1);
	free(pl);
}

static void send_heartbeat(struct probe *p, int tamper, int64_t shift,
			   int repeat)
{
	struct heartbeat hb = { ++p->hb_seq, now_mono_ns() };
	uint8_t *pl;
	size_t n;

	if (heartbeat_encode(&hb, &pl, &n))
		die("heartbeat");
	send_msg(p, MSG_HEARTBEAT, 1, pl, n, tamper, shift, repeat);
	free(pl);
}

/*
 * Reads the next message. Returns 1 with *m filled, 0 on EOF/error,
 * -1 on timeout.
 */
static int read_msg(struct probe *p, struct node_msg *m)
{
	long n;
	int r;

	for (;;) {
		n = frame_check(p->rbuf, p->rlen, sizeof(p->rbuf) - 8);
		if (n < 0)
			return 0;
		if (n > 0) {
			static uint8_t body[1 << 20];

			memcpy(body, p->rbuf + FRAME_HDR_LEN, n - FRAME_HDR_LEN);
			memmove(p->rbuf, p->rbuf + n, p->rlen - n);
			p->rlen -= n;
			if (msg_decode(body, n - FRAME_HDR_LEN, m))
				return 0;
			return 1;
		}
		r = SSL_read(p->ssl, p->rbuf + p->rlen, sizeof(p->rbuf) - p->rlen);
		if (r <= 0) {
			unsigned long e = ERR_peek_error();

			if (errno == EAGAIN && !e)
				return -1;
			if (e) {
				result("tls-failed", ERR_reason_error_string(e) ?: "?");
				exit(0);
			}
			return 0;
		}
		p->rlen += r;
	}
}

/* Waits for the agent's verdict on what we sent. */
static void send_heartbeat(struct probe *p, int tamper, int64_t shift,
			   int repeat);

static void verdict(struct probe *p, bool want_hello)
{
	struct node_msg m;
	struct refuse rf;
	int r;

	for (;;) {
		r = read_msg(p, &m);
		if (r < 0) {
			result("timeout", "");
			return;
		}
		if (r == 0) {
			result("closed", "");
			return;
		}
		if (m.message_type == MSG_REFUSE) {
			if (refuse_decode(m.payload, m.payload_len, &rf))
				strcpy(rf.text, "?");
			result("refused", rf.text);
			return;
		}
		if (m.message_type == MSG_HELLO && want_hello) {
			/* established only if the session really carries traffic */
			send_heartbeat(p, 0, 0, 1);
			want_hello = false;
		}
		if (m.message_type == MSG_HEARTBEAT_ACK && !want_hello) {
			result("accepted", "");
			return;
		}
	}
}

static void count_acks(struct probe *p, int expect)
{
	uint64_t rtt_sum = 0, now;
	struct node_msg m;
	struct heartbeat hb;
	int acks = 0;

	uint64_t deadline = now_mono_ns() + p->timeout_ms * 1000000ULL;

	/* the agent's own heartbeats keep the socket busy: use a deadline */
	while (acks < expect && now_mono_ns() < deadline &&
	       read_msg(p, &m) == 1) {
		if (m.message_type != MSG_HEARTBEAT_ACK ||
		    heartbeat_decode(m.payload, m.payload_len, &hb))
			continue;
		now = now_mono_ns();
		rtt_sum += now - hb.sent_ns;
		acks++;
	}
	printf("result: acks %d rtt_us %.1f\n", acks,
	       acks ? rtt_sum / 1e3 / acks : 0.0);
}

static int control_raw(const char *path, const char *text)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[4096];
	ssize_t n;
	size_t len = 0;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		die("socket path too long");
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		die("cannot connect to the control socket");
	if (write(fd, text, strlen(text)) < 0 || write(fd, "\n", 1) < 0)
		die("write");
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	printf("%s", buf);
	close(fd);
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "cluster", required_argument, NULL, 'L' },
		{ "claim", required_argument, NULL, 'i' },
		{ "to", required_argument, NULL, 't' },
		{ "mode", required_argument, NULL, 'm' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'n' },
		{ "control", required_argument, NULL, 'S' },
		{ "send", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	static struct probe p = { .timeout_ms = 3000, .count = 1, .cluster = "test" };
	const char *ctl_path = NULL, *ctl_text = NULL;
	uint8_t junk[64];
	int c, i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			p.connect = optarg;
			break;
		case 'A':
			p.ca = optarg;
			break;
		case 'C':
			p.cert = optarg;
			break;
		case 'K':
			p.key = optarg;
			break;
		case 'L':
			p.cluster = optarg;
			break;
		case 'i':
			p.claim = optarg;
			break;
		case 't':
			p.to = optarg;
			break;
		case 'm':
			p.mode = optarg;
			break;
		case 'T':
			p.timeout_ms = atoi(optarg);
			break;
		case 'n':
			p.count = atoi(optarg);
			break;
		case 'S':
			ctl_path = optarg;
			break;
		case 's':
			ctl_text = optarg;
			break;
		default:
			die("bad option");
		}
	}
	/* a closed session must print its verdict, not kill us */
	signal(SIGPIPE, SIG_IGN);
	if (ctl_path && ctl_text)
		return control_raw(ctl_path, ctl_text);
	if (!p.connect || !p.mode || !p.to)
		die("need --connect, --to and --mode");
	tcp_connect(&p);
	if (!strcmp(p.mode, "raw-garbage")) {
		RAND_bytes(junk, sizeof(junk));
		junk[0] = 0x16;	/* looks like a TLS record at first */
		if (write(p.fd, junk, sizeof(junk)) < 0)
			die("write");
		i = read(p.fd, junk, sizeof(junk));
		result(i <= 0 ? "closed" : "answered", "");
		return 0;
	}
	if (!p.ca || !p.cert || !p.key)
		die("need --ca, --cert and --key");
	tls_connect(&p);
	if (!strcmp(p.mode, "version")) {
		send_hello(&p, 99, 99);
		verdict(&p, false);
		return 0;
	}
	send_hello(&p, PROTO_VERSION_MIN, PROTO_VERSION_MAX);
	if (!strcmp(p.mode, "hello")) {
		verdict(&p, true);
		return 0;
	}
	/* the remaining modes need an established session first */
	verdict(&p, true);
	if (!strcmp(p.mode, "forge")) {
		send_heartbeat(&p, 5, 0, 1);
		verdict(&p, false);
	} else if (!strcmp(p.mode, "garbage")) {
		RAND_bytes(junk, sizeof(junk));
		junk[0] = 0;
		junk[1] = 0;
		junk[2] = 0;
		junk[3] = 40;
		SSL_write(p.ssl, junk, 44);
		verdict(&p, false);
	} else if (!strcmp(p.mode, "oversize")) {
		memset(junk, 0xff, 8);
		junk[0] = 0x7f;
		SSL_write(p.ssl, junk, 8);
		verdict(&p, false);
	} else if (!strcmp(p.mode, "replay")) {
		/* one fresh, the same again, one stale, one from the future */
		send_heartbeat(&p, 0, 0, 2);
		send_heartbeat(&p, 0, -3600 * 1000LL, 1);
		send_heartbeat(&p, 0, 3600 * 1000LL, 1);
		p.timeout_ms = 1000;
		count_acks(&p, 4);
	} else if (!strcmp(p.mode, "unknown-type")) {
		/* a type from a later version: dropped, the session stays */
		send_msg(&p, MSG_RANGE_CLUSTER + 0x50, 1, junk, 0, 0, 0, 1);
		send_heartbeat(&p, 0, 0, 1);
		count_acks(&p, 1);
	} else if (!strcmp(p.mode, "heartbeat")) {
		for (i = 0; i < p.count; i++) {
			send_heartbeat(&p, 0, 0, 1);
			count_acks(&p, 1);
		}
	} else {
		die("unknown mode");
	}
	return 0;
}
