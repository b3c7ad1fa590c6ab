/* SPDX-License-Identifier: MIT */
/*
 * sched: what goes into FramebufferUpdates, seen by viewers on real
 * sockets that keep a model of their framebuffer (Raw and CopyRect
 * applied in order) and compare it with the server's pixels. Covers
 * refined incremental updates, CopyRect for clients that listed it (and
 * pixels for the others) with correct sources and ordering, full requests
 * never answered with CopyRect, clipping of requests, and resizes
 * (DesktopSize, ExtendedDesktopSize, and never a rectangle outside),
 * and H.264 for a large moving area to clients that listed it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "client.h"
#include "rfb-proto.h"
#include "server.h"
#include "tpeer.h"
#include "unit.h"

struct env {
	struct xrfb_loop *loop;
	struct xrfb_server *s;
	uint16_t port;
	struct unit_rng rng;
};

static void env_start(struct env *e, int w, int h)
{
	memset(e, 0, sizeof(*e));
	e->loop = xrfb_loop_new();
	ck_assert_ptr_nonnull(e->loop);
	e->s = xrfb_server_new(e->loop, (uint16_t)w, (uint16_t)h);
	ck_assert_ptr_nonnull(e->s);
	ck_assert_int_eq(xrfb_server_listen(e->s, "127.0.0.1", 0), 0);
	e->port = xrfb_server_port(e->s);
	unit_rng_seed(&e->rng, 1);
}

static void env_stop(struct env *e)
{
	xrfb_server_free(e->s);
	xrfb_loop_free(e->loop);
}

/* Noise over a rectangle (never content that moved). */
static void paint_rect(struct env *e, int x, int y, int w, int h)
{
	uint32_t *img = malloc((size_t)w * h * 4);

	ck_assert_ptr_nonnull(img);
	for (int i = 0; i < w * h; i++)
		img[i] = unit_rng_next(&e->rng) & 0xffffff;
	xrfb_server_update(e->s, img, (size_t)w * 4, x, y, w, h);
	free(img);
}

static void paint(struct env *e)
{
	paint_rect(e, 0, 0, xrfb_server_width(e->s), xrfb_server_height(e->s));
}

static void connect_peer(struct env *e, struct tpeer *p, const int32_t *enc,
			 int nenc)
{
	tpeer_open_tcp(p, e->loop, e->port, 0);
	tpeer_handshake(p, 8, NULL, true);
	tpeer_set_encodings(p, enc, nenc);
}

static void assert_model(struct tpeer *p, struct env *e, const char *when)
{
	int x = -1, y = -1;

	ck_assert_msg(tpeer_model_matches(p, e->s, &x, &y),
		      "%s: viewer differs from the server at %d,%d", when, x,
		      y);
}

/* A full request and its update: the viewer then shows the server. */
static void full_update(struct env *e, struct tpeer *p)
{
	struct tpeer_msg m;

	tpeer_request(p, false, 0, 0, p->width, p->height);
	tpeer_next_update(p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_COPYRECT), 0);
	tpeer_msg_fini(&m);
	assert_model(p, e, "after a full update");
}

/* ---- incremental updates ------------------------------------------------------ */

START_TEST(test_incremental_refined)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	size_t stride;
	uint32_t *img, px;

	env_start(&e, 200, 100);
	paint(&e);
	connect_peer(&e, &p, raw, 1);
	full_update(&e, &p);

	/* The same pixels over everything, and one real change: the
	 * update is that one tile's worth, not the whole screen. */
	img = malloc(200 * 100 * 4);
	memcpy(img, xrfb_server_pixels(e.s, &stride), 200 * 100 * 4);
	ck_assert_uint_eq(stride, 200 * 4);
	img[70 * 200 + 150] ^= 0x00ff00;
	px = img[70 * 200 + 150];
	xrfb_server_update(e.s, img, 200 * 4, 0, 0, 200, 100);
	tpeer_request(&p, true, 0, 0, 200, 100);
	tpeer_next_update(&p, &m);
	ck_assert_uint_ge(m.nrects, 1);
	for (unsigned i = 0; i < m.nrects; i++) {
		const struct tpeer_rect *r = &m.rects[i];

		ck_assert_int_eq(r->enc, RFB_ENC_RAW);
		ck_assert_int_ge(r->x, 128);
		ck_assert_int_le(r->x + r->w, 160);
		ck_assert_int_ge(r->y, 64);
		ck_assert_int_le(r->y + r->h, 96);
	}
	ck_assert_uint_eq(p.fb[70 * 200 + 150], px & 0xffffff);
	assert_model(&p, &e, "after the incremental update");
	tpeer_msg_fini(&m);

	/* Unchanged pixels pushed again produce nothing: the next update
	 * holds only the next real change. */
	xrfb_server_update(e.s, img, 200 * 4, 0, 0, 200, 100);
	paint_rect(&e, 3, 5, 2, 2);
	tpeer_request(&p, true, 0, 0, 200, 100);
	tpeer_next_update(&p, &m);
	for (unsigned i = 0; i < m.nrects; i++) {
		ck_assert_int_le(m.rects[i].x + m.rects[i].w, 32);
		ck_assert_int_le(m.rects[i].y + m.rects[i].h, 32);
	}
	assert_model(&p, &e, "after the second incremental update");
	tpeer_msg_fini(&m);
	free(img);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* Changes outside the requested area wait; inside it they go out. */
START_TEST(test_incremental_area)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	env_start(&e, 64, 64);
	connect_peer(&e, &p, raw, 1);
	full_update(&e, &p);
	paint_rect(&e, 40, 40, 10, 10);
	paint_rect(&e, 0, 0, 10, 10);
	tpeer_request(&p, true, 0, 0, 32, 32);
	tpeer_next_update(&p, &m);
	for (unsigned i = 0; i < m.nrects; i++) {
		ck_assert_int_le(m.rects[i].x + m.rects[i].w, 32);
		ck_assert_int_le(m.rects[i].y + m.rects[i].h, 32);
	}
	tpeer_msg_fini(&m);
	tpeer_request(&p, true, 0, 0, 64, 64);
	tpeer_next_update(&p, &m);
	for (unsigned i = 0; i < m.nrects; i++) {
		ck_assert_int_ge(m.rects[i].x, 32);
		ck_assert_int_ge(m.rects[i].y, 32);
	}
	assert_model(&p, &e, "after both updates");
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* ---- CPU budget ------------------------------------------------------------- */

static uint64_t fake_cpu_us;

static uint64_t fake_cpu(void)
{
	return fake_cpu_us;
}

/* A server with a budget of 50 % of a core and the process's CPU time
 * faked, and a Raw viewer that had its first update. */
static void budget_start(struct env *e, struct tpeer *p)
{
	static const int32_t raw[] = { RFB_ENC_RAW };

	env_start(e, 64, 64);
	e->s->cpu_clock_us = fake_cpu;
	fake_cpu_us = 1000000;
	xrfb_server_set_max_cpu(e->s, 50);
	paint(e);
	connect_peer(e, p, raw, 1);
	full_update(e, p);
}

