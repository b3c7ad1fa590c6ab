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

#include "buf.h"
#include "client.h"
#include "encoder.h"
#include "log.h"
#include "rfb-proto.h"
#include "server.h"
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

static void on_fair_kick(void *arg);
static void on_full_refresh_due(void *arg, const region_t *area);

void sched_client_init(struct xrfb_client *c)
{
	pixman_region32_init(&c->requested);
	pixman_region32_init(&c->damage);
	pixman_region32_init(&c->copy);
	fair_init(&c->fair, c->server->loop, on_fair_kick,
		  on_full_refresh_due, c);
}

void sched_client_fini(struct xrfb_client *c)
{
	pixman_region32_fini(&c->requested);
	pixman_region32_fini(&c->damage);
	pixman_region32_fini(&c->copy);
	fair_fini(&c->fair);
}

static void on_fair_kick(void *arg)
{
	struct xrfb_client *c = arg;

	server_kick(c->server);
}


void sched_add_damage(struct xrfb_client *c, const region_t *r)
{
	pixman_region32_union(&c->damage, &c->damage, (region_t *)r);
}

static void copy_to_damage(struct xrfb_client *c)
{
	pixman_region32_union(&c->damage, &c->damage, &c->copy);
	pixman_region32_clear(&c->copy);
}

bool client_draws_cursor(const struct xrfb_client *c)
{
	return !c->want_cursor && !c->want_xcursor;
}

void sched_cursor_damage(struct xrfb_client *c, const struct rect *box)
{
	if (client_draws_cursor(c)) {
		pixman_region32_union_rect(&c->damage, &c->damage, box->x,
					   box->y, (unsigned)box->w,
					   (unsigned)box->h);
		server_kick(c->server);
	}
}

static void sched_add_copy_inner(struct xrfb_client *c, const region_t *dst,
				 int dx, int dy);

void sched_add_copy(struct xrfb_client *c, const region_t *dst, int dx,
		    int dy)
{
	struct xrfb_server *s = c->server;
	struct rect box;

	sched_add_copy_inner(c, dst, dx, dy);
	/* A cursor drawn into this client's pixels moved with them: where
	 * the copy covers the cursor, the client loses it; where the copy
	 * takes it along, the client sees a stale one. */
	if (client_draws_cursor(c) && cursor_box(&s->cursor, &s->fb, &box)) {
		struct rect to = { box.x + dx, box.y + dy, box.w, box.h };

		if (region_meets(dst, &box))
			sched_cursor_damage(c, &box);
		if (region_meets(dst, &to) && fb_clip(&s->fb, &to))
			sched_cursor_damage(c, &to);
	}
}

static void sched_add_copy_inner(struct xrfb_client *c, const region_t *dst,
				 int dx, int dy)
{
	region_t src_damage, tmp;

	if (!c->use_copyrect) {
		sched_add_damage(c, dst);
		return;
	}
	pixman_region32_init(&src_damage);
	pixman_region32_init(&tmp);

	/* A pending move with another offset, or one this move touches,
	 * is resent as pixels: one batch of CopyRects has one offset and
	 * must not depend on the order the client applies them in. */
	if (pixman_region32_not_empty(&c->copy)) {
		bool clash = dx != c->copy_dx || dy != c->copy_dy;

		if (!clash) {
			pixman_region32_intersect(&tmp, &c->copy,
						  (region_t *)dst);
			clash = pixman_region32_not_empty(&tmp);
		}
		if (!clash) {
			pixman_region32_copy(&tmp, (region_t *)dst);
			pixman_region32_translate(&tmp, -dx, -dy);
			pixman_region32_intersect(&tmp, &tmp, &c->copy);
			clash = pixman_region32_not_empty(&tmp);
		}
		if (!clash) {
			pixman_region32_copy(&tmp, &c->copy);
			pixman_region32_translate(&tmp, -dx, -dy);
			pixman_region32_intersect(&tmp, &tmp, (region_t *)dst);
			clash = pixman_region32_not_empty(&tmp);
		}
		if (clash)
			copy_to_damage(c);
	}

	/* Where the source is stale at the client, the destination is
	 * stale too: move that damage along with the pixels. */
	pixman_region32_copy(&src_damage, &c->damage);
	pixman_region32_translate(&src_damage, dx, dy);
	pixman_region32_subtract(&c->damage, &c->damage, (region_t *)dst);
	pixman_region32_intersect(&tmp, &src_damage, (region_t *)dst);
	pixman_region32_union(&c->damage, &c->damage, &tmp);

	pixman_region32_subtract(&tmp, (region_t *)dst, &src_damage);
	pixman_region32_union(&c->copy, &c->copy, &tmp);
	c->copy_dx = dx;
	c->copy_dy = dy;

	pixman_region32_fini(&tmp);
	pixman_region32_fini(&src_damage);
}

