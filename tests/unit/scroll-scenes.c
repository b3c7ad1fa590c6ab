/* SPDX-License-Identifier: MIT */
/*
 * Synthetic old/new frames for move detection (see scroll-scenes.h). The
 * content imitates what scrolls on real desktops: text in 6x13 cells with
 * coloured lines and gutter marks, pictures, gradients, and a desktop
 * background of gradients and noise blocks behind windows.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "scroll-scenes.h"

#define CELL_W 6
#define LINE_H 13

static uint32_t hash2(uint32_t a, uint32_t b)
{
	uint32_t h = a * 0x9e3779b1u ^ b * 0x85ebca77u ^ 0x27d4eb2fu;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	h *= 0x297a2d39u;
	h ^= h >> 15;
	return h;
}

struct canvas {
	uint32_t *px;
	int w, h;
};

static void put(struct canvas *c, int x, int y, uint32_t v)
{
	if (x >= 0 && y >= 0 && x < c->w && y < c->h)
		c->px[(size_t)y * c->w + x] = v;
}

static void desktop(struct canvas *c, uint32_t seed)
{
	for (int y = 0; y < c->h; y++)
		for (int x = 0; x < c->w; x++) {
			uint32_t v;

			if (y < c->h / 3)
				v = (uint32_t)(x * 255 / c->w) << 16 |
				    (uint32_t)(y * 255 / c->h) << 8 |
				    (seed & 0xff);
			else if (y < 2 * c->h / 3)
				v = hash2((uint32_t)(x / 16 + y / 16 * 4096),
					  seed) & 0xffffff;
			else
				v = hash2((uint32_t)(x + y * 65536), seed) &
				    0xffffff;
			c->px[(size_t)y * c->w + x] = v;
		}
}

/*
 * A document seen through the window @win: line i is at document pixel
 * y = i * LINE_H; the window shows document pixels from (left, top). Text
 * lines have glyph cells; with @pictures, some line ranges hold an image;
 * with @repeat every line is the same.
 */
struct doc {
	uint32_t seed;
	bool repeat;
	bool pictures;
	uint32_t bg;
};

static uint32_t doc_pixel(const struct doc *d, long x, long y)
{
	long line = y >= 0 ? y / LINE_H : (y - LINE_H + 1) / LINE_H;
	long ly = y - line * LINE_H, col, cx;
	uint32_t lseed = d->repeat ? (uint32_t)(((line % 3) + 3) % 3)
				   : (uint32_t)line;
	uint32_t ch, g;

	if (d->pictures && !d->repeat && hash2((uint32_t)(line / 8), d->seed) %
						     5 == 0 &&
	    x >= 40 && x < 360) {
		/* a picture: smooth with some texture */
		return (uint32_t)((x * 3 + y) & 0xff) << 16 |
		       (uint32_t)((y * 2) & 0xff) << 8 |
		       (hash2((uint32_t)(x / 3), (uint32_t)(y / 3)) & 0x3f);
	}
	if (x < 0)
		return d->bg;
	if (x < 4) {
		/* gutter mark */
		if (d->repeat || ly < 2 || ly > LINE_H - 3)
			return d->bg;
		return hash2(lseed, 77) & 0xffffff;
	}
	col = (x - 6) / CELL_W;
	cx = (x - 6) % CELL_W;
	if (x < 6 || col > 150)
		return d->bg;
	/* line length varies; trailing cells are blank */
	if (col > (long)(hash2(lseed, d->seed) % 140))
		return d->bg;
	ch = hash2(lseed * 131u + (uint32_t)col, d->seed);
	if (ch % 6 == 0 || ly < 2 || ly > 11 || cx == 5)
		return d->bg;	/* a space, or between glyphs */
	g = hash2(ch % 94, (uint32_t)(ly * 8 + cx));
	if (g % 3)
		return d->bg;
	return (lseed % 3 == 0) ? 0xffff60 : (lseed % 3 == 1) ? 0xe0e0e0
							       : 0x60ffff;
}