/* An update that overspends the budget holds the next one back until
 * the budget has earned the overspend back; then updates flow again.
 * Without a limit nothing waits. The process's CPU time is faked. */
START_TEST(test_cpu_budget)
{
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	uint64_t hold, t0, wait;
	bool wants;

	budget_start(&e, &p);
	ck_assert(!server_state_cpu_held(e.s, xrfb_now_ms()));

	/* 400 ms of CPU against the 250 ms saved up: 150 ms overspent,
	 * earned back at the server's share (half of the 50 %, with one
	 * viewer) in 600 ms of wall time. */
	fake_cpu_us += 400000;
	paint_rect(&e, 0, 0, 8, 8);
	t0 = xrfb_now_ms();
	tpeer_request(&p, true, 0, 0, 64, 64);
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	/* (less the little reading the request took: input is not
	 * charged, and it is measured, not faked) */
	ck_assert_int_ge(e.s->cpu_credit_us, -150000);
	ck_assert_int_le(e.s->cpu_credit_us, -140000);
	wait = (uint64_t)-e.s->cpu_credit_us / 250 + 1;
	hold = e.s->cpu_hold_ms;
	ck_assert_uint_eq(server_state_cpu_share(e.s), 25);
	ck_assert_uint_ge(hold, t0 + wait);
	ck_assert_uint_le(hold, xrfb_now_ms() + wait);
	ck_assert(server_state_cpu_held(e.s, hold - 1));
	ck_assert(!server_state_cpu_held(e.s, hold));
	/* (a machine slow enough to pass 300 ms here is past the hold) */
	wants = xrfb_server_wants_update(e.s);
	if (xrfb_now_ms() < hold)
		ck_assert(!wants);

	/* A change now waits for the budget, then goes out. */
	paint_rect(&e, 8, 8, 8, 8);
	tpeer_request(&p, true, 0, 0, 64, 64);
	tpeer_next_update(&p, &m);
	ck_assert_uint_ge(xrfb_now_ms(), hold);
	ck_assert_uint_eq(m.nrects, 1);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after the held update");
	ck_assert(!server_state_cpu_held(e.s, xrfb_now_ms()));

	/* No limit: however much CPU an update took, the next one may go. */
	xrfb_server_set_max_cpu(e.s, 0);
	fake_cpu_us += 10000000;
	paint_rect(&e, 16, 16, 8, 8);
	tpeer_request(&p, true, 0, 0, 64, 64);
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	ck_assert(!server_state_cpu_held(e.s, xrfb_now_ms()));
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* What reading and parsing input cost (a storm of handshakes, say) is
 * not update work: it holds no update back. */
START_TEST(test_cpu_input_free)
{
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	budget_start(&e, &p);
	/* 400 ms of CPU, all of it on input */
	fake_cpu_us += 400000;
	e.s->cpu_input_us += 400000;
	paint_rect(&e, 0, 0, 8, 8);
	tpeer_request(&p, true, 0, 0, 64, 64);
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	ck_assert_int_eq(e.s->cpu_credit_us, SERVER_CPU_BURST_US);
	ck_assert_uint_eq(e.s->cpu_hold_ms, 0);
	/* the same spent on the update itself is charged */
	fake_cpu_us += 400000;
	server_state_cpu_charge(e.s);
	ck_assert_int_lt(e.s->cpu_credit_us, 0);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* The budget is divided among the viewers that are busy: one that had
 * no update for a while (or a connection that asks for nothing) leaves
 * its share to the others. */
START_TEST(test_cpu_share_active)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	struct env e;
	struct tpeer a, b;
	struct tpeer_msg m;
	struct xrfb_client *cb;
	uint64_t t0;

	env_start(&e, 64, 64);
	xrfb_server_set_max_cpu(e.s, 60);
	paint(&e);
	connect_peer(&e, &a, raw, 1);
	connect_peer(&e, &b, raw, 1);
	/* (the client list starts with the newest) */
	cb = e.s->clients;
	ck_assert_uint_eq(cb->conn.id, 2);
	t0 = xrfb_now_ms();
	full_update(&e, &a);
	full_update(&e, &b);
	/* both busy: a third each, with the capture's (unless the machine
	 * was too slow to count b busy still) */
	paint_rect(&e, 0, 0, 8, 8);
	tpeer_request(&a, true, 0, 0, 64, 64);
	tpeer_next_update(&a, &m);
	tpeer_msg_fini(&m);
	if (xrfb_now_ms() - t0 < SERVER_CPU_ACTIVE_MS) {
		ck_assert_uint_eq(e.s->nclients_active, 2);
		ck_assert_uint_eq(server_state_cpu_share(e.s), 20);
	}
	/* b idle for longer than the window: a has half */
	cb->sched.fair.charged_ms -= SERVER_CPU_ACTIVE_MS;
	t0 = cb->next->sched.fair.charged_ms;	/* a's last update */
	paint_rect(&e, 8, 8, 8, 8);
	tpeer_request(&a, true, 0, 0, 64, 64);
	tpeer_next_update(&a, &m);
	tpeer_msg_fini(&m);
	if (xrfb_now_ms() - t0 < SERVER_CPU_ACTIVE_MS) {
		ck_assert_uint_eq(e.s->nclients_active, 1);
		ck_assert_uint_eq(server_state_cpu_share(e.s), 30);
	} else {
		ck_assert_uint_le(e.s->nclients_active, 1);
	}
	/* b busy again: its update counts it in at the next pass */
	paint_rect(&e, 16, 16, 8, 8);
	t0 = xrfb_now_ms();
	tpeer_request(&b, true, 0, 0, 64, 64);
	tpeer_next_update(&b, &m);
	tpeer_msg_fini(&m);
	ck_assert_uint_ge(cb->sched.fair.charged_ms, t0);
	tpeer_request(&a, true, 0, 0, 64, 64);
	tpeer_next_update(&a, &m);
	tpeer_msg_fini(&m);
	if (xrfb_now_ms() - t0 < SERVER_CPU_ACTIVE_MS)
		ck_assert_uint_eq(e.s->nclients_active, 2);
	tpeer_close(&a);
	tpeer_close(&b);
	env_stop(&e);
}
END_TEST

/* A made-up machine of two CPUs for a budget that yields to demand:
 * each look finds it idle, or loaded (nothing idle, tasks waiting), or
 * without counters. */
enum fake_machine { MACHINE_IDLE, MACHINE_LOADED, MACHINE_UNKNOWN };
static enum fake_machine fake_machine;
static struct cpu_sample fake_last;

static void fake_read(struct cpu_sample *out, uint64_t wall_us,
		      uint64_t self_us)
{
	uint64_t ticks = (wall_us - fake_last.wall_us) / 5000;	/* 2 CPUs */

	*out = fake_last;
	out->wall_us = wall_us;
	out->self_us = self_us;
	out->has_stat = out->has_stall = fake_machine != MACHINE_UNKNOWN;
	if (fake_machine == MACHINE_IDLE)
		out->idle += ticks;
	else
		out->busy += ticks;
	if (fake_machine == MACHINE_LOADED)
		out->stall_us += wall_us - fake_last.wall_us;
	fake_last = *out;
}

/* Look at the machine now, as if the last look was a window ago. */
static void look_now(struct env *e)
{
	e->s->cpu_sample.wall_us -= SERVER_CPU_WINDOW_MS * 1000;
	fake_last.wall_us = e->s->cpu_sample.wall_us;
	server_state_cpu_look(e->s, xrfb_now_ms());
}

/* With the budget yielding to demand, an idle machine lifts the limit
 * to every core and the viewer has all of it; a loaded one, or one
 * whose counters cannot be read, keeps it at --max-cpu; and an update
 * that overspends is held as with a hard limit while the machine is
 * loaded, for the whole process this time. */
START_TEST(test_cpu_budget_yield)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	uint64_t t0;

	env_start(&e, 64, 64);
	e.s->cpu_clock_us = fake_cpu;
	e.s->cpu_read = fake_read;
	e.s->ncpu = 2;
	fake_cpu_us = 1000000;
	fake_machine = MACHINE_LOADED;
	memset(&fake_last, 0, sizeof(fake_last));
	fake_last.wall_us = cpu_budget_mono_us();
	xrfb_server_set_max_cpu(e.s, 50);
	xrfb_server_set_cpu_yield(e.s, true);
	ck_assert_uint_eq(e.s->cpu_limit, 50);
	paint(&e);
	connect_peer(&e, &p, raw, 1);
	full_update(&e, &p);
	/* at the floor, as the fixed budget: one viewer, half of it */
	ck_assert_uint_eq(server_state_cpu_share(e.s), 25);

	look_now(&e);
	ck_assert_uint_eq(e.s->cpu_limit, 50);
	fake_cpu_us += 400000;
	paint_rect(&e, 0, 0, 8, 8);
	t0 = xrfb_now_ms();
	tpeer_request(&p, true, 0, 0, 64, 64);
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	/* 150 ms overspent at 50 %: held for 300 ms from the update (less
	 * the little reading the request took, which is not charged) */
	ck_assert_uint_ge(e.s->cpu_hold_ms, t0 + 280);
	ck_assert(server_state_cpu_held(e.s, t0 + 279));

	fake_machine = MACHINE_IDLE;
	look_now(&e);
	/* (what the process used in the window counts too: every core) */
	ck_assert_uint_eq(e.s->cpu_limit, 200);
	ck_assert_uint_eq(server_state_cpu_share(e.s), 200);
	/* the held change goes out once the hold is worked out again */
	paint_rect(&e, 8, 8, 8, 8);
	tpeer_request(&p, true, 0, 0, 64, 64);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(m.nrects, 1);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after the idle machine lifted the limit");

	fake_machine = MACHINE_UNKNOWN;
	look_now(&e);
	ck_assert_uint_eq(e.s->cpu_limit, 50);
	fake_machine = MACHINE_LOADED;
	look_now(&e);
	ck_assert_uint_eq(e.s->cpu_limit, 50);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* How many rectangles an update of changes @r[0..n) takes with @enc;
 * none reaches beyond the bounding box of the changes. */
static unsigned pixel_rects_for(const int32_t *enc, const struct rect *r,
				int n)
{
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	struct rect box = r[0];
	unsigned count = 0;

	env_start(&e, 256, 64);
	paint(&e);
	connect_peer(&e, &p, enc, 1);
	tpeer_request(&p, false, 0, 0, 256, 64);
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	for (int i = 0; i < n; i++) {
		paint_rect(&e, r[i].x, r[i].y, r[i].w, r[i].h);
		if (r[i].x < box.x) {
			box.w += box.x - r[i].x;
			box.x = r[i].x;
		}
		if (r[i].y < box.y) {
			box.h += box.y - r[i].y;
			box.y = r[i].y;
		}
		if (r[i].x + r[i].w > box.x + box.w)
			box.w = r[i].x + r[i].w - box.x;
		if (r[i].y + r[i].h > box.y + box.h)
			box.h = r[i].y + r[i].h - box.y;
	}
	tpeer_request(&p, true, 0, 0, 256, 64);
	tpeer_next_update(&p, &m);
	for (unsigned i = 0; i < m.nrects; i++) {
		ck_assert_int_eq(m.rects[i].enc, enc[0]);
		ck_assert_int_ge(m.rects[i].x, box.x);
		ck_assert_int_ge(m.rects[i].y, box.y);
		ck_assert_int_le(m.rects[i].x + m.rects[i].w, box.x + box.w);
		ck_assert_int_le(m.rects[i].y + m.rects[i].h, box.y + box.h);
		count++;
	}
	if (enc[0] == RFB_ENC_RAW)
		assert_model(&p, &e, "after the changes");
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
	return count;
}

/* Changes close together in one band go out as one rectangle with an
 * encoding that compresses, as two with Raw; far apart, as two. */
static unsigned pixel_rects_after(const int32_t *enc, int gap)
{
	const struct rect r[] = { { 10, 20, 8, 8 }, { 18 + gap, 20, 8, 8 } };

	return pixel_rects_for(enc, r, 2);
}

START_TEST(test_merge_nearby)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	static const int32_t zlib[] = { RFB_ENC_ZLIB };

	ck_assert_uint_eq(pixel_rects_after(zlib, 20), 1);
	ck_assert_uint_eq(pixel_rects_after(raw, 20), 2);
	ck_assert_uint_eq(pixel_rects_after(zlib, 100), 2);
}
END_TEST

