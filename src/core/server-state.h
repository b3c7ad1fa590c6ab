/* SPDX-License-Identifier: MIT */
/*
 * The server's state as the per-client concerns see it (handshake,
 * client, sched, flow, clipboard): the desktop they serve, the settings,
 * the callbacks, and asking for a scheduler run. The server object
 * behind the public API (server.c) owns it; nothing here knows a
 * client's insides, so every concern can include it.
 */
#ifndef XRFB_SERVER_STATE_H
#define XRFB_SERVER_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu-budget.h"
#include "cursor.h"
#include "fb.h"
#include "motion.h"
#include "pixfmt.h"
#include "sec.h"
#include "throttle.h"
#include "xrfb.h"

/* CPU time the budget lets accumulate over a quiet spell: the first
 * change after it goes out at once, however much it costs. */
#define SERVER_CPU_BURST_US (250 * 1000)
/* How often a budget that yields to demand looks at the machine again:
 * long enough for /proc/stat's clock ticks (10 ms) to count, short
 * enough to give the CPU back soon when others want it. Above the
 * floor, more often: what the machine spares can end at any moment. */
#define SERVER_CPU_WINDOW_MS 500
#define SERVER_CPU_WINDOW_ABOVE_MS 100
/* A viewer that had no update for this long is idle: it leaves its share
 * of the budget to those that are busy. */
#define SERVER_CPU_ACTIVE_MS 1000

#define SERVER_MAX_LISTENERS 16
#define SERVER_MAX_SCREENS 255

struct accounts;
struct clip_client;
struct conn;
struct listener;
struct rcbuf;
struct tls_ctx;
struct web;
struct worker_pool;

/* The embedder's event handlers, each with its own argument. */
struct server_events {
	xrfb_client_fn client_ready, client_gone;
	void *client_ready_arg, *client_gone_arg;
	xrfb_key_fn key;
	void *key_arg;
	xrfb_key_code_fn key_code;
	void *key_code_arg;
	xrfb_pointer_fn pointer;
	void *pointer_arg;
	xrfb_cut_text_fn cut_text;
	void *cut_text_arg;
	xrfb_resize_fn resize;
	void *resize_arg;
};
struct xrfb_reverse;

/* The server's clipboard (clipboard.c): the last text set by the desktop
 * or a client, and the messages that carry it, built once per change and
 * shared by every client's queue; and every client's clipboard state. */
struct clip_server {
	char *text;		/* UTF-8, LF line ends; NULL if none */
	size_t len;
	unsigned serial;	/* counts changes; 0: never set */
	struct rcbuf *provide;	/* extended Provide (NULL: not built yet) */
	struct rcbuf *classic;	/* classic Latin-1 ServerCutText (idem) */
	unsigned skip_logged;	/* serial whose skipping was logged */
	uint32_t viewer_max;	/* longest text taken from a viewer */
	uint32_t classic_max;	/* longest text sent to a classic viewer */
	struct clip_client *clients;
};

struct xrfb_server {
	struct xrfb_loop *loop;
	struct listener *listeners[SERVER_MAX_LISTENERS];
	int nlisteners;
	uint16_t last_port;

	struct fb fb;
	uint32_t *cursor_under;	/* fb under the cursor, while drawn in */
	struct pixfmt format;	/* the server's own pixel format */
	struct cursor cursor;
	struct xrfb_screen screens[SERVER_MAX_SCREENS];
	unsigned nscreens;
	unsigned led_state, led_serial;
	unsigned name_serial;
	struct clip_server clip;
	/* The client whose SetDesktopSize is being carried out. */
	struct xrfb_client *resizing_client;

	struct xrfb_client *clients;	/* doubly linked */
	struct conn *conns;		/* the same clients' connections */
	/* Reverse connections, doubly linked, owned by reverse.c, which
	 * sets free_reverses to free them with the server (so that the
	 * server needs no part of reverse.c). */
	struct xrfb_reverse *reverses;
	void (*free_reverses)(struct xrfb_server *s);
	unsigned next_client_id;
	unsigned nclients_ready;
	/* Of them, those that had an update within SERVER_CPU_ACTIVE_MS
	 * (counted at each scheduler pass): the budget is divided among
	 * these, so that viewers that sit idle (or connections that never
	 * ask for anything) do not shrink the shares of the others. */
	unsigned nclients_active;

