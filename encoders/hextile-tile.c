/* SPDX-License-Identifier: MIT */
/*
 * Hextile tiles: choosing background and foreground, finding subrects and
 * falling back to Raw, with the carry-over rules of RFC 6143 §7.7.4 (and
 * RFB-NOTES §3.5): after a Raw tile the background is always specified
 * again, and the foreground is reused only where the spec allows.
 */
#include "config.h"

#include <string.h>

#include "hextile-tile.h"
#include "subrect.h"

void hextile_tile_start(struct hextile_tile *t)
{
	t->bg_valid = t->fg_valid = false;
}

static int put_raw(struct hextile_tile *t, const uint32_t *px, int n,
		   const struct pixbuf_fmt *pf, uint8_t *dst)
{
	dst[0] = HEXTILE_RAW;
	hextile_tile_invalidate(t);
	return (int)(pixbuf_put_n(dst + 1, px, (size_t)n, pf->kind) - dst);
}

int hextile_tile_encode(struct hextile_tile *t, const uint32_t *px, int tw,
			int th, const struct pixbuf_fmt *pf, uint8_t *dst)
{
	struct subrect sr[HEXTILE_SIZE * HEXTILE_SIZE];
	int n = tw * th, raw = n * pf->bytes, i, k, budget, len;
	uint32_t c0 = px[0], c1, bg, fg = 0;
	long count0, count1 = 0, pos = 0;
	bool mono = true;
	uint8_t mask, *d;

	for (i = 1; i < n && px[i] == c0; i++)
		;
	if (i == n) {
		/* Solid: only the background, if it changed. */
		if (t->bg_valid && t->bg == c0) {
			dst[0] = 0;
			return 1;
		}
		dst[0] = HEXTILE_BG;
		t->bg_valid = true;
		t->bg = c0;
		return (int)(pixbuf_put(dst + 1, c0, pf->kind) - dst);
	}
	count0 = i;
	c1 = px[i];
	for (; i < n; i++) {
		if (px[i] == c0) {
			count0++;
		} else if (px[i] == c1) {
			count1++;
		} else {
			mono = false;
			break;
		}
	}
	mask = HEXTILE_ANY_SUBRECTS;
	len = 1;
	if (mono) {
		bg = count0 >= count1 ? c0 : c1;
		fg = count0 >= count1 ? c1 : c0;
	} else {
		/* Every colour but the background needs a subrect. */
		if (palette_build(&t->pal, px, (size_t)n, PALETTE_MAX) < 0)
			return put_raw(t, px, n, pf, dst);
		bg = t->pal.colour[palette_most_common(&t->pal)];
		mask |= HEXTILE_COLOURED;
	}
	if (!t->bg_valid || t->bg != bg) {
		mask |= HEXTILE_BG;
		len += pf->bytes;
	}
	if (mono && (!t->fg_valid || t->fg != fg)) {
		mask |= HEXTILE_FG;
		len += pf->bytes;
	}
	len++;			/* the subrect count */
	budget = (raw - len) / (mono ? 2 : pf->bytes + 2);
	if (budget > 255)
		budget = 255;
	if (budget <= 0 || (!mono && t->pal.size - 1 > budget))
		return put_raw(t, px, n, pf, dst);
	memcpy(t->work, px, (size_t)n * sizeof(*px));
	k = subrect_find(t->work, tw, tw, th, bg, sr, budget, &pos);
	if (pos < n)
		return put_raw(t, px, n, pf, dst);

	d = dst;
	*d++ = mask;
	if (mask & HEXTILE_BG)
		d = pixbuf_put(d, bg, pf->kind);
	if (mask & HEXTILE_FG)
		d = pixbuf_put(d, fg, pf->kind);
	*d++ = (uint8_t)k;
	for (i = 0; i < k; i++) {
		if (!mono)
			d = pixbuf_put(d, sr[i].colour, pf->kind);
		d[0] = (uint8_t)(sr[i].x << 4 | sr[i].y);
		d[1] = (uint8_t)((sr[i].w - 1) << 4 | (sr[i].h - 1));
		d += 2;
	}
	t->bg_valid = true;
	t->bg = bg;
	t->fg_valid = mono;
	t->fg = fg;
	return (int)(d - dst);
}