/* The new lines of a scrolled terminal: a full-width row, and below it
 * text that left a wide gap unchanged. Pixman cuts that into three
 * rectangles in two bands; an encoding that compresses sends their
 * bounding box, Raw the three. Two small changes far apart stay two. */
START_TEST(test_merge_bands)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	static const int32_t zlib[] = { RFB_ENC_ZLIB };
	const struct rect lines[] = {
		{ 0, 10, 200, 13 }, { 10, 23, 20, 8 }, { 70, 23, 130, 8 },
	};
	const struct rect far[] = { { 0, 0, 12, 12 }, { 200, 40, 12, 12 } };

	ck_assert_uint_eq(pixel_rects_for(zlib, lines, 3), 1);
	ck_assert_uint_eq(pixel_rects_for(raw, lines, 3), 3);
	ck_assert_uint_eq(pixel_rects_for(zlib, far, 2), 2);
}
END_TEST

/* ---- CopyRect ------------------------------------------------------------------------ */

struct move_case {
	const char *name;
	int sx, sy, dx, dy, w, h;
	/* Damage the clients have not been sent, before the move. */
	int dmg_x, dmg_y, dmg_w, dmg_h;
};

static const struct move_case moves[] = {
	{ "scroll down", 0, 0, 0, 10, 160, 110, 0, 0, 0, 0 },
	{ "scroll up", 0, 10, 0, 0, 160, 110, 0, 0, 0, 0 },
	{ "right", 0, 0, 7, 0, 150, 120, 0, 0, 0, 0 },
	{ "left", 7, 0, 0, 0, 150, 120, 0, 0, 0, 0 },
	{ "diagonal", 5, 5, 20, 13, 100, 90, 0, 0, 0, 0 },
	{ "disjoint", 0, 0, 100, 70, 50, 40, 0, 0, 0, 0 },
	{ "scroll down, stale hole", 0, 0, 0, 10, 160, 110, 30, 40, 20, 5 },
	{ "scroll up, stale hole", 0, 10, 0, 0, 160, 110, 60, 50, 30, 8 },
	{ "left, stale holes", 9, 0, 0, 0, 151, 120, 40, 10, 5, 100 },
	{ "diagonal, stale", 20, 13, 5, 5, 100, 90, 30, 30, 40, 3 },
	{ "partly outside", 100, 60, 130, 90, 80, 80, 0, 0, 0, 0 },
	{ "from outside", -10, -5, 0, 0, 60, 50, 0, 0, 0, 0 },
	{ "to outside", 20, 20, -5, 30, 100, 200, 50, 60, 10, 10 },
};
#define NMOVES ((int)(sizeof(moves) / sizeof(moves[0])))

