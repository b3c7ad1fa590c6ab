/* SPDX-License-Identifier: MIT */
/*
 * x11-capture: reads rectangles of the root window and pushes all the
 * rectangles of one moment with one xrfb_server_update_many(), which
 * compares them with its copy, finds content that moved between them and
 * sends only what changed. Pixels are read with MIT-SHM (one segment the
 * size of the screen, mode 0600, removed right after the X server attached
 * it; the rectangles of a batch lie side by side in it) or, when the
 * server is remote or refuses the segment, XGetImage.
 *
 * Whatever the visual (TrueColor of any depth and channel masks, or a
 * colour-mapped visual), pixels are converted here into XRGB8888. This file
 * decides neither when nor what to capture; x11-damage does.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "buf.h"
#include "log.h"
#include "x11-capture.h"

/* Grab the bounding box instead of each rectangle when the rectangles
 * are this many or cover most of it anyway (fewer round trips). */
#define X11_CAPTURE_MAX_BOXES 32
/* Tile size of the comparison when polling. */
#define X11_CAPTURE_TILE 32

enum x11_capture_mode {
	X11_CAPTURE_XRGB32,	/* 32 bpp 0x??RRGGBB, host order: mask */
	X11_CAPTURE_MASKS,	/* 24/32 bpp TrueColor, any channel masks */
	X11_CAPTURE_LUT,	/* 8/16 bpp: one table entry per pixel value */
	X11_CAPTURE_GENERIC,	/* anything else: XGetPixel */
};

struct x11_channel {
	int shift;
	int bits;
	uint8_t scale[256];	/* value -> 8 bits, when bits <= 8 */
};

struct x11_capture {
	struct x11_display *d;
	struct xrfb_server *server;
	Display *dpy;
	Window root;
	Visual *visual;
	int depth;
	int bpp;
	int width, height;
	bool swap;		/* image byte order differs from ours */
	bool colour_map;	/* pixel values index the colour map */
	enum x11_capture_mode mode;
	struct x11_channel ch[3];
	uint32_t *lut;		/* X11_CAPTURE_LUT, and colour maps */
	size_t lut_len;

	bool use_shm;
	XShmSegmentInfo shm;
	size_t shm_size;	/* bytes: at least one screen-sized image */

	uint32_t *out;		/* conversion buffer when not in place */
	size_t out_len;
};

static bool host_is_lsb(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 1;
}

static void channel_init(struct x11_channel *ch, unsigned long mask)
{
	unsigned v, max;

	ch->shift = mask ? __builtin_ctzl(mask) : 0;
	ch->bits = __builtin_popcountl(mask);
	if (ch->bits == 0 || ch->bits > 8)
		return;
	max = (1u << ch->bits) - 1;
	for (v = 0; v <= max; v++)
		ch->scale[v] = (uint8_t)((v * 255 + max / 2) / max);
}

static inline uint32_t channel_get(const struct x11_channel *ch,
				   unsigned long p)
{
	unsigned long v;

	if (ch->bits == 0)
		return 0;
	v = (p >> ch->shift) & ((1ul << ch->bits) - 1);
	if (ch->bits > 8)
		return (uint32_t)(v >> (ch->bits - 8));
	return ch->scale[v];
}

/* Any pixel value of the visual -> XRGB8888. */
static uint32_t pixel_to_xrgb(const struct x11_capture *c, unsigned long p)
{
	if (c->colour_map)
		return p < c->lut_len ? c->lut[p] : 0;
	return channel_get(&c->ch[0], p) << 16 |
	       channel_get(&c->ch[1], p) << 8 | channel_get(&c->ch[2], p);
}

/* Colour-mapped visuals can change their map at any time: read it anew
 * before each batch of grabs. */
static void refresh_colour_map(struct x11_capture *c)
{
	Colormap cmap = DefaultColormap(c->dpy, x11_display_screen(c->d));
	size_t n = c->lut_len, i;
	XColor *colors;

	colors = xcalloc(n, sizeof(*colors));
	for (i = 0; i < n; i++)
		colors[i].pixel = i;
	x11_display_trap(c->d);
	XQueryColors(c->dpy, cmap, colors, (int)n);
	if (x11_display_untrap(c->d) == 0)
		for (i = 0; i < n; i++)
			c->lut[i] = (uint32_t)(colors[i].red >> 8) << 16 |
				    (uint32_t)(colors[i].green >> 8) << 8 |
				    (colors[i].blue >> 8);
	free(colors);
}

