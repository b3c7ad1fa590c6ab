/* SPDX-License-Identifier: MIT */
/*
 * The server object behind the public API: listeners, the client list,
 * the framebuffer, and the scheduler pass that sends updates and frees
 * closed clients. It knows nothing of X: any program can feed it pixels.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "clipboard.h"
#include "fb-scroll.h"
#include "handshake.h"
#include "listener.h"
#include "log.h"
#include "ra2-key.h"
#include "rfb-proto.h"
#include "server.h"
#include "stream.h"
#include "throttle.h"
#include "tls.h"
#include "web.h"
#include "worker.h"

static void default_screens(struct xrfb_server *s);
static const struct web_ops web_ops;

const char *xrfb_version(void)
{
	return PACKAGE_VERSION;
}

/* Free a closed client, telling whoever asked to know (a reverse
 * connection that reconnects, the owner of an adopted socket). */
static void server_release_client(struct xrfb_client *c)
{
	void (*fn)(void *arg, struct xrfb_client *c) = c->release_fn;
	void *arg = c->release_arg;

	c->release_fn = NULL;
	if (fn)
		fn(arg, c);
	client_free(c);
}

static void reap_clients(struct xrfb_server *s)
{
	struct xrfb_client *c = s->clients, *next;

	s->have_dead = false;
	for (; c; c = next) {
		next = c->next;
		if (c->conn.closed && !c->conn.linger)
			server_release_client(c);
	}
}

/* A scheduler pass that has run this long lets the loop read input
 * before it goes on with the next client. */
#define SERVER_PASS_MS 8

/* The client a pass starts with: the one after where the last pass
 * stopped, so that no client is always served last. */
static struct xrfb_client *pass_start(struct xrfb_server *s)
{
	for (struct xrfb_client *c = s->clients; c; c = c->next)
		if (c->conn.id == s->pass_resume)
			return c;
	return s->clients;
}

/* The viewers that are busy, among which the budget is divided. */
static void count_active(struct xrfb_server *s, uint64_t now)
{
	unsigned n = 0;

	for (struct xrfb_client *c = s->clients; c; c = c->next)
		if (c->conn.ready && !c->conn.closed &&
		    fair_active(&c->sched.fair, now, SERVER_CPU_ACTIVE_MS))
			n++;
	s->nclients_active = n;
}

/* What a kick runs (server_state_kick()): every client's clipboard and
 * scheduler, then the freeing of closed clients. */
static void run(struct xrfb_server *s)
{
	struct xrfb_client *first = pass_start(s), *c = first;
	uint64_t start = xrfb_now_ms();
	struct worker_pool *old;

	if (s->max_cpu)
		count_active(s, start);

	/* Updates are encoded here only, with this server's threads. */
	if (!s->pool && s->clients)
		s->pool = worker_pool_new(s->encoder_threads);
	old = worker_use(s->pool);
	while (c) {
		clipboard_run(&c->clip);
		sched_run(&c->sched);
		c = c->next ? c->next : s->clients;
		if (c == first)
			break;
		/* Encoding runs on this thread: between clients, the keys
		 * and pointer moves waiting in sockets go first. */
		if (xrfb_now_ms() - start >= SERVER_PASS_MS) {
			s->pass_resume = c->conn.id;
			server_state_kick(s);
			break;
		}
	}
	worker_use(old);
	if (s->have_dead)
		reap_clients(s);
}

static uint64_t process_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

struct xrfb_server *xrfb_server_new(struct xrfb_loop *loop, uint16_t width,
				    uint16_t height)
{
	struct xrfb_server *s;
	long ncpu;

	if (!loop || !width || !height)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (fb_init(&s->fb, width, height) < 0) {
		free(s);
		return NULL;
	}
	s->loop = loop;
	s->web = web_new(loop, &web_ops, s);
	web_set_cpu_sink(s->web, &s->cpu_input_us);
	pixfmt_server(&s->format);
	cursor_init(&s->cursor);
	default_screens(s);
	s->led_serial = 1;
	s->name_serial = 1;
	s->cut_text_max = RFB_CUT_TEXT_MAX;
	clipboard_server_init(&s->clip);
	s->move_detection = true;
	motion_init(&s->motion, XRFB_LOSSLESS_REFRESH_DEFAULT_MS);
	s->shared_policy = XRFB_SHARED_ALLOW;
	s->cpu_clock_us = process_cpu_us;
	s->cpu_read = cpu_budget_read;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	s->ncpu = ncpu > 0 ? (unsigned)ncpu : 1;
	s->run = run;
	throttle_init(&s->throttle);
	s->handshake_timeout_ms = XRFB_HANDSHAKE_TIMEOUT_MS;
	security_update(s);
	return s;
}

