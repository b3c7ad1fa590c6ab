/* SPDX-License-Identifier: MIT */
/*
 * Per-client update scheduling: what each client still has to be sent
 * (damage), pending moves (CopyRect), outstanding requests, and building
 * FramebufferUpdates when a request is outstanding and the client's send
 * queue is under its budget. A slow client's damage simply accumulates:
 * updates coalesce instead of queueing.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "encoder.h"
#include "h264.h"
#include "flow.h"
#include "log.h"
#include "rfb-proto.h"
#include "sched.h"
#include "server-state.h"
#include "conn.h"
#include "stream.h"

/* Above this many rectangles a region is sent as its bounding box. */
#define SCHED_MAX_RECTS 256
/* Rectangles side by side in one band of a region, at most this far
 * apart, are sent as one by encodings that compress: the unchanged
 * pixels between them cost less than another rectangle's header, length
 * and flush (merge_gaps()). Then up to SCHED_MERGE_MAX_BOXES rectangles
 * are joined into bounding boxes that add at most SCHED_MERGE_AREA
 * unchanged pixels, or more for large changes (merge_boxes()). */
#define SCHED_MERGE_GAP 32
#define SCHED_MERGE_AREA (32 * 16)
#define SCHED_MERGE_MAX_BOXES 32
#define SCHED_MERGE_MAX_EXTRA (128 * 128)
/* A CopyRect smaller than this is sent as pixels (small_copies_to_pixels()). */
#define SCHED_MIN_COPY 1024
/* An update is sent while it is built in pieces of at least this many
 * bytes (sched_stream()). */
#define SCHED_STREAM_MIN (64 * 1024)

static void on_fair_kick(void *arg);
static void on_full_refresh_due(void *arg, const region_t *area);

void sched_init(struct sched *sc, struct conn *conn, struct flow *flow)
{
	memset(sc, 0, sizeof(*sc));
	sc->conn = conn;
	sc->flow = flow;
	sc->preferred = RFB_ENC_RAW;
	sc->quality = sc->fine_quality = sc->subsampling = sc->compress = -1;
	pixconv_init(&sc->pc, &conn->server->format);
	pixman_region32_init(&sc->requested);
	pixman_region32_init(&sc->damage);
	pixman_region32_init(&sc->copy);
	pixman_region32_init(&sc->lossy);
	fair_init(&sc->fair, conn->server->loop, on_fair_kick,
		  on_full_refresh_due, sc);
}

void sched_fini(struct sched *sc)
{
	xrfb_timer_cancel(sc->pace_timer);
	sc->pace_timer = NULL;
	xrfb_timer_cancel(sc->refresh_timer);
	sc->refresh_timer = NULL;
	for (int i = 0; i < SCHED_MAX_ENCODERS; i++)
		if (sc->encoders[i])
			sc->encoders[i]->ops->free_state(sc->encoders[i]);
	if (sc->h264)
		sc->h264->ops->free_state(sc->h264);
	pixman_region32_fini(&sc->requested);
	pixman_region32_fini(&sc->damage);
	pixman_region32_fini(&sc->copy);
	pixman_region32_fini(&sc->lossy);
	fair_fini(&sc->fair);
}

static void on_fair_kick(void *arg)
{
	struct sched *sc = arg;

	server_state_kick(sc->conn->server);
}



void sched_add_damage(struct sched *sc, const region_t *r)
{
	pixman_region32_union(&sc->damage, &sc->damage, (region_t *)r);
}

static void copy_to_damage(struct sched *sc)
{
	pixman_region32_union(&sc->damage, &sc->damage, &sc->copy);
	pixman_region32_clear(&sc->copy);
}

bool sched_draws_cursor(const struct sched *sc)
{
	return !sc->want_cursor && !sc->want_xcursor;
}

void sched_cursor_damage(struct sched *sc, const struct rect *box)
{
	if (sched_draws_cursor(sc)) {
		pixman_region32_union_rect(&sc->damage, &sc->damage, box->x,
					   box->y, (unsigned)box->w,
					   (unsigned)box->h);
		server_state_kick(sc->conn->server);
	}
}

static void sched_add_copy_inner(struct sched *sc, const region_t *dst,
				 int dx, int dy);

void sched_add_copy(struct sched *sc, const region_t *dst, int dx,
		    int dy)
{
	struct xrfb_server *s = sc->conn->server;
	struct rect box;

	sched_add_copy_inner(sc, dst, dx, dy);
	/* A cursor drawn into this client's pixels moved with them: where
	 * the copy covers the cursor, the client loses it; where the copy
	 * takes it along, the client sees a stale one. */
	if (sched_draws_cursor(sc) && cursor_box(&s->cursor, &s->fb, &box)) {
		struct rect to = { box.x + dx, box.y + dy, box.w, box.h };

		if (region_meets(dst, &box))
			sched_cursor_damage(sc, &box);
		if (region_meets(dst, &to) && fb_clip(&s->fb, &to))
			sched_cursor_damage(sc, &to);
	}
}

static void sched_add_copy_inner(struct sched *sc, const region_t *dst,
				 int dx, int dy)
{
	region_t src_damage, tmp;

	if (!sc->use_copyrect) {
		sched_add_damage(sc, dst);
		return;
	}
	pixman_region32_init(&src_damage);
	pixman_region32_init(&tmp);

	/* A pending move with another offset, or one this move touches,
	 * is resent as pixels: one batch of CopyRects has one offset and
	 * must not depend on the order the client applies them in. */
	if (pixman_region32_not_empty(&sc->copy)) {
		bool clash = dx != sc->copy_dx || dy != sc->copy_dy;

		if (!clash) {
			pixman_region32_intersect(&tmp, &sc->copy,
						  (region_t *)dst);
			clash = pixman_region32_not_empty(&tmp);
		}
		if (!clash) {
			pixman_region32_copy(&tmp, (region_t *)dst);
			pixman_region32_translate(&tmp, -dx, -dy);
			pixman_region32_intersect(&tmp, &tmp, &sc->copy);
			clash = pixman_region32_not_empty(&tmp);
		}
		if (!clash) {
			pixman_region32_copy(&tmp, &sc->copy);
			pixman_region32_translate(&tmp, -dx, -dy);
			pixman_region32_intersect(&tmp, &tmp, (region_t *)dst);
			clash = pixman_region32_not_empty(&tmp);
		}
		if (clash)
			copy_to_damage(sc);
	}

	/* Where the source is stale at the client, the destination is
	 * stale too: move that damage along with the pixels. */
	pixman_region32_copy(&src_damage, &sc->damage);
	pixman_region32_translate(&src_damage, dx, dy);
	pixman_region32_subtract(&sc->damage, &sc->damage, (region_t *)dst);
	pixman_region32_intersect(&tmp, &src_damage, (region_t *)dst);
	pixman_region32_union(&sc->damage, &sc->damage, &tmp);

	pixman_region32_subtract(&tmp, (region_t *)dst, &src_damage);
	pixman_region32_union(&sc->copy, &sc->copy, &tmp);
	sc->copy_dx = dx;
	sc->copy_dy = dy;

	pixman_region32_fini(&tmp);
	pixman_region32_fini(&src_damage);
}

