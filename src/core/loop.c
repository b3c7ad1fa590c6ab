/* SPDX-License-Identifier: MIT */
/*
 * The event loop: a level-triggered epoll reactor with fd watchers, a
 * min-heap of one-shot timers, signalfd for signals, an eventfd through
 * which other threads post work, and prepare hooks run before each sleep.
 * Objects freed while events for them are pending in the current batch are
 * only marked and freed after the batch (as redis' ae and libuv do).
 * It runs itself (xrfb_loop_run) or one iteration at a time from an
 * embedder's own loop (xrfb_loop_fd, _timeout, _dispatch, as libuv's
 * backend fd and libwayland's event loop fd allow). It owns the log sink
 * of the code it runs: entering an iteration makes it the thread's.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "loop.h"

#define LOOP_MAX_EVENTS 64
#define LOOP_NSIG 65

struct xrfb_watch {
	struct xrfb_loop *loop;
	int fd;
	uint32_t events;
	xrfb_fd_fn fn;
	void *arg;
	bool dead;
	struct xrfb_watch *next_dead;
};

struct xrfb_timer {
	struct xrfb_loop *loop;
	uint64_t due;
	uint64_t seq;
	size_t index;		/* position in the heap */
	xrfb_timer_fn fn;
	void *arg;
};

struct prepare_hook {
	xrfb_prepare_fn fn;
	void *arg;
	bool dead;
};

struct posted {
	loop_post_fn fn;
	void *arg;
	struct posted *next;
};

struct signal_handler {
	xrfb_signal_fn fn;
	void *arg;
};

struct xrfb_loop {
	int epfd;
	bool in_run;		/* inside xrfb_loop_run() */
	bool running;
	bool stopped;		/* xrfb_loop_stop() seen, maybe before run */
	int status;

	struct xrfb_watch *dead_watches;

	struct xrfb_timer **heap;
	size_t nheap, heap_cap;
	uint64_t timer_seq;

	struct prepare_hook *prepare;
	size_t nprepare;
	bool in_prepare;

	int sigfd;
	struct xrfb_watch *sig_watch;
	sigset_t sigmask;
	struct signal_handler sig[LOOP_NSIG];

	int evfd;
	struct xrfb_watch *ev_watch;
	pthread_mutex_t post_lock;
	struct posted *posted_head, *posted_tail;

	struct log_sink log;	/* xrfb_loop_set_log() */
};

uint64_t xrfb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- timers: a binary min-heap ordered by (due, seq) -------------------- */

static bool timer_before(const struct xrfb_timer *a, const struct xrfb_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(struct xrfb_loop *loop, size_t i, struct xrfb_timer *t)
{
	loop->heap[i] = t;
	t->index = i;
}

static void heap_up(struct xrfb_loop *loop, size_t i)
{
	struct xrfb_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_down(struct xrfb_loop *loop, size_t i)
{
	struct xrfb_timer *t = loop->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= loop->nheap)
			break;
		if (c + 1 < loop->nheap &&
		    timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], t))
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

static void heap_remove(struct xrfb_loop *loop, struct xrfb_timer *t)
{
	size_t i = t->index;
	struct xrfb_timer *last = loop->heap[--loop->nheap];

	if (last == t)
		return;
	heap_set(loop, i, last);
	heap_up(loop, i);
	heap_down(loop, last->index);
}

struct xrfb_timer *xrfb_loop_add_timer(struct xrfb_loop *loop,
				       uint64_t delay_ms, xrfb_timer_fn fn,
				       void *arg)
{
	struct xrfb_timer *t = xcalloc(1, sizeof(*t));

	t->loop = loop;
	t->due = xrfb_now_ms() + delay_ms;
	t->seq = loop->timer_seq++;
	t->fn = fn;
	t->arg = arg;
	if (loop->nheap == loop->heap_cap) {
		loop->heap_cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
		loop->heap = xrealloc(loop->heap,
				      loop->heap_cap * sizeof(*loop->heap));
	}
	heap_set(loop, loop->nheap++, t);
	heap_up(loop, t->index);
	return t;
}

void xrfb_timer_cancel(struct xrfb_timer *t)
{
	if (!t)
		return;
	heap_remove(t->loop, t);
	free(t);
}

static void run_timers(struct xrfb_loop *loop)
{
	uint64_t now = xrfb_now_ms();

	while (loop->nheap && loop->heap[0]->due <= now) {
		struct xrfb_timer *t = loop->heap[0];
		heap_remove(loop, t);
		t->fn(t->arg);
		free(t);
	}
}