static void full_damage(struct xrfb_client *c)
{
	struct xrfb_server *s = c->server;

	pixman_region32_union_rect(&c->damage, &c->damage, 0, 0,
				   (unsigned)s->fb.width,
				   (unsigned)s->fb.height);
}

void sched_resized(struct xrfb_client *c)
{
	struct xrfb_server *s = c->server;

	pixman_region32_clear(&c->copy);
	pixman_region32_clear(&c->damage);
	pixman_region32_intersect_rect(&c->requested, &c->requested, 0, 0,
				       (unsigned)s->fb.width,
				       (unsigned)s->fb.height);
	full_damage(c);
	if (c->flow.cu_enabled && !fb_clip(&s->fb, &c->flow.cu_area))
		c->flow.cu_area = (struct rect){ 0, 0, 0, 0 };
	if (c->state != CLIENT_STATE_NORMAL)
		return;
	if (!c->want_desktop_size && !c->want_ext_desktop_size) {
		client_close_reason(c, "desktop resized and the client "
				       "cannot follow (no DesktopSize)");
		return;
	}
	c->resize_pending = true;
	/* Reason 1 answers this client's own SetDesktopSize; 2 tells the
	 * others a client changed it; 0 is any other change. */
	if (c->want_ext_desktop_size) {
		struct xrfb_client *req = s->resizing_client;

		if (req == c) {
			sched_desktop_size_reply(c, 0);
		} else {
			c->eds_pending = true;
			c->eds_reason = req ? 2 : 0;
			c->eds_status = 0;
		}
	}
}

void sched_desktop_size_reply(struct xrfb_client *c, int status)
{
	/* A client that floods requests without reading loses the
	 * oldest answers, not the newest. */
	if (c->n_eds_replies == CLIENT_MAX_EDS_REPLIES) {
		memmove(c->eds_replies, c->eds_replies + 1,
			CLIENT_MAX_EDS_REPLIES - 1);
		c->n_eds_replies--;
	}
	c->eds_replies[c->n_eds_replies++] = (uint8_t)status;
	c->eds_replies_queued++;
	server_kick(c->server);
}

/* Pending moves into @r go as pixels: the client may not have what
 * they would copy. */
static void moves_to_pixels(struct xrfb_client *c, struct rect r)
{
	region_t in;

	pixman_region32_init(&in);
	pixman_region32_intersect_rect(&in, &c->copy, r.x, r.y, (unsigned)r.w,
				       (unsigned)r.h);
	pixman_region32_union(&c->damage, &c->damage, &in);
	pixman_region32_subtract(&c->copy, &c->copy, &in);
	pixman_region32_fini(&in);
}

/* The client lost @r: resend it whole, and never through CopyRect. */
static void full_refresh_area(struct xrfb_client *c, struct rect r)
{
	pixman_region32_union_rect(&c->damage, &c->damage, r.x, r.y,
				   (unsigned)r.w, (unsigned)r.h);
	pixman_region32_subtract(&c->copy, &c->copy, &c->damage);
}