START_TEST(test_copy_rect)
{
	static const int32_t with_copy[] = { RFB_ENC_COPYRECT, RFB_ENC_RAW };
	static const int32_t raw[] = { RFB_ENC_RAW };
	const struct move_case *mc = &moves[_i];
	struct env e;
	struct tpeer c, r;
	struct tpeer_msg m;

	env_start(&e, 160, 120);
	xrfb_server_set_move_detection(e.s, false);
	paint(&e);
	connect_peer(&e, &c, with_copy, 2);
	connect_peer(&e, &r, raw, 1);
	full_update(&e, &c);
	full_update(&e, &r);

	if (mc->dmg_w)
		paint_rect(&e, mc->dmg_x, mc->dmg_y, mc->dmg_w, mc->dmg_h);
	xrfb_server_copy_rect(e.s, mc->sx, mc->sy, mc->dx, mc->dy, mc->w,
			      mc->h);

	tpeer_request(&c, true, 0, 0, 160, 120);
	tpeer_next_update(&c, &m);
	ck_assert_msg(tpeer_count_enc(&m, RFB_ENC_COPYRECT) > 0,
		      "%s: no CopyRect", mc->name);
	for (unsigned i = 0; i < m.nrects; i++) {
		const struct tpeer_rect *rc = &m.rects[i];

		if (rc->enc != RFB_ENC_COPYRECT)
			continue;
		/* The source is the destination moved back. */
		ck_assert_int_eq(rc->src_x, rc->x - (mc->dx - mc->sx));
		ck_assert_int_eq(rc->src_y, rc->y - (mc->dy - mc->sy));
		/* Inside the moved area (and the framebuffer, which the
		 * viewer model checks). */
		ck_assert_int_ge(rc->x, mc->dx);
		ck_assert_int_ge(rc->y, mc->dy);
		ck_assert_int_le(rc->x + rc->w, mc->dx + mc->w);
		ck_assert_int_le(rc->y + rc->h, mc->dy + mc->h);
	}
	/* CopyRects come before the pixels that may overwrite them. */
	for (unsigned i = 1; i < m.nrects; i++)
		if (m.rects[i].enc == RFB_ENC_COPYRECT)
			ck_assert_int_eq(m.rects[i - 1].enc, RFB_ENC_COPYRECT);
	tpeer_msg_fini(&m);
	/* The model applied them in order: wrong order or sources show. */
	assert_model(&c, &e, mc->name);

	tpeer_request(&r, true, 0, 0, 160, 120);
	tpeer_next_update(&r, &m);
	ck_assert_msg(tpeer_count_enc(&m, RFB_ENC_COPYRECT) == 0,
		      "%s: CopyRect to a client that did not list it",
		      mc->name);
	tpeer_msg_fini(&m);
	assert_model(&r, &e, mc->name);
	tpeer_close(&c);
	tpeer_close(&r);
	env_stop(&e);
}
END_TEST

/* Two moves before the client asks: the same offset chained, then a
 * different offset; the result must still be right. */
/* Whether a pixel rectangle of @m meets the box x, y, w, h. */
static bool pixels_meet(const struct tpeer_msg *m, int x, int y, int w,
			int h)
{
	for (unsigned i = 0; i < m->nrects; i++) {
		const struct tpeer_rect *r = &m->rects[i];

		if (r->enc != RFB_ENC_COPYRECT && r->x < x + w &&
		    x < r->x + r->w && r->y < y + h && y < r->y + r->h)
			return true;
	}
	return false;
}

/* A piece of a move too small to pay for its header goes out as pixels
 * with an encoding that compresses; Raw keeps its CopyRect. */
START_TEST(test_copy_small_as_pixels)
{
	static const int32_t zlib[] = { RFB_ENC_COPYRECT, RFB_ENC_ZLIB };
	static const int32_t raw[] = { RFB_ENC_COPYRECT, RFB_ENC_RAW };
	struct env e;
	struct tpeer z, r;
	struct tpeer_msg m;

	env_start(&e, 256, 128);
	xrfb_server_set_move_detection(e.s, false);
	paint(&e);
	connect_peer(&e, &z, zlib, 2);
	connect_peer(&e, &r, raw, 2);
	tpeer_request(&z, false, 0, 0, 256, 128);
	tpeer_next_update(&z, &m);
	tpeer_msg_fini(&m);
	full_update(&e, &r);

	xrfb_server_copy_rect(e.s, 0, 0, 0, 10, 200, 50);
	xrfb_server_copy_rect(e.s, 220, 100, 220, 110, 8, 8);

	tpeer_request(&z, true, 0, 0, 256, 128);
	tpeer_next_update(&z, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_COPYRECT), 1);
	ck_assert(pixels_meet(&m, 220, 110, 8, 8));
	ck_assert(!pixels_meet(&m, 0, 10, 200, 50));
	tpeer_msg_fini(&m);

	tpeer_request(&r, true, 0, 0, 256, 128);
	tpeer_next_update(&r, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_COPYRECT), 2);
	ck_assert_uint_eq(m.nrects, 2);
	assert_model(&r, &e, "after the moves");
	tpeer_msg_fini(&m);
	tpeer_close(&z);
	tpeer_close(&r);
	env_stop(&e);
}
END_TEST