void xrfb_server_free(struct xrfb_server *s)
{
	if (!s)
		return;
	if (s->free_reverses)
		s->free_reverses(s);
	while (s->clients) {
		struct xrfb_client *c = s->clients;
		conn_close(&c->conn, "server shutting down");
		server_release_client(c);
	}
	web_free(s->web);
	for (int i = 0; i < s->nlisteners; i++)
		listener_free(s->listeners[i]);
	xrfb_timer_cancel(s->kick);
	xrfb_timer_cancel(s->cpu_timer);
	fb_fini(&s->fb);
	free(s->cursor_under);
	motion_fini(&s->motion);
	cursor_fini(&s->cursor);
	clipboard_server_fini(&s->clip);
	worker_pool_free(s->pool);
	security_fini(s);
	free(s->password);
	ra2_key_free(s->ra2_key);
	free(s->desktop_name);
	free(s);
}

/* ---- events --------------------------------------------------------------- */

void xrfb_server_on_client_ready(struct xrfb_server *s, xrfb_client_fn fn,
				 void *arg)
{
	s->cb.client_ready = fn;
	s->cb.client_ready_arg = arg;
}

void xrfb_server_on_client_gone(struct xrfb_server *s, xrfb_client_fn fn,
				void *arg)
{
	s->cb.client_gone = fn;
	s->cb.client_gone_arg = arg;
}

void xrfb_server_on_key(struct xrfb_server *s, xrfb_key_fn fn, void *arg)
{
	s->cb.key = fn;
	s->cb.key_arg = arg;
}

void xrfb_server_on_key_code(struct xrfb_server *s, xrfb_key_code_fn fn,
			     void *arg)
{
	s->cb.key_code = fn;
	s->cb.key_code_arg = arg;
}

void xrfb_server_on_pointer(struct xrfb_server *s, xrfb_pointer_fn fn,
			    void *arg)
{
	s->cb.pointer = fn;
	s->cb.pointer_arg = arg;
}

void xrfb_server_on_cut_text(struct xrfb_server *s, xrfb_cut_text_fn fn,
			     void *arg)
{
	s->cb.cut_text = fn;
	s->cb.cut_text_arg = arg;
}

void xrfb_server_on_resize_request(struct xrfb_server *s, xrfb_resize_fn fn,
				   void *arg)
{
	s->cb.resize = fn;
	s->cb.resize_arg = arg;
}

/* ---- listening and settings ------------------------------------------------ */

static void on_accept(void *arg, int fd, const struct sockaddr *peer,
		      socklen_t len)
{
	struct xrfb_server *s = arg;
	char name[80];

	sockaddr_format(peer, name, sizeof(name));
	if (web_detect_ms(s->web)) {
		if (web_accept(s->web, fd, name, WEB_MODE_DETECT) < 0)
			log_warn("cannot take connection from %s", name);
		return;
	}
	if (!client_new(s, fd, name)) {
		log_warn("cannot take connection from %s", name);
		close(fd);
	}
}

/* A WebSocket listener: HTTP first, RFB only after the upgrade. */
static void on_accept_web(void *arg, int fd, const struct sockaddr *peer,
			  socklen_t len)
{
	struct xrfb_server *s = arg;
	char name[80];

	sockaddr_format(peer, name, sizeof(name));
	if (web_accept(s->web, fd, name, WEB_MODE_HTTP) < 0)
		log_warn("cannot take connection from %s", name);
}

/* Keep a new listener (or report why there is none). */
static int add_listener(struct xrfb_server *s, struct listener *l, int err)
{
	if (!l)
		return err;
	s->listeners[s->nlisteners++] = l;
	if (listener_port(l))	/* not a Unix socket */
		s->last_port = listener_port(l);
	log_debug("listening on %s", listener_name(l));
	return 0;
}

static int listen_with(struct xrfb_server *s, const char *addr,
		       uint16_t port, listener_accept_fn fn)
{
	struct listener *l;
	int err = 0;

	if (s->nlisteners == SERVER_MAX_LISTENERS)
		return -ENOSPC;
	l = listener_new(s->loop, addr, port, fn, s, &err);
	return add_listener(s, l, err);
}