static void draw_doc(struct canvas *c, const struct rect *win,
		     const struct doc *d, long left, long top)
{
	for (int y = 0; y < win->h; y++)
		for (int x = 0; x < win->w; x++)
			put(c, win->x + x, win->y + y,
			    doc_pixel(d, left + x, top + y));
}

static void fill(struct canvas *c, const struct rect *r, uint32_t v)
{
	for (int y = r->y; y < r->y + r->h; y++)
		for (int x = r->x; x < r->x + r->w; x++)
			put(c, x, y, v);
}

static void noise(struct canvas *c, const struct rect *r, uint32_t seed)
{
	for (int y = r->y; y < r->y + r->h; y++)
		for (int x = r->x; x < r->x + r->w; x++)
			put(c, x, y,
			    hash2((uint32_t)(x * 7919 + y), seed) & 0xffffff);
}

/* Copy the window image @win of @src to (@x, @y) in @dst. */
static void blit(struct canvas *dst, const struct canvas *src,
		 const struct rect *win, int x, int y)
{
	for (int j = 0; j < win->h; j++)
		for (int i = 0; i < win->w; i++) {
			int sx = win->x + i, sy = win->y + j;

			if (sx < 0 || sy < 0 || sx >= src->w || sy >= src->h)
				continue;
			put(dst, x + i, y + j,
			    src->px[(size_t)sy * src->w + sx]);
		}
}

static void add_damage(struct scene *sc, int x, int y, int w, int h)
{
	if (sc->ndamage < SCENE_MAX_DAMAGE)
		sc->damage[sc->ndamage++] = (struct rect){ x, y, w, h };
}

/* A region's boxes as damage (what XDamage reports for a window move). */
static void add_region_damage(struct scene *sc, const struct rect *a,
			      const struct rect *b)
{
	region_t r;
	pixman_box32_t *box;
	int n;

	pixman_region32_init_rect(&r, a->x, a->y, (unsigned)a->w,
				  (unsigned)a->h);
	pixman_region32_union_rect(&r, &r, b->x, b->y, (unsigned)b->w,
				   (unsigned)b->h);
	pixman_region32_intersect_rect(&r, &r, 0, 0, (unsigned)sc->w,
				       (unsigned)sc->h);
	box = pixman_region32_rectangles(&r, &n);
	for (int i = 0; i < n; i++)
		add_damage(sc, box[i].x1, box[i].y1, box[i].x2 - box[i].x1,
			   box[i].y2 - box[i].y1);
	pixman_region32_fini(&r);
}

/* A viewport @win scrolling its document by (@sx, @sy) pixels: damage as
 * a toolkit reports it, the copied area and the new strip. */
static void scroll_view(struct scene *sc, struct canvas *o, struct canvas *n,
			const struct rect *win, const struct doc *d, long left,
			long top, int sx, int sy)
{
	draw_doc(o, win, d, left, top);
	draw_doc(n, win, d, left + sx, top + sy);
	sc->has_move = true;
	sc->dx = -sx;
	sc->dy = -sy;
	sc->moved = (struct rect){ win->x + (sx < 0 ? -sx : 0),
				   win->y + (sy < 0 ? -sy : 0),
				   win->w - abs(sx), win->h - abs(sy) };
	add_damage(sc, sc->moved.x, sc->moved.y, sc->moved.w, sc->moved.h);
	if (sy > 0)
		add_damage(sc, win->x, win->y + win->h - sy, win->w, sy);
	else if (sy < 0)
		add_damage(sc, win->x, win->y, win->w, -sy);
	if (sx > 0)
		add_damage(sc, win->x + win->w - sx, win->y, sx, win->h);
	else if (sx < 0)
		add_damage(sc, win->x, win->y, -sx, win->h);
}