/* With the cursor drawn into the client's pixels, a move resends the
 * cursor only where the move covers it or carries it along. */
START_TEST(test_copy_cursor)
{
	static const int32_t raw[] = { RFB_ENC_COPYRECT, RFB_ENC_RAW };
	static const uint32_t arrow[16] = {
		0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
		0xffffffff, 0xff000000, 0xff000000, 0xffffffff,
		0xffffffff, 0xff000000, 0xff000000, 0xffffffff,
		0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
	};
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	uint32_t *before = malloc(256 * 128 * 4);
	const uint32_t *fb;
	size_t stride;

	ck_assert_ptr_nonnull(before);
	env_start(&e, 256, 128);
	xrfb_server_set_move_detection(e.s, false);
	paint(&e);
	ck_assert_int_eq(xrfb_server_set_cursor(e.s, arrow, 4, 4, 0, 0), 0);
	xrfb_server_set_pointer_pos(e.s, 150, 100);
	fb = xrfb_server_pixels(e.s, &stride);
	for (int y = 0; y < 128; y++)
		memcpy(before + y * 256, (const uint8_t *)fb + y * stride,
		       256 * 4);
	connect_peer(&e, &p, raw, 2);
	tpeer_request(&p, false, 0, 0, 256, 128);
	tpeer_next_update(&p, &m);
	ck_assert(pixels_meet(&m, 150, 100, 4, 4));
	tpeer_msg_fini(&m);
	/* The client got the cursor in its pixels; the screen kept none. */
	ck_assert_uint_eq(p.fb[101 * 256 + 151] & 0xffffff, 0);
	ck_assert_uint_eq(p.fb[100 * 256 + 150] & 0xffffff, 0xffffff);
	for (int y = 0; y < 128; y++)
		ck_assert(memcmp(before + y * 256,
				 (const uint8_t *)fb + y * stride,
				 256 * 4) == 0);
	free(before);

	/* Far from the cursor: the CopyRect alone. */
	xrfb_server_copy_rect(e.s, 0, 0, 0, 10, 100, 50);
	tpeer_request(&p, true, 0, 0, 256, 128);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(m.nrects, 1);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_COPYRECT), 1);
	tpeer_msg_fini(&m);

	/* Over it: the cursor is drawn again where it is, and where the
	 * move took its old image. */
	xrfb_server_copy_rect(e.s, 140, 80, 140, 95, 40, 30);
	tpeer_request(&p, true, 0, 0, 256, 128);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_COPYRECT), 1);
	ck_assert(pixels_meet(&m, 150, 100, 4, 4));
	ck_assert(pixels_meet(&m, 150, 115, 4, 4));
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

START_TEST(test_copy_chain)
{
	static const int32_t with_copy[] = { RFB_ENC_COPYRECT, RFB_ENC_RAW };
	static const int seq[][6] = {
		{ 0, 0, 0, 8, 96, 88 },	{ 0, 0, 0, 8, 96, 88 },
		{ 0, 0, 4, 0, 92, 96 },	{ 10, 10, 30, 30, 20, 20 },
		{ 30, 30, 10, 10, 20, 20 },
	};
	struct env e;
	struct tpeer c;
	struct tpeer_msg m;

	env_start(&e, 96, 96);
	xrfb_server_set_move_detection(e.s, false);
	paint(&e);
	connect_peer(&e, &c, with_copy, 2);
	full_update(&e, &c);
	for (int n = 1; n <= 5; n++) {
		for (int k = 0; k < n; k++)
			xrfb_server_copy_rect(e.s, seq[k][0], seq[k][1],
					      seq[k][2], seq[k][3], seq[k][4],
					      seq[k][5]);
		tpeer_request(&c, true, 0, 0, 96, 96);
		tpeer_next_update(&c, &m);
		tpeer_msg_fini(&m);
		assert_model(&c, &e, "after chained moves");
	}
	tpeer_close(&c);
	env_stop(&e);
}
END_TEST

/* A full request is answered with pixels only, even with a move pending. */
START_TEST(test_copy_not_on_full_request)
{
	static const int32_t with_copy[] = { RFB_ENC_COPYRECT, RFB_ENC_RAW };
	struct env e;
	struct tpeer c;
	struct tpeer_msg m;

	env_start(&e, 80, 60);
	xrfb_server_set_move_detection(e.s, false);
	paint(&e);
	connect_peer(&e, &c, with_copy, 2);
	full_update(&e, &c);
	xrfb_server_copy_rect(e.s, 0, 0, 0, 5, 80, 55);
	tpeer_request(&c, false, 0, 0, 80, 60);
	tpeer_next_update(&c, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_COPYRECT), 0);
	tpeer_msg_fini(&m);
	assert_model(&c, &e, "full request after a move");

	/* A full request for part of the screen: no CopyRect there, and
	 * the rest still right afterwards. */
	xrfb_server_copy_rect(e.s, 0, 5, 0, 0, 80, 55);
	tpeer_request(&c, false, 0, 0, 80, 30);
	tpeer_next_update(&c, &m);
	for (unsigned i = 0; i < m.nrects; i++)
		if (m.rects[i].enc == RFB_ENC_COPYRECT)
			ck_assert_int_ge(m.rects[i].y, 30);
	tpeer_msg_fini(&m);
	tpeer_request(&c, true, 0, 0, 80, 60);
	tpeer_next_update(&c, &m);
	tpeer_msg_fini(&m);
	assert_model(&c, &e, "after a partial full request");
	tpeer_close(&c);
	env_stop(&e);
}
END_TEST

/* A viewer asking for part of the screen at a time (as viewers with a
 * scrolled viewport do) must still end up with the right picture. */
START_TEST(test_copy_partial_requests)
{
	static const int32_t with_copy[] = { RFB_ENC_COPYRECT, RFB_ENC_RAW };
	struct env e;
	struct tpeer c;
	struct tpeer_msg m;

	env_start(&e, 64, 64);
	xrfb_server_set_move_detection(e.s, false);
	paint(&e);
	connect_peer(&e, &c, with_copy, 2);
	full_update(&e, &c);
	/* Scroll down by 10; ask for the top half, then the rest. */
	xrfb_server_copy_rect(e.s, 0, 0, 0, 10, 64, 54);
	tpeer_request(&c, true, 0, 0, 64, 32);
	tpeer_next_update(&c, &m);
	tpeer_msg_fini(&m);
	tpeer_request(&c, true, 0, 0, 64, 64);
	tpeer_next_update(&c, &m);
	tpeer_msg_fini(&m);
	assert_model(&c, &e, "after two partial requests");
	tpeer_close(&c);
	env_stop(&e);
}
END_TEST