static void on_full_refresh_due(void *arg, const region_t *area)
{
	struct xrfb_client *c = arg;
	struct xrfb_server *s = c->server;
	region_t a;

	if (c->state != CLIENT_STATE_NORMAL)
		return;
	/* Clipped to the framebuffer: it may have shrunk meanwhile. */
	pixman_region32_init(&a);
	pixman_region32_intersect_rect(&a, (region_t *)area, 0, 0,
				       (unsigned)s->fb.width,
				       (unsigned)s->fb.height);
	pixman_region32_union(&c->requested, &c->requested, &a);
	pixman_region32_union(&c->damage, &c->damage, &a);
	pixman_region32_subtract(&c->copy, &c->copy, &c->damage);
	pixman_region32_fini(&a);
	/* The request it came with may have been answered meanwhile. */
	c->has_request = true;
	server_kick(s);
}

void sched_request(struct xrfb_client *c, bool incremental, int x, int y,
		   int w, int h)
{
	struct xrfb_server *s = c->server;
	struct rect r = { x, y, w, h };

	log_trace("client %u: %s request %dx%d+%d+%d", c->id,
		  incremental ? "incremental" : "full", w, h, x, y);
	/* With continuous updates on, incremental requests mean nothing. */
	if (incremental && c->flow.cu_enabled)
		return;
	c->has_request = true;
	/* Requests made before a resize reached the client may lie
	 * outside: clip them (doc/protocol.md, "Framebuffer updates"). */
	if (fb_clip(&s->fb, &r)) {
		pixman_region32_union_rect(&c->requested, &c->requested, r.x,
					   r.y, (unsigned)r.w, (unsigned)r.h);
		/* Full refreshes are rate limited (fair.c); meanwhile the
		 * request is answered as an incremental one, moves into
		 * the area sent as pixels. */
		if (!incremental && fair_full_request(&c->fair, &r))
			full_refresh_area(c, r);
		else if (!incremental)
			moves_to_pixels(c, r);
	}
	if (!incremental && c->want_ext_desktop_size && !c->eds_pending) {
		c->eds_pending = true;
		c->eds_reason = 0;
		c->eds_status = 0;
	}
}

bool sched_wants_update(const struct xrfb_client *c)
{
	return c->state == CLIENT_STATE_NORMAL &&
	       (c->has_request || c->flow.cu_enabled) &&
	       server_client_has_room(c) && flow_can_send(c);
}

/* ---- building updates --------------------------------------------------- */

static void put_update_header(struct buf *b, unsigned nrects)
{
	buf_put_u8(b, RFB_MSG_FB_UPDATE);
	buf_put_u8(b, 0);
	buf_put_u16(b, (uint16_t)nrects);
}

static int send_update(struct xrfb_client *c, struct buf *body,
		       unsigned nrects)
{
	struct buf hdr = BUF_INIT;

	if (buf_reserve(&hdr, RFB_FB_UPDATE_HDR_LEN) < 0)
		return -ENOMEM;
	put_update_header(&hdr, nrects);
	log_trace("client %u: update, %u rects, %zu bytes", c->id, nrects,
		  hdr.len + body->len);
	c->updates_sent++;
	c->bytes_sent += hdr.len + body->len;
	flow_after_update(c, hdr.len + body->len);
	stream_send(c->stream, rcbuf_from_buf(&hdr));
	return stream_send(c->stream, rcbuf_from_buf(body));
}

/* ExtendedDesktopSize (doc/protocol.md, "Desktop size") with the server's
 * screens. */