static void full_damage(struct sched *sc)
{
	struct xrfb_server *s = sc->conn->server;

	pixman_region32_union_rect(&sc->damage, &sc->damage, 0, 0,
				   (unsigned)s->fb.width,
				   (unsigned)s->fb.height);
}

void sched_resized(struct sched *sc)
{
	struct xrfb_server *s = sc->conn->server;

	pixman_region32_clear(&sc->copy);
	pixman_region32_clear(&sc->damage);
	pixman_region32_clear(&sc->lossy);
	/* The video starts afresh, and the client drops its decoders. */
	if (sc->h264)
		sc->h264->ops->free_state(sc->h264);
	sc->h264 = NULL;
	sc->h264_box.w = 0;
	pixman_region32_intersect_rect(&sc->requested, &sc->requested, 0, 0,
				       (unsigned)s->fb.width,
				       (unsigned)s->fb.height);
	full_damage(sc);
	flow_resized(sc->flow);
	if (!conn_is_normal(sc->conn))
		return;
	if (!sc->want_desktop_size && !sc->want_ext_desktop_size) {
		conn_close(sc->conn, "desktop resized and the client "
				       "cannot follow (no DesktopSize)");
		return;
	}
	sc->resize_pending = true;
	/* Reason 1 answers this client's own SetDesktopSize; 2 tells the
	 * others a client changed it; 0 is any other change. */
	if (sc->want_ext_desktop_size) {
		struct xrfb_client *req = s->resizing_client;

		if (req == sc->conn->client) {
			sched_desktop_size_reply(sc, 0);
		} else {
			sc->eds_pending = true;
			sc->eds_reason = req ? 2 : 0;
			sc->eds_status = 0;
		}
	}
}

void sched_screens_changed(struct sched *sc)
{
	const struct xrfb_server *s = sc->conn->server;

	/* Clients that follow layouts hear of it like a resize; one that
	 * asked for it gets its answer (reason 1) with the new layout. */
	if (conn_is_normal(sc->conn) && sc->want_ext_desktop_size &&
	    sc->conn->client != s->resizing_client && !sc->eds_pending) {
		sc->eds_pending = true;
		sc->eds_reason = s->resizing_client ? 2 : 0;
		sc->eds_status = 0;
	}
}

unsigned sched_desktop_size_replies(const struct sched *sc)
{
	return sc->eds_replies_queued;
}

void sched_desktop_size_reply(struct sched *sc, int status)
{
	/* A client that floods requests without reading loses the
	 * oldest answers, not the newest. */
	if (sc->n_eds_replies == SCHED_MAX_EDS_REPLIES) {
		memmove(sc->eds_replies, sc->eds_replies + 1,
			SCHED_MAX_EDS_REPLIES - 1);
		sc->n_eds_replies--;
	}
	sc->eds_replies[sc->n_eds_replies++] = (uint8_t)status;
	sc->eds_replies_queued++;
	server_state_kick(sc->conn->server);
}

/* Pending moves into @r go as pixels: the client may not have what
 * they would copy. */
static void moves_to_pixels(struct sched *sc, struct rect r)
{
	region_t in;

	pixman_region32_init(&in);
	pixman_region32_intersect_rect(&in, &sc->copy, r.x, r.y,
				       (unsigned)r.w, (unsigned)r.h);
	pixman_region32_union(&sc->damage, &sc->damage, &in);
	pixman_region32_subtract(&sc->copy, &sc->copy, &in);
	pixman_region32_fini(&in);
}

/* The client lost @r: resend it whole, and never through CopyRect; its
 * video picture starts afresh with a key frame. */
static void full_refresh_area(struct sched *sc, struct rect r)
{
	pixman_region32_union_rect(&sc->damage, &sc->damage, r.x, r.y,
				   (unsigned)r.w, (unsigned)r.h);
	pixman_region32_subtract(&sc->copy, &sc->copy, &sc->damage);
	sc->h264_key = true;
}

static void on_full_refresh_due(void *arg, const region_t *area)
{
	struct sched *sc = arg;
	struct xrfb_server *s = sc->conn->server;
	region_t a;

	if (!conn_is_normal(sc->conn))
		return;
	/* Clipped to the framebuffer: it may have shrunk meanwhile. */
	pixman_region32_init(&a);
	pixman_region32_intersect_rect(&a, (region_t *)area, 0, 0,
				       (unsigned)s->fb.width,
				       (unsigned)s->fb.height);
	pixman_region32_union(&sc->requested, &sc->requested, &a);
	pixman_region32_union(&sc->damage, &sc->damage, &a);
	pixman_region32_subtract(&sc->copy, &sc->copy, &sc->damage);
	pixman_region32_fini(&a);
	sc->h264_key = true;
	/* The request it came with may have been answered meanwhile. */
	sc->has_request = true;
	server_state_kick(s);
}

void sched_request(struct sched *sc, bool incremental, int x, int y,
		   int w, int h)
{
	struct xrfb_server *s = sc->conn->server;
	struct rect r = { x, y, w, h };

	log_trace("client %u: %s request %dx%d+%d+%d", sc->conn->id,
		  incremental ? "incremental" : "full", w, h, x, y);
	/* With continuous updates on, incremental requests mean nothing. */
	if (incremental && flow_continuous(sc->flow))
		return;
	sc->has_request = true;
	/* Requests made before a resize reached the client may lie
	 * outside: clip them (doc/protocol.md, "Framebuffer updates"). */
	if (fb_clip(&s->fb, &r)) {
		pixman_region32_union_rect(&sc->requested, &sc->requested, r.x,
					   r.y, (unsigned)r.w, (unsigned)r.h);
		/* Full refreshes are rate limited (fair.c); meanwhile the
		 * request is answered as an incremental one, moves into
		 * the area sent as pixels. */
		if (!incremental && fair_full_request(&sc->fair, &r))
			full_refresh_area(sc, r);
		else if (!incremental)
			moves_to_pixels(sc, r);
	}
	if (!incremental && sc->want_ext_desktop_size && !sc->eds_pending) {
		sc->eds_pending = true;
		sc->eds_reason = 0;
		sc->eds_status = 0;
	}
}

bool sched_wants_capture_ahead(const struct sched *sc, uint64_t now_ms)
{
	return sc->ahead && !sc->has_request && !flow_continuous(sc->flow) &&
	       now_ms - sc->last_update_ms < SCHED_AHEAD_MS &&
	       conn_is_normal(sc->conn);
}

void sched_captured(struct sched *sc)
{
	sc->ahead = false;
}

bool sched_wants_update(const struct sched *sc)
{
	return conn_is_normal(sc->conn) &&
	       (sc->has_request || flow_continuous(sc->flow)) &&
	       conn_has_room(sc->conn) && flow_can_send(sc->flow);
}

/* ---- what the client negotiated ------------------------------------------ */

