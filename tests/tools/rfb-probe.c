/* SPDX-License-Identifier: MIT */
/*
 * rfb-probe: speaks the RFB handshake byte by byte (RFC 6143 section 7.1
 * to 7.3) and then sends whatever bytes it is told to, so tests can check
 * the server's exact handshake answers and feed it malformed input. It
 * reports every step on stdout and, at the end, whether the server closed
 * the connection or kept it open.
 *
 *   rfb-probe HOST:PORT [options]
 *     --version 3.3|3.7|3.8      version to answer with (default 3.8)
 *     --version-raw STRING       send these bytes instead (C escapes) and
 *                                stop, unless --continue-as is given
 *     --continue-as 3.3|3.7|3.8  after --version-raw, go on with the
 *                                handshake of that version
 *     --security N               security type to choose (3.7+)
 *     --password P               for VNC authentication (DES via nettle)
 *     --exclusive                ClientInit shared flag 0
 *     --stop-after version|security|init   stop the handshake there
 *     --send-hex "HEX ..."       send bytes after the handshake (repeatable)
 *     --send-zeros N             send N zero bytes after the hex
 *     --request-update           send a full FramebufferUpdateRequest first
 *     --wait-ms N                how long to watch the connection (3000)
 *     --expect-close | --expect-open
 *     --expect-result N          SecurityResult must be N
 *     --expect-failure           the server must refuse (no types/type 0)
 *     --expect-update            a FramebufferUpdate must arrive
 *   exit: 0 expectations met, 1 not met, 2 usage, 3 connection problem
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nettle/des.h>
#include "tool-util.h"

#define PROBE_IO_TIMEOUT_MS 10000

struct probe {
	int fd;
	int minor;
	const char *version_raw;
	bool continue_raw;
	int security;
	const char *password;
	bool exclusive;
	const char *stop_after;
	uint8_t *payload;
	size_t payload_len;
	bool request_update;
	int wait_ms;
	int expect_close;	/* 1 close, 0 open, -1 not checked */
	int expect_result;	/* -1 not checked */
	bool expect_failure;
	bool expect_update;
	/* what happened */
	bool refused;
	int result;
};