static int next_timeout(const struct xrfb_loop *loop)
{
	uint64_t now;

	if (!loop->nheap)
		return -1;
	now = xrfb_now_ms();
	if (loop->heap[0]->due <= now)
		return 0;
	if (loop->heap[0]->due - now > 60000)
		return 60000;
	return (int)(loop->heap[0]->due - now);
}

/* ---- fd watchers ---------------------------------------------------------- */

struct xrfb_watch *xrfb_loop_watch_fd(struct xrfb_loop *loop, int fd,
				      uint32_t events, xrfb_fd_fn fn,
				      void *arg)
{
	struct xrfb_watch *w = xcalloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->loop = loop;
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_error("epoll_ctl(ADD, %d): %s", fd, strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

int xrfb_watch_set_events(struct xrfb_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->events == events)
		return 0;
	if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

void xrfb_watch_free(struct xrfb_watch *w)
{
	if (!w)
		return;
	epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	w->next_dead = w->loop->dead_watches;
	w->loop->dead_watches = w;
}

static void free_dead_watches(struct xrfb_loop *loop)
{
	while (loop->dead_watches) {
		struct xrfb_watch *w = loop->dead_watches;
		loop->dead_watches = w->next_dead;
		free(w);
	}
}

/* ---- prepare hooks ---------------------------------------------------------- */

int xrfb_loop_add_prepare(struct xrfb_loop *loop, xrfb_prepare_fn fn,
			  void *arg)
{
	loop->prepare = xrealloc(loop->prepare,
				 (loop->nprepare + 1) * sizeof(*loop->prepare));
	loop->prepare[loop->nprepare++] =
		(struct prepare_hook){ .fn = fn, .arg = arg };
	return 0;
}

static void compact_prepare(struct xrfb_loop *loop)
{
	size_t j = 0;

	for (size_t i = 0; i < loop->nprepare; i++)
		if (!loop->prepare[i].dead)
			loop->prepare[j++] = loop->prepare[i];
	loop->nprepare = j;
}

void xrfb_loop_remove_prepare(struct xrfb_loop *loop, xrfb_prepare_fn fn,
			      void *arg)
{
	for (size_t i = 0; i < loop->nprepare; i++)
		if (loop->prepare[i].fn == fn && loop->prepare[i].arg == arg)
			loop->prepare[i].dead = true;
	if (!loop->in_prepare)
		compact_prepare(loop);
}

static void run_prepare(struct xrfb_loop *loop)
{
	loop->in_prepare = true;
	/* Hooks added while running are run from the next iteration on. */
	for (size_t i = 0, n = loop->nprepare; i < n; i++)
		if (!loop->prepare[i].dead)
			loop->prepare[i].fn(loop->prepare[i].arg);
	loop->in_prepare = false;
	compact_prepare(loop);
}

/* ---- signals ------------------------------------------------------------------ */

static void on_signalfd(void *arg, int fd, uint32_t events)
{
	struct xrfb_loop *loop = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;
		if (signo > 0 && signo < LOOP_NSIG && loop->sig[signo].fn)
			loop->sig[signo].fn(loop->sig[signo].arg, signo);
	}
}

static int update_sigmask(struct xrfb_loop *loop)
{
	if (pthread_sigmask(SIG_BLOCK, &loop->sigmask, NULL) != 0)
		return -errno;
	if (signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int xrfb_loop_on_signal(struct xrfb_loop *loop, int signo, xrfb_signal_fn fn,
			void *arg)
{
	if (signo <= 0 || signo >= LOOP_NSIG)
		return -EINVAL;
	loop->sig[signo].fn = fn;
	loop->sig[signo].arg = arg;
	sigaddset(&loop->sigmask, signo);
	return update_sigmask(loop);
}

/* ---- work posted from other threads ------------------------------------------ */

int loop_post(struct xrfb_loop *loop, loop_post_fn fn, void *arg)
{
	struct posted *p = malloc(sizeof(*p));
	uint64_t one = 1;

	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&loop->post_lock);
	if (loop->posted_tail)
		loop->posted_tail->next = p;
	else
		loop->posted_head = p;
	loop->posted_tail = p;
	pthread_mutex_unlock(&loop->post_lock);
	if (write(loop->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static void on_eventfd(void *arg, int fd, uint32_t events)
{
	struct xrfb_loop *loop = arg;
	struct posted *p;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&loop->post_lock);
	p = loop->posted_head;
	loop->posted_head = loop->posted_tail = NULL;
	pthread_mutex_unlock(&loop->post_lock);
	while (p) {
		struct posted *next = p->next;
		p->fn(p->arg);
		free(p);
		p = next;
	}
}

/* ---- the loop ---------------------------------------------------------------- */

struct xrfb_loop *xrfb_loop_new(void)
{
	struct xrfb_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto err_free;
	sigemptyset(&loop->sigmask);
	loop->sigfd = signalfd(-1, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (loop->sigfd < 0)
		goto err_close_ep;
	loop->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->evfd < 0)
		goto err_close_sig;
	pthread_mutex_init(&loop->post_lock, NULL);
	loop->sig_watch = xrfb_loop_watch_fd(loop, loop->sigfd, XRFB_EV_IN,
					     on_signalfd, loop);
	loop->ev_watch = xrfb_loop_watch_fd(loop, loop->evfd, XRFB_EV_IN,
					    on_eventfd, loop);
	if (!loop->sig_watch || !loop->ev_watch)
		goto err_close_ev;
	/* A vanished peer must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	loop->log.level = XRFB_LOG_INFO;
	log_use(&loop->log);
	return loop;

err_close_ev:
	xrfb_watch_free(loop->sig_watch);
	xrfb_watch_free(loop->ev_watch);
	free_dead_watches(loop);
	close(loop->evfd);
err_close_sig:
	close(loop->sigfd);
err_close_ep:
	close(loop->epfd);
err_free:
	free(loop);
	return NULL;
}

void xrfb_loop_free(struct xrfb_loop *loop)
{
	if (!loop)
		return;
	xrfb_watch_free(loop->sig_watch);
	xrfb_watch_free(loop->ev_watch);
	free_dead_watches(loop);
	while (loop->nheap)
		xrfb_timer_cancel(loop->heap[0]);
	while (loop->posted_head) {
		struct posted *p = loop->posted_head;
		loop->posted_head = p->next;
		free(p);
	}
	pthread_sigmask(SIG_UNBLOCK, &loop->sigmask, NULL);
	if (log_in_use() == &loop->log)
		log_use(NULL);
	pthread_mutex_destroy(&loop->post_lock);
	close(loop->evfd);
	close(loop->sigfd);
	close(loop->epfd);
	free(loop->heap);
	free(loop->prepare);
	free(loop);
}

void xrfb_loop_stop(struct xrfb_loop *loop, int status)
{
	loop->running = false;
	loop->stopped = true;
	loop->status = status;
}

int xrfb_loop_set_log(struct xrfb_loop *loop, enum xrfb_log_level level,
		      xrfb_log_fn fn, void *arg)
{
	if (level < XRFB_LOG_ERROR || level > XRFB_LOG_TRACE)
		return -EINVAL;
	loop->log.level = level;
	loop->log.fn = fn;
	loop->log.arg = arg;
	log_use(&loop->log);
	return 0;
}

int xrfb_loop_fd(const struct xrfb_loop *loop)
{
	return loop->epfd;
}

int xrfb_loop_timeout(const struct xrfb_loop *loop)
{
	return next_timeout(loop);
}

/* Wait up to @timeout ms for events and handle them, then the timers
 * that are due. In xrfb_loop_run(), a stop ends the batch. */
static int handle_events(struct xrfb_loop *loop, int timeout)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	int n;

	log_use(&loop->log);
	n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, timeout);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		log_error("epoll_wait: %s", strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n && (!loop->in_run || loop->running); i++) {
		struct xrfb_watch *w = events[i].data.ptr;
		if (!w->dead)
			w->fn(w->arg, w->fd, events[i].events);
	}
	free_dead_watches(loop);
	run_timers(loop);
	return 0;
}

int xrfb_loop_dispatch(struct xrfb_loop *loop, int timeout_ms)
{
	int err = handle_events(loop, timeout_ms < 0 ? -1 : timeout_ms);

	if (err < 0)
		return err;
	run_prepare(loop);
	return 0;
}

int xrfb_loop_run(struct xrfb_loop *loop)
{
	/* A stop requested before the loop ran (say, by a child that
	 * exited during start-up) ends the run at once. */
	if (loop->stopped) {
		loop->stopped = false;
		return loop->status;
	}
	loop->in_run = true;
	loop->running = true;
	loop->status = 0;
	while (loop->running) {
		int err;

		run_prepare(loop);
		if (!loop->running)
			break;
		err = handle_events(loop, next_timeout(loop));
		if (err < 0) {
			loop->in_run = false;
			return err;
		}
	}
	loop->in_run = false;
	loop->stopped = false;
	return loop->status;
}
