/* SPDX-License-Identifier: MIT */
/*
 * Every way a viewer reaches the server besides a TCP listener, through
 * the public API and real sockets: reverse connections (direct, to a
 * name resolved off the loop, refused, retried and reconnected), the
 * repeater's 250-byte ID block ahead of the greeting, Unix sockets
 * (permissions, stale and live sockets, removal; RFB, and WebSocket
 * only), adopted listening
 * sockets and adopted connected sockets.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tpeer.h"
#include "unit.h"
#include "xrfb.h"

struct env {
	struct xrfb_loop *loop;
	struct xrfb_server *s;
	int ready;
	int events[3];		/* by enum xrfb_reverse_event */
	int last_err;
	int gone;
	int viewer;		/* a listening "viewer" socket */
	int accepted;		/* its latest connection */
};

static void on_ready(void *arg, struct xrfb_client *c)
{
	struct env *e = arg;

	e->ready++;
}

static void on_reverse(void *arg, struct xrfb_reverse *r,
		       enum xrfb_reverse_event ev, int err)
{
	struct env *e = arg;

	e->events[ev]++;
	if (ev == XRFB_REVERSE_FAILED)
		e->last_err = err;
}

static void on_gone(void *arg, struct xrfb_client *c)
{
	struct env *e = arg;

	e->gone++;
}

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->viewer = e->accepted = -1;
	e->loop = xrfb_loop_new();
	ck_assert_ptr_nonnull(e->loop);
	e->s = xrfb_server_new(e->loop, 64, 48);
	ck_assert_ptr_nonnull(e->s);
	xrfb_server_on_client_ready(e->s, on_ready, e);
}

static void env_fini(struct env *e)
{
	xrfb_server_free(e->s);
	xrfb_loop_free(e->loop);
	if (e->viewer >= 0)
		close(e->viewer);
}

/* A listening socket on 127.0.0.1 (@port 0: any); returns its port. */
static uint16_t viewer_listen(struct env *e, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int one = 1;

	e->viewer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
					    SOCK_NONBLOCK, 0);
	ck_assert_int_ge(e->viewer, 0);
	setsockopt(e->viewer, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	ck_assert_int_eq(bind(e->viewer, (struct sockaddr *)&sa, sizeof(sa)),
			 0);
	ck_assert_int_eq(listen(e->viewer, 4), 0);
	ck_assert_int_eq(getsockname(e->viewer, (struct sockaddr *)&sa, &len),
			 0);
	return ntohs(sa.sin_port);
}

/* A port nothing listens on (bound, then closed again). */
static uint16_t closed_port(void)
{
	struct env tmp = { .viewer = -1 };
	uint16_t port = viewer_listen(&tmp, 0);

	close(tmp.viewer);
	return port;
}

static bool has_accepted(void *arg)
{
	struct env *e = arg;

	if (e->accepted < 0)
		e->accepted = accept4(e->viewer, NULL, NULL, SOCK_CLOEXEC);
	return e->accepted >= 0;
}

static bool has_event(void *arg)
{
	int *counter = arg;

	return *counter > 0;
}

static bool has_two_failures(void *arg)
{
	struct env *e = arg;

	return e->events[XRFB_REVERSE_FAILED] >= 2;
}

/* Take the viewer's next connection and go through the handshake. */
static void accept_and_handshake(struct env *e, struct tpeer *p)
{
	e->accepted = -1;
	ck_assert(test_run_until(e->loop, has_accepted, e));
	tpeer_open_fd(p, e->loop, e->accepted);
	tpeer_handshake(p, 8, NULL, true);
}

START_TEST(test_reverse_direct)
{
	struct env e;
	struct tpeer p;
	struct xrfb_reverse *r;

	env_init(&e);
	r = xrfb_server_reverse(e.s, "127.0.0.1", viewer_listen(&e, 0), NULL);
	ck_assert_ptr_nonnull(r);
	xrfb_reverse_on_event(r, on_reverse, &e);
	/* Nothing happens before the loop runs. */
	ck_assert_int_eq(e.events[XRFB_REVERSE_CONNECTED], 0);
	accept_and_handshake(&e, &p);
	ck_assert_int_eq(e.events[XRFB_REVERSE_CONNECTED], 1);
	ck_assert_ptr_nonnull(xrfb_reverse_client(r));
	ck_assert_int_eq(xrfb_server_client_count(e.s), 1);
	tpeer_close(&p);
	ck_assert(test_run_until(e.loop, has_event,
				 &e.events[XRFB_REVERSE_CLOSED]));
	ck_assert_ptr_null(xrfb_reverse_client(r));
	xrfb_reverse_free(r);
	env_fini(&e);
}
END_TEST

