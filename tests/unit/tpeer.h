/* SPDX-License-Identifier: MIT */
/*
 * A scripted RFB viewer for unit tests. It owns one end of a real socket
 * whose other end a server on the same event loop serves, queues what the
 * test sends, collects what the server answers, and decodes server
 * messages with code written here from the spec (RFC 6143 §7.6-7.7),
 * keeping a model of the framebuffer a viewer would show. Tests run the
 * loop until the bytes they expect have arrived; a deadline only turns a
 * hang into a failure and is never a timing assertion.
 */
#ifndef XRFB_TEST_TPEER_H
#define XRFB_TEST_TPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xrfb.h"

/* How long a test waits for bytes before it calls the server hung. */
#define TPEER_DEADLINE_MS 30000

/* A pixel format as the viewer understands it (parsed here, not by the
 * server's pixfmt.c). */
struct tpeer_pf {
	int bpp;
	bool big_endian, true_colour;
	unsigned max[3];	/* r, g, b */
	unsigned shift[3];
};

struct tpeer_rect {
	int x, y, w, h;
	int32_t enc;
	int src_x, src_y;	/* CopyRect */
	size_t data_off;	/* payload offset in the message */
	size_t data_len;
};

struct tpeer_msg {
	uint8_t type;
	uint8_t *data;		/* the whole message */
	size_t len;
	unsigned nrects;
	struct tpeer_rect *rects;
};

struct tpeer {
	struct xrfb_loop *loop;
	int fd;
	struct xrfb_watch *watch;
	bool reading;		/* false: leave the bytes in the socket */
	bool eof;
	int error;		/* errno of a failed read or write */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_cap;
	size_t received;	/* total bytes read */

	/* From the handshake. */
	int minor;
	int width, height;
	uint8_t server_pf[16];
	struct tpeer_pf pf;	/* what updates are sent in */
	char name[256];
	uint32_t *fb;		/* model framebuffer, XRGB8888 */
	uint16_t cmap[256][3];	/* from SetColourMapEntries */
	bool colour_map_seen;
};

/* Connect to 127.0.0.1:@port; @rcvbuf > 0 shrinks the receive buffer. */
void tpeer_open_tcp(struct tpeer *p, struct xrfb_loop *loop, uint16_t port,
		    int rcvbuf);
/* Use an already connected socket (e.g. one end of a socketpair). */
void tpeer_open_fd(struct tpeer *p, struct xrfb_loop *loop, int fd);
void tpeer_close(struct tpeer *p);
/* Stop (false) or resume (true) reading from the socket. */
void tpeer_set_reading(struct tpeer *p, bool reading);

/* Run @loop until @cond(@arg) holds; false if the deadline passed. */
bool test_run_until(struct xrfb_loop *loop, bool (*cond)(void *arg),
		    void *arg);

/* Queue bytes to the server (flushed by the loop). */
void tpeer_send(struct tpeer *p, const void *data, size_t len);
/* Run the loop until everything queued has been written. */
void tpeer_flush(struct tpeer *p);
/* Wait for @n buffered bytes; false on EOF or deadline before that. */
bool tpeer_wait(struct tpeer *p, size_t n);
/* Wait for exactly these bytes next (asserts) and consume them. */
void tpeer_expect(struct tpeer *p, const void *bytes, size_t n);
/* Wait for the server to close, asserting nothing else arrives first. */
void tpeer_expect_eof(struct tpeer *p);
/* Consume buffered bytes (after tpeer_wait). */
void tpeer_consume(struct tpeer *p, size_t n);
uint32_t tpeer_take_u32(struct tpeer *p);

/* The version string, security and ClientInit/ServerInit for security
 * None (@password NULL) or VNC auth. Asserts every byte of the exchange. */
void tpeer_handshake(struct tpeer *p, int minor, const char *password,
		     bool shared);
/* The same, answering the server's version with @version (12 bytes),
 * which the server must take as 3.@minor. */
void tpeer_handshake_as(struct tpeer *p, const char *version, int minor,
			const char *password, bool shared);
/* Check a ServerInit already expected next and record its fields. */
void tpeer_read_server_init(struct tpeer *p);

/* Client messages. */
void tpeer_set_encodings(struct tpeer *p, const int32_t *enc, int n);
void tpeer_set_pixel_format(struct tpeer *p, const struct tpeer_pf *pf,
			    int depth);
void tpeer_request(struct tpeer *p, bool incremental, int x, int y, int w,
		   int h);

/* Wait for the next complete server message and decode it; updates are
 * applied to the model framebuffer (Raw, CopyRect, size changes) after
 * checking every rectangle lies inside the framebuffer. Asserts. */
void tpeer_next_msg(struct tpeer *p, struct tpeer_msg *m);
void tpeer_msg_fini(struct tpeer_msg *m);
/* Convenience: next message must be a FramebufferUpdate. */
void tpeer_next_update(struct tpeer *p, struct tpeer_msg *m);
/* Count rectangles of encoding @enc in @m. */
unsigned tpeer_count_enc(const struct tpeer_msg *m, int32_t enc);

/* Compare the model with the server's pixels; on mismatch, (*x, *y) get the
 * first differing pixel and false is returned. */
bool tpeer_model_matches(const struct tpeer *p, const struct xrfb_server *s,
			 int *x, int *y);

/* Decode one pixel of @pf at @b to XRGB8888 (channels scaled to 8 bits
 * by rounding; colour-map indexes looked up in @map, 16-bit entries). */
uint32_t tpeer_pf_decode(const struct tpeer_pf *pf,
			 const uint16_t (*map)[3], const uint8_t *b);
/* Parse a 16-byte PIXEL_FORMAT. */
void tpeer_pf_parse(struct tpeer_pf *pf, const uint8_t wire[16]);

#endif
