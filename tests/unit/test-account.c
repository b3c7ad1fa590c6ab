/* SPDX-License-Identifier: MIT */
/*
 * account: user name and password checks on threads of their own, seen
 * through a real server and the VeNCrypt Plain type in the clear. A check
 * held on a gate stalls nobody: another viewer logs in meanwhile, and the
 * held one gets its answer once the gate opens. A viewer that speaks
 * before its answer is closed, and one that leaves during its check
 * leaves nothing behind; the check runs on another thread than the loop.
 * Viewers that leave right after their credentials cannot start more
 * than 64 checks at once, and a wrong password counts against its
 * address even when its viewer left before the answer.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "rfb-proto.h"
#include "tpeer.h"
#include "unit.h"
#include "xrfb.h"

/* The check of user "slow" waits until the gate opens: it reads a byte
 * from a pipe, which gate_open() writes (one for each check held). Once
 * held, it wakes the loop through another pipe, so that the test sees
 * it. */
static struct {
	pthread_mutex_t lock;
	int pipe[2];
	int wake[2];
	int waiting;		/* checks held now */
	int checks;		/* checks run in all */
	pthread_t loop_thread;
	bool off_loop;		/* every check ran on another thread */
} gate = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool check(void *arg, const char *user, const char *password,
		  bool *view_only)
{
	char b;

	(void)arg;
	*view_only = false;
	pthread_mutex_lock(&gate.lock);
	gate.checks++;
	if (pthread_equal(pthread_self(), gate.loop_thread))
		gate.off_loop = false;
	pthread_mutex_unlock(&gate.lock);
	if (!strcmp(user, "slow")) {
		pthread_mutex_lock(&gate.lock);
		gate.waiting++;
		pthread_mutex_unlock(&gate.lock);
		ck_assert_int_eq(write(gate.wake[1], "h", 1), 1);
		ck_assert_int_eq(read(gate.pipe[0], &b, 1), 1);
		pthread_mutex_lock(&gate.lock);
		gate.waiting--;
		pthread_mutex_unlock(&gate.lock);
	}
	return !strcmp(password, "pw");
}

static void on_wake(void *arg, int fd, uint32_t events)
{
	char b[16];

	(void)arg;
	(void)events;
	ck_assert_int_gt(read(fd, b, sizeof(b)), 0);
}

static void gate_reset(void)
{
	ck_assert_int_eq(pipe(gate.pipe), 0);
	ck_assert_int_eq(pipe(gate.wake), 0);
	gate.checks = 0;
	gate.waiting = 0;
	gate.loop_thread = pthread_self();
	gate.off_loop = true;
}

/* Let go of every check held (at most 128). */
static void gate_open(void)
{
	char go[128];

	memset(go, 'g', sizeof(go));
	ck_assert_int_eq(write(gate.pipe[1], go, sizeof(go)),
			 (ssize_t)sizeof(go));
}

static int n_held;

static bool held_n(void *arg)
{
	bool r;

	(void)arg;
	pthread_mutex_lock(&gate.lock);
	r = gate.waiting >= n_held;
	pthread_mutex_unlock(&gate.lock);
	return r;
}

static bool held(void *arg)
{
	bool r;

	(void)arg;
	pthread_mutex_lock(&gate.lock);
	r = gate.waiting > 0;
	pthread_mutex_unlock(&gate.lock);
	return r;
}

static bool released(void *arg)
{
	return !held(arg);
}

struct env {
	struct xrfb_loop *loop;
	struct xrfb_server *s;
	struct xrfb_watch *wake;
	uint16_t port;
	int ready;
};

static void on_ready(void *arg, struct xrfb_client *c)
{
	struct env *e = arg;

	(void)c;
	e->ready++;
}