static int listen_unix_with(struct xrfb_server *s, const char *path,
			    unsigned mode, listener_accept_fn fn)
{
	struct listener *l;
	int err = 0;

	if (s->nlisteners == SERVER_MAX_LISTENERS)
		return -ENOSPC;
	l = listener_new_unix(s->loop, path, mode, fn, s, &err);
	return add_listener(s, l, err);
}

int xrfb_server_listen_unix(struct xrfb_server *s, const char *path,
			    unsigned mode)
{
	return listen_unix_with(s, path, mode, on_accept);
}

int xrfb_server_listen_fd(struct xrfb_server *s, int fd)
{
	struct listener *l;
	int err = 0;

	if (s->nlisteners == SERVER_MAX_LISTENERS) {
		close(fd);
		return -ENOSPC;
	}
	l = listener_adopt(s->loop, fd, on_accept, s, &err);
	return add_listener(s, l, err);
}

int xrfb_server_listen(struct xrfb_server *s, const char *addr,
		       uint16_t port)
{
	return listen_with(s, addr, port, on_accept);
}

/* ---- what the web side asks of the server ---------------------------------- */

static void web_handoff(void *arg, struct stream *st, const char *peer,
			bool view_token)
{
	struct xrfb_server *s = arg;
	struct xrfb_client *c = client_new_stream(s, st, peer, view_token);

	if (!c)
		stream_free(st);
}

static bool web_has_port(void *arg, unsigned port)
{
	struct xrfb_server *s = arg;

	for (int i = 0; i < s->nlisteners; i++)
		if (listener_port(s->listeners[i]) == port)
			return true;
	return false;
}

static bool web_password_required(void *arg)
{
	struct xrfb_server *s = arg;

	return s->password != NULL;
}

/* HTTPS and WSS whenever there is a certificate (doc/libxrfb.md). */
static struct tls_ctx *web_tls(void *arg)
{
#if HAVE_GNUTLS
	struct xrfb_server *s = arg;

	if (s->tls && tls_ctx_has_cert(s->tls))
		return s->tls;
#endif
	(void)arg;
	return NULL;
}

static bool web_may_handshake(void *arg, const char *peer)
{
	struct xrfb_server *s = arg;
	char addr[sizeof(((struct handshake *)0)->addr)];

	throttle_addr(peer, addr, sizeof(addr));
	return !handshake_too_many(s, NULL, addr);
}

static unsigned web_handshake_timeout_ms(void *arg)
{
	struct xrfb_server *s = arg;

	return s->handshake_timeout_ms;
}

static const struct web_ops web_ops = {
	.handoff = web_handoff,
	.has_port = web_has_port,
	.password_required = web_password_required,
	.tls = web_tls,
	.may_handshake = web_may_handshake,
	.handshake_timeout_ms = web_handshake_timeout_ms,
};

void xrfb_server_set_websocket_detect(struct xrfb_server *s, unsigned ms)
{
	web_set_detect(s->web, ms);
}

int xrfb_server_set_web_root(struct xrfb_server *s, const char *dir)
{
	return web_set_root(s->web, dir);
}

int xrfb_server_add_websocket_origin(struct xrfb_server *s,
				     const char *origin)
{
	return web_add_origin(s->web, origin);
}

int xrfb_server_set_view_token(struct xrfb_server *s, const char *token)
{
	return web_set_view_token(s->web, token);
}

int xrfb_server_listen_websocket(struct xrfb_server *s, const char *addr,
				 uint16_t port)
{
	return listen_with(s, addr, port, on_accept_web);
}

int xrfb_server_listen_websocket_unix(struct xrfb_server *s, const char *path,
				      unsigned mode)
{
	return listen_unix_with(s, path, mode, on_accept_web);
}

uint16_t xrfb_server_port(const struct xrfb_server *s)
{
	return s->last_port;
}

struct xrfb_client *xrfb_server_adopt(struct xrfb_server *s, int fd,
				      const char *name,
				      xrfb_client_fn gone, void *arg)
{
	struct xrfb_client *c;
	char fdname[32];
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		log_warn("cannot serve fd %d: %s", fd, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!name) {
		snprintf(fdname, sizeof(fdname), "fd %d", fd);
		name = fdname;
	}
	c = client_new(s, fd, name);
	if (!c) {
		close(fd);
		return NULL;
	}
	c->release_fn = gone;
	c->release_arg = arg;
	return c;
}

