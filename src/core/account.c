/* SPDX-License-Identifier: MIT */
/*
 * Checks of user names and passwords on threads of their own. A check
 * copies the credentials, and its thread calls the embedder's function
 * and records the answer; the loop thread learns of it through an
 * eventfd, joins the thread and calls the done function, unless the
 * caller cancelled (its client went away meanwhile). A wrong password
 * whose client is gone or closed by then still counts as a failed
 * authentication of its address (throttle.c): leaving before the answer
 * does not get round the refusals that slow guessing. The list of checks
 * and their done functions belong to the loop thread; a check's thread
 * touches only its own copy of the credentials and, under the lock, its
 * answer. The server's end waits for the checks still running.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "account.h"
#include "conn.h"
#include "log.h"
#include "server-state.h"
#include "throttle.h"

/* Checks running at once, those of clients gone included: a client
 * that leaves as soon as it has sent its credentials is not counted in
 * the handshake's caps, while its check may still wait for seconds. */
#define ACCOUNT_MAX_CHECKS 64

struct accounts {
	struct xrfb_server *server;
	pthread_mutex_t lock;	/* the answers of the checks */
	int evfd;		/* a check has finished */
	struct xrfb_watch *watch;
	struct account_check *checks;	/* running or finished, unjoined */
	unsigned nchecks;
};

struct account_check {
	struct accounts *a;
	struct account_check *prev, *next;
	pthread_t thread;
	xrfb_plain_check_fn fn;
	void *fn_arg;
	char *user, *password;
	account_done_fn done;	/* NULL once cancelled */
	void *arg;
	const struct conn *conn;	/* NULL once cancelled */
	unsigned conn_id;
	char addr[THROTTLE_ADDR_MAX];	/* its peer's, for throttle.c */
	/* Under a->lock: the answer. */
	bool finished, ok, view_only;
};

static void check_free(struct account_check *c)
{
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->user);
	free(c);
}

static void unlink_check(struct account_check *c)
{
	c->a->nchecks--;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->a->checks = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void *check_main(void *arg)
{
	struct account_check *c = arg;
	struct accounts *a = c->a;
	int evfd = a->evfd;
	uint64_t one = 1;
	bool view_only = false;
	bool ok = c->fn(c->fn_arg, c->user, c->password, &view_only);

	explicit_bzero(c->password, strlen(c->password));
	pthread_mutex_lock(&a->lock);
	c->ok = ok;
	c->view_only = ok && view_only;
	c->finished = true;
	pthread_mutex_unlock(&a->lock);
	/* The loop joins this thread before it frees anything. */
	if (write(evfd, &one, sizeof(one)) < 0)
		log_warn("account check: cannot wake the loop: %s",
			 strerror(errno));
	return NULL;
}

/* A wrong password whose client left (or was closed) before the answer:
 * a failure of its address all the same. */
static void count_unheard(struct accounts *a, const struct account_check *c)
{
	uint64_t ban = throttle_failed(&a->server->throttle, c->addr,
				       xrfb_now_ms());

	if (ban)
		log_warn("client %u (%s): authentication failed, the client "
			 "left before its answer; %s refused for %llu s",
			 c->conn_id, c->addr, c->addr,
			 (unsigned long long)(ban + 999) / 1000);
	else
		log_warn("client %u (%s): authentication failed, the client "
			 "left before its answer", c->conn_id, c->addr);
}

static void on_finished(void *arg, int fd, uint32_t events)
{
	struct accounts *a = arg;
	struct account_check *done = NULL, *c, *next;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("account check: eventfd: %s", strerror(errno));
	/* Take the finished checks off the list first: a done function may
	 * start or cancel others. */
	pthread_mutex_lock(&a->lock);
	for (c = a->checks; c; c = next) {
		next = c->next;
		if (!c->finished)
			continue;
		unlink_check(c);
		c->next = done;
		done = c;
	}
	pthread_mutex_unlock(&a->lock);
	for (c = done; c; c = next) {
		next = c->next;
		pthread_join(c->thread, NULL);
		if (!c->ok && (!c->conn || c->conn->closed))
			count_unheard(a, c);
		if (c->done)
			c->done(c->arg, c->ok, c->view_only);
		check_free(c);
	}
}

static struct accounts *accounts_get(struct xrfb_server *s)
{
	struct accounts *a = s->accounts;

	if (a)
		return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->evfd < 0)
		goto err_free;
	a->watch = xrfb_loop_watch_fd(s->loop, a->evfd, XRFB_EV_IN,
				      on_finished, a);
	if (!a->watch)
		goto err_close;
	pthread_mutex_init(&a->lock, NULL);
	a->server = s;
	s->accounts = a;
	return a;

err_close:
	close(a->evfd);
err_free:
	free(a);
	return NULL;
}

struct account_check *account_check_start(const struct conn *conn,
					  const char *user,
					  const char *password,
					  account_done_fn done, void *arg)
{
	struct xrfb_server *s = conn->server;
	struct accounts *a = s->plain_check ? accounts_get(s) : NULL;
	struct account_check *c;
	sigset_t all, old;
	int err;

	if (!a)
		return NULL;
	if (a->nchecks >= ACCOUNT_MAX_CHECKS) {
		log_debug("%s: %u checks are running: no more", __func__,
			  a->nchecks);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->a = a;
	c->fn = s->plain_check;
	c->fn_arg = s->plain_check_arg;
	c->user = strdup(user);
	c->password = strdup(password);
	c->done = done;
	c->arg = arg;
	c->conn = conn;
	c->conn_id = conn->id;
	throttle_addr(conn->peer, c->addr, sizeof(c->addr));
	if (!c->user || !c->password)
		goto err_free;
	/* Signals stay with the loop thread (its signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&c->thread, NULL, check_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		log_warn("cannot start a thread to check a password: %s",
			 strerror(err));
		goto err_free;
	}
	c->next = a->checks;
	if (a->checks)
		a->checks->prev = c;
	a->checks = c;
	a->nchecks++;
	return c;

err_free:
	check_free(c);
	return NULL;
}

void account_check_cancel(struct account_check *c)
{
	if (c) {
		c->done = NULL;
		c->conn = NULL;
	}
}

void account_log(const struct conn *conn, const char *user, bool ok,
		 bool view_only)
{
	if (ok)
		log_info("client %u (%s): user \"%s\" authenticated%s",
			 conn->id, conn->peer, user,
			 view_only ? " (view only)" : "");
	else
		log_info("client %u (%s): user \"%s\" refused", conn->id,
			 conn->peer, user);
}

bool account_busy(const struct xrfb_server *s)
{
	return s->accounts && s->accounts->checks;
}

void account_fini(struct xrfb_server *s)
{
	struct accounts *a = s->accounts;
	struct account_check *c;

	if (!a)
		return;
	while ((c = a->checks)) {
		unlink_check(c);
		pthread_join(c->thread, NULL);
		check_free(c);
	}
	xrfb_watch_free(a->watch);
	close(a->evfd);
	pthread_mutex_destroy(&a->lock);
	free(a);
	s->accounts = NULL;
}