static void drag(struct scene *sc, struct canvas *o, struct canvas *n,
		 uint32_t seed, int maxd)
{
	struct rect win = { 200, 150, 320, 240 };
	struct doc d = { seed, false, true, 0x202830 };
	struct rect to;
	struct canvas img = { NULL, sc->w, sc->h };
	int dx, dy;

	dx = (int)(hash2(seed, 1) % (unsigned)(2 * maxd + 1)) - maxd;
	dy = (int)(hash2(seed, 2) % (unsigned)(2 * maxd + 1)) - maxd;
	if (!dx && !dy)
		dx = 1;
	to = (struct rect){ win.x + dx, win.y + dy, win.w, win.h };
	img.px = malloc((size_t)sc->w * sc->h * sizeof(uint32_t));
	if (!img.px)
		abort();
	memcpy(img.px, o->px, (size_t)sc->w * sc->h * sizeof(uint32_t));
	/* the window: a title bar, then a document */
	fill(&img, &(struct rect){ win.x, win.y, win.w, 18 }, 0x3050a0);
	draw_doc(&img, &(struct rect){ win.x, win.y + 18, win.w, win.h - 18 },
		 &d, 0, (long)(seed % 50) * LINE_H);
	blit(o, &img, &win, win.x, win.y);
	blit(n, &img, &win, to.x, to.y);
	free(img.px);
	sc->has_move = true;
	sc->dx = dx;
	sc->dy = dy;
	sc->moved = to;
	add_region_damage(sc, &win, &to);
}

/* Damage as the X side pushes it: the boxes of the merged region. */
static void merge_damage(struct scene *sc)
{
	region_t r;
	pixman_box32_t *box;
	int n;

	pixman_region32_init(&r);
	for (unsigned i = 0; i < sc->ndamage; i++)
		pixman_region32_union_rect(&r, &r, sc->damage[i].x,
					   sc->damage[i].y,
					   (unsigned)sc->damage[i].w,
					   (unsigned)sc->damage[i].h);
	pixman_region32_intersect_rect(&r, &r, 0, 0, (unsigned)sc->w,
				       (unsigned)sc->h);
	box = pixman_region32_rectangles(&r, &n);
	sc->ndamage = 0;
	for (int i = 0; i < n; i++)
		add_damage(sc, box[i].x1, box[i].y1, box[i].x2 - box[i].x1,
			   box[i].y2 - box[i].y1);
	pixman_region32_fini(&r);
}