int xrfb_server_set_password(struct xrfb_server *s, const char *password)
{
	char *p = NULL;

	if (password) {
		p = strdup(password);
		if (!p)
			return -ENOMEM;
	}
	free(s->password);
	s->password = p;
	security_update(s);
	return 0;
}

int xrfb_server_set_shared_policy(struct xrfb_server *s,
				  enum xrfb_shared_policy policy)
{
	if (policy != XRFB_SHARED_ALLOW && policy != XRFB_SHARED_ALWAYS &&
	    policy != XRFB_SHARED_NEVER)
		return -EINVAL;
	s->shared_policy = policy;
	return 0;
}

int xrfb_server_set_desktop_name(struct xrfb_server *s, const char *name)
{
	char *n;

	if (!name)
		return -EINVAL;
	n = strdup(name);
	if (!n)
		return -ENOMEM;
	free(s->desktop_name);
	s->desktop_name = n;
	s->name_serial++;
	server_state_kick(s);
	return 0;
}

void xrfb_server_set_view_only(struct xrfb_server *s, bool view_only)
{
	s->view_only = view_only;
}

void xrfb_server_set_max_fps(struct xrfb_server *s, unsigned fps)
{
	s->max_fps = fps;
}

void xrfb_server_set_lossless_refresh(struct xrfb_server *s, unsigned ms)
{
	s->motion.delay_ms = ms;
	/* Tiles counted under another delay mean nothing under this one. */
	motion_reset(&s->motion);
}

/* As many as worker_pool_new() starts at most. */
#define SERVER_MAX_ENCODER_THREADS 64

int xrfb_server_set_encoder_threads(struct xrfb_server *s, unsigned threads)
{
	if (threads > SERVER_MAX_ENCODER_THREADS)
		return -EINVAL;
	if (threads == s->encoder_threads)
		return 0;
	s->encoder_threads = threads;
	/* Encoding is finished whenever the embedder runs: the old pool
	 * is idle and the next update starts the new one. */
	worker_pool_free(s->pool);
	s->pool = NULL;
	return 0;
}

/* The budget's accounts start afresh, at the floor. */
static void cpu_budget_reset(struct xrfb_server *s)
{
	s->cpu_limit = s->max_cpu;
	if (s->max_cpu && s->cpu_yield)
		s->cpu_read(&s->cpu_sample, cpu_budget_mono_us(),
			    s->cpu_clock_us());
	s->cpu_credit_us = SERVER_CPU_BURST_US;
	s->cpu_clients_us = 0;
	s->cpu_input_us = 0;
	s->cpu_mark_us = s->cpu_clock_us();
	s->cpu_wall_ms = xrfb_now_ms();
	s->cpu_hold_ms = 0;
}

void xrfb_server_set_max_cpu(struct xrfb_server *s, unsigned percent)
{
	s->max_cpu = percent;
	cpu_budget_reset(s);
}

void xrfb_server_set_cpu_yield(struct xrfb_server *s, bool yield)
{
	s->cpu_yield = yield;
	cpu_budget_reset(s);
}

uint16_t xrfb_server_width(const struct xrfb_server *s)
{
	return (uint16_t)s->fb.width;
}

uint16_t xrfb_server_height(const struct xrfb_server *s)
{
	return (uint16_t)s->fb.height;
}

int xrfb_server_resize(struct xrfb_server *s, uint16_t width, uint16_t height)
{
	int err;

	if (!width || !height)
		return -EINVAL;
	if (width == s->fb.width && height == s->fb.height)
		return 0;
	err = fb_resize(&s->fb, width, height);
	if (err < 0)
		return err;
	motion_reset(&s->motion);
	/* A layout that no longer fits becomes one screen; the embedder
	 * sets the real one with xrfb_server_set_screens(). */
	for (unsigned i = 0; i < s->nscreens; i++)
		if (s->screens[i].x + s->screens[i].width > width ||
		    s->screens[i].y + s->screens[i].height > height ||
		    s->nscreens == 1) {
			default_screens(s);
			break;
		}
	log_info("framebuffer resized to %ux%u", width, height);
	for (struct xrfb_client *c = s->clients; c; c = c->next)
		sched_resized(&c->sched);
	server_state_kick(s);
	return 0;
}

void xrfb_server_set_move_detection(struct xrfb_server *s, bool on)
{
	s->move_detection = on;
}