void sched_set_pixel_format(struct sched *sc, const struct pixfmt *pf)
{
	pixconv_init(&sc->pc, pf);
	if (sc->pc.colour_map) {
		/* Colour-map clients get BGR233 and its map, before any
		 * update in the new format (doc/protocol.md, "Colour-map
		 * clients"). */
		uint16_t map[256][3];
		uint8_t *msg = xmalloc(6 + 6 * 256);

		pixconv_colour_map(map);
		msg[0] = RFB_MSG_SET_COLOUR_MAP_ENTRIES;
		msg[1] = 0;
		put_u16(msg + 2, 0);
		put_u16(msg + 4, 256);
		for (int i = 0; i < 256; i++) {
			put_u16(msg + 6 + 6 * i, map[i][0]);
			put_u16(msg + 8 + 6 * i, map[i][1]);
			put_u16(msg + 10 + 6 * i, map[i][2]);
		}
		stream_send(sc->conn->stream, rcbuf_new(msg, 6 + 6 * 256));
	}
}

static bool h264_built(void)
{
#ifdef HAVE_OPENH264
	return true;
#else
	return false;
#endif
}

void sched_encodings_reset(struct sched *sc)
{
	/* Each SetEncodings replaces everything before it (§7.5.2). */
	sc->drew_cursor = sched_draws_cursor(sc);
	sc->preferred = RFB_ENC_RAW;
	sc->use_copyrect = false;
	sc->want_desktop_size = sc->want_ext_desktop_size = false;
	sc->want_last_rect = sc->want_desktop_name = false;
	sc->want_cursor = sc->want_xcursor = sc->want_pointer_pos = false;
	sc->want_qemu_key = sc->want_qemu_led = sc->want_ext_mouse = false;
	sc->quality = sc->fine_quality = sc->subsampling = sc->compress = -1;
	sc->enc_flags = 0;
	sc->has_preferred = false;
	sc->want_h264 = false;
}

/* A pseudo-encoding that only says "I understand this". */
static bool *wanted_flag(struct sched *sc, int32_t e)
{
	switch (e) {
	case RFB_ENC_COPYRECT: return &sc->use_copyrect;
	case RFB_ENC_DESKTOP_SIZE: return &sc->want_desktop_size;
	case RFB_ENC_EXT_DESKTOP_SIZE: return &sc->want_ext_desktop_size;
	case RFB_ENC_LAST_RECT: return &sc->want_last_rect;
	case RFB_ENC_DESKTOP_NAME: return &sc->want_desktop_name;
	case RFB_ENC_CURSOR: return &sc->want_cursor;
	case RFB_ENC_XCURSOR: return &sc->want_xcursor;
	case RFB_ENC_POINTER_POS: return &sc->want_pointer_pos;
	case RFB_ENC_QEMU_EXT_KEY: return &sc->want_qemu_key;
	case RFB_ENC_QEMU_LED: return &sc->want_qemu_led;
	case RFB_ENC_EXT_MOUSE_BUTTONS: return &sc->want_ext_mouse;
	default: return NULL;
	}
}

bool sched_encoding(struct sched *sc, int32_t e)
{
	bool *flag = wanted_flag(sc, e);

	if (flag)
		*flag = true;
	else if (e >= RFB_ENC_QUALITY_0 && e <= RFB_ENC_QUALITY_9)
		sc->quality = e - RFB_ENC_QUALITY_0;
	else if (e >= RFB_ENC_COMPRESS_0 && e <= RFB_ENC_COMPRESS_9)
		sc->compress = e - RFB_ENC_COMPRESS_0;
	else if (e >= RFB_ENC_FINE_QUALITY_0 && e <= RFB_ENC_FINE_QUALITY_100)
		sc->fine_quality = e - RFB_ENC_FINE_QUALITY_0;
	else if (e >= RFB_ENC_SUBSAMP_1X && e <= RFB_ENC_SUBSAMP_16X)
		sc->subsampling = e - RFB_ENC_SUBSAMP_1X;
	else if (e == RFB_ENC_TIGHT_NOZLIB)
		sc->enc_flags |= ENC_F_TIGHT_NOZLIB;
	else if (e == RFB_ENC_H264)
		/* Never the preferred encoding: only where it moves. */
		return sc->want_h264 = h264_built();
	else if (!encoder_find(e))
		return false;
	else if (!sc->has_preferred &&
		 !(e == RFB_ENC_TIGHT_PNG && sc->pc.bytes == 1)) {
		/* The first listed encoding we implement wins. */
		sc->preferred = e;
		sc->has_preferred = true;
	}
	return true;
}

void sched_encodings_done(struct sched *sc)
{
	const struct xrfb_server *s = sc->conn->server;
	struct rect box;

	if (sc->want_last_rect)
		sc->enc_flags |= ENC_F_LASTRECT;
	/* The client may have started its decoders afresh. */
	sc->h264_key = true;
	/* Confirmations go out once per connection (doc/protocol.md,
	 * "Confirmations on repeated SetEncodings"). */
	if (sc->want_qemu_key && !sc->confirmed_qemu_key)
		sc->confirm_qemu_key = true;
	if (sc->want_ext_mouse && !sc->confirmed_ext_mouse)
		sc->confirm_ext_mouse = true;
	/* A client that starts showing shapes gets the current one; one
	 * that stops gets the cursor drawn into its pixels. */
	sc->cursor_serial = 0;
	sc->led_serial = 0;
	if (sc->drew_cursor != sched_draws_cursor(sc) &&
	    cursor_box(&s->cursor, &s->fb, &box))
		sched_cursor_damage(sc, &box);
}

const char *sched_encoding_name(const struct sched *sc)
{
	return encoder_find(sc->preferred)->name;
}

bool sched_uses_copyrect(const struct sched *sc)
{
	return sc->use_copyrect;
}

bool sched_qemu_key_confirmed(const struct sched *sc)
{
	return sc->confirmed_qemu_key;
}

bool sched_ext_mouse_confirmed(const struct sched *sc)
{
	return sc->confirmed_ext_mouse;
}

bool sched_wants_ext_desktop_size(const struct sched *sc)
{
	return sc->want_ext_desktop_size;
}

void sched_pointer(struct sched *sc, uint16_t x, uint16_t y)
{
	sc->last_x = x;
	sc->last_y = y;
}

/* This client's state for encoder @type (created on first use). */
static struct encoder *sched_encoder(struct sched *sc, int32_t type)
{
	const struct encoder_ops *ops;
	int slot = -1;

	for (int i = 0; encoder_list[i] && i < SCHED_MAX_ENCODERS; i++)
		if (encoder_list[i]->type == type) {
			slot = i;
			break;
		}
	if (slot < 0)
		return NULL;
	if (!sc->encoders[slot]) {
		ops = encoder_list[slot];
		sc->encoders[slot] = ops->new_state(ops);
	}
	return sc->encoders[slot];
}

/* ---- building updates --------------------------------------------------- */

