/* SPDX-License-Identifier: MIT */
/*
 * One connected viewer: the handshake state machine, the messages it
 * sends, and its update state. Clients die in two phases: client_close()
 * marks, unlinks from I/O and tells the embedder; the server frees the
 * struct in its next pass, when nothing is on the stack that refers to it.
 */
#ifndef XRFB_CLIENT_H
#define XRFB_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "clipboard.h"
#include "encoder.h"
#include "fair.h"
#include "flow.h"
#include "pixfmt.h"
#include "region.h"
#include "rfb-parse.h"
#include "sec-vncauth.h"
#include "xrfb.h"

struct stream;

enum client_state {
	CLIENT_STATE_VERSION,		/* waiting for ProtocolVersion */
	CLIENT_STATE_SECURITY_TYPE,	/* 3.7/3.8: waiting for the choice */
	CLIENT_STATE_VNCAUTH,		/* waiting for the 16-byte response */
	CLIENT_STATE_CLIENT_INIT,	/* waiting for ClientInit */
	CLIENT_STATE_NORMAL,
	CLIENT_STATE_CLOSED,
};

/* Bytes queued beyond which a client gets no new update until it drains. */
#define CLIENT_SEND_BUDGET (1u << 20)

/* A client that lets this much pile up (replies to its own messages,
 * bells, clipboard) without reading is closed. */
#define CLIENT_QUEUE_HARD_MAX (64u << 20)

/* Messages handled in one pass over a client's input; the rest waits
 * for the next loop iteration, so one client cannot hold the loop. */
#define CLIENT_MSGS_PER_PASS 256

#define CLIENT_MAX_ENCODERS 16
/* SetDesktopSize answers a client may have outstanding. */
#define CLIENT_MAX_EDS_REPLIES 8

struct xrfb_client {
	struct xrfb_server *server;
	struct xrfb_client *prev, *next;
	unsigned id;
	char peer[64];
	struct stream *stream;
	enum client_state state;
	int minor;			/* 3, 7 or 8 */
	uint8_t challenge[VNCAUTH_CHALLENGE_LEN];
	bool ready_reported;
	bool linger;			/* closed, but flushing a last reply */
	/* Told when the struct is freed: reverse connections and adopted
	 * sockets (see server_release_client()). */
	void (*release_fn)(void *arg, struct xrfb_client *c);
	void *release_arg;
	void *user_data;		/* xrfb_client_set_data() */

	/* Negotiated by SetPixelFormat / SetEncodings. */
	struct pixconv pc;
	struct rfb_parse_opts parse;
	int32_t preferred;		/* encoding for data rects */
	bool use_copyrect;
	bool want_desktop_size;
	bool want_ext_desktop_size;
	bool want_last_rect;
	bool want_desktop_name;
	bool want_cursor, want_xcursor, want_pointer_pos;
	bool want_qemu_key, want_qemu_led, want_ext_mouse;
	bool confirm_qemu_key, confirm_ext_mouse;	/* owed, once */
	bool confirmed_qemu_key, confirmed_ext_mouse;
	unsigned cursor_serial, pos_serial, led_serial, name_serial;
	uint16_t last_x, last_y;	/* this client's last pointer event */
	/* Pointer motion not yet injected: consecutive events with the
	 * same buttons collapse to the latest position. */
	bool pointer_pending;
	uint16_t pointer_x, pointer_y;
	uint32_t pointer_buttons;
	/* Input left unparsed by a pass that reached its message limit. */
	struct xrfb_timer *more_timer;
	int quality, fine_quality, subsampling, compress;
	unsigned enc_flags;		/* enum enc_flags */
	struct encoder *encoders[CLIENT_MAX_ENCODERS];

	struct flow flow;
	struct fair fair;
	struct clip_client clip;

	/* Update state. */
	bool has_request;
	region_t requested;		/* union of pending requests */
	region_t damage;		/* areas the client must be sent */
	region_t copy;			/* destinations of a pending move */
	int copy_dx, copy_dy;
	bool resize_pending;		/* size changed since last update */
	bool eds_pending;		/* ExtendedDesktopSize owed */
	uint8_t eds_reason, eds_status;
	/* Answers to its SetDesktopSize requests (reason 1): one each, in
	 * order, never merged (doc/protocol.md, "Desktop size"). */
	uint8_t eds_replies[CLIENT_MAX_EDS_REPLIES];
	unsigned n_eds_replies;
	unsigned eds_replies_queued;	/* ever; tells if one was added */
	uint64_t last_update_ms;
	struct xrfb_timer *pace_timer;

	/* Statistics. */
	uint64_t updates_sent, bytes_sent;
};

/* Take over a connected socket and start the handshake. */
struct xrfb_client *client_new(struct xrfb_server *s, int fd,
			       const char *peer);
/* The same on a stream that is already set up (it is taken over). */
struct xrfb_client *client_new_stream(struct xrfb_server *s,
				      struct stream *st, const char *peer);
/* Close with a logged reason (NULL: normal close). Idempotent. */
void client_close_reason(struct xrfb_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Free a closed client (server only). */
void client_free(struct xrfb_client *c);
/* This client's state for encoder @type (created on first use). */
struct encoder *client_encoder(struct xrfb_client *c, int32_t type);
/* Close the client if it stopped reading while replies pile up. */
void client_check_queue(struct xrfb_client *c);
/* Send bytes as they are. */
int client_send(struct xrfb_client *c, const void *data, size_t len);
bool client_is_normal(const struct xrfb_client *c);

/* sched.c: damage bookkeeping and building updates. */
void sched_client_init(struct xrfb_client *c);
void sched_client_fini(struct xrfb_client *c);
/* Pixels changed in @r (framebuffer coordinates). */
void sched_add_damage(struct xrfb_client *c, const region_t *r);
/* The server moved @dst_region's content from (x-dx, y-dy). */
void sched_add_copy(struct xrfb_client *c, const region_t *dst, int dx,
		    int dy);
/* The framebuffer changed size. */
void sched_resized(struct xrfb_client *c);
/* The cursor moved or changed: damage it for clients that draw it. */
void sched_cursor_damage(struct xrfb_client *c, const struct rect *box);
/* Answer a SetDesktopSize with @status (reason 1). */
void sched_desktop_size_reply(struct xrfb_client *c, int status);
/* True if the client needs the cursor drawn into its pixels. */
bool client_draws_cursor(const struct xrfb_client *c);
/* A FramebufferUpdateRequest arrived. */
void sched_request(struct xrfb_client *c, bool incremental, int x, int y,
		   int w, int h);
/* True if the client waits for an update and can take one. */
bool sched_wants_update(const struct xrfb_client *c);
/* Send an update if one is due. */
void sched_run(struct xrfb_client *c);

#endif