/* Damage at least this large that holds no move makes the search pause. */
#define SERVER_MOVE_BIG_AREA (512 * 512)
#define SERVER_MOVE_MAX_MISSES 7

/* Find moved content among @src before the framebuffer takes the new
 * pixels, and tell clients about it as a copy. Returns the destination
 * (empty if none) in @moved. Searching costs about a nanosecond per
 * damaged pixel: after the second miss in a row on large damage the
 * search skips large damage for a while, doubling up to 63 updates, so
 * content that never moves (video) costs little; one miss alone (a
 * window opening, a new wallpaper) skips nothing, or a window dragged
 * while the server was busy, seen as one large damage, would go out as
 * pixels. Small damage (typing) is always searched, so the scroll that
 * follows it is found. */
static void detect_move(struct xrfb_server *s, const struct fb_src *src,
			unsigned n, region_t *moved)
{
	uint64_t area = 0;
	bool big;
	int dx, dy;

	if (!s->move_detection || !s->clients)
		return;
	for (unsigned i = 0; i < n; i++)
		area += (uint64_t)src[i].r.w * (unsigned)src[i].r.h;
	big = area >= SERVER_MOVE_BIG_AREA;
	if (big && s->move_skip) {
		s->move_skip--;
		return;
	}
	if (!fb_scroll_detect(&s->fb, src, n, &dx, &dy, moved)) {
		if (big) {
			if (s->move_misses < SERVER_MOVE_MAX_MISSES)
				s->move_misses++;
			s->move_skip = (1u << s->move_misses >> 1) - 1;
		}
		return;
	}
	s->move_misses = 0;
	s->move_skip = 0;
	log_trace("move by %d,%d over %d rects", dx, dy,
		  pixman_region32_n_rects(moved));
	/* The verified tiles equal the old pixels at the offset, so
	 * writing the new pixels below is the same as moving the old. */
	for (struct xrfb_client *c = s->clients; c; c = c->next)
		sched_add_copy(&c->sched, moved, dx, dy);
}

/* Write @u into @fb. Where a verified move put the same pixels
 * (@moved), they are copied without comparing: they went to clients as
 * CopyRects. Elsewhere tiles are compared, and those that changed are
 * added to @changed. In a scrolling terminal the comparing was a tenth
 * of the server's time, nearly all of it for the moved lines. */
static void write_update(struct fb *fb, const struct xrfb_update *u,
			 const region_t *moved, region_t *changed)
{
	const pixman_box32_t *b;
	region_t part;
	int n;

	if (u->w <= 0 || u->h <= 0)
		return;
	if (!pixman_region32_not_empty((region_t *)moved)) {
		fb_update(fb, u->pixels, u->stride, u->x, u->y, u->w, u->h,
			  changed);
		return;
	}
	pixman_region32_init_rect(&part, u->x, u->y, (unsigned)u->w,
				  (unsigned)u->h);
	pixman_region32_subtract(&part, &part, (region_t *)moved);
	b = pixman_region32_rectangles(&part, &n);
	for (int i = 0; i < n; i++)
		fb_update(fb, (const uint8_t *)u->pixels +
			      (size_t)(b[i].y1 - u->y) * u->stride +
			      (size_t)(b[i].x1 - u->x) * 4,
			  u->stride, b[i].x1, b[i].y1, b[i].x2 - b[i].x1,
			  b[i].y2 - b[i].y1, changed);
	pixman_region32_intersect_rect(&part, (region_t *)moved, u->x, u->y,
				       (unsigned)u->w, (unsigned)u->h);
	b = pixman_region32_rectangles(&part, &n);
	for (int i = 0; i < n; i++)
		for (int y = b[i].y1; y < b[i].y2; y++)
			memcpy(fb->pixels + (size_t)y * fb->stride + b[i].x1,
			       (const uint8_t *)u->pixels +
				       (size_t)(y - u->y) * u->stride +
				       (size_t)(b[i].x1 - u->x) * 4,
			       (size_t)(b[i].x2 - b[i].x1) * 4);
	pixman_region32_fini(&part);
}