static void put_update_header(struct buf *b, unsigned nrects)
{
	buf_put_u8(b, RFB_MSG_FB_UPDATE);
	buf_put_u8(b, 0);
	buf_put_u16(b, (uint16_t)nrects);
}

/* The end of an update of @nrects rectangles: its header and @body, or
 * what is left of it if sched_stream() sent the start. */
static int send_update(struct sched *sc, struct buf *body,
		       unsigned nrects)
{
	struct buf hdr = BUF_INIT;
	size_t total = sc->streamed + body->len;
	int ret;

	if (!sc->streamed) {
		if (buf_reserve(&hdr, RFB_FB_UPDATE_HDR_LEN) < 0)
			return -ENOMEM;
		put_update_header(&hdr, nrects);
		total += hdr.len;
	}
	log_trace("client %u: update, %u rects, %zu bytes", sc->conn->id,
		  nrects, total);
	sc->streamed = 0;
	sc->updates_sent++;
	sc->bytes_sent += total;
	if (hdr.len)
		stream_send(sc->conn->stream, rcbuf_from_buf(&hdr));
	ret = stream_send(sc->conn->stream, rcbuf_from_buf(body));
	/* After the update: its fence is answered once the viewer has
	 * read all of it. */
	flow_after_update(sc->flow, total);
	return ret;
}

/* A large update goes out while it is still being encoded, for clients
 * that take LastRect: its header with the count 0xFFFF first, then the
 * rectangles written so far, whenever SCHED_STREAM_MIN bytes of them are
 * ready; LastRect ends it (end_update()). The viewer decodes the first
 * pieces while the server compresses the next, instead of after: on
 * full-screen video the two take about as long. Called between whole
 * rectangles only, on the loop thread (put_pixels(), and Tight's writer,
 * which is encpool's task 0). */
static int sched_stream(void *arg, struct buf *body)
{
	struct sched *sc = arg;
	struct buf hdr = BUF_INIT;

	if (body->len < SCHED_STREAM_MIN || !conn_is_normal(sc->conn))
		return 0;
	if (!sc->streamed) {
		if (buf_reserve(&hdr, RFB_FB_UPDATE_HDR_LEN) < 0)
			return -ENOMEM;
		put_update_header(&hdr, 0xffff);
		sc->streamed = hdr.len;
		stream_send(sc->conn->stream, rcbuf_from_buf(&hdr));
	}
	sc->streamed += body->len;
	stream_send(sc->conn->stream, rcbuf_from_buf(body));
	stream_flush(sc->conn->stream);
	return 0;
}

/* ExtendedDesktopSize (doc/protocol.md, "Desktop size") with the server's
 * screens. */
static int put_ext_desktop_size(struct sched *sc, struct buf *b,
				int reason, int status)
{
	struct xrfb_server *s = sc->conn->server;

	if (enc_put_header(b, reason, status, s->fb.width, s->fb.height,
			   RFB_ENC_EXT_DESKTOP_SIZE) < 0 ||
	    buf_reserve(b, 4 + (size_t)RFB_SCREEN_LEN * s->nscreens) < 0)
		return -ENOMEM;
	buf_put_u8(b, (uint8_t)s->nscreens);
	buf_put_u8(b, 0);
	buf_put_u16(b, 0);
	for (unsigned i = 0; i < s->nscreens; i++) {
		buf_put_u32(b, s->screens[i].id);
		buf_put_u16(b, s->screens[i].x);
		buf_put_u16(b, s->screens[i].y);
		buf_put_u16(b, s->screens[i].width);
		buf_put_u16(b, s->screens[i].height);
		buf_put_u32(b, s->screens[i].flags);
	}
	return 1;
}

/* An update with only a size rectangle, never mixed with pixel data. */
static int send_size_update(struct sched *sc, int reason, int status)
{
	struct xrfb_server *s = sc->conn->server;
	struct buf b = BUF_INIT;
	int n;

	if (sc->want_ext_desktop_size)
		n = put_ext_desktop_size(sc, &b, reason, status);
	else
		n = enc_put_header(&b, 0, 0, s->fb.width, s->fb.height,
				   RFB_ENC_DESKTOP_SIZE) < 0 ? -ENOMEM : 1;
	if (n < 0) {
		buf_fini(&b);
		return n;
	}
	return send_update(sc, &b, 1);
}

struct copy_order {
	int dx, dy;
};

static int cmp_copy_dir(const void *a, const void *b, void *arg)
{
	const pixman_box32_t *ra = a, *rb = b;
	const struct copy_order *o = arg;
	int ya = o->dy > 0 ? -ra->y1 : ra->y1;
	int yb = o->dy > 0 ? -rb->y1 : rb->y1;
	int xa = o->dx > 0 ? -ra->x1 : ra->x1;
	int xb = o->dx > 0 ? -rb->x1 : rb->x1;

	if (ya != yb)
		return ya < yb ? -1 : 1;
	return xa < xb ? -1 : xa > xb;
}

/* The CopyRects of @copy (one offset), ordered so that no rectangle
 * overwrites the source of one applied after it, except those that
 * pixels of the same update (@over) cover whole: every CopyRect of one
 * update reads what the client had before it, so leaving one out
 * changes no other. */
static int put_copies(struct sched *sc, region_t *copy,
		      const region_t *over, struct buf *b)
{
	struct copy_order o = { sc->copy_dx, sc->copy_dy };
	int n, sent = 0;
	pixman_box32_t *boxes = pixman_region32_rectangles(copy, &n);
	pixman_box32_t *sorted;

	if (n <= 0)
		return 0;
	sorted = malloc((size_t)n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, boxes, (size_t)n * sizeof(*sorted));
	qsort_r(sorted, (size_t)n, sizeof(*sorted), cmp_copy_dir, &o);
	for (int i = 0; i < n; i++) {
		struct rect r = rect_from_box(&sorted[i]);

		if (pixman_region32_contains_rectangle((region_t *)over,
						       &sorted[i]) ==
		    PIXMAN_REGION_IN)
			continue;
		sent++;
		if (enc_put_header(b, r.x, r.y, r.w, r.h, RFB_ENC_COPYRECT) <
			    0 ||
		    buf_reserve(b, 4) < 0) {
			free(sorted);
			return -ENOMEM;
		}
		buf_put_u16(b, (uint16_t)(r.x - sc->copy_dx));
		buf_put_u16(b, (uint16_t)(r.y - sc->copy_dy));
	}
	free(sorted);
	return sent;
}

/* Whether unchanged pixels cost an encoding next to nothing. */
static bool compresses(int32_t encoding)
{
	switch (encoding) {
	case RFB_ENC_RAW:
	case RFB_ENC_RRE:
	case RFB_ENC_CORRE:
		return false;
	default:
		return true;
	}
}

/* Close the narrow gaps between the rectangles of each band of @area
 * where @allowed covers them. A gap may be the destination of a move of
 * the same update: pixels go after CopyRects and equal what the move
 * put there. */