static int pixmap_bpp(Display *dpy, int depth)
{
	XPixmapFormatValues *f;
	int n, i, bpp = 0;

	f = XListPixmapFormats(dpy, &n);
	if (!f)
		return 0;
	for (i = 0; i < n; i++)
		if (f[i].depth == depth)
			bpp = f[i].bits_per_pixel;
	XFree(f);
	return bpp;
}

static int init_format(struct x11_capture *c)
{
	int cls = c->visual->class;
	size_t i;

	c->bpp = pixmap_bpp(c->dpy, c->depth);
	if (c->bpp == 0) {
		log_error("display has no pixmap format for depth %d",
			  c->depth);
		return -ENOTSUP;
	}
	c->swap = (ImageByteOrder(c->dpy) == LSBFirst) != host_is_lsb();
	c->colour_map = cls == PseudoColor || cls == StaticColor ||
			cls == GrayScale || cls == StaticGray;
	if (c->colour_map) {
		c->lut_len = c->visual->map_entries > 0 ?
				     (size_t)c->visual->map_entries : 2;
		if (c->lut_len > 65536)
			c->lut_len = 65536;
		c->lut = xcalloc(c->lut_len, sizeof(*c->lut));
		refresh_colour_map(c);
	} else {
		channel_init(&c->ch[0], c->visual->red_mask);
		channel_init(&c->ch[1], c->visual->green_mask);
		channel_init(&c->ch[2], c->visual->blue_mask);
	}

	if (!c->colour_map && c->bpp == 32 && !c->swap &&
	    c->visual->red_mask == 0xff0000 &&
	    c->visual->green_mask == 0xff00 && c->visual->blue_mask == 0xff) {
		c->mode = X11_CAPTURE_XRGB32;
	} else if (!c->colour_map && (c->bpp == 32 || c->bpp == 24)) {
		c->mode = X11_CAPTURE_MASKS;
	} else if (!c->colour_map && (c->bpp == 8 || c->bpp == 16)) {
		c->mode = X11_CAPTURE_LUT;
		c->lut_len = (size_t)1 << c->bpp;
		c->lut = xcalloc(c->lut_len, sizeof(*c->lut));
		for (i = 0; i < c->lut_len; i++)
			c->lut[i] = pixel_to_xrgb(c, i);
	} else if (c->colour_map && c->bpp == 8) {
		/* The colour map itself is the table. */
		c->mode = X11_CAPTURE_LUT;
	} else {
		c->mode = X11_CAPTURE_GENERIC;
	}
	log_info("capture: depth %d, %d bpp, %s visual, %s", c->depth,
		 c->bpp, c->colour_map ? "colour-mapped" : "true-colour",
		 c->mode == X11_CAPTURE_XRGB32 ? "direct copy" :
		 c->mode == X11_CAPTURE_MASKS ? "channel masks" :
		 c->mode == X11_CAPTURE_LUT ? "lookup table" : "generic");
	return 0;
}

static void shm_fini(struct x11_capture *c)
{
	if (!c->use_shm)
		return;
	XShmDetach(c->dpy, &c->shm);
	XSync(c->dpy, False);
	shmdt(c->shm.shmaddr);
	c->use_shm = false;
}