/* Moved content found in pushed pixels goes out as CopyRect too. */
START_TEST(test_move_detection)
{
	static const int32_t with_copy[] = { RFB_ENC_COPYRECT, RFB_ENC_RAW };
	static const int32_t raw[] = { RFB_ENC_RAW };
	struct env e;
	struct tpeer c, r;
	struct tpeer_msg m;
	size_t stride;
	uint32_t *img;

	env_start(&e, 128, 128);
	paint(&e);
	connect_peer(&e, &c, with_copy, 2);
	connect_peer(&e, &r, raw, 1);
	full_update(&e, &c);
	full_update(&e, &r);
	/* Scroll everything up by 16 rows, new rows at the bottom. */
	img = malloc(128 * 128 * 4);
	memcpy(img, xrfb_server_pixels(e.s, &stride), 128 * 128 * 4);
	memmove(img, img + 16 * 128, 112 * 128 * 4);
	for (int i = 112 * 128; i < 128 * 128; i++)
		img[i] = unit_rng_next(&e.rng) & 0xffffff;
	xrfb_server_update(e.s, img, 128 * 4, 0, 0, 128, 128);
	free(img);
	tpeer_request(&c, true, 0, 0, 128, 128);
	tpeer_next_update(&c, &m);
	tpeer_msg_fini(&m);
	assert_model(&c, &e, "after a detected move");
	tpeer_request(&r, true, 0, 0, 128, 128);
	tpeer_next_update(&r, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_COPYRECT), 0);
	tpeer_msg_fini(&m);
	assert_model(&r, &e, "after a detected move, raw client");
	tpeer_close(&c);
	tpeer_close(&r);
	env_stop(&e);
}
END_TEST

/* ---- requests outside the framebuffer ------------------------------------------------ */

struct clip_case {
	int x, y, w, h;		/* as requested */
	int cx, cy, cw, ch;	/* what must be sent (w 0: nothing) */
};

static const struct clip_case clips[] = {
	{ 50, 40, 200, 200, 50, 40, 50, 40 },
	{ 0, 0, 65535, 65535, 0, 0, 100, 80 },
	{ 99, 79, 1, 1, 99, 79, 1, 1 },
	{ 90, 0, 20, 5, 90, 0, 10, 5 },
	{ 65535, 65535, 65535, 65535, 0, 0, 0, 0 },
	{ 100, 0, 10, 10, 0, 0, 0, 0 },
	{ 0, 80, 10, 10, 0, 0, 0, 0 },
};
#define NCLIPS ((int)(sizeof(clips) / sizeof(clips[0])))

START_TEST(test_request_clipped)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	const struct clip_case *cc = &clips[_i];
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	bool *cover;

	env_start(&e, 100, 80);
	paint(&e);
	connect_peer(&e, &p, raw, 1);
	tpeer_request(&p, false, cc->x, cc->y, cc->w, cc->h);
	if (cc->cw) {
		tpeer_next_update(&p, &m);
		cover = calloc(100 * 80, sizeof(bool));
		for (unsigned i = 0; i < m.nrects; i++) {
			const struct tpeer_rect *r = &m.rects[i];

			/* Inside the framebuffer is checked by the viewer
			 * model; inside the request here. */
			ck_assert_int_ge(r->x, cc->cx);
			ck_assert_int_ge(r->y, cc->cy);
			ck_assert_int_le(r->x + r->w, cc->cx + cc->cw);
			ck_assert_int_le(r->y + r->h, cc->cy + cc->ch);
			for (int y = r->y; y < r->y + r->h; y++)
				for (int x = r->x; x < r->x + r->w; x++)
					cover[y * 100 + x] = true;
		}
		for (int y = cc->cy; y < cc->cy + cc->ch; y++)
			for (int x = cc->cx; x < cc->cx + cc->cw; x++)
				ck_assert_msg(cover[y * 100 + x],
					      "pixel %d,%d not sent", x, y);
		free(cover);
		tpeer_msg_fini(&m);
	}
	/* Whatever was asked, the next full request is answered right. */
	tpeer_request(&p, false, 0, 0, 100, 80);
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after the full request");
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* ---- resizing ------------------------------------------------------------------------- */

static void check_eds(const struct tpeer_msg *m, int reason, int status,
		      int w, int h)
{
	const struct tpeer_rect *r;
	const uint8_t *d;

	ck_assert_uint_eq(m->nrects, 1);
	r = &m->rects[0];
	ck_assert_int_eq(r->enc, RFB_ENC_EXT_DESKTOP_SIZE);
	ck_assert_int_eq(r->x, reason);
	ck_assert_int_eq(r->y, status);
	ck_assert_int_eq(r->w, w);
	ck_assert_int_eq(r->h, h);
	d = m->data + r->data_off;
	ck_assert_uint_eq(d[0], 1);	/* one screen */
	/* id 1 (libvncclient ignores id 0), covering the framebuffer. */
	ck_assert_uint_eq(d[4] << 24 | d[5] << 16 | d[6] << 8 | d[7], 1);
	ck_assert_uint_eq(d[8] << 8 | d[9], 0);
	ck_assert_uint_eq(d[10] << 8 | d[11], 0);
	ck_assert_uint_eq(d[12] << 8 | d[13], w);
	ck_assert_uint_eq(d[14] << 8 | d[15], h);
}

struct size_case {
	int w, h;
};

static const struct size_case sizes[] = {
	{ 120, 60 }, { 200, 150 }, { 1, 1 }, { 161, 90 }, { 40, 200 },
};
#define NSIZES ((int)(sizeof(sizes) / sizeof(sizes[0])))

START_TEST(test_resize_desktop_size)
{
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_DESKTOP_SIZE,
				       RFB_ENC_COPYRECT };
	const struct size_case *sc = &sizes[_i];
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	env_start(&e, 160, 90);
	xrfb_server_set_move_detection(e.s, false);
	paint(&e);
	connect_peer(&e, &p, enc, 3);
	full_update(&e, &p);
	/* Owed but unsent before the resize, some of it outside the new
	 * size: a damage, a move and a pending request. */
	paint_rect(&e, 100, 50, 60, 40);
	xrfb_server_copy_rect(e.s, 0, 0, 30, 30, 120, 50);
	tpeer_request(&p, true, 100, 50, 60, 40);
	tpeer_flush(&p);
	ck_assert_int_eq(xrfb_server_resize(e.s, (uint16_t)sc->w,
					    (uint16_t)sc->h),
			 0);
	/* The pending request is answered by the size change alone. */
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(m.nrects, 1);
	ck_assert_int_eq(m.rects[0].enc, RFB_ENC_DESKTOP_SIZE);
	ck_assert_int_eq(m.rects[0].x, 0);
	ck_assert_int_eq(m.rects[0].y, 0);
	ck_assert_int_eq(m.rects[0].w, sc->w);
	ck_assert_int_eq(m.rects[0].h, sc->h);
	tpeer_msg_fini(&m);
	ck_assert_int_eq(xrfb_server_width(e.s), sc->w);
	ck_assert_int_eq(xrfb_server_height(e.s), sc->h);
	/* An old-size request after it is clipped, and everything the
	 * viewer is sent lies inside the new size (checked by the model). */
	tpeer_request(&p, false, 0, 0, 160, 90);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_COPYRECT), 0);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after the resize");
	paint(&e);
	tpeer_request(&p, true, 0, 0, sc->w, sc->h);
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after painting the new size");
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