static void env_start(struct env *e)
{
	const uint32_t plain = XRFB_SEC_PLAIN;

	memset(e, 0, sizeof(*e));
	gate_reset();
	e->loop = xrfb_loop_new();
	ck_assert_ptr_nonnull(e->loop);
	e->s = xrfb_server_new(e->loop, 16, 8);
	ck_assert_ptr_nonnull(e->s);
	e->wake = xrfb_loop_watch_fd(e->loop, gate.wake[0], XRFB_EV_IN,
				     on_wake, NULL);
	ck_assert_ptr_nonnull(e->wake);
	xrfb_server_on_client_ready(e->s, on_ready, e);
	xrfb_server_set_plain_check(e->s, check, NULL);
	ck_assert_int_eq(xrfb_server_set_security(e->s, &plain, 1), 0);
	ck_assert_int_eq(xrfb_server_listen(e->s, "127.0.0.1", 0), 0);
	e->port = xrfb_server_port(e->s);
}

static void env_stop(struct env *e)
{
	gate_open();
	xrfb_server_free(e->s);
	xrfb_watch_free(e->wake);
	xrfb_loop_free(e->loop);
	close(gate.pipe[0]);
	close(gate.pipe[1]);
	close(gate.wake[0]);
	close(gate.wake[1]);
}

/* A new viewer, up to the credentials: RFB 3.8, VeNCrypt 0.2, Plain,
 * user and password sent. */
static void plain_login(struct env *e, struct tpeer *p, const char *user,
			const char *pw)
{
	static const uint8_t types[2] = { 1, RFB_SEC_VENCRYPT };
	static const uint8_t list[6] = { 0, 1, 0, 0, 1, 0 };
	uint8_t msg[8 + 64], b = RFB_SEC_VENCRYPT;
	size_t ulen = strlen(user), plen = strlen(pw);

	tpeer_open_tcp(p, e->loop, e->port, 0);
	tpeer_expect(p, "RFB 003.008\n", 12);
	tpeer_send(p, "RFB 003.008\n", 12);
	tpeer_expect(p, types, 2);
	tpeer_send(p, &b, 1);
	tpeer_expect(p, "\0\2", 2);
	tpeer_send(p, "\0\2", 2);
	tpeer_expect(p, list, 6);
	put_u32(msg, RFB_VENCRYPT_PLAIN);
	tpeer_send(p, msg, 4);
	put_u32(msg, (uint32_t)ulen);
	put_u32(msg + 4, (uint32_t)plen);
	memcpy(msg + 8, user, ulen);
	memcpy(msg + 8 + ulen, pw, plen);
	tpeer_send(p, msg, 8 + ulen + plen);
	tpeer_flush(p);
}

/* A viewer of user "slow" with password @pw, its check held. */
static void held_login(struct env *e, struct tpeer *p, const char *pw)
{
	plain_login(e, p, "slow", pw);
	ck_assert(test_run_until(e->loop, held, NULL));
}

/* SecurityResult OK, ClientInit, ServerInit. */
static void finish_login(struct tpeer *p)
{
	ck_assert_uint_eq(tpeer_take_u32(p), 0);
	tpeer_send(p, "\1", 1);
	tpeer_read_server_init(p);
}

START_TEST(test_held_check_stalls_nobody)
{
	struct tpeer a, b;
	struct env e;

	env_start(&e);
	held_login(&e, &a, "pw");

	/* Another viewer logs in while the first check is held. */
	plain_login(&e, &b, "quick", "pw");
	finish_login(&b);
	ck_assert_int_eq(e.ready, 1);
	ck_assert(held(NULL));

	gate_open();
	finish_login(&a);
	ck_assert_int_eq(e.ready, 2);
	ck_assert_int_eq(gate.checks, 2);
	ck_assert(gate.off_loop);
	tpeer_close(&a);
	tpeer_close(&b);
	env_stop(&e);
}
END_TEST

/* A wrong password, answered by a held check, is refused as ever. */
START_TEST(test_held_check_refuses)
{
	struct tpeer a;
	struct env e;

	env_start(&e);
	held_login(&e, &a, "wrong");
	gate_open();
	ck_assert_uint_eq(tpeer_take_u32(&a), RFB_SEC_RESULT_FAILED);
	tpeer_close(&a);
	ck_assert_int_eq(e.ready, 0);
	env_stop(&e);
}
END_TEST

