/* SPDX-License-Identifier: MIT */
/*
 * Replays fuzz inputs through a target's LLVMFuzzerTestOneInput() without
 * libFuzzer, so `make check` runs every corpus file (seeds and the inputs
 * that once crashed) on every build. Arguments are files or directories;
 * without any, the corpus directory compiled in as FUZZ_CORPUS_DIR. An
 * empty or missing corpus is a failure: it means the test lost its data.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *p;

			cap = cap ? cap * 2 : 4096;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	/* An exact-size copy, so that reads past the end are caught. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs replayed, or -1. */
static int replay_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int count = 0;
	DIR *dir;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) < 0 ? -1 : 1;
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		char **p;

		if (de->d_name[0] == '.')
			continue;
		p = realloc(names, (n + 1) * sizeof(*names));
		if (!p)
			break;
		names = p;
		names[n] = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (!names[n])
			break;
		sprintf(names[n], "%s/%s", path, de->d_name);
		n++;
	}
	closedir(dir);
	/* A fixed order keeps runs identical. */
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (count >= 0) {
			int k = replay_path(names[i]);

			count = k < 0 ? -1 : count + k;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
#ifdef FUZZ_CORPUS_DIR
		static char *def[] = { NULL, (char *)FUZZ_CORPUS_DIR, NULL };

		def[0] = argv[0];
		argv = def;
		argc = 2;
#else
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
#endif
	}
	for (int i = 1; i < argc; i++) {
		int k = replay_path(argv[i]);

		if (k < 0)
			return 1;
		total += k;
	}
	printf("replayed %d inputs\n", total);
	return total > 0 ? 0 : 1;
}