static int put_ext_desktop_size(struct xrfb_client *c, struct buf *b,
				int reason, int status)
{
	struct xrfb_server *s = c->server;

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
static int send_size_update(struct xrfb_client *c, int reason, int status)
{
	struct xrfb_server *s = c->server;
	struct buf b = BUF_INIT;
	int n;

	if (c->want_ext_desktop_size)
		n = put_ext_desktop_size(c, &b, reason, status);
	else
		n = enc_put_header(&b, 0, 0, s->fb.width, s->fb.height,
				   RFB_ENC_DESKTOP_SIZE) < 0 ? -ENOMEM : 1;
	if (n < 0) {
		buf_fini(&b);
		return n;
	}
	return send_update(c, &b, 1);
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
static int put_copies(struct xrfb_client *c, region_t *copy,
		      const region_t *over, struct buf *b)
{
	struct copy_order o = { c->copy_dx, c->copy_dy };
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
		buf_put_u16(b, (uint16_t)(r.x - c->copy_dx));
		buf_put_u16(b, (uint16_t)(r.y - c->copy_dy));
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
static void small_copies_to_pixels(struct xrfb_client *c, region_t *copy,
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
	pixman_region32_subtract(&c->copy, &c->copy, &small);
	pixman_region32_union(pixels, pixels, &small);
	pixman_region32_fini(&small);
}

/*
 * The rectangles that send @area as pixels, in a new array (*@boxes, to
 * be freed) with their count; @area grows to what they cover.
 */
static int pixel_boxes(struct xrfb_client *c, region_t *area,
		       pixman_box32_t **boxes)
{
	const pixman_box32_t *b;
	int n;

	if (compresses(c->preferred))
		merge_gaps(area, &c->requested);
	if (pixman_region32_n_rects(area) > SCHED_MAX_RECTS) {
		pixman_box32_t ext = *pixman_region32_extents(area);
		pixman_region32_reset(area, &ext);
	}
	b = pixman_region32_rectangles(area, &n);
	*boxes = malloc((size_t)(n ? n : 1) * sizeof(**boxes));
	if (!*boxes)
		return -ENOMEM;
	memcpy(*boxes, b, (size_t)n * sizeof(**boxes));
	if (compresses(c->preferred) && n > 1) {
		n = merge_boxes(*boxes, n, &c->requested);
		for (int i = 0; i < n; i++)
			region_add_box(area, &(*boxes)[i]);
	}
	return n;
}

static int put_pixels(struct xrfb_client *c, const region_t *area,
		      const pixman_box32_t *boxes, int n, struct buf *b)
{
	struct xrfb_server *s = c->server;
	struct enc_frame f = { s->fb.pixels, s->fb.stride, s->fb.width,
			       s->fb.height };
	struct enc_params p = {
		.pc = &c->pc,
		.quality = c->quality,
		.fine_quality = c->fine_quality,
		.subsampling = c->subsampling,
		.compress = c->compress,
		.flags = c->enc_flags,
	};
	struct encoder *e = client_encoder(c, c->preferred);
	struct rect box;
	bool compose;
	int total = 0;

	if (!e)
		return -ENOMEM;
	/* Clients that show no cursor of their own get it in the pixels:
	 * encode from a copy of each rectangle with the cursor drawn in. */
	compose = client_draws_cursor(c) &&
		  cursor_box(&s->cursor, &s->fb, &box) &&
		  region_meets(area, &box);
	if (compose) {
		if (!s->comp.pixels && fb_init(&s->comp, s->fb.width,
					       s->fb.height) < 0)
			return -ENOMEM;
		f.pixels = s->comp.pixels;
		f.stride = s->comp.stride;
	}
	for (int i = 0; i < n; i++) {
		struct rect r = rect_from_box(&boxes[i]);
		int k;

		if (compose)
			cursor_compose(&s->cursor, &s->fb, &s->comp, &r);
		k = e->ops->encode(e, &p, &f, &r, b);

		if (k < 0)
			return k;
		total += k;
	}
	return total;
}

/* Confirmations and state pseudo-rectangles the client asked for. */
static int put_pseudo(struct xrfb_client *c, struct buf *b)
{
	struct xrfb_server *s = c->server;
	struct cursor *cur = &s->cursor;
	int n = 0;

	if (c->confirm_qemu_key) {
		if (enc_put_header(b, 0, 0, 0, 0, RFB_ENC_QEMU_EXT_KEY) < 0)
			return -ENOMEM;
		c->confirm_qemu_key = false;
		c->confirmed_qemu_key = true;
		n++;
	}
	if (c->confirm_ext_mouse) {
		if (enc_put_header(b, 0, 0, 0, 0, RFB_ENC_EXT_MOUSE_BUTTONS) < 0)
			return -ENOMEM;
		/* From now on bit 7 of a pointer event marks a 7th byte. */
		c->confirm_ext_mouse = false;
		c->confirmed_ext_mouse = true;
		c->parse.ext_mouse_buttons = true;
		n++;
	}
	if ((c->want_cursor || c->want_xcursor) &&
	    c->cursor_serial != cur->serial) {
		if (cursor_put_shape(cur, &c->pc, c->want_cursor, b) < 0)
			return -ENOMEM;
		c->cursor_serial = cur->serial;
		n++;
	}
	if (c->want_pointer_pos && c->pos_serial != cur->pos_serial) {
		/* Never echo a client's own pointer moves back to it. */
		if (cur->x != c->last_x || cur->y != c->last_y) {
			if (cursor_put_pos(cur, b) < 0)
				return -ENOMEM;
			n++;
		}
		c->pos_serial = cur->pos_serial;
	}
	if (c->want_qemu_led && c->led_serial != s->led_serial) {
		if (enc_put_header(b, 0, 0, 0, 0, RFB_ENC_QEMU_LED) < 0 ||
		    buf_reserve(b, 1) < 0)
			return -ENOMEM;
		buf_put_u8(b, (uint8_t)s->led_state);
		c->led_serial = s->led_serial;
		n++;
	}
	if (c->want_desktop_name && c->name_serial != s->name_serial) {
		const char *name = s->desktop_name ? s->desktop_name : "xrfb";
		size_t len = strlen(name);

		if (enc_put_header(b, 0, 0, 0, 0, RFB_ENC_DESKTOP_NAME) < 0 ||
		    buf_append(b, (uint8_t[4]){ (uint8_t)(len >> 24),
				(uint8_t)(len >> 16), (uint8_t)(len >> 8),
				(uint8_t)len }, 4) < 0 ||
		    buf_append(b, name, len) < 0)
			return -ENOMEM;
		c->name_serial = s->name_serial;
		n++;
	}
	return n;
}

static void on_pace_timer(void *arg)
{
	struct xrfb_client *c = arg;

	c->pace_timer = NULL;
	server_kick(c->server);
}

/* --max-fps: only limits; a change after a quiet spell goes out now. */
static bool paced(struct xrfb_client *c, uint64_t now)
{
	unsigned fps = c->server->max_fps;
	uint64_t interval;

	if (!fps)
		return false;
	interval = 1000 / fps;
	if (now - c->last_update_ms >= interval)
		return false;
	if (!c->pace_timer)
		c->pace_timer = xrfb_loop_add_timer(
			c->server->loop, interval - (now - c->last_update_ms),
			on_pace_timer, c);
	return true;
}

void sched_run(struct xrfb_client *c)
{
	region_t copy, pixels;
	struct buf body = BUF_INIT;
	pixman_box32_t *boxes = NULL;
	uint64_t now, cpu;
	int n, nboxes, total = 0;

	if (!sched_wants_update(c))
		return;
	if (c->resize_pending && !c->want_ext_desktop_size) {
		/* DesktopSize answers the request; the client then asks
		 * for the whole new framebuffer (libvncclient does). */
		c->resize_pending = false;
		c->has_request = false;
		pixman_region32_clear(&c->requested);
		if (send_size_update(c, 0, 0) < 0)
			client_close_reason(c, "out of memory");
		else
			stream_flush(c->stream);
		return;
	}
	if (c->eds_pending || c->n_eds_replies) {
		/* Updates of their own, with no pixel data in them; they do
		 * not answer the request (doc/protocol.md, "Desktop size").
		 * Answers to SetDesktopSize first, in order, then the current state. */
		bool resized = c->resize_pending;
		unsigned i, n_replies = c->n_eds_replies;

		c->n_eds_replies = 0;
		c->resize_pending = false;
		for (i = 0; i < n_replies; i++)
			if (send_size_update(c, 1, c->eds_replies[i]) < 0) {
				client_close_reason(c, "out of memory");
				return;
			}
		if (c->eds_pending) {
			c->eds_pending = false;
			if (send_size_update(c, c->eds_reason,
					     c->eds_status) < 0) {
				client_close_reason(c, "out of memory");
				return;
			}
		}
		/* Its request was for the old size, and it will not ask
		 * again non-incrementally: send all of the new one. */
		if (resized)
			pixman_region32_union_rect(&c->requested,
				&c->requested, 0, 0,
				(unsigned)c->server->fb.width,
				(unsigned)c->server->fb.height);
	}
	now = xrfb_now_ms();
	if (paced(c, now) || server_cpu_held(c->server, now) ||
	    fair_held(&c->fair, now, server_cpu_share(c->server)))
		return;
	cpu = c->server->max_cpu ? c->server->cpu_clock_us() : 0;

	if (c->flow.cu_enabled && c->flow.cu_area.w)
		pixman_region32_union_rect(&c->requested, &c->requested,
					   c->flow.cu_area.x, c->flow.cu_area.y,
					   (unsigned)c->flow.cu_area.w,
					   (unsigned)c->flow.cu_area.h);
	pixman_region32_init(&copy);
	pixman_region32_init(&pixels);
	pixman_region32_intersect(&copy, &c->copy, &c->requested);
	pixman_region32_intersect(&pixels, &c->damage, &c->requested);

	n = put_pseudo(c, &body);
	if (n < 0)
		goto err;
	total += n;
	if (!total && !pixman_region32_not_empty(&copy) &&
	    !pixman_region32_not_empty(&pixels))
		goto out;
	/* The part of a move outside this request would be applied by a
	 * later update, reading sources this one may overwrite at the
	 * client: send that part as pixels instead. */
	pixman_region32_subtract(&c->copy, &c->copy, &copy);
	pixman_region32_union(&c->damage, &c->damage, &c->copy);
	pixman_region32_copy(&c->copy, &copy);

	if (compresses(c->preferred))
		small_copies_to_pixels(c, &copy, &pixels);
	nboxes = pixel_boxes(c, &pixels, &boxes);
	if (nboxes < 0) {
		n = nboxes;
		goto err;
	}
	n = put_copies(c, &copy, &pixels, &body);
	if (n < 0)
		goto err;
	total += n;
	n = put_pixels(c, &pixels, boxes, nboxes, &body);
	if (n < 0)
		goto err;
	total += n;
	if (total > 0xffff || (total == 0xffff && c->want_last_rect)) {
		/* More rectangles than the count can say: LastRect ends the
		 * update for clients that know it (count 0xFFFF). Without
		 * it this cannot happen with SCHED_MAX_RECTS and sane
		 * encoders. */
		if (!c->want_last_rect) {
			client_close_reason(c, "update with %d rectangles",
					    total);
			goto out;
		}
		if (enc_put_header(&body, 0, 0, 0, 0, RFB_ENC_LAST_RECT) < 0) {
			n = -ENOMEM;
			goto err;
		}
		total = 0xffff;
	}
	pixman_region32_subtract(&c->copy, &c->copy, &copy);
	pixman_region32_subtract(&c->damage, &c->damage, &pixels);
	pixman_region32_clear(&c->requested);
	c->has_request = false;
	c->last_update_ms = now;
	if (send_update(c, &body, (unsigned)total) < 0)
		client_close_reason(c, "out of memory");
	if (c->server->max_cpu) {
		cpu = c->server->cpu_clock_us() - cpu;
		fair_charge(&c->fair, cpu);
		c->server->cpu_clients_us += cpu;
	}
	server_cpu_charge(c->server);
	goto out;

err:
	/* An encoder failed, possibly mid-stream: the client's decoder
	 * state is lost, so the connection cannot go on. */
	client_close_reason(c, "encoding failed: %s", strerror(-n));
out:
	if (c->state == CLIENT_STATE_NORMAL)
		stream_flush(c->stream);
	free(boxes);
	buf_fini(&body);
	pixman_region32_fini(&copy);
	pixman_region32_fini(&pixels);
}