static void merge_gaps(region_t *area, const region_t *allowed)
{
	pixman_box32_t *b;
	region_t gaps;
	int n;

	b = pixman_region32_rectangles(area, &n);
	if (n < 2)
		return;
	pixman_region32_init(&gaps);
	for (int i = 0; i + 1 < n; i++) {
		pixman_box32_t gap = { b[i].x2, b[i].y1, b[i + 1].x1,
				       b[i].y2 };

		if (b[i + 1].y1 != b[i].y1 || b[i + 1].y2 != b[i].y2 ||
		    gap.x2 - gap.x1 > SCHED_MERGE_GAP ||
		    pixman_region32_contains_rectangle(allowed, &gap) !=
			    PIXMAN_REGION_IN)
			continue;
		region_add_box(&gaps, &gap);
	}
	pixman_region32_union(area, area, &gaps);
	pixman_region32_fini(&gaps);
}

static int64_t box_area(const pixman_box32_t *b)
{
	return (int64_t)(b->x2 - b->x1) * (b->y2 - b->y1);
}

static bool boxes_meet(const pixman_box32_t *a, const pixman_box32_t *b)
{
	return a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 &&
	       b->y1 < a->y2;
}

static void box_grow(pixman_box32_t *a, const pixman_box32_t *b)
{
	if (b->x1 < a->x1)
		a->x1 = b->x1;
	if (b->y1 < a->y1)
		a->y1 = b->y1;
	if (b->x2 > a->x2)
		a->x2 = b->x2;
	if (b->y2 > a->y2)
		a->y2 = b->y2;
}

/*
 * Join rectangles @b[0..n) (disjoint) into their bounding box where it
 * adds few pixels that did not change: at most SCHED_MERGE_AREA, or half
 * the changed pixels it holds, up to SCHED_MERGE_MAX_EXTRA. A box that
 * takes in part of another takes in all of it, so the result stays
 * disjoint. Pixman's bands cut a region wherever any rectangle starts or
 * ends; the new lines of a terminal came out as five rectangles, each
 * with its own header, flush and tile grid. Returns the new count.
 */
static int merge_boxes(pixman_box32_t *b, int n, const region_t *allowed)
{
	bool again = n <= SCHED_MERGE_MAX_BOXES;

	while (again) {
		again = false;
		for (int i = 0; i < n && !again; i++)
			for (int j = i + 1; j < n && !again; j++) {
				pixman_box32_t u = b[i];
				int64_t covered = 0, limit;
				bool grown = true;

				box_grow(&u, &b[j]);
				while (grown) {
					grown = false;
					for (int k = 0; k < n; k++)
						if (boxes_meet(&u, &b[k]) &&
						    (b[k].x1 < u.x1 ||
						     b[k].y1 < u.y1 ||
						     b[k].x2 > u.x2 ||
						     b[k].y2 > u.y2)) {
							box_grow(&u, &b[k]);
							grown = true;
						}
				}
				for (int k = 0; k < n; k++)
					if (boxes_meet(&u, &b[k]))
						covered += box_area(&b[k]);
				limit = covered / 2;
				if (limit > SCHED_MERGE_MAX_EXTRA)
					limit = SCHED_MERGE_MAX_EXTRA;
				if (limit < SCHED_MERGE_AREA)
					limit = SCHED_MERGE_AREA;
				if (box_area(&u) - covered > limit ||
				    pixman_region32_contains_rectangle(
					    allowed, &u) != PIXMAN_REGION_IN)
					continue;
				/* u replaces every box it meets */
				b[i] = u;
				for (int k = n - 1; k > i; k--)
					if (boxes_meet(&u, &b[k]))
						b[k] = b[--n];
				again = true;
			}
	}
	return n;
}

/*
 * Pieces of this update's moves (@copy) too small to pay for their
 * CopyRect header go out as pixels (@pixels) instead, where an encoding
 * that compresses joins them to the pixels beside them: a scrolled
 * terminal's half-drawn last line matched its old self in slivers of a
 * tile or two, each a CopyRect that cut the new lines around it into
 * more rectangles.
 */
static void small_copies_to_pixels(struct sched *sc, region_t *copy,
				   region_t *pixels)
{
	const pixman_box32_t *b;
	region_t small;
	int n;

	pixman_region32_init(&small);
	b = pixman_region32_rectangles(copy, &n);
	for (int i = 0; i < n; i++)
		if (box_area(&b[i]) < SCHED_MIN_COPY)
			region_add_box(&small, &b[i]);
	pixman_region32_subtract(copy, copy, &small);
	pixman_region32_subtract(&sc->copy, &sc->copy, &small);
	pixman_region32_union(pixels, pixels, &small);
	pixman_region32_fini(&small);
}

/*
 * The rectangles that send @area as pixels, in a new array (*@boxes, to
 * be freed) with their count; @area grows to what they cover.
 */
static int pixel_boxes(struct sched *sc, region_t *area,
		       const region_t *allowed, pixman_box32_t **boxes)
{
	const pixman_box32_t *b;
	int n;

	if (compresses(sc->preferred))
		merge_gaps(area, allowed);
	if (pixman_region32_n_rects(area) > SCHED_MAX_RECTS) {
		pixman_box32_t ext = *pixman_region32_extents(area);
		pixman_region32_reset(area, &ext);
	}
	b = pixman_region32_rectangles(area, &n);
	*boxes = malloc((size_t)(n ? n : 1) * sizeof(**boxes));
	if (!*boxes)
		return -ENOMEM;
	memcpy(*boxes, b, (size_t)n * sizeof(**boxes));
	if (compresses(sc->preferred) && n > 1) {
		n = merge_boxes(*boxes, n, allowed);
		for (int i = 0; i < n; i++)
			region_add_box(area, &(*boxes)[i]);
	}
	return n;
}

static struct enc_params enc_params_of(const struct sched *sc)
{
	struct enc_params p = {
		.pc = &sc->pc,
		.quality = sc->quality,
		.fine_quality = sc->fine_quality,
		.subsampling = sc->subsampling,
		.compress = sc->compress,
		.flags = sc->enc_flags,
	};

	return p;
}

/* With the encoder @e; @flags: added to the client's (ENC_F_LOSSLESS,
 * ENC_F_KEYFRAME). */