/* The same through a name, which is resolved on a thread. */
START_TEST(test_reverse_name)
{
	struct env e;
	struct tpeer p;
	struct xrfb_reverse *r;

	env_init(&e);
	r = xrfb_server_reverse(e.s, "localhost", viewer_listen(&e, 0), NULL);
	ck_assert_ptr_nonnull(r);
	xrfb_reverse_on_event(r, on_reverse, &e);
	/* localhost may come first as ::1, where nobody listens: the next
	 * address is tried. */
	accept_and_handshake(&e, &p);
	ck_assert_int_eq(e.events[XRFB_REVERSE_CONNECTED], 1);
	tpeer_close(&p);
	/* The server frees the reverse connection it still owns. */
	env_fini(&e);
}
END_TEST

START_TEST(test_reverse_refused)
{
	struct env e;
	struct xrfb_reverse *r;
	uint16_t port;

	env_init(&e);
	port = closed_port();
	r = xrfb_server_reverse(e.s, "127.0.0.1", port, NULL);
	ck_assert_ptr_nonnull(r);
	xrfb_reverse_on_event(r, on_reverse, &e);
	ck_assert(test_run_until(e.loop, has_event,
				 &e.events[XRFB_REVERSE_FAILED]));
	ck_assert_int_eq(e.last_err, -ECONNREFUSED);
	ck_assert_int_eq(e.events[XRFB_REVERSE_CONNECTED], 0);
	/* The one-call form: started, then only logged. */
	ck_assert_int_eq(xrfb_server_connect(e.s, "127.0.0.1", port), 0);
	ck_assert_int_eq(xrfb_server_connect(e.s, "", port), -EINVAL);
	env_fini(&e);
}
END_TEST

/* The callback may free the handle (xrfb.h), as `xrfb ctl connect`
 * does once it has its answer: after a failure, and when the
 * connection ends. Nothing of it is touched after that (the sanitizer
 * build sees any read). */
static void on_reverse_free(void *arg, struct xrfb_reverse *r,
			    enum xrfb_reverse_event ev, int err)
{
	on_reverse(arg, r, ev, err);
	if (ev != XRFB_REVERSE_CONNECTED)
		xrfb_reverse_free(r);
}

START_TEST(test_reverse_freed_by_callback)
{
	struct env e;
	struct tpeer p;
	struct xrfb_reverse *r;

	env_init(&e);
	r = xrfb_server_reverse(e.s, "127.0.0.1", closed_port(), NULL);
	ck_assert_ptr_nonnull(r);
	xrfb_reverse_on_event(r, on_reverse_free, &e);
	ck_assert(test_run_until(e.loop, has_event,
				 &e.events[XRFB_REVERSE_FAILED]));
	ck_assert_int_eq(e.last_err, -ECONNREFUSED);

	r = xrfb_server_reverse(e.s, "127.0.0.1", viewer_listen(&e, 0), NULL);
	ck_assert_ptr_nonnull(r);
	xrfb_reverse_on_event(r, on_reverse_free, &e);
	accept_and_handshake(&e, &p);
	tpeer_close(&p);
	ck_assert(test_run_until(e.loop, has_event,
				 &e.events[XRFB_REVERSE_CLOSED]));
	env_fini(&e);
}
END_TEST

/* Failures are retried until the viewer appears; when it leaves, the
 * server connects again. */