/* Read exactly @n bytes: 0, -ECONNRESET on EOF, -ETIMEDOUT. */
static int read_n(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	uint64_t end = now_ms() + PROBE_IO_TIMEOUT_MS;

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(end - now_ms());
		ssize_t r;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = read(fd, p, n);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_n(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Print a peer string safely. */
static void print_str(const uint8_t *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			putchar(s[i]);
		else
			printf("\\x%02x", s[i]);
	}
	putchar('"');
}

/* A U32 length and that many bytes, printed after @label. */
static int read_reason(struct probe *p, const char *label)
{
	uint8_t len[4], *buf;
	uint32_t n;
	int ret;

	ret = read_n(p->fd, len, 4);
	if (ret)
		return ret;
	n = be32(len);
	if (n > 65536) {
		printf("%s length %u (too long)\n", label, n);
		return -EPROTO;
	}
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	ret = read_n(p->fd, buf, n);
	if (!ret) {
		printf("%s ", label);
		print_str(buf, n);
		putchar('\n');
	}
	free(buf);
	return ret;
}

/* DES key for VNC authentication: the password's first 8 bytes with the
 * bits of every byte reversed (doc/protocol.md, "VNC authentication"). */
static void vnc_auth_response(const char *password, uint8_t challenge[16])
{
	struct des_ctx ctx;
	uint8_t key[8] = { 0 };
	size_t i, n = strlen(password);
	int b;

	for (i = 0; i < 8 && i < n; i++) {
		uint8_t c = (uint8_t)password[i], r = 0;

		for (b = 0; b < 8; b++)
			if (c & (1u << b))
				r |= (uint8_t)(0x80u >> b);
		key[i] = r;
	}
	des_fix_parity(8, key, key);
	des_set_key(&ctx, key);
	des_encrypt(&ctx, 16, challenge, challenge);
}

static int do_security(struct probe *p)
{
	uint8_t buf[256], n, type = 0;
	int ret, i;

	if (p->minor == 3) {
		ret = read_n(p->fd, buf, 4);
		if (ret)
			return ret;
		type = (uint8_t)be32(buf);
		printf("security-type %u\n", be32(buf));
		if (be32(buf) == 0) {
			p->refused = true;
			return read_reason(p, "failure");
		}
	} else {
		ret = read_n(p->fd, &n, 1);
		if (ret)
			return ret;
		if (n == 0) {
			printf("security-types none\n");
			p->refused = true;
			return read_reason(p, "failure");
		}
		ret = read_n(p->fd, buf, n);
		if (ret)
			return ret;
		printf("security-types");
		for (i = 0; i < n; i++)
			printf(" %u", buf[i]);
		putchar('\n');
		type = p->security > 0 ? (uint8_t)p->security : buf[0];
		/* With a password, VNC authentication if it is offered:
		 * the probe speaks no other type that takes one. */
		for (i = 0; p->security <= 0 && p->password && i < n; i++)
			if (buf[i] == 2)
				type = 2;
		ret = write_n(p->fd, &type, 1);
		if (ret)
			return ret;
	}
	if (type == 2) {
		uint8_t challenge[16];

		ret = read_n(p->fd, challenge, 16);
		if (ret)
			return ret;
		vnc_auth_response(p->password ? p->password : "", challenge);
		ret = write_n(p->fd, challenge, 16);
		if (ret)
			return ret;
	} else if (type != 1) {
		/* no exchange we know: whatever comes next is the result */
	}
	/* 3.3 and 3.7 send no SecurityResult after None (RFC 6143 7.1.3) */
	if (type == 1 && p->minor < 8)
		return 0;
	ret = read_n(p->fd, buf, 4);
	if (ret)
		return ret;
	p->result = (int)be32(buf);
	printf("security-result %u\n", be32(buf));
	if (p->result != 0 && p->minor >= 8)
		read_reason(p, "reason");
	return p->result == 0 ? 0 : -EACCES;
}

static int do_init(struct probe *p)
{
	uint8_t si[24], shared = p->exclusive ? 0 : 1, *name;
	uint32_t nlen;
	int ret;

	ret = write_n(p->fd, &shared, 1);
	if (ret)
		return ret;
	ret = read_n(p->fd, si, sizeof(si));
	if (ret)
		return ret;
	nlen = be32(si + 20);
	if (nlen > 65536) {
		printf("server-init name length %u (too long)\n", nlen);
		return -EPROTO;
	}
	name = malloc(nlen + 1);
	if (!name)
		return -ENOMEM;
	ret = read_n(p->fd, name, nlen);
	if (!ret) {
		printf("server-init %ux%u bpp %u depth %u be %u tc %u "
		       "max %u,%u,%u shift %u,%u,%u name ",
		       be16(si), be16(si + 2), si[4], si[5], si[6], si[7],
		       be16(si + 8), be16(si + 10), be16(si + 12), si[14],
		       si[15], si[16]);
		print_str(name, nlen);
		putchar('\n');
	}
	free(name);
	return ret;
}

/* Watch the connection for @ms: returns 1 if the server closed it. Counts
 * FramebufferUpdate headers only as "some data arrived". */
static int watch(struct probe *p, int ms, unsigned long *received,
		 bool *update)
{
	uint64_t start = now_ms(), end = start + (uint64_t)ms;
	uint8_t buf[65536];

	for (;;) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		int64_t left = (int64_t)(end - now_ms());
		ssize_t r;

		if (left <= 0) {
			printf("open after %d ms, %lu bytes received\n", ms,
			       *received);
			return 0;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = read(p->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			printf("closed after %lu ms (%s), %lu bytes received\n",
			       (unsigned long)(now_ms() - start),
			       r == 0 ? "EOF" : strerror(errno), *received);
			return 1;
		}
		if (*received == 0 && buf[0] == 0)
			*update = true;
		*received += (unsigned long)r;
	}
}

static int unescape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	while (*s && n < cap) {
		if (*s == '\\' && s[1]) {
			s++;
			switch (*s) {
			case 'n':
				out[n++] = '\n';
				break;
			case 'r':
				out[n++] = '\r';
				break;
			case '0':
				out[n++] = '\0';
				break;
			case 'x': {
				unsigned v;

				if (sscanf(s + 1, "%2x", &v) != 1)
					return -1;
				out[n++] = (char)v;
				s += 2;
				break;
			}
			default:
				out[n++] = *s;
			}
			s++;
		} else {
			out[n++] = *s++;
		}
	}
	return (int)n;
}

static int add_hex(struct probe *p, const char *hex)
{
	while (*hex) {
		unsigned v;
		uint8_t *np;

		if (*hex == ' ' || *hex == ':' || *hex == ',') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1 || !hex[1])
			return -1;
		np = realloc(p->payload, p->payload_len + 1);
		if (!np)
			return -1;
		p->payload = np;
		p->payload[p->payload_len++] = (uint8_t)v;
		hex += 2;
	}
	return 0;
}

static int add_zeros(struct probe *p, size_t n)
{
	uint8_t *np = realloc(p->payload, p->payload_len + n);

	if (!np)
		return -1;
	memset(np + p->payload_len, 0, n);
	p->payload = np;
	p->payload_len += n;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rfb-probe HOST:PORT [--version 3.3|3.7|3.8] "
		"[--version-raw S [--continue-as V]]\n"
		"  [--security N] [--password P] [--exclusive]\n"
		"  [--stop-after version|security|init] [--send-hex HEX]...\n"
		"  [--send-zeros N] [--request-update] [--wait-ms N]\n"
		"  [--expect-close|--expect-open] [--expect-result N]\n"
		"  [--expect-failure] [--expect-update]\n");
}