static int put_pixels(struct sched *sc, struct encoder *e,
		      const region_t *area, const pixman_box32_t *boxes, int n,
		      unsigned flags, struct buf *b)
{
	struct xrfb_server *s = sc->conn->server;
	struct enc_frame f = { s->fb.pixels, s->fb.stride, s->fb.width,
			       s->fb.height };
	struct enc_params p = enc_params_of(sc);
	struct rect box;
	bool drawn = false;
	int total = 0;

	if (!e)
		return -ENOMEM;
	if (!n)
		return 0;
	p.flags |= flags;
	if (sc->want_last_rect) {
		p.between = sched_stream;
		p.between_arg = sc;
	}
	/* Clients that show no cursor of their own get it in the pixels:
	 * drawn into the framebuffer for as long as the encoder reads it
	 * (it reads nowhere else, on any thread, once encode() returns)
	 * and taken out again. A copy of the rectangles instead cost a
	 * tenth of a full-screen video frame. */
	if (sched_draws_cursor(sc) && cursor_box(&s->cursor, &s->fb, &box) &&
	    region_meets(area, &box)) {
		if (!s->cursor_under)
			s->cursor_under = malloc(sizeof(uint32_t) *
						 CURSOR_MAX_SIZE *
						 CURSOR_MAX_SIZE);
		if (!s->cursor_under)
			return -ENOMEM;
		drawn = cursor_draw(&s->cursor, &s->fb, s->cursor_under,
				    &box);
	}
	for (int i = 0; i < n; i++) {
		struct rect r = rect_from_box(&boxes[i]);
		int k = e->ops->encode(e, &p, &f, &r, b);

		if (k >= 0 && p.between && i + 1 < n) {
			int err = p.between(p.between_arg, b);

			if (err < 0)
				k = err;
		}
		if (k < 0) {
			total = k;
			break;
		}
		total += k;
	}
	if (drawn)
		cursor_undraw(&s->fb, s->cursor_under, &box);
	return total;
}

/* Confirmations and state pseudo-rectangles the client asked for. */
static int put_pseudo(struct sched *sc, struct buf *b)
{
	struct xrfb_server *s = sc->conn->server;
	struct cursor *cur = &s->cursor;
	int n = 0;

	if (sc->confirm_qemu_key) {
		if (enc_put_header(b, 0, 0, 0, 0, RFB_ENC_QEMU_EXT_KEY) < 0)
			return -ENOMEM;
		sc->confirm_qemu_key = false;
		sc->confirmed_qemu_key = true;
		n++;
	}
	if (sc->confirm_ext_mouse) {
		if (enc_put_header(b, 0, 0, 0, 0, RFB_ENC_EXT_MOUSE_BUTTONS) < 0)
			return -ENOMEM;
		/* From now on bit 7 of a pointer event marks a 7th byte. */
		sc->confirm_ext_mouse = false;
		sc->confirmed_ext_mouse = true;
		n++;
	}
	if ((sc->want_cursor || sc->want_xcursor) &&
	    sc->cursor_serial != cur->serial) {
		if (cursor_put_shape(cur, &sc->pc, sc->want_cursor, b) < 0)
			return -ENOMEM;
		sc->cursor_serial = cur->serial;
		n++;
	}
	if (sc->want_pointer_pos && sc->pos_serial != cur->pos_serial) {
		/* Never echo a client's own pointer moves back to it. */
		if (cur->x != sc->last_x || cur->y != sc->last_y) {
			if (cursor_put_pos(cur, b) < 0)
				return -ENOMEM;
			n++;
		}
		sc->pos_serial = cur->pos_serial;
	}
	if (sc->want_qemu_led && sc->led_serial != s->led_serial) {
		if (enc_put_header(b, 0, 0, 0, 0, RFB_ENC_QEMU_LED) < 0 ||
		    buf_reserve(b, 1) < 0)
			return -ENOMEM;
		buf_put_u8(b, (uint8_t)s->led_state);
		sc->led_serial = s->led_serial;
		n++;
	}
	if (sc->want_desktop_name && sc->name_serial != s->name_serial) {
		const char *name = s->desktop_name ? s->desktop_name : "xrfb";
		size_t len = strlen(name);

		if (enc_put_header(b, 0, 0, 0, 0, RFB_ENC_DESKTOP_NAME) < 0 ||
		    buf_append(b, (uint8_t[4]){ (uint8_t)(len >> 24),
				(uint8_t)(len >> 16), (uint8_t)(len >> 8),
				(uint8_t)len }, 4) < 0 ||
		    buf_append(b, name, len) < 0)
			return -ENOMEM;
		sc->name_serial = s->name_serial;
		n++;
	}
	return n;
}

static void on_pace_timer(void *arg)
{
	struct sched *sc = arg;

	sc->pace_timer = NULL;
	server_state_kick(sc->conn->server);
}

/* --max-fps: only limits; a change after a quiet spell goes out now. */
static bool paced(struct sched *sc, uint64_t now)
{
	unsigned fps = sc->conn->server->max_fps;
	uint64_t interval;

	if (!fps)
		return false;
	interval = 1000 / fps;
	if (now - sc->last_update_ms >= interval)
		return false;
	if (!sc->pace_timer)
		sc->pace_timer = xrfb_loop_add_timer(
			sc->conn->server->loop,
			interval - (now - sc->last_update_ms), on_pace_timer,
			sc);
	return true;
}

bool sched_paced(const struct sched *sc, uint64_t now_ms)
{
	unsigned fps = sc->conn->server->max_fps;

	return fps && sc->pace_timer &&
	       now_ms - sc->last_update_ms < 1000 / fps;
}

/*
 * Job 1: size changes go out in updates of their own, before pixels.
 * Returns true if the run ends here (DesktopSize answered the request,
 * or the client was closed).
 */
static bool run_size_updates(struct sched *sc)
{
	const struct xrfb_server *s = sc->conn->server;
	bool resized = sc->resize_pending;
	unsigned n_replies = sc->n_eds_replies;

	if (sc->resize_pending && !sc->want_ext_desktop_size) {
		/* DesktopSize answers the request; the client then asks
		 * for the whole new framebuffer (libvncclient does). */
		sc->resize_pending = false;
		sc->has_request = false;
		pixman_region32_clear(&sc->requested);
		if (send_size_update(sc, 0, 0) < 0)
			conn_close(sc->conn, "out of memory");
		else
			stream_flush(sc->conn->stream);
		return true;
	}
	if (!sc->eds_pending && !n_replies)
		return false;
	/* Updates of their own, with no pixel data in them; they do not
	 * answer the request (doc/protocol.md, "Desktop size"). Answers to
	 * SetDesktopSize first, in order, then the current state. */
	sc->n_eds_replies = 0;
	sc->resize_pending = false;
	for (unsigned i = 0; i < n_replies; i++)
		if (send_size_update(sc, 1, sc->eds_replies[i]) < 0) {
			conn_close(sc->conn, "out of memory");
			return true;
		}
	if (sc->eds_pending) {
		sc->eds_pending = false;
		if (send_size_update(sc, sc->eds_reason, sc->eds_status) < 0) {
			conn_close(sc->conn, "out of memory");
			return true;
		}
	}
	/* Its request was for the old size, and it will not ask again
	 * non-incrementally: send all of the new one. */
	if (resized)
		pixman_region32_union_rect(&sc->requested, &sc->requested, 0,
					   0, (unsigned)s->fb.width,
					   (unsigned)s->fb.height);
	return false;
}

/*
 * Job 2: what this update may cover: the requested area (plus the
 * continuous-updates area) of pending moves (@copy) and damage (@pixels).
 * The part of a move outside it would be applied by a later update,
 * reading sources this one may overwrite at the client: that part goes
 * back to damage, to be sent as pixels.
 */