START_TEST(test_reverse_retry)
{
	struct env e;
	struct tpeer p;
	struct xrfb_reverse *r;
	uint16_t port;

	env_init(&e);
	port = closed_port();
	r = xrfb_server_reverse(e.s, "127.0.0.1", port, NULL);
	ck_assert_ptr_nonnull(r);
	xrfb_reverse_on_event(r, on_reverse, &e);
	xrfb_reverse_set_retry(r, 1000);
	ck_assert(test_run_until(e.loop, has_two_failures, &e));
	ck_assert_int_eq(e.last_err, -ECONNREFUSED);
	viewer_listen(&e, port);
	accept_and_handshake(&e, &p);
	ck_assert_int_eq(e.events[XRFB_REVERSE_CONNECTED], 1);
	tpeer_close(&p);
	accept_and_handshake(&e, &p);
	ck_assert_int_eq(e.events[XRFB_REVERSE_CLOSED], 1);
	ck_assert_int_eq(e.events[XRFB_REVERSE_CONNECTED], 2);
	ck_assert_int_eq(e.ready, 2);
	tpeer_close(&p);
	env_fini(&e);
}
END_TEST

START_TEST(test_repeater_block)
{
	struct env e;
	struct tpeer p;
	uint8_t block[250] = "ID:1234";

	env_init(&e);
	ck_assert_ptr_nonnull(xrfb_server_reverse(e.s, "127.0.0.1",
						  viewer_listen(&e, 0),
						  "1234"));
	ck_assert(test_run_until(e.loop, has_accepted, &e));
	tpeer_open_fd(&p, e.loop, e.accepted);
	/* Exactly 250 bytes, NUL-padded, then the RFB greeting. */
	tpeer_expect(&p, block, sizeof(block));
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_close(&p);
	env_fini(&e);
}
END_TEST

START_TEST(test_repeater_bad_id)
{
	struct env e;
	char id[260];

	env_init(&e);
	memset(id, '7', sizeof(id));
	id[247] = '\0';
	ck_assert_ptr_null(xrfb_server_reverse(e.s, "127.0.0.1", 1, id));
	ck_assert_int_eq(errno, EINVAL);
	id[246] = '\0';
	ck_assert_ptr_nonnull(xrfb_server_reverse(e.s, "127.0.0.1", 1, id));
	ck_assert_ptr_null(xrfb_server_reverse(e.s, "127.0.0.1", 1, ""));
	ck_assert_ptr_null(xrfb_server_reverse(e.s, "127.0.0.1", 1, "12 34"));
	ck_assert_ptr_null(xrfb_server_reverse(e.s, "", 1, NULL));
	ck_assert_ptr_null(xrfb_server_reverse(e.s, NULL, 1, NULL));
	env_fini(&e);
}
END_TEST

static void unix_path(char *out, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(out, size, "%s/xrfb-unit-%d-%s", tmp ? tmp : "/tmp",
		 (int)getpid(), name);
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
		      "connect %s: %s", path, strerror(errno));
	return fd;
}