/* One segment for the whole screen; any rectangle fits into it. */
static int shm_init(struct x11_capture *c)
{
	XImage *img;
	size_t size;
	int err;

	if (!x11_display_is_local(c->d) || !XShmQueryExtension(c->dpy))
		return -ENOTSUP;
	img = XShmCreateImage(c->dpy, c->visual, (unsigned)c->depth, ZPixmap,
			      NULL, &c->shm, (unsigned)c->width,
			      (unsigned)c->height);
	if (!img)
		return -ENOMEM;
	size = (size_t)img->bytes_per_line * (size_t)img->height;
	XDestroyImage(img);

	c->shm.shmid = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
	if (c->shm.shmid < 0) {
		err = -errno;
		log_debug("%s: shmget(%zu): %s", __func__, size,
			  strerror(errno));
		return err;
	}
	c->shm.shmaddr = shmat(c->shm.shmid, NULL, 0);
	if (c->shm.shmaddr == (char *)-1) {
		err = -errno;
		shmctl(c->shm.shmid, IPC_RMID, NULL);
		return err;
	}
	c->shm.readOnly = False;
	c->shm_size = size;

	x11_display_trap(c->d);
	XShmAttach(c->dpy, &c->shm);
	err = x11_display_untrap(c->d);
	/* Attached (or not): either way nobody else may find the segment;
	 * it goes away when both sides have detached. */
	shmctl(c->shm.shmid, IPC_RMID, NULL);
	if (err) {
		log_debug("%s: XShmAttach failed with X error %d", __func__,
			  err);
		shmdt(c->shm.shmaddr);
		return -EACCES;
	}
	c->use_shm = true;
	return 0;
}