static void collect_update(struct sched *sc, region_t *copy, region_t *pixels)
{
	struct rect cu = flow_cu_area(sc->flow);

	if (cu.w)
		pixman_region32_union_rect(&sc->requested, &sc->requested,
					   cu.x, cu.y, (unsigned)cu.w,
					   (unsigned)cu.h);
	pixman_region32_intersect(copy, &sc->copy, &sc->requested);
	pixman_region32_intersect(pixels, &sc->damage, &sc->requested);
}

static void keep_copies_in_request(struct sched *sc, const region_t *copy)
{
	pixman_region32_subtract(&sc->copy, &sc->copy, (region_t *)copy);
	pixman_region32_union(&sc->damage, &sc->damage, &sc->copy);
	pixman_region32_copy(&sc->copy, (region_t *)copy);
}

/* Whether lossless refresh is on and this client's updates may go lossy
 * (doc/protocol.md, "Lossless refresh"): then only where it moves. */
static bool tracks_lossy(const struct sched *sc)
{
	const struct encoder_ops *ops = encoder_find(sc->preferred);
	struct enc_params p = enc_params_of(sc);

	return sc->conn->server->motion.delay_ms && ops && ops->lossy &&
	       enc_may_be_lossy(&p);
}

/* H.264 goes to moving areas of at least this many pixels. */
#define SCHED_H264_MIN_PIXELS (256 * 256)

static long region_area(const region_t *r)
{
	int n;
	const pixman_box32_t *b = pixman_region32_rectangles((region_t *)r,
							     &n);
	long area = 0;

	for (int i = 0; i < n; i++)
		area += (long)(b[i].x2 - b[i].x1) * (b[i].y2 - b[i].y1);
	return area;
}

/* Whether the client takes H.264 where the picture moves: it listed it,
 * the server tracks motion, and its pixels are true colour. */
static bool uses_h264(const struct sched *sc)
{
	return sc->want_h264 && sc->conn->server->motion.delay_ms &&
	       !sc->pc.colour_map && sc->pc.pf.true_colour &&
	       sc->pc.bytes >= 2;
}

/*
 * The rectangle the H.264 picture covers, from the tiles that move
 * (@moving), into sc->h264_box: the last one while the motion stays in
 * it and fills half of it, else the even-edged rectangle around the
 * motion if that is large, mostly moving and one picture H.264 takes.
 * False if there is none.
 */
static bool h264_pick_box(struct sched *sc, const region_t *moving)
{
	const pixman_box32_t *e = pixman_region32_extents((region_t *)moving);
	long area = region_area(moving);
	struct rect *b = &sc->h264_box, r;

	if (!area)
		return false;
	if (b->w && e->x1 >= b->x && e->y1 >= b->y &&
	    e->x2 <= b->x + b->w && e->y2 <= b->y + b->h &&
	    2 * area >= (long)b->w * b->h)
		return true;
	r.x = (e->x1 + 1) & ~1;
	r.y = (e->y1 + 1) & ~1;
	r.w = (e->x2 & ~1) - r.x;
	r.h = (e->y2 & ~1) - r.y;
	if (r.w <= 0 || r.h <= 0 || (long)r.w * r.h < SCHED_H264_MIN_PIXELS ||
	    !h264_fits(r.w, r.h) || 2 * area < (long)r.w * r.h)
		return false;
	*b = r;
	return true;
}

/*
 * Job 3a: where a large area moves, H.264 (doc/protocol.md, "H.264"):
 * if the request covers the rectangle and some of @pixels lies in it,
 * @video becomes the rectangle and leaves @pixels. Returns whether.
 */
static bool take_video(struct sched *sc, const region_t *moving,
		       region_t *pixels, region_t *video)
{
	pixman_box32_t box;
	struct rect *b = &sc->h264_box;

	if (!h264_pick_box(sc, moving))
		return false;
	box = (pixman_box32_t){ b->x, b->y, b->x + b->w, b->y + b->h };
	if (pixman_region32_contains_rectangle(&sc->requested, &box) !=
		    PIXMAN_REGION_IN ||
	    pixman_region32_contains_rectangle(pixels, &box) ==
		    PIXMAN_REGION_OUT)
		return false;
	pixman_region32_reset(video, &box);
	pixman_region32_subtract(pixels, pixels, video);
	return true;
}

/* The H.264 picture of @video, a key frame if one is owed. */
static int put_video(struct sched *sc, const region_t *video,
		     struct buf *body)
{
	const pixman_box32_t *box =
		pixman_region32_extents((region_t *)video);
	int n;

#ifdef HAVE_OPENH264
	if (!sc->h264)
		sc->h264 = encoder_h264.new_state(&encoder_h264);
#endif
	if (!sc->h264)
		return -ENOMEM;
	n = put_pixels(sc, sc->h264, video, box, 1,
		       sc->h264_key ? ENC_F_KEYFRAME : 0, body);
	if (n > 0)
		sc->h264_key = false;
	return n;
}

/*
 * Job 3: the rectangles of the update into @body: CopyRects of @copy,
 * then @pixels encoded; where the picture moves, the part of @pixels that
 * may go lossy is cut out into @lossy and sent last, the rest lossless,
 * and a large moving area may go H.264 instead, after all the others (it
 * joins @lossy). Returns their count or -errno.
 */
static int put_rects(struct sched *sc, region_t *copy, region_t *pixels,
		     region_t *lossy, uint64_t now, struct buf *body)
{
	pixman_box32_t *boxes = NULL, *lboxes = NULL;
	region_t moving, allowed, all, video;
	int n, nboxes, nlossy, total = 0;
	unsigned flags = 0;
	bool lossy_ok = tracks_lossy(sc), h264 = uses_h264(sc);

	if (compresses(sc->preferred))
		small_copies_to_pixels(sc, copy, pixels);
	pixman_region32_init(&moving);
	pixman_region32_init(&allowed);
	pixman_region32_init(&all);
	pixman_region32_init(&video);
	if (lossy_ok || h264)
		motion_moving(&sc->conn->server->motion, &sc->requested, now,
			      &moving);
	if (h264 && !take_video(sc, &moving, pixels, &video) &&
	    !pixman_region32_not_empty(&moving))
		sc->h264_box.w = 0;	/* nothing moves: forget it */
	if (lossy_ok) {
		pixman_region32_intersect(lossy, pixels, &moving);
		pixman_region32_subtract(pixels, pixels, lossy);
		flags = ENC_F_LOSSLESS;
	}
	/* Merged rectangles of one kind stay out of the other's area. */
	pixman_region32_subtract(&allowed, &sc->requested, lossy);
	pixman_region32_subtract(&allowed, &allowed, &video);
	n = nboxes = pixel_boxes(sc, pixels, &allowed, &boxes);
	if (n < 0)
		goto out;
	pixman_region32_subtract(&allowed, &moving, pixels);
	pixman_region32_subtract(&allowed, &allowed, &video);
	n = nlossy = pixel_boxes(sc, lossy, &allowed, &lboxes);
	if (n < 0)
		goto out;
	pixman_region32_union(&all, pixels, lossy);
	pixman_region32_union(&all, &all, &video);
	n = put_copies(sc, copy, &all, body);
	if (n >= 0) {
		total = n;
		n = put_pixels(sc, sched_encoder(sc, sc->preferred), pixels,
			       boxes, nboxes, flags, body);
	}
	if (n >= 0) {
		total += n;
		n = put_pixels(sc, sched_encoder(sc, sc->preferred), lossy,
			       lboxes, nlossy, 0, body);
	}
	if (n >= 0 && pixman_region32_not_empty(&video)) {
		total += n;
		n = put_video(sc, &video, body);
		pixman_region32_union(lossy, lossy, &video);
	}
out:
	free(boxes);
	free(lboxes);
	pixman_region32_fini(&video);
	pixman_region32_fini(&all);
	pixman_region32_fini(&allowed);
	pixman_region32_fini(&moving);
	return n < 0 ? n : total + n;
}