	char *password;		/* NULL: security None */
	char *password_view;	/* a second password: view only */
	/* Security types in order of preference (xrfb_server_set_security;
	 * empty: VncAuth with a password, else None), and what follows from
	 * them (security.c): the list of types offered, and VeNCrypt's
	 * subtypes. */
	uint32_t sec_types[SEC_MAX_TYPES];
	unsigned n_sec_types;
	uint8_t sec_top[SEC_MAX_TYPES];
	unsigned n_sec_top;
	uint32_t sec_sub[SEC_MAX_TYPES];
	unsigned n_sec_sub;
	struct tls_ctx *tls;	/* NULL until a TLS type is used */
	xrfb_plain_check_fn plain_check;
	void *plain_check_arg;
	struct accounts *accounts;	/* its checks' threads (account.c) */
	struct throttle throttle;	/* failed authentications */
	unsigned handshake_timeout_ms;	/* 0: none */
	struct ra2_key *ra2_key;	/* NULL: no RSA-AES types */
	char *desktop_name;
	enum xrfb_shared_policy shared_policy;
	bool view_only;
	unsigned max_fps;
	/* Which tiles move, and the lossless refresh delay (motion.h). */
	struct motion motion;
	uint32_t cut_text_max;

	/* xrfb_server_set_max_cpu(): a budget of the process's CPU time,
	 * earned at max_cpu % of wall time and divided into equal shares:
	 * one per client for the updates built for it alone (fair.c), one
	 * for the work shared by all (capture), held here. Reading and
	 * parsing what peers send (handshakes included) is not update
	 * work: it is counted apart and left out, so that connections
	 * that never see an update cannot hold the viewers' back. With
	 * cpu_yield (xrfb_server_set_cpu_yield()) the limit is cpu_limit
	 * instead, max_cpu or more when the machine has CPU to spare
	 * (cpu-budget.h); the clients share all of it and the process as
	 * a whole is held here. */
	unsigned max_cpu;	/* percent of one core; 0: no limit */
	bool cpu_yield;
	unsigned cpu_limit;	/* percent of one core, >= max_cpu */
	unsigned ncpu;		/* online CPUs */
	struct cpu_sample cpu_sample;	/* the window's start */
	/* The machine's counters (tests fake them). */
	void (*cpu_read)(struct cpu_sample *out, uint64_t wall_us,
			 uint64_t self_us);
	int64_t cpu_credit_us;	/* the shared part; negative: updates wait */
	uint64_t cpu_clients_us;	/* charged to clients since the mark */
	uint64_t cpu_input_us;	/* spent on input since the mark */
	uint64_t cpu_mark_us;	/* process CPU time at the last charge */
	uint64_t cpu_wall_ms;	/* wall time then */
	uint64_t cpu_hold_ms;	/* no update before this time */
	struct xrfb_timer *cpu_timer;
	uint64_t (*cpu_clock_us)(void);	/* process CPU time (tests fake it) */

	struct server_events cb;	/* set by xrfb_server_on_*() */

	unsigned encoder_threads;	/* xrfb_server_set_encoder_threads() */
	struct worker_pool *pool;	/* started by the first update */

	bool move_detection;
	unsigned move_misses, move_skip;	/* back-off after misses */

	struct web *web;	/* WebSocket and the web client (web.c) */

	struct xrfb_timer *kick;	/* pending scheduler run */
	unsigned pass_resume;	/* id of the client the next pass starts at */
	/* What a kick runs (server.c). */
	void (*run)(struct xrfb_server *s);
	bool have_dead;		/* some client waits to be freed */
};

/* security.c: recompute the offered types from the settings; free. */
void security_update(struct xrfb_server *s);
void security_fini(struct xrfb_server *s);

/* Run the update scheduler soon (coalesced; from the loop). */
void server_state_kick(struct xrfb_server *s);
/* One share of the --max-cpu budget, in percent of a core (0: no
 * budget): the budget divided among the clients and the shared work. */
unsigned server_state_cpu_share(const struct xrfb_server *s);
/* With a budget that yields to demand: at most once a window, the
 * limit from what the machine did since the last look. */
void server_state_cpu_look(struct xrfb_server *s, uint64_t now_ms);
/* After an update went out: charge the CPU time spent since the last
 * charge, less what clients' shares paid for, to the shared part (with
 * cpu_yield: all of it, to the whole). */
void server_state_cpu_charge(struct xrfb_server *s);
/* Whether updates wait for the CPU budget (a timer kicks the scheduler
 * when they may go). */
bool server_state_cpu_held(const struct xrfb_server *s, uint64_t now_ms);

#endif