int xrfb_server_update_many(struct xrfb_server *s,
			    const struct xrfb_update *u, unsigned n)
{
	struct fb_src stack[16], *src;
	region_t changed, moved;
	unsigned m = 0;

	if (n && !u)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (u[i].w < 0 || u[i].h < 0 ||
		    (!u[i].pixels && u[i].w && u[i].h))
			return -EINVAL;
	/* Without memory for the list only the search for moves is lost. */
	src = n <= 16 ? stack : malloc(n * sizeof(*src));

	pixman_region32_init(&changed);
	pixman_region32_init(&moved);
	if (src) {
		for (unsigned i = 0; i < n; i++) {
			struct rect r = { u[i].x, u[i].y, u[i].w, u[i].h };

			if (!fb_clip(&s->fb, &r))
				continue;
			src[m].pixels = (const uint8_t *)u[i].pixels +
					(size_t)(r.y - u[i].y) * u[i].stride +
					(size_t)(r.x - u[i].x) * 4;
			src[m].stride = u[i].stride;
			src[m].r = r;
			m++;
		}
		detect_move(s, src, m, &moved);
		if (src != stack)
			free(src);
	}
	for (unsigned i = 0; i < n; i++)
		write_update(&s->fb, &u[i], &moved, &changed);
	for (struct xrfb_client *c = s->clients; c; c = c->next)
		sched_captured(&c->sched);
	if (pixman_region32_not_empty(&changed)) {
		motion_damage(&s->motion, &changed, s->fb.width, s->fb.height,
			      xrfb_now_ms());
		for (struct xrfb_client *c = s->clients; c; c = c->next)
			sched_add_damage(&c->sched, &changed);
	}
	if (pixman_region32_not_empty(&changed) ||
	    pixman_region32_not_empty(&moved))
		server_state_kick(s);
	pixman_region32_fini(&moved);
	pixman_region32_fini(&changed);
	return 0;
}

int xrfb_server_update(struct xrfb_server *s, const void *pixels,
		       size_t stride, int x, int y, int w, int h)
{
	struct xrfb_update u = { pixels, stride, x, y, w, h };

	return xrfb_server_update_many(s, &u, 1);
}

int xrfb_server_copy_rect(struct xrfb_server *s, int src_x, int src_y,
			  int dst_x, int dst_y, int w, int h)
{
	struct rect src = { src_x, src_y, w, h };
	struct rect dst = { dst_x, dst_y, w, h };
	int dx = dst_x - src_x, dy = dst_y - src_y;
	region_t dst_region;

	if (w < 0 || h < 0)
		return -EINVAL;
	/* Clip both ends to the framebuffer, keeping them the same size. */
	if (!fb_clip(&s->fb, &src))
		return 0;
	dst.x = src.x + dx;
	dst.y = src.y + dy;
	dst.w = src.w;
	dst.h = src.h;
	if (!fb_clip(&s->fb, &dst))
		return 0;
	src.x = dst.x - dx;
	src.y = dst.y - dy;
	if (dx == 0 && dy == 0)
		return 0;
	fb_copy(&s->fb, src.x, src.y, dst.x, dst.y, dst.w, dst.h);
	pixman_region32_init_rect(&dst_region, dst.x, dst.y, (unsigned)dst.w,
				  (unsigned)dst.h);
	for (struct xrfb_client *c = s->clients; c; c = c->next)
		sched_add_copy(&c->sched, &dst_region, dx, dy);
	pixman_region32_fini(&dst_region);
	server_state_kick(s);
	return 0;
}

const uint32_t *xrfb_server_pixels(const struct xrfb_server *s,
				   size_t *stride)
{
	*stride = s->fb.stride * sizeof(uint32_t);
	return s->fb.pixels;
}

bool xrfb_server_wants_update(const struct xrfb_server *s)
{
	uint64_t now = xrfb_now_ms();

	/* Capturing costs CPU too: none while the budget is spent. */
	if (server_state_cpu_held(s, now))
		return false;

	for (const struct xrfb_client *c = s->clients; c; c = c->next) {
		if (!sched_wants_update(&c->sched))
			continue;
		/* Held back by --max-fps or by its share of the CPU
		 * budget, with a timer set to bring the loop back when it
		 * may go: capturing now would only be repeated then (a
		 * moving screen would be read and compared several times
		 * for every frame sent). */
		if (sched_paced(&c->sched, now) ||
		    fair_waiting(&c->sched.fair))
			continue;
		return true;
	}
	for (const struct xrfb_client *c = s->clients; c; c = c->next)
		if (sched_wants_capture_ahead(&c->sched, now) &&
		    !fair_waiting(&c->sched.fair))
			return true;
	return false;
}