/*
 * Job 4: end an update of @total rectangles: more than the count can
 * say ends with LastRect for clients that know it (count 0xFFFF), and so
 * does one sent while it was built (sched_stream()). Without LastRect
 * this cannot happen with SCHED_MAX_RECTS and sane encoders.
 * Returns the count to send, or -errno (-E2BIG: the client cannot take
 * it).
 */
static int end_update(struct sched *sc, int total, struct buf *body)
{
	if (!sc->streamed &&
	    (total < 0xffff || (total == 0xffff && !sc->want_last_rect)))
		return total;
	if (!sc->want_last_rect)
		return -E2BIG;
	if (enc_put_header(body, 0, 0, 0, 0, RFB_ENC_LAST_RECT) < 0)
		return -ENOMEM;
	return 0xffff;
}

static void on_refresh_due(void *arg)
{
	struct sched *sc = arg;
	struct xrfb_server *s = sc->conn->server;
	uint64_t now = xrfb_now_ms(), next;
	region_t due;

	sc->refresh_timer = NULL;
	pixman_region32_init(&due);
	next = motion_still(&s->motion, &sc->lossy, now, &due);
	if (pixman_region32_not_empty(&due)) {
		log_debug("on_refresh_due: client %u: lossless refresh of %d "
			  "rectangles", sc->conn->id,
			  pixman_region32_n_rects(&due));
		/* Sent as damage: not moving, so lossless. */
		pixman_region32_union(&sc->damage, &sc->damage, &due);
		server_state_kick(s);
	}
	if (next)
		sc->refresh_timer = xrfb_loop_add_timer(
			s->loop, next > now ? next - now : 1, on_refresh_due,
			sc);
	pixman_region32_fini(&due);
}

/* What the client holds lossy after an update with the moves @copy, sent
 * @exact and @lossy; a timer to refresh it while it is not empty. */
static void keep_lossy(struct sched *sc, const region_t *copy,
		       const region_t *exact, const region_t *lossy)
{
	struct xrfb_server *s = sc->conn->server;

	motion_held_copy(&sc->lossy, copy, sc->copy_dx, sc->copy_dy);
	motion_held_sent(&sc->lossy, exact, lossy);
	if (!s->motion.delay_ms)
		pixman_region32_clear(&sc->lossy);
	if (pixman_region32_not_empty(&sc->lossy) && !sc->refresh_timer)
		sc->refresh_timer = xrfb_loop_add_timer(
			s->loop, s->motion.delay_ms, on_refresh_due, sc);
}

/* Job 5: the update went out: what it covered is no longer owed. */
static void commit_update(struct sched *sc, const region_t *copy,
			  const region_t *pixels, const region_t *lossy,
			  uint64_t now)
{
	keep_lossy(sc, copy, pixels, lossy);
	pixman_region32_subtract(&sc->copy, &sc->copy, (region_t *)copy);
	pixman_region32_subtract(&sc->damage, &sc->damage, (region_t *)pixels);
	pixman_region32_subtract(&sc->damage, &sc->damage, (region_t *)lossy);
	pixman_region32_clear(&sc->requested);
	sc->has_request = false;
	sc->last_update_ms = now;
	sc->ahead = true;
}

/* @cpu, @wall: the process's CPU time and the monotonic clock when the
 * run began (with --max-cpu). */
static void run_update(struct sched *sc, uint64_t now, uint64_t cpu,
		       uint64_t wall)
{
	struct xrfb_server *s = sc->conn->server;
	region_t copy, pixels, lossy;
	struct buf body = BUF_INIT;
	int n, total;

	pixman_region32_init(&copy);
	pixman_region32_init(&pixels);
	pixman_region32_init(&lossy);
	sc->streamed = 0;
	collect_update(sc, &copy, &pixels);
	total = put_pseudo(sc, &body);
	if (total < 0) {
		n = total;
		goto err;
	}
	if (!total && !pixman_region32_not_empty(&copy) &&
	    !pixman_region32_not_empty(&pixels))
		goto out;
	keep_copies_in_request(sc, &copy);
	n = put_rects(sc, &copy, &pixels, &lossy, now, &body);
	if (n < 0)
		goto err;
	total += n;
	n = end_update(sc, total, &body);
	if (n == -E2BIG) {
		conn_close(sc->conn, "update with %d rectangles", total);
		goto out;
	}
	if (n < 0)
		goto err;
	commit_update(sc, &copy, &pixels, &lossy, now);
	/* -EPIPE: the stream has failed (the viewer went away), and its
	 * error closes the connection with the reason. */
	if (send_update(sc, &body, (unsigned)n) == -ENOMEM)
		conn_close(sc->conn, "out of memory");
	if (s->max_cpu) {
		cpu = s->cpu_clock_us() - cpu;
		wall = cpu_budget_mono_us() - wall;
		/* The update is built on the loop thread: nobody else is
		 * served meanwhile. On a busy machine that takes longer
		 * than its CPU time, and the client pays for the longer. */
		fair_charge(&sc->fair, cpu > wall ? cpu : wall);
		s->cpu_clients_us += cpu;
	}
	server_state_cpu_charge(sc->conn->server);
	goto out;

err:
	/* An encoder failed, possibly mid-stream: the client's decoder
	 * state is lost, so the connection cannot go on. */
	conn_close(sc->conn, "encoding failed: %s", strerror(-n));
out:
	if (conn_is_normal(sc->conn))
		stream_flush(sc->conn->stream);
	buf_fini(&body);
	pixman_region32_fini(&copy);
	pixman_region32_fini(&pixels);
	pixman_region32_fini(&lossy);
}

void sched_run(struct sched *sc)
{
	struct xrfb_server *s = sc->conn->server;
	uint64_t now;

	if (!sched_wants_update(sc) || run_size_updates(sc))
		return;
	now = xrfb_now_ms();
	server_state_cpu_look(s, now);
	if (paced(sc, now) || server_state_cpu_held(s, now) ||
	    fair_held(&sc->fair, now, server_state_cpu_share(s)))
		return;
	run_update(sc, now, s->max_cpu ? s->cpu_clock_us() : 0,
		   s->max_cpu ? cpu_budget_mono_us() : 0);
}
