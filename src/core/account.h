/* SPDX-License-Identifier: MIT */
/*
 * User name and password checks (the embedder's xrfb_plain_check_fn, PAM
 * in the program) off the loop thread: a check may block for seconds (a
 * PAM module's failure delay), and the other clients must not wait for
 * it. Each check runs on a thread of its own; its answer comes back to
 * the loop thread, which calls the caller's done function.
 */
#ifndef XRFB_ACCOUNT_H
#define XRFB_ACCOUNT_H

#include <stdbool.h>

struct conn;
struct xrfb_server;
struct account_check;
struct accounts;

/* A check's answer, on the loop thread: whether the user is in, and if
 * so whether as a viewer only. */
typedef void (*account_done_fn)(void *arg, bool ok, bool view_only);

/* Check @user and @password (copied) of the client of @conn with its
 * server's plain check on a thread; @done(@arg, ...) follows on the loop
 * thread, unless cancelled, even if @conn was closed meanwhile (a wrong
 * password then counts against the client's address all the same, as it
 * does after a cancel). NULL if the check cannot start (no check is set,
 * too many checks running, out of memory, no thread); @done is then
 * never called. */
struct account_check *account_check_start(const struct conn *conn,
					  const char *user,
					  const char *password,
					  account_done_fn done, void *arg);
/* The caller is going away (before its conn is freed): @done will not
 * be called. The check itself runs to its end and is freed then. */
void account_check_cancel(struct account_check *c);
/* The log line of a check's answer for the client of @conn; @user is
 * escaped already. */
void account_log(const struct conn *conn, const char *user, bool ok,
		 bool view_only);
/* Whether a check is running or its answer not yet delivered. */
bool account_busy(const struct xrfb_server *s);
/* Wait for every check still running (their done functions are not
 * called) and free what the server's checks use. */
void account_fini(struct xrfb_server *s);

#endif
