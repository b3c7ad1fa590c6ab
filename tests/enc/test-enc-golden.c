/* SPDX-License-Identifier: MIT */
/*
 * Golden bytes: small deterministic inputs encoded by each encoder must
 * give exactly the bytes stored in tests/data/golden/ (which were checked
 * by the round-trip test when they were made). Catches unintended changes
 * of the wire output. Deflate-based encoders run at CompressLevel 0
 * (stored blocks), so the files do not depend on the zlib build.
 * XRFB_GOLDEN_UPDATE=1 rewrites the files instead of comparing.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc-images.h"
#include "encoder.h"
#include "rfb-proto.h"

#define W 64
#define H 48

static const struct {
	const char *name;
	int32_t type;
	int quality;
} encs[] = {
	{ "raw", RFB_ENC_RAW, -1 },	    { "rre", RFB_ENC_RRE, -1 },
	{ "corre", RFB_ENC_CORRE, -1 },	    { "hextile", RFB_ENC_HEXTILE, -1 },
	{ "zlib", RFB_ENC_ZLIB, -1 },	    { "zlibhex", RFB_ENC_ZLIBHEX, -1 },
	{ "trle", RFB_ENC_TRLE, -1 },	    { "zrle", RFB_ENC_ZRLE, -1 },
	{ "zywrle", RFB_ENC_ZYWRLE, 5 },
};

static const struct {
	const char *name;
	struct pixfmt pf;
} fmts[] = {
	{ "32le", { 32, 24, 0, 1, 255, 255, 255, 16, 8, 0 } },
	{ "16be-565", { 16, 16, 1, 1, 31, 63, 31, 11, 5, 0 } },
	{ "8-bgr233", { 8, 8, 0, 1, 7, 7, 3, 0, 3, 6 } },
};

static int check(const char *path, const struct buf *b, bool update)
{
	uint8_t *old = NULL;
	long n = -1;
	FILE *f;
	int ret = -1;

	if (update) {
		f = fopen(path, "wb");
		if (!f || fwrite(b->data, 1, b->len, f) != b->len) {
			perror(path);
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		printf("wrote %s (%zu bytes)\n", path, b->len);
		return 0;
	}
	f = fopen(path, "rb");
	if (!f) {
		printf("FAIL %s: %s\n", path, strerror(errno));
		return -1;
	}
	old = malloc(b->len + 1);
	if (old)
		n = (long)fread(old, 1, b->len + 1, f);
	fclose(f);
	if (n != (long)b->len) {
		printf("FAIL %s: %ld bytes stored, %zu now\n", path, n,
		       b->len);
	} else if (memcmp(old, b->data, b->len)) {
		size_t i = 0;

		while (old[i] == b->data[i])
			i++;
		printf("FAIL %s: differs from byte %zu\n", path, i);
	} else {
		printf("ok   %s (%zu bytes)\n", path, b->len);
		ret = 0;
	}
	free(old);
	return ret;
}

int main(void)
{
	static uint32_t frame[W * H];
	bool update = getenv("XRFB_GOLDEN_UPDATE") != NULL;
	int failed = 0;

	img_draw(IMG_UI, 7, frame, W, 0, 0, W, H / 2);
	img_draw(IMG_TEXT, 3, frame, W, 0, H / 2, W, H / 2);
	img_draw(IMG_PHOTO, 5, frame, W, 40, 10, 24, 30);
	for (size_t e = 0; e < sizeof(encs) / sizeof(encs[0]); e++) {
		const struct encoder_ops *ops = encoder_find(encs[e].type);

		for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
			struct enc_frame fr = { frame, W, W, H };
			struct rect r1 = { 0, 0, 37, 21 };
			struct rect r2 = { 3, 17, W - 3, H - 17 };
			struct buf b = BUF_INIT;
			struct pixconv pc;
			struct enc_params p = { .pc = &pc,
						.quality = encs[e].quality,
						.fine_quality = -1,
						.subsampling = -1,
						.compress = 0 };
			struct encoder *st;
			char path[512];

			if (!ops) {
				printf("FAIL %s: not built\n", encs[e].name);
				failed++;
				continue;
			}
			pixconv_init(&pc, &fmts[f].pf);
			st = ops->new_state(ops);
			if (!st || ops->encode(st, &p, &fr, &r1, &b) <= 0 ||
			    ops->encode(st, &p, &fr, &r2, &b) <= 0) {
				printf("FAIL %s %s: encode\n", encs[e].name,
				       fmts[f].name);
				failed++;
			} else {
				snprintf(path, sizeof(path), "%s/%s-%s.bin",
					 GOLDEN_DIR, encs[e].name,
					 fmts[f].name);
				if (check(path, &b, update) < 0)
					failed++;
			}
			if (st)
				ops->free_state(st);
			buf_fini(&b);
		}
	}
	return failed ? 1 : 0;
}