START_TEST(test_resize_ext_desktop_size)
{
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_EXT_DESKTOP_SIZE,
				       RFB_ENC_DESKTOP_SIZE };
	const struct size_case *sc = &sizes[_i];
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	env_start(&e, 160, 90);
	paint(&e);
	connect_peer(&e, &p, enc, 3);
	/* A full request: ExtendedDesktopSize (reason 0) in an update of
	 * its own, then the pixels. */
	tpeer_request(&p, false, 0, 0, 160, 90);
	tpeer_next_update(&p, &m);
	check_eds(&m, 0, 0, 160, 90);
	tpeer_msg_fini(&m);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_EXT_DESKTOP_SIZE), 0);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after the first update");

	paint_rect(&e, 120, 60, 40, 30);
	tpeer_request(&p, true, 0, 0, 160, 90);
	tpeer_flush(&p);
	ck_assert_int_eq(xrfb_server_resize(e.s, (uint16_t)sc->w,
					    (uint16_t)sc->h), 0);
	tpeer_next_update(&p, &m);
	check_eds(&m, 0, 0, sc->w, sc->h);
	tpeer_msg_fini(&m);
	/* The new framebuffer follows without a new full request. */
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after the resize");
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* A viewer that cannot follow a resize is disconnected, not sent
 * rectangles outside its framebuffer. */
START_TEST(test_resize_unsupported)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_DESKTOP_SIZE };
	struct env e;
	struct tpeer a, b;
	struct tpeer_msg m;

	env_start(&e, 50, 50);
	connect_peer(&e, &a, raw, 1);
	connect_peer(&e, &b, enc, 2);
	full_update(&e, &a);
	full_update(&e, &b);
	ck_assert_int_eq(xrfb_server_resize(e.s, 60, 40), 0);
	tpeer_expect_eof(&a);
	tpeer_request(&b, true, 0, 0, 50, 50);
	tpeer_next_update(&b, &m);
	ck_assert_int_eq(m.rects[0].enc, RFB_ENC_DESKTOP_SIZE);
	tpeer_msg_fini(&m);
	ck_assert_int_eq(xrfb_server_resize(e.s, 0, 40), -EINVAL);
	ck_assert_int_eq(xrfb_server_resize(e.s, 60, 0), -EINVAL);
	tpeer_close(&a);
	tpeer_close(&b);
	env_stop(&e);
}
END_TEST

/* Resizing to the same size tells nobody anything. */
START_TEST(test_resize_same)
{
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_DESKTOP_SIZE };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	env_start(&e, 50, 40);
	connect_peer(&e, &p, enc, 2);
	full_update(&e, &p);
	ck_assert_int_eq(xrfb_server_resize(e.s, 50, 40), 0);
	paint_rect(&e, 0, 0, 4, 4);
	tpeer_request(&p, true, 0, 0, 50, 40);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_DESKTOP_SIZE), 0);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after a same-size resize");
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* Several resizes before the viewer asks: one size change, the last. */
START_TEST(test_resize_coalesced)
{
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_DESKTOP_SIZE };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	env_start(&e, 50, 50);
	paint(&e);
	connect_peer(&e, &p, enc, 2);
	full_update(&e, &p);
	ck_assert_int_eq(xrfb_server_resize(e.s, 80, 20), 0);
	paint(&e);
	ck_assert_int_eq(xrfb_server_resize(e.s, 30, 70), 0);
	paint(&e);
	tpeer_request(&p, true, 0, 0, 50, 50);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(m.nrects, 1);
	ck_assert_int_eq(m.rects[0].w, 30);
	ck_assert_int_eq(m.rects[0].h, 70);
	tpeer_msg_fini(&m);
	tpeer_request(&p, false, 0, 0, 30, 70);
	tpeer_next_update(&p, &m);
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after two resizes");
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* ---- H.264 ------------------------------------------------------------------- */

#ifdef HAVE_OPENH264
/* The H.264 rectangle of @m, which must be the last and only one. */
static const struct tpeer_rect *h264_rect(const struct tpeer_msg *m)
{
	const struct tpeer_rect *r = &m->rects[m->nrects - 1];

	ck_assert_uint_eq(tpeer_count_enc(m, RFB_ENC_H264), 1);
	ck_assert_int_eq(r->enc, RFB_ENC_H264);
	return r;
}

static uint32_t h264_flags(const struct tpeer_msg *m,
			   const struct tpeer_rect *r)
{
	const uint8_t *d = m->data + r->data_off + 4;

	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	       (uint32_t)d[2] << 8 | d[3];
}

/* Whether the picture is a key frame (an IDR slice, NAL type 5). */
static bool h264_key(const struct tpeer_msg *m, const struct tpeer_rect *r)
{
	const uint8_t *d = m->data + r->data_off + 8;

	for (size_t i = 0; i + 3 < r->data_len - 8; i++)
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1 &&
		    (d[i + 3] & 0x1f) == 5)
			return true;
	return false;
}

/* A large area that changes in frame after frame goes H.264 to a client
 * that listed it: one rectangle around it, last in the update, a new
 * context (ResetAllContexts, key frame) first, then P frames in it, a key
 * frame on a full request; still areas stay Raw, and a client that did
 * not list H.264 never gets it. */
START_TEST(test_h264_moving_area)
{
	static const int32_t h264[] = { RFB_ENC_H264, RFB_ENC_RAW };
	static const int32_t raw[] = { RFB_ENC_RAW };
	const struct tpeer_rect *r;
	struct env e;
	struct tpeer v, plain;
	struct tpeer_msg m;

	env_start(&e, 640, 480);
	/* Motion counted over seconds: a loaded machine stays in time. */
	xrfb_server_set_lossless_refresh(e.s, 10000);
	paint(&e);
	connect_peer(&e, &v, h264, 2);
	connect_peer(&e, &plain, raw, 1);
	full_update(&e, &v);
	full_update(&e, &plain);
	for (int k = 0; k < 3; k++)
		paint_rect(&e, 64, 96, 320, 256);
	paint_rect(&e, 500, 400, 20, 20);	/* changed once: still */

	tpeer_request(&v, true, 0, 0, 640, 480);
	tpeer_next_update(&v, &m);
	r = h264_rect(&m);
	ck_assert_int_eq(r->x, 64);
	ck_assert_int_eq(r->y, 96);
	ck_assert_int_eq(r->w, 320);
	ck_assert_int_eq(r->h, 256);
	ck_assert_uint_eq(h264_flags(&m, r), RFB_H264_RESET_ALL_CONTEXTS);
	ck_assert(h264_key(&m, r));
	ck_assert_uint_ge(tpeer_count_enc(&m, RFB_ENC_RAW), 1);
	tpeer_msg_fini(&m);

	paint_rect(&e, 64, 96, 320, 256);
	tpeer_request(&v, true, 0, 0, 640, 480);
	tpeer_next_update(&v, &m);
	r = h264_rect(&m);
	ck_assert_int_eq(r->x, 64);
	ck_assert_int_eq(r->w, 320);
	ck_assert_uint_eq(h264_flags(&m, r), 0);
	ck_assert(!h264_key(&m, r));
	tpeer_msg_fini(&m);

	paint_rect(&e, 64, 96, 320, 256);
	tpeer_request(&v, false, 0, 0, 640, 480);
	tpeer_next_update(&v, &m);
	r = h264_rect(&m);
	ck_assert_uint_eq(h264_flags(&m, r), 0);
	ck_assert(h264_key(&m, r));
	tpeer_msg_fini(&m);

	tpeer_request(&plain, true, 0, 0, 640, 480);
	tpeer_next_update(&plain, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_H264), 0);
	tpeer_msg_fini(&m);
	assert_model(&plain, &e, "a client without H.264");
	tpeer_close(&v);
	tpeer_close(&plain);
	env_stop(&e);
}
END_TEST
#endif