/* Bytes before the answer close the viewer; its check ends unheard. */
START_TEST(test_input_before_result)
{
	struct tpeer a;
	struct env e;

	env_start(&e);
	held_login(&e, &a, "pw");
	tpeer_send(&a, "\1", 1);
	tpeer_expect_eof(&a);
	tpeer_close(&a);
	gate_open();
	ck_assert(test_run_until(e.loop, released, NULL));
	ck_assert_int_eq(e.ready, 0);
	env_stop(&e);
}
END_TEST

/* A viewer that leaves during its check; then the server ends while
 * another check is still held (it waits for it). */
START_TEST(test_leave_during_check)
{
	struct tpeer a, b;
	struct env e;

	env_start(&e);
	held_login(&e, &a, "pw");
	tpeer_close(&a);
	plain_login(&e, &b, "quick", "pw");
	finish_login(&b);
	tpeer_close(&b);
	ck_assert_int_eq(e.ready, 1);
	/* env_stop opens the gate, then the server joins the check. */
	env_stop(&e);
}
END_TEST

/* Viewers that leave right after their credentials leave their checks
 * running; past 64 of them, a new check is refused and its viewer
 * closed, until the checks end. */
START_TEST(test_too_many_checks)
{
	struct tpeer a;
	struct env e;

	env_start(&e);
	for (n_held = 1; n_held <= 64; n_held++) {
		plain_login(&e, &a, "slow", "pw");
		ck_assert(test_run_until(e.loop, held_n, NULL));
		tpeer_close(&a);
	}
	plain_login(&e, &a, "slow", "pw");
	tpeer_expect_eof(&a);
	tpeer_close(&a);
	gate_open();
	ck_assert(test_run_until(e.loop, released, NULL));
	ck_assert_int_eq(gate.checks, 64);
	env_stop(&e);
}
END_TEST

/* The loop's log lines of failed authentications, of viewers gone or
 * (the last one may not be seen gone yet) still there. */
static int n_failed;

static void count_failed(void *arg, enum xrfb_log_level level,
			  const char *file, int line, const char *msg)
{
	(void)arg;
	(void)level;
	(void)file;
	(void)line;
	if (strstr(msg, "authentication failed"))
		n_failed++;
}

static bool all_failed(void *arg)
{
	return n_failed >= *(const int *)arg;
}

/* Wrong passwords whose viewers left during their checks still count
 * as failures of their address: after THROTTLE_FREE_FAILURES (5) of
 * them, the next connection from it is refused at once, as it would be
 * had the viewers waited for their answers. */
START_TEST(test_unheard_failures_count)
{
	static const char reason[] = "Too many security failures";
	uint8_t want[5 + sizeof(reason) - 1];
	struct tpeer a;
	struct env e;
	int five = 5;

	env_start(&e);
	n_failed = 0;
	ck_assert_int_eq(xrfb_loop_set_log(e.loop, XRFB_LOG_INFO,
					   count_failed, NULL), 0);
	for (n_held = 1; n_held <= five; n_held++) {
		plain_login(&e, &a, "slow", "wrong");
		ck_assert(test_run_until(e.loop, held_n, NULL));
		tpeer_close(&a);
	}
	gate_open();
	ck_assert(test_run_until(e.loop, all_failed, &five));

	tpeer_open_tcp(&a, e.loop, e.port, 0);
	tpeer_expect(&a, "RFB 003.008\n", 12);
	tpeer_send(&a, "RFB 003.008\n", 12);
	want[0] = 0;
	put_u32(want + 1, sizeof(reason) - 1);
	memcpy(want + 5, reason, sizeof(reason) - 1);
	tpeer_expect(&a, want, sizeof(want));
	tpeer_expect_eof(&a);
	tpeer_close(&a);
	ck_assert_int_eq(e.ready, 0);
	env_stop(&e);
}
END_TEST

static Suite *account_suite(void)
{
	Suite *s = suite_create("account");
	TCase *tc = unit_tcase(s, "checks");

	tcase_add_test(tc, test_held_check_stalls_nobody);
	tcase_add_test(tc, test_held_check_refuses);
	tcase_add_test(tc, test_input_before_result);
	tcase_add_test(tc, test_leave_during_check);
	tcase_add_test(tc, test_too_many_checks);
	tcase_add_test(tc, test_unheard_failures_count);
	return s;
}

UNIT_MAIN(account_suite)
