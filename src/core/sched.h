/* SPDX-License-Identifier: MIT */
/*
 * Update scheduling for one client: what it must still be sent (damage,
 * pending moves), its outstanding requests, what its updates carry (pixel
 * format, encoding and its settings, pseudo-rectangles it listed), and
 * building FramebufferUpdates when it asked and may take one.
 */
#ifndef XRFB_SCHED_H
#define XRFB_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "fair.h"
#include "pixfmt.h"
#include "region.h"

struct encoder;
struct flow;
struct conn;
struct xrfb_timer;

#define SCHED_MAX_ENCODERS 16
/* SetDesktopSize answers a client may have outstanding. */
#define SCHED_MAX_EDS_REPLIES 8

struct sched {
	struct conn *conn;
	struct flow *flow;

	/* Negotiated by SetPixelFormat / SetEncodings. */
	struct pixconv pc;
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
	bool drew_cursor;		/* before this SetEncodings */
	bool has_preferred;		/* this SetEncodings named one */
	unsigned cursor_serial, pos_serial, led_serial, name_serial;
	uint16_t last_x, last_y;	/* this client's last pointer event */
	int quality, fine_quality, subsampling, compress;
	unsigned enc_flags;		/* enum enc_flags */
	struct encoder *encoders[SCHED_MAX_ENCODERS];
	/* H.264 for the moving area (doc/protocol.md, "H.264"): whether
	 * the client listed it, its encoder, the rectangle its decoder is
	 * keyed by (w == 0: none yet) and whether the next picture must be
	 * a key frame. */
	bool want_h264;
	struct encoder *h264;
	struct rect h264_box;
	bool h264_key;

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
	uint8_t eds_replies[SCHED_MAX_EDS_REPLIES];
	unsigned n_eds_replies;
	unsigned eds_replies_queued;	/* ever; tells if one was added */
	uint64_t last_update_ms;
	/* After an update, until the next request: the screen may be read
	 * once ahead (sched_wants_capture_ahead()). */
	bool ahead;
	/* Bytes of the update being built already sent (sched_stream()),
	 * its header with count 0xFFFF included; 0: none yet. */
	size_t streamed;
	struct xrfb_timer *pace_timer;
	struct fair fair;		/* CPU share, full refresh rate */
	/* What the client holds lossy, re-sent lossless once still
	 * (motion.h); the timer runs only while it is not empty. */
	region_t lossy;
	struct xrfb_timer *refresh_timer;

	/* Statistics. */
	uint64_t updates_sent, bytes_sent;
};

/* How long after an update the screen may be read ahead of the next
 * request. */
#define SCHED_AHEAD_MS 250

/* Whether the screen may be read now for this client's next update,
 * before it asks for it: once after each update, for SCHED_AHEAD_MS.
 * The viewer decodes meanwhile; when its request comes, only encoding
 * is left. */
bool sched_wants_capture_ahead(const struct sched *sc, uint64_t now_ms);
/* The screen was read: what was read ahead is used up. */
void sched_captured(struct sched *sc);

/* @flow: the same client's flow control, asked before each update. */
void sched_init(struct sched *sc, struct conn *conn, struct flow *flow);
void sched_fini(struct sched *sc);

/* SetPixelFormat with a checked format (sends the colour map if any). */
void sched_set_pixel_format(struct sched *sc, const struct pixfmt *pf);
/* SetEncodings, in three steps: forget the last list; take @encoding if
 * it is one of the scheduler's (true if taken); then act on the change. */
void sched_encodings_reset(struct sched *sc);
bool sched_encoding(struct sched *sc, int32_t encoding);
void sched_encodings_done(struct sched *sc);
/* The encoding data rectangles use, by name, and whether moves go out
 * as CopyRect. */
const char *sched_encoding_name(const struct sched *sc);
bool sched_uses_copyrect(const struct sched *sc);
/* What the message handlers ask: QEMU key events and extended mouse
 * buttons are allowed once confirmed; SetDesktopSize needs the client
 * to have listed ExtendedDesktopSize. */
bool sched_qemu_key_confirmed(const struct sched *sc);
bool sched_ext_mouse_confirmed(const struct sched *sc);
bool sched_wants_ext_desktop_size(const struct sched *sc);
/* The client moved its pointer to (@x, @y): never echoed back. */
void sched_pointer(struct sched *sc, uint16_t x, uint16_t y);

/* Pixels changed in @r (framebuffer coordinates). */
void sched_add_damage(struct sched *sc, const region_t *r);
/* The server moved @dst_region's content from (x-dx, y-dy). */
void sched_add_copy(struct sched *sc, const region_t *dst, int dx, int dy);
/* The framebuffer changed size. */
void sched_resized(struct sched *sc);
/* The screen layout changed (not the size). */
void sched_screens_changed(struct sched *sc);
/* The cursor moved or changed: damage it for clients that draw it. */
void sched_cursor_damage(struct sched *sc, const struct rect *box);
/* Answer a SetDesktopSize with @status (reason 1). */
void sched_desktop_size_reply(struct sched *sc, int status);
/* How many such answers were ever queued (tells if one was added). */
unsigned sched_desktop_size_replies(const struct sched *sc);
/* True if the client needs the cursor drawn into its pixels. */
bool sched_draws_cursor(const struct sched *sc);
/* A FramebufferUpdateRequest arrived. */
void sched_request(struct sched *sc, bool incremental, int x, int y, int w,
		   int h);
/* True if the client waits for an update and can take one. */
bool sched_wants_update(const struct sched *sc);
/* True if --max-fps holds the client's next update back until its pace
 * timer fires. */
bool sched_paced(const struct sched *sc, uint64_t now_ms);
/* Send an update if one is due. */
void sched_run(struct sched *sc);

#endif