/* After an update the screen may be read once before the next request,
 * for SCHED_AHEAD_MS (the viewer decodes meanwhile); then not until the
 * viewer asks. */
START_TEST(test_capture_ahead)
{
	static const int32_t raw[] = { RFB_ENC_RAW };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	struct sched *sc;
	uint64_t now;
	bool wants;

	env_start(&e, 64, 64);
	paint(&e);
	connect_peer(&e, &p, raw, 1);
	full_update(&e, &p);
	sc = &e.s->clients->sched;
	/* (a machine slow enough to pass the time between two lines may be
	 * past it: then either answer is right) */
	wants = xrfb_server_wants_update(e.s);
	now = xrfb_now_ms();
	if (now - sc->last_update_ms < SCHED_AHEAD_MS)
		ck_assert(wants);
	sc->last_update_ms = xrfb_now_ms();
	wants = xrfb_server_wants_update(e.s);
	now = xrfb_now_ms();
	if (now - sc->last_update_ms < SCHED_AHEAD_MS)
		ck_assert(wants);
	/* read once: no more until the next request */
	paint_rect(&e, 0, 0, 8, 8);
	ck_assert(!xrfb_server_wants_update(e.s));
	tpeer_request(&p, true, 0, 0, 64, 64);
	tpeer_next_update(&p, &m);
	ck_assert(pixels_meet(&m, 0, 0, 8, 8));
	tpeer_msg_fini(&m);
	assert_model(&p, &e, "after the change read ahead");
	/* and none once the time is up */
	sc->last_update_ms = xrfb_now_ms() - SCHED_AHEAD_MS;
	ck_assert(!xrfb_server_wants_update(e.s));
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* A large update goes out while it is built to clients that take
 * LastRect: count 0xFFFF, its rectangles, LastRect. Others get the
 * count. Both end up with the server's pixels. */
START_TEST(test_streamed)
{
	static const int32_t last[] = { RFB_ENC_RAW, RFB_ENC_LAST_RECT };
	static const int32_t raw[] = { RFB_ENC_RAW };
	struct env e;
	struct tpeer a, b;
	struct tpeer_msg m;

	env_start(&e, 512, 256);
	paint(&e);
	connect_peer(&e, &a, last, 2);
	connect_peer(&e, &b, raw, 1);
	full_update(&e, &a);
	full_update(&e, &b);
	/* two rectangles of 80 KB each in Raw */
	paint_rect(&e, 0, 0, 160, 128);
	paint_rect(&e, 352, 128, 160, 128);

	tpeer_request(&a, true, 0, 0, 512, 256);
	tpeer_next_update(&a, &m);
	ck_assert_uint_eq((unsigned)m.data[2] << 8 | m.data[3], 0xffff);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_RAW), 2);
	ck_assert_uint_eq(m.nrects, 3);
	ck_assert_int_eq(m.rects[2].enc, RFB_ENC_LAST_RECT);
	tpeer_msg_fini(&m);
	assert_model(&a, &e, "after a streamed update");

	tpeer_request(&b, true, 0, 0, 512, 256);
	tpeer_next_update(&b, &m);
	ck_assert_uint_eq((unsigned)m.data[2] << 8 | m.data[3], 2);
	ck_assert_uint_eq(m.nrects, 2);
	tpeer_msg_fini(&m);
	assert_model(&b, &e, "after the same update counted");

	/* A small update is not streamed. */
	paint_rect(&e, 10, 10, 8, 8);
	paint_rect(&e, 400, 200, 8, 8);
	tpeer_request(&a, true, 0, 0, 512, 256);
	tpeer_next_update(&a, &m);
	ck_assert_uint_eq((unsigned)m.data[2] << 8 | m.data[3], m.nrects);
	tpeer_msg_fini(&m);
	assert_model(&a, &e, "after a small update");
	tpeer_close(&a);
	tpeer_close(&b);
	env_stop(&e);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc;

	tc = unit_tcase(s, "updates");
	tcase_add_test(tc, test_incremental_refined);
	tcase_add_test(tc, test_incremental_area);
	tcase_add_test(tc, test_merge_nearby);
	tcase_add_test(tc, test_merge_bands);
	tcase_add_test(tc, test_streamed);
	tcase_add_test(tc, test_capture_ahead);
	tcase_add_test(tc, test_cpu_budget);
	tcase_add_test(tc, test_cpu_input_free);
	tcase_add_test(tc, test_cpu_share_active);
	tcase_add_test(tc, test_cpu_budget_yield);
	tcase_add_loop_test(tc, test_request_clipped, 0, NCLIPS);

	tc = unit_tcase(s, "copyrect");
	tcase_add_loop_test(tc, test_copy_rect, 0, NMOVES);
	tcase_add_test(tc, test_copy_chain);
	tcase_add_test(tc, test_copy_small_as_pixels);
	tcase_add_test(tc, test_copy_cursor);
	tcase_add_test(tc, test_copy_not_on_full_request);
	tcase_add_test(tc, test_copy_partial_requests);
	tcase_add_test(tc, test_move_detection);

	tc = unit_tcase(s, "resize");
	tcase_add_loop_test(tc, test_resize_desktop_size, 0, NSIZES);
	tcase_add_loop_test(tc, test_resize_ext_desktop_size, 0, NSIZES);
	tcase_add_test(tc, test_resize_unsupported);
	tcase_add_test(tc, test_resize_same);
	tcase_add_test(tc, test_resize_coalesced);

#ifdef HAVE_OPENH264
	tc = unit_tcase(s, "h264");
	tcase_add_test(tc, test_h264_moving_area);
#endif
	return s;
}

UNIT_MAIN(sched_suite)