START_TEST(test_unix_listen)
{
	struct env e;
	struct tpeer p;
	struct stat st;
	char path[100];

	unix_path(path, sizeof(path), "a.sock");
	unlink(path);
	env_init(&e);
	ck_assert_int_eq(xrfb_server_listen_unix(e.s, path, 0600), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	tpeer_open_fd(&p, e.loop, unix_connect(path));
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_close(&p);
	/* No path, or one longer than a socket address holds. */
	ck_assert_int_eq(xrfb_server_listen_unix(e.s, "", 0600), -EINVAL);
	{
		char long_path[200];

		memset(long_path, 'x', sizeof(long_path) - 1);
		long_path[sizeof(long_path) - 1] = '\0';
		ck_assert_int_eq(xrfb_server_listen_unix(e.s, long_path, 0600),
				 -ENAMETOOLONG);
	}
	/* A live socket is not taken over. */
	ck_assert_int_eq(xrfb_server_listen_unix(e.s, path, 0600),
			 -EADDRINUSE);
	env_fini(&e);
	/* The file goes with the server. */
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* A WebSocket-only Unix listener: HTTP is answered at once (no file is
 * served here: 404), a silent client gets no RFB greeting, and the
 * socket is made and replaced as an RFB one is. */
START_TEST(test_unix_websocket)
{
	static const char req[] = "GET /vnc.html HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char want[] = "HTTP/1.1 404 ";
	struct env e;
	struct tpeer p, q;
	struct stat st;
	char path[100];

	unix_path(path, sizeof(path), "ws.sock");
	unlink(path);
	env_init(&e);
	ck_assert_int_eq(xrfb_server_listen_websocket_unix(e.s, path, 0640),
			 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	tpeer_open_fd(&q, e.loop, unix_connect(path));
	tpeer_open_fd(&p, e.loop, unix_connect(path));
	tpeer_send(&p, req, sizeof(req) - 1);
	tpeer_flush(&p);
	ck_assert(tpeer_wait(&p, sizeof(want) - 1));
	ck_assert_mem_eq(p.in, want, sizeof(want) - 1);
	tpeer_close(&p);
	/* By now the silent one would have had an RFB greeting. */
	ck_assert_uint_eq(q.received, 0);
	tpeer_close(&q);
	ck_assert_int_eq(xrfb_server_listen_websocket_unix(e.s, path, 0600),
			 -EADDRINUSE);
	env_fini(&e);
	ck_assert_int_eq(stat(path, &st), -1);
}
END_TEST

START_TEST(test_unix_stale_and_other)
{
	struct env e;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	char path[100];
	int fd;

	unix_path(path, sizeof(path), "b.sock");
	unlink(path);
	/* A socket file whose server is gone. */
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	env_init(&e);
	ck_assert_int_eq(xrfb_server_listen_unix(e.s, path, 0660), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	close(unix_connect(path));
	env_fini(&e);

	/* A regular file is never removed. */
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	env_init(&e);
	ck_assert_int_eq(xrfb_server_listen_unix(e.s, path, 0600), -EEXIST);
	env_fini(&e);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(test_listen_fd)
{
	struct env e;
	struct tpeer p;
	uint16_t port;
	int fds[2], sock;

	env_init(&e);
	port = viewer_listen(&e, 0);
	ck_assert_int_eq(xrfb_server_listen_fd(e.s, e.viewer), 0);
	e.viewer = -1;		/* the server's now */
	ck_assert_uint_eq(xrfb_server_port(e.s), port);
	tpeer_open_tcp(&p, e.loop, port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_close(&p);
	/* Not a socket; a socket that does not listen. */
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_eq(xrfb_server_listen_fd(e.s, fds[0]), -ENOTSOCK);
	close(fds[1]);
	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(xrfb_server_listen_fd(e.s, sock), -EINVAL);
	/* Both were closed by the server. */
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), -1);
	ck_assert_int_eq(fcntl(sock, F_GETFD), -1);
	env_fini(&e);
}
END_TEST

static bool has_gone(void *arg)
{
	struct env *e = arg;

	return e->gone > 0;
}

static bool has_two_gone(void *arg)
{
	struct env *e = arg;

	return e->gone > 1;
}

START_TEST(test_adopt)
{
	struct env e;
	struct tpeer p;
	int sv[2];

	env_init(&e);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	ck_assert_ptr_nonnull(xrfb_server_adopt(e.s, sv[0], NULL, on_gone,
						&e));
	tpeer_open_fd(&p, e.loop, sv[1]);
	tpeer_handshake(&p, 8, NULL, true);
	ck_assert_int_eq(e.ready, 1);
	tpeer_close(&p);
	ck_assert(test_run_until(e.loop, has_gone, &e));
	ck_assert_int_eq(e.gone, 1);

	/* Gone also when the handshake never finished. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	ck_assert_ptr_nonnull(xrfb_server_adopt(e.s, sv[0], "pair", on_gone,
						&e));
	close(sv[1]);
	ck_assert(test_run_until(e.loop, has_two_gone, &e));
	env_fini(&e);
}
END_TEST

static Suite *ways_in_suite(void)
{
	Suite *s = suite_create("ways-in");
	TCase *tc = unit_tcase(s, "reverse");

	tcase_add_test(tc, test_reverse_direct);
	tcase_add_test(tc, test_reverse_name);
	tcase_add_test(tc, test_reverse_refused);
	tcase_add_test(tc, test_reverse_freed_by_callback);
	tcase_add_test(tc, test_reverse_retry);
	tc = unit_tcase(s, "repeater");
	tcase_add_test(tc, test_repeater_block);
	tcase_add_test(tc, test_repeater_bad_id);
	tc = unit_tcase(s, "listen");
	tcase_add_test(tc, test_unix_listen);
	tcase_add_test(tc, test_unix_websocket);
	tcase_add_test(tc, test_unix_stale_and_other);
	tcase_add_test(tc, test_listen_fd);
	tcase_add_test(tc, test_adopt);
	return s;
}

UNIT_MAIN(ways_in_suite)
