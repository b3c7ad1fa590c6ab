/* SPDX-License-Identifier: MIT */
/*
 * spin: a CPU-bound application for bench/change-bench.sh, the one a
 * loaded machine runs beside the video: THREADS threads (0: one per
 * online CPU) each repeat a fixed piece of arithmetic for SECONDS and
 * count how often; the total per second is what the application got.
 *
 *   spin THREADS SECONDS
 *
 * Prints "ready" when its threads start and "iterations_per_s=N" at the
 * end.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SPIN_MAX_THREADS 256
/* steps of arithmetic between two looks at the clock */
#define SPIN_BATCH 4096

struct spinner {
	pthread_t thread;
	double seconds;
	uint64_t iterations;
	uint32_t sink;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	struct spinner *sp = arg;
	double end = now_s() + sp->seconds;
	uint32_t x = 2463534242u;

	while (now_s() < end) {
		for (int i = 0; i < SPIN_BATCH; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
		}
		sp->iterations += SPIN_BATCH;
	}
	sp->sink = x;
	return NULL;
}

int main(int argc, char **argv)
{
	static struct spinner sp[SPIN_MAX_THREADS];
	long n;
	double seconds, t0, dt;
	uint64_t total = 0;
	uint32_t sink = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: spin THREADS SECONDS\n");
		return 2;
	}
	n = atol(argv[1]);
	seconds = atof(argv[2]);
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0 || n > SPIN_MAX_THREADS || seconds <= 0) {
		fprintf(stderr, "spin: bad arguments\n");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		sp[i].seconds = seconds;
		if (pthread_create(&sp[i].thread, NULL, spin, &sp[i])) {
			fprintf(stderr, "spin: cannot start a thread\n");
			return 1;
		}
	}
	for (long i = 0; i < n; i++) {
		pthread_join(sp[i].thread, NULL);
		total += sp[i].iterations;
		sink ^= sp[i].sink;
	}
	dt = now_s() - t0;
	printf("threads=%ld seconds=%.2f iterations_per_s=%.0f sink=%u\n", n,
	       dt, (double)total / dt, sink);
	return 0;
}