static int handshake(struct probe *p)
{
	char version[13], raw[64];
	int ret, n;

	ret = read_n(p->fd, version, 12);
	if (ret)
		return ret;
	version[12] = '\0';
	printf("server-version ");
	print_str((uint8_t *)version, 12);
	putchar('\n');
	if (p->version_raw) {
		n = unescape(p->version_raw, raw, sizeof(raw));
		if (n < 0)
			return -EINVAL;
		ret = write_n(p->fd, raw, (size_t)n);
	} else {
		snprintf(version, sizeof(version), "RFB 003.%03d\n", p->minor);
		ret = write_n(p->fd, version, 12);
	}
	if (ret || (p->stop_after && !strcmp(p->stop_after, "version")) ||
	    (p->version_raw && !p->continue_raw))
		return ret;
	ret = do_security(p);
	if (ret || p->refused ||
	    (p->stop_after && !strcmp(p->stop_after, "security")))
		return ret;
	return do_init(p);
}

int main(int argc, char **argv)
{
	struct probe p = { .fd = -1, .minor = 8, .security = -1,
			   .wait_ms = 3000, .expect_close = -1,
			   .expect_result = -1, .result = -1 };
	const char *addr = NULL;
	unsigned long received = 0;
	bool update = false, ok = true;
	int i, ret, closed;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--version") && v) {
			i++;
			if (!strcmp(v, "3.3"))
				p.minor = 3;
			else if (!strcmp(v, "3.7"))
				p.minor = 7;
			else if (!strcmp(v, "3.8"))
				p.minor = 8;
			else {
				usage();
				return 2;
			}
		} else if (!strcmp(a, "--version-raw") && v) {
			p.version_raw = argv[++i];
		} else if (!strcmp(a, "--continue-as") && v) {
			i++;
			p.continue_raw = true;
			if (!strcmp(v, "3.3"))
				p.minor = 3;
			else if (!strcmp(v, "3.7"))
				p.minor = 7;
			else if (!strcmp(v, "3.8"))
				p.minor = 8;
			else {
				usage();
				return 2;
			}
		} else if (!strcmp(a, "--security") && v) {
			p.security = atoi(argv[++i]);
		} else if (!strcmp(a, "--password") && v) {
			p.password = argv[++i];
		} else if (!strcmp(a, "--exclusive")) {
			p.exclusive = true;
		} else if (!strcmp(a, "--stop-after") && v) {
			p.stop_after = argv[++i];
		} else if (!strcmp(a, "--send-hex") && v) {
			if (add_hex(&p, argv[++i])) {
				fprintf(stderr, "rfb-probe: bad hex %s\n", v);
				return 2;
			}
		} else if (!strcmp(a, "--send-zeros") && v) {
			if (add_zeros(&p, (size_t)atol(argv[++i])))
				return 2;
		} else if (!strcmp(a, "--request-update")) {
			p.request_update = true;
		} else if (!strcmp(a, "--wait-ms") && v) {
			p.wait_ms = atoi(argv[++i]);
		} else if (!strcmp(a, "--expect-close")) {
			p.expect_close = 1;
		} else if (!strcmp(a, "--expect-open")) {
			p.expect_close = 0;
		} else if (!strcmp(a, "--expect-result") && v) {
			p.expect_result = atoi(argv[++i]);
		} else if (!strcmp(a, "--expect-failure")) {
			p.expect_failure = true;
		} else if (!strcmp(a, "--expect-update")) {
			p.expect_update = true;
		} else if (a[0] != '-' && !addr) {
			addr = a;
		} else {
			usage();
			return 2;
		}
	}
	if (!addr) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	p.fd = tool_connect_to(addr);
	if (p.fd < 0) {
		fprintf(stderr, "rfb-probe: cannot connect to %s\n", addr);
		return 3;
	}

	ret = handshake(&p);
	if (ret && ret != -EACCES) {
		printf("handshake ended: %s\n", strerror(-ret));
		if (p.expect_close != 1 && !p.expect_failure &&
		    p.expect_result < 0)
			return 3;
	}
	if (!ret && !p.refused && !p.stop_after) {
		if (p.request_update) {
			uint8_t req[10] = { 3, 0, 0, 0, 0, 0, 0xff, 0xff,
					    0xff, 0xff };

			/* w/h 65535: the server must clip it (doc/protocol.md,
			 * "Framebuffer updates") */
			ret = write_n(p.fd, req, sizeof(req));
		}
		if (!ret && p.payload_len) {
			ret = write_n(p.fd, p.payload, p.payload_len);
			printf("sent %zu bytes%s\n", p.payload_len,
			       ret ? " (partly: the server closed)" : "");
		}
	}
	fflush(stdout);
	closed = watch(&p, p.wait_ms, &received, &update);

	if (p.expect_close == 1 && !closed) {
		printf("FAIL: the server kept the connection open\n");
		ok = false;
	}
	if (p.expect_close == 0 && closed) {
		printf("FAIL: the server closed the connection\n");
		ok = false;
	}
	if (p.expect_result >= 0 && p.result != p.expect_result) {
		printf("FAIL: SecurityResult %d, expected %d\n", p.result,
		       p.expect_result);
		ok = false;
	}
	if (p.expect_failure && !p.refused) {
		printf("FAIL: the server did not refuse the connection\n");
		ok = false;
	}
	if (p.expect_update && !update) {
		printf("FAIL: no FramebufferUpdate arrived\n");
		ok = false;
	}
	close(p.fd);
	free(p.payload);
	return ok ? 0 : 1;
}