void scene_make(struct scene *sc, enum scene_kind kind, uint32_t seed)
{
	static const char *const names[SCENE_KINDS] = {
		"terminal", "terminal-big", "editor", "browser", "hscroll",
		"drag", "drag-far", "repeat", "moved-changed", "two-moves",
		"video",
	};
	struct canvas o, n;
	struct doc d = { seed, false, false, 0x101010 };
	size_t size;

	memset(sc, 0, sizeof(*sc));
	sc->name = names[kind];
	sc->w = 1024;
	sc->h = 768;
	size = (size_t)sc->w * sc->h;
	sc->old = malloc(size * sizeof(uint32_t));
	sc->cur = malloc(size * sizeof(uint32_t));
	if (!sc->old || !sc->cur)
		abort();
	o = (struct canvas){ sc->old, sc->w, sc->h };
	n = (struct canvas){ sc->cur, sc->w, sc->h };
	desktop(&o, seed);
	memcpy(sc->cur, sc->old, size * sizeof(uint32_t));

	switch (kind) {
	case SCENE_TERMINAL: {
		struct rect win = { 100 + (int)(seed % 7), 80, 484, 316 };
		int lines = 1 + (int)(seed % 4);

		scroll_view(sc, &o, &n, &win, &d, 0, (long)(seed % 300) *
			    LINE_H, 0, lines * LINE_H);
		break;
	}
	case SCENE_TERMINAL_BIG: {
		struct rect win = { 0, 0, sc->w, sc->h };
		int lines = 3 + (int)(seed % 8);

		scroll_view(sc, &o, &n, &win, &d, 0, (long)(seed % 300) *
			    LINE_H, 0, lines * LINE_H);
		break;
	}
	case SCENE_EDITOR: {
		struct rect frame = { 150, 100, 700, 520 };
		struct rect win = { 150, 120, 700, 480 };
		int lines = 1 + (int)(seed % 5);

		fill(&o, &frame, 0x303030);
		fill(&n, &frame, 0x303030);
		fill(&o, &(struct rect){ 150, 600, 700, 20 }, 0x0060c0);
		fill(&n, &(struct rect){ 150, 600, 700, 20 }, 0x0060c0);
		scroll_view(sc, &o, &n, &win, &d, 0, (long)(seed % 200) *
			    LINE_H, 0, (seed & 1 ? 1 : -1) * lines * LINE_H);
		break;
	}
	case SCENE_BROWSER: {
		struct rect win = { 60, 90, 900, 640 };
		int dy = 17 + (int)(hash2(seed, 3) % 180);

		d.pictures = true;
		d.bg = 0xf8f8f8;
		scroll_view(sc, &o, &n, &win, &d, 0, (long)(seed % 400) * 7,
			    0, seed & 1 ? dy : -dy);
		break;
	}
	case SCENE_HSCROLL: {
		struct rect win = { 120, 200, 640, 300 };
		int dx = 6 + (int)(hash2(seed, 4) % 120);

		d.pictures = true;
		scroll_view(sc, &o, &n, &win, &d, 100, (long)(seed % 40) *
			    LINE_H, seed & 1 ? dx : -dx, 0);
		break;
	}
	case SCENE_DRAG:
		drag(sc, &o, &n, seed, 40);
		break;
	case SCENE_DRAG_FAR:
		drag(sc, &o, &n, seed, 400);
		break;
	case SCENE_REPEAT: {
		struct rect win = { 100, 80, 484, 316 };

		d.repeat = true;
		scroll_view(sc, &o, &n, &win, &d, 0, 0, 0, LINE_H);
		/* the new bottom line differs from all the others */
		noise(&n, &(struct rect){ win.x + 10, win.y + win.h - 10, 200,
					  6 }, seed);
		break;
	}
	case SCENE_MOVED_CHANGED: {
		drag(sc, &o, &n, seed, 60);
		/* a few blocks of the moved window then changed */
		for (int i = 0; i < 4; i++) {
			uint32_t h = hash2(seed, (uint32_t)(10 + i));

			noise(&n, &(struct rect){
				sc->moved.x + (int)(h % 280),
				sc->moved.y + (int)(h / 280 % 200),
				3 + (int)(h % 37), 1 + (int)(h % 23) },
			      h);
		}
		break;
	}
	case SCENE_TWO_MOVES: {
		struct rect a = { 40, 60, 460, 600 }, b = { 540, 60, 460, 600 };
		struct doc d2 = { seed + 1, false, false, 0x001020 };
		struct scene tmp;

		scroll_view(sc, &o, &n, &a, &d, 0, 0, 0, 3 * LINE_H);
		tmp = *sc;
		scroll_view(sc, &o, &n, &b, &d2, 0, 0, 0, -5 * LINE_H);
		/* the first (larger in damage order) stays the reference */
		sc->dx = tmp.dx;
		sc->dy = tmp.dy;
		sc->moved = tmp.moved;
		break;
	}
	case SCENE_VIDEO:
	default:
		noise(&n, &(struct rect){ 0, 0, sc->w, sc->h }, seed);
		add_damage(sc, 0, 0, sc->w, sc->h);
		break;
	}
	merge_damage(sc);
}

void scene_free(struct scene *sc)
{
	free(sc->old);
	free(sc->cur);
	sc->old = sc->cur = NULL;
}