unsigned xrfb_server_client_count(const struct xrfb_server *s)
{
	return s->nclients_ready;
}

static int broadcast(struct xrfb_server *s, struct rcbuf *msg)
{
	if (!msg)
		return -ENOMEM;
	for (struct xrfb_client *c = s->clients; c; c = c->next) {
		if (!conn_is_normal(&c->conn))
			continue;
		stream_send(c->conn.stream, rcbuf_ref(msg));
		stream_flush(c->conn.stream);
		conn_check_queue(&c->conn);
	}
	rcbuf_unref(msg);
	return 0;
}

int xrfb_server_bell(struct xrfb_server *s)
{
	uint8_t msg = RFB_MSG_BELL;

	return broadcast(s, rcbuf_copy(&msg, 1));
}

int xrfb_server_send_cut_text(struct xrfb_server *s, const char *text,
			      size_t len)
{
	return clipboard_set(s, NULL, text, len);
}

/* ---- desktop state sent to clients as pseudo-rectangles ---------------- */

static void default_screens(struct xrfb_server *s)
{
	s->nscreens = 1;
	s->screens[0] = (struct xrfb_screen){
		.id = 1, .x = 0, .y = 0,
		.width = (uint16_t)s->fb.width, .height = (uint16_t)s->fb.height,
	};
}

int xrfb_server_set_screens(struct xrfb_server *s,
			    const struct xrfb_screen *screens, unsigned n)
{
	if (n == 0 || n > SERVER_MAX_SCREENS)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (!screens[i].width || !screens[i].height ||
		    screens[i].x + screens[i].width > s->fb.width ||
		    screens[i].y + screens[i].height > s->fb.height)
			return -EINVAL;
	if (n == s->nscreens &&
	    memcmp(screens, s->screens, n * sizeof(*screens)) == 0)
		return 0;
	memcpy(s->screens, screens, n * sizeof(*screens));
	s->nscreens = n;
	for (struct xrfb_client *c = s->clients; c; c = c->next)
		sched_screens_changed(&c->sched);
	server_state_kick(s);
	return 0;
}

static void cursor_changed(struct xrfb_server *s, const struct rect *old,
			   bool had_old)
{
	struct rect box;
	bool has_new = cursor_box(&s->cursor, &s->fb, &box);

	for (struct xrfb_client *c = s->clients; c; c = c->next) {
		if (had_old)
			sched_cursor_damage(&c->sched, old);
		if (has_new)
			sched_cursor_damage(&c->sched, &box);
	}
	server_state_kick(s);
}

int xrfb_server_set_cursor(struct xrfb_server *s, const uint32_t *argb,
			   uint16_t w, uint16_t h, uint16_t hx, uint16_t hy)
{
	struct rect old;
	bool had_old = cursor_box(&s->cursor, &s->fb, &old);
	int err = cursor_set(&s->cursor, argb, w, h, hx, hy);

	if (err < 0)
		return err;
	cursor_changed(s, &old, had_old);
	return 0;
}

void xrfb_server_set_pointer_pos(struct xrfb_server *s, uint16_t x,
				 uint16_t y)
{
	struct rect old;
	bool had_old;

	if (x == s->cursor.x && y == s->cursor.y)
		return;
	had_old = cursor_box(&s->cursor, &s->fb, &old);
	s->cursor.x = x;
	s->cursor.y = y;
	s->cursor.pos_serial++;
	cursor_changed(s, &old, had_old);
}

void xrfb_server_set_led_state(struct xrfb_server *s, unsigned leds)
{
	if (leds == s->led_state && s->led_serial)
		return;
	s->led_state = leds;
	s->led_serial++;
	server_state_kick(s);
}

void xrfb_server_set_clipboard_max(struct xrfb_server *s, uint32_t max)
{
	s->cut_text_max = max;
}

void xrfb_server_set_clipboard_limits(struct xrfb_server *s,
				      uint32_t from_viewer, uint32_t classic)
{
	s->clip.viewer_max = from_viewer;
	s->clip.classic_max = classic;
}

/* ---- clients ------------------------------------------------------------------ */

struct xrfb_server *xrfb_client_server(const struct xrfb_client *c)
{
	return c->conn.server;
}

void xrfb_client_set_data(struct xrfb_client *c, void *data)
{
	c->user_data = data;
}

void *xrfb_client_data(const struct xrfb_client *c)
{
	return c->user_data;
}