static inline uint32_t load32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static inline uint32_t load16(const uint8_t *p, bool swap)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t load24(const uint8_t *p, bool msb_first)
{
	if (msb_first)
		return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Read @w x @h at (@x, @y) into the segment at byte @offset. */
static XImage *read_shm(struct x11_capture *c, size_t offset, int x, int y,
			int w, int h)
{
	XImage *img;

	img = XShmCreateImage(c->dpy, c->visual, (unsigned)c->depth, ZPixmap,
			      c->shm.shmaddr + offset, &c->shm, (unsigned)w,
			      (unsigned)h);
	if (!img)
		return NULL;
	if ((size_t)img->bytes_per_line * (size_t)h > c->shm_size - offset ||
	    !XShmGetImage(c->dpy, c->root, img, x, y, AllPlanes)) {
		XDestroyImage(img);
		return NULL;
	}
	return img;
}

/* Bytes a @w x @h image of the screen's format takes in the segment. */
static size_t shm_bytes(const struct x11_capture *c, int w, int h)
{
	size_t bpl = ((size_t)w * (size_t)c->bpp + 31) / 32 * 4;

	return bpl * (size_t)h;
}

static bool clip_to_screen(const struct x11_capture *c, struct rect *r)
{
	int x2 = r->x + r->w, y2 = r->y + r->h;

	if (r->x < 0)
		r->x = 0;
	if (r->y < 0)
		r->y = 0;
	if (x2 > c->width)
		x2 = c->width;
	if (y2 > c->height)
		y2 = c->height;
	r->w = x2 - r->x;
	r->h = y2 - r->y;
	return r->w > 0 && r->h > 0;
}

/*
 * Rectangles read for one push. Every image stays alive (in the segment,
 * or as its own XGetImage buffer) until xrfb_server_update_many() has
 * returned: the server looks for moved content across all of them, so a
 * dragged window's old place and new place must arrive together.
 */
struct batch {
	struct xrfb_update u[X11_CAPTURE_MAX_BOXES];
	XImage *img[X11_CAPTURE_MAX_BOXES];
	unsigned n;
	size_t shm_used;	/* bytes of the segment in use */
	size_t out_used;	/* pixels of c->out in use */
};

static void batch_push(struct x11_capture *c, struct batch *b)
{
	int err = b->n ? xrfb_server_update_many(c->server, b->u, b->n) : 0;

	if (err < 0)
		log_ratelimited(XRFB_LOG_WARN, 10, "cannot push captured "
				"pixels: %s", strerror(-err));
	for (unsigned i = 0; i < b->n; i++)
		XDestroyImage(b->img[i]);
	b->n = 0;
	b->shm_used = 0;
	b->out_used = 0;
}

/* Zero the pad byte of @n pixels 0x??RRGGBB. The X server nearly always
 * sends zeros there already: read first, write only what needs it, so
 * clean cache lines stay clean. */
static void clear_pad(uint32_t *p, int n)
{
	int x = 0;
#ifdef __SSE2__
	const __m128i pad = _mm_set1_epi32((int)0xff000000u);
	const __m128i keep = _mm_set1_epi32(0xffffff);

	for (; x + 4 <= n; x += 4) {
		__m128i v = _mm_loadu_si128((const __m128i *)(void *)(p + x));

		if (_mm_movemask_epi8(_mm_cmpeq_epi32(_mm_and_si128(v, pad),
						      _mm_setzero_si128())) !=
		    0xffff)
			_mm_storeu_si128((__m128i *)(void *)(p + x),
					 _mm_and_si128(v, keep));
	}
#endif
	for (; x < n; x++)
		if (p[x] & 0xff000000u)
			p[x] &= 0xffffff;
}

/* Convert @img (read at @r) to XRGB8888: 32 bpp in place, anything else
 * into c->out, which batch_grab() sized for the whole batch. */
static void convert(struct x11_capture *c, struct batch *b, XImage *img,
		    const struct rect *r)
{
	struct xrfb_update *u = &b->u[b->n];
	int w = img->width, h = img->height, x, y;
	const uint8_t *src;
	uint32_t *dst;

	u->x = r->x;
	u->y = r->y;
	u->w = r->w;
	u->h = r->h;
	if (img->bits_per_pixel == 32 && c->mode != X11_CAPTURE_GENERIC) {
		for (y = 0; y < h; y++) {
			dst = (uint32_t *)(void *)(img->data +
						   (size_t)y *
							   img->bytes_per_line);
			if (c->mode == X11_CAPTURE_XRGB32) {
				clear_pad(dst, w);
				continue;
			}
			src = (const uint8_t *)dst;
			for (x = 0; x < w; x++)
				dst[x] = pixel_to_xrgb(
					c, load32(src + 4 * x, c->swap));
		}
		u->pixels = img->data;
		u->stride = (size_t)img->bytes_per_line;
		return;
	}

	for (y = 0; y < h; y++) {
		src = (const uint8_t *)img->data +
		      (size_t)y * img->bytes_per_line;
		dst = c->out + b->out_used + (size_t)y * w;
		if (c->mode == X11_CAPTURE_GENERIC) {
			for (x = 0; x < w; x++)
				dst[x] = pixel_to_xrgb(c, XGetPixel(img, x, y));
		} else if (img->bits_per_pixel == 24) {
			for (x = 0; x < w; x++)
				dst[x] = pixel_to_xrgb(
					c, load24(src + 3 * x,
						  img->byte_order == MSBFirst));
		} else if (img->bits_per_pixel == 16) {
			for (x = 0; x < w; x++)
				dst[x] = c->lut[load16(src + 2 * x, c->swap)];
		} else if (img->bits_per_pixel == 8) {
			for (x = 0; x < w; x++)
				dst[x] = src[x] < c->lut_len ? c->lut[src[x]]
							     : 0;
		} else {
			for (x = 0; x < w; x++)
				dst[x] = pixel_to_xrgb(c, XGetPixel(img, x, y));
		}
	}
	u->pixels = c->out + b->out_used;
	u->stride = (size_t)w * sizeof(uint32_t);
	b->out_used += (size_t)w * (size_t)h;
}

/* Read @r (inside the screen) and add it to the batch; a batch that has
 * no room left in the segment is pushed first. */
static int batch_grab(struct x11_capture *c, struct batch *b,
		      const struct rect *r)
{
	size_t need = 0;
	XImage *img;

	if (x11_display_is_lost(c->d))
		return -ENOTCONN;
	if (c->use_shm) {
		need = shm_bytes(c, r->w, r->h);
		if (b->n == X11_CAPTURE_MAX_BOXES ||
		    need > c->shm_size - b->shm_used)
			batch_push(c, b);
		img = read_shm(c, b->shm_used, r->x, r->y, r->w, r->h);
	} else {
		if (b->n == X11_CAPTURE_MAX_BOXES)
			batch_push(c, b);
		img = XGetImage(c->dpy, c->root, r->x, r->y, (unsigned)r->w,
				(unsigned)r->h, AllPlanes, ZPixmap);
	}
	if (!img)
		return -EIO;
	/* Keep the segment offsets 32-bit aligned for in-place use. */
	b->shm_used += (need + 3) & ~(size_t)3;
	b->img[b->n] = img;
	convert(c, b, img, r);
	b->n++;
	return 0;
}

/* Room in c->out for every rectangle of a batch, reserved before the
 * first one is converted: a realloc later would move pixels the batch
 * still points at. */
static int reserve_out(struct x11_capture *c, const struct rect *r,
		       unsigned n)
{
	size_t total = 0;
	uint32_t *p;

	if (c->bpp == 32 && c->mode != X11_CAPTURE_GENERIC)
		return 0;
	for (unsigned i = 0; i < n; i++)
		total += (size_t)r[i].w * (size_t)r[i].h;
	if (total <= c->out_len)
		return 0;
	p = realloc(c->out, total * sizeof(*p));
	if (!p)
		return -ENOMEM;
	c->out = p;
	c->out_len = total;
	return 0;
}

/* Read every rectangle of @r (each clipped to the screen) and push them
 * all with one xrfb_server_update_many(). */
static int grab_rects(struct x11_capture *c, struct rect *r, unsigned n)
{
	struct batch b = { .n = 0 };
	unsigned i, m = 0;
	int ret = 0;

	for (i = 0; i < n; i++)
		if (clip_to_screen(c, &r[i]))
			r[m++] = r[i];
	if (!m)
		return 0;
	if (c->colour_map)
		refresh_colour_map(c);
	ret = reserve_out(c, r, m);
	for (i = 0; i < m && ret == 0; i++)
		ret = batch_grab(c, &b, &r[i]);
	batch_push(c, &b);
	return ret;
}

int x11_capture_grab(struct x11_capture *c, int x, int y, int w, int h)
{
	struct rect r = { x, y, w, h };

	return grab_rects(c, &r, 1);
}

int x11_capture_grab_region(struct x11_capture *c, region_t *r)
{
	struct rect rects[X11_CAPTURE_MAX_BOXES];
	pixman_box32_t *boxes, *ext;
	uint64_t area = 0, ext_area;
	int n, i;

	if (!pixman_region32_not_empty(r))
		return 0;
	boxes = pixman_region32_rectangles(r, &n);
	ext = pixman_region32_extents(r);
	for (i = 0; i < n; i++)
		area += (uint64_t)(boxes[i].x2 - boxes[i].x1) *
			(uint64_t)(boxes[i].y2 - boxes[i].y1);
	ext_area = (uint64_t)(ext->x2 - ext->x1) *
		   (uint64_t)(ext->y2 - ext->y1);
	if (n > X11_CAPTURE_MAX_BOXES || area * 4 >= ext_area * 3) {
		rects[0] = rect_from_box(ext);
		return grab_rects(c, rects, 1);
	}
	for (i = 0; i < n; i++)
		rects[i] = rect_from_box(&boxes[i]);
	return grab_rects(c, rects, (unsigned)n);
}

int x11_capture_read(struct x11_capture *c, int x, int y, int w, int h,
		     uint32_t *dst, size_t stride)
{
	struct batch b = { .n = 0 };
	struct rect r = { x, y, w, h };
	const struct xrfb_update *u = &b.u[0];
	int ret;

	if (!clip_to_screen(c, &r) || r.x != x || r.y != y || r.w != w ||
	    r.h != h)
		return -EINVAL;
	if (c->colour_map)
		refresh_colour_map(c);
	ret = reserve_out(c, &r, 1);
	if (ret == 0)
		ret = batch_grab(c, &b, &r);
	if (ret == 0)
		for (int row = 0; row < h; row++)
			memcpy((uint8_t *)dst + (size_t)row * stride,
			       (const uint8_t *)u->pixels +
				       (size_t)row * u->stride,
			       (size_t)w * 4);
	for (unsigned i = 0; i < b.n; i++)
		XDestroyImage(b.img[i]);
	return ret;
}

/*
 * Polling: read the whole screen at once, compare it tile by tile with the
 * server's copy and push only the tiles that differ, in one call. The
 * comparison here (rather than in the server) tells the caller whether
 * anything changed, and keeps move detection to the changed area.
 */
int x11_capture_scan(struct x11_capture *c, region_t *changed)
{
	struct batch b = { .n = 0 };
	struct rect all = { 0, 0, c->width, c->height };
	struct xrfb_update *u;
	const uint32_t *fb;
	size_t fb_stride;
	pixman_box32_t *boxes;
	int n, ret;

	if (xrfb_server_width(c->server) != c->width ||
	    xrfb_server_height(c->server) != c->height)
		return x11_capture_grab(c, 0, 0, c->width, c->height);
	if (c->colour_map)
		refresh_colour_map(c);
	ret = reserve_out(c, &all, 1);
	if (ret == 0)
		ret = batch_grab(c, &b, &all);
	if (ret < 0)
		goto out;
	fb = xrfb_server_pixels(c->server, &fb_stride);
	u = &b.u[0];
	for (int ty = 0; ty < c->height; ty += X11_CAPTURE_TILE) {
		int th = c->height - ty < X11_CAPTURE_TILE ? c->height - ty
							   : X11_CAPTURE_TILE;

		for (int tx = 0; tx < c->width; tx += X11_CAPTURE_TILE) {
			int tw = c->width - tx < X11_CAPTURE_TILE
					 ? c->width - tx : X11_CAPTURE_TILE;

			for (int y = ty; y < ty + th; y++) {
				const uint8_t *p = (const uint8_t *)u->pixels +
						   (size_t)y * u->stride +
						   (size_t)tx * 4;
				const uint8_t *q = (const uint8_t *)fb +
						   (size_t)y * fb_stride +
						   (size_t)tx * 4;

				if (memcmp(p, q, (size_t)tw * 4) != 0) {
					pixman_region32_union_rect(changed,
						changed, tx, ty,
						(unsigned)tw, (unsigned)th);
					break;
				}
			}
		}
	}
	boxes = pixman_region32_rectangles(changed, &n);
	if (n > 0) {
		struct xrfb_update *many = xcalloc((size_t)n, sizeof(*many));

		for (int i = 0; i < n; i++) {
			struct rect r = rect_from_box(&boxes[i]);

			many[i] = (struct xrfb_update){
				(const uint8_t *)u->pixels +
					(size_t)r.y * u->stride +
					(size_t)r.x * 4,
				u->stride, r.x, r.y, r.w, r.h };
		}
		ret = xrfb_server_update_many(c->server, many, (unsigned)n);
		free(many);
	}
out:
	for (unsigned i = 0; i < b.n; i++)
		XDestroyImage(b.img[i]);
	return ret;
}

int x11_capture_resize(struct x11_capture *c, int width, int height)
{
	bool had_shm = c->use_shm;

	shm_fini(c);
	c->width = width;
	c->height = height;
	if (had_shm && shm_init(c) < 0)
		log_warn("capture: MIT-SHM failed after resize, using "
			 "XGetImage");
	return 0;
}

struct x11_capture *x11_capture_new(struct x11_display *d,
				    struct xrfb_server *s)
{
	struct x11_capture *c;
	int r;

	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->server = s;
	c->dpy = x11_display_dpy(d);
	c->root = x11_display_root(d);
	c->visual = x11_display_visual(d);
	c->depth = x11_display_depth(d);
	c->width = x11_display_width(d);
	c->height = x11_display_height(d);
	if (init_format(c) < 0)
		goto err_free;
	r = shm_init(c);
	if (r == 0)
		log_info("capture: MIT-SHM");
	else
		log_info("capture: XGetImage (MIT-SHM %s)",
			 r == -ENOTSUP ? "not available" : "refused");
	return c;

err_free:
	free(c->lut);
	free(c);
	return NULL;
}

void x11_capture_free(struct x11_capture *c)
{
	if (!c)
		return;
	if (!x11_display_is_lost(c->d))
		shm_fini(c);
	else if (c->use_shm)
		shmdt(c->shm.shmaddr);
	free(c->out);
	free(c->lut);
	free(c);
}
