/* SPDX-License-Identifier: MIT */
/*
 * x11-keymap: the X keyboard map as XKB describes it. It answers "which
 * keycode, with which modifiers and group, gives this keysym" by asking
 * XKB's own translation (XkbTranslateKeyCode) for every key in the states
 * we can produce by faking Shift and the level 3 shift (AltGr), in every
 * group. Keysyms the map lacks are bound to spare keycodes (keys without
 * any symbol) with XChangeKeyboardMapping while they are pressed.
 *
 * The map is read again lazily after any mapping change. This file only
 * looks things up and edits the map; faking key events is x11-input's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/keysym.h>

#include "buf.h"
#include "log.h"
#include "x11-keymap.h"

/* Simultaneous bindings of absent keysyms. */
#define X11_KEYMAP_MAX_BINDINGS 32
/* A binding outlives its key release by this long: applications look a
 * key event's keysym up when they process it, possibly after re-reading
 * the map, so unbinding at once could turn the key into NoSymbol. */
#define X11_KEYMAP_UNBIND_MS 1000

struct x11_binding {
	struct x11_keymap *km;
	KeyCode keycode;	/* 0: slot unused */
	KeySym keysym;
	unsigned pressed;
	uint64_t released_ms;
	struct xrfb_timer *unbind;
};

struct x11_keymap {
	struct xrfb_loop *loop;
	struct x11_display *d;
	Display *dpy;
	int xkb_event_base;
	XkbDescPtr xkb;
	bool dirty;
	unsigned n_groups;
	unsigned level3_mask;
	KeyCode level3_key;
	KeyCode shift_key;
	struct x11_binding bindings[X11_KEYMAP_MAX_BINDINGS];
};

static struct x11_binding *binding_of(struct x11_keymap *km, KeyCode kc)
{
	unsigned i;

	for (i = 0; i < X11_KEYMAP_MAX_BINDINGS; i++)
		if (km->bindings[i].keycode == kc && kc)
			return &km->bindings[i];
	return NULL;
}

bool x11_keymap_is_bound(const struct x11_keymap *km, KeyCode keycode)
{
	return binding_of((struct x11_keymap *)km, keycode) != NULL;
}

/* The first key that gives @keysym at level 1 of group 1 and sets a real
 * modifier. */
static KeyCode find_modifier_key(XkbDescPtr xkb, KeySym keysym)
{
	unsigned kc;

	for (kc = xkb->min_key_code; kc <= xkb->max_key_code; kc++) {
		if (XkbKeyNumGroups(xkb, kc) == 0 ||
		    XkbKeySymEntry(xkb, kc, 0, 0) != keysym)
			continue;
		if (xkb->map->modmap && xkb->map->modmap[kc])
			return (KeyCode)kc;
	}
	return 0;
}

static int load(struct x11_keymap *km)
{
	unsigned kc;

	if (km->xkb && !km->dirty)
		return 0;
	if (km->xkb)
		XkbFreeKeyboard(km->xkb, 0, True);
	km->xkb = XkbGetMap(km->dpy, XkbAllClientInfoMask, XkbUseCoreKbd);
	if (!km->xkb) {
		log_warn("cannot read the keyboard map");
		return -EIO;
	}
	km->dirty = false;
	km->n_groups = 1;
	for (kc = km->xkb->min_key_code; kc <= km->xkb->max_key_code; kc++)
		if (XkbKeyNumGroups(km->xkb, kc) > km->n_groups)
			km->n_groups = XkbKeyNumGroups(km->xkb, kc);
	km->shift_key = find_modifier_key(km->xkb, XK_Shift_L);
	if (!km->shift_key)
		km->shift_key = find_modifier_key(km->xkb, XK_Shift_R);
	km->level3_key = find_modifier_key(km->xkb, XK_ISO_Level3_Shift);
	km->level3_mask =
		km->level3_key ? km->xkb->map->modmap[km->level3_key] : 0;
	log_debug("%s: keycodes %u-%u, %u groups, shift key %u, level 3 key "
		  "%u (mask 0x%x)",
		  __func__, km->xkb->min_key_code, km->xkb->max_key_code,
		  km->n_groups, km->shift_key, km->level3_key,
		  km->level3_mask);
	return 0;
}

KeySym x11_keymap_translate(struct x11_keymap *km, KeyCode keycode,
			    unsigned mods, unsigned group)
{
	KeySym sym = NoSymbol;
	unsigned mods_rtrn;

	if (load(km) < 0)
		return NoSymbol;
	XkbTranslateKeyCode(km->xkb, keycode, XkbBuildCoreState(mods, group),
			    &mods_rtrn, &sym);
	return sym;
}

static KeyCode search(struct x11_keymap *km, KeySym keysym, unsigned mods,
		      unsigned group)
{
	unsigned state = XkbBuildCoreState(mods, group), mods_rtrn, kc;
	KeySym sym;

	for (kc = km->xkb->min_key_code; kc <= km->xkb->max_key_code; kc++) {
		if (XkbTranslateKeyCode(km->xkb, (KeyCode)kc, state,
					&mods_rtrn, &sym) &&
		    sym == keysym)
			return (KeyCode)kc;
	}
	return 0;
}

int x11_keymap_lookup(struct x11_keymap *km, KeySym keysym, unsigned mods,
		      unsigned group, struct x11_key *key)
{
	unsigned variants[4], n = 0, g, i, j, try_group;
	KeyCode kc;

	if (load(km) < 0)
		return -EIO;
	variants[n++] = mods;
	variants[n++] = mods ^ ShiftMask;
	if (km->level3_mask) {
		variants[n++] = mods ^ km->level3_mask;
		variants[n++] = mods ^ ShiftMask ^ km->level3_mask;
	}
	for (g = 0; g <= km->n_groups; g++) {
		/* The current group first, then the others in order. */
		if (g == 0)
			try_group = group;
		else if (g - 1 == group)
			continue;
		else
			try_group = g - 1;
		if (g > 0 && try_group >= km->n_groups)
			continue;
		for (i = 0; i < n; i++) {
			for (j = 0; j < i; j++)
				if (variants[j] == variants[i])
					break;
			if (j < i)
				continue;
			kc = search(km, keysym, variants[i], try_group);
			if (!kc)
				continue;
			key->keycode = kc;
			key->mods = variants[i];
			key->group = try_group;
			return 0;
		}
	}
	return -ENOENT;
}

unsigned x11_keymap_modmap(struct x11_keymap *km, KeyCode keycode)
{
	if (load(km) < 0 || !km->xkb->map->modmap ||
	    keycode < km->xkb->min_key_code || keycode > km->xkb->max_key_code)
		return 0;
	return km->xkb->map->modmap[keycode];
}

unsigned x11_keymap_level3_mask(struct x11_keymap *km)
{
	if (load(km) < 0)
		return 0;
	return km->level3_mask;
}

KeyCode x11_keymap_modifier_key(struct x11_keymap *km, unsigned mask)
{
	if (load(km) < 0)
		return 0;
	if (mask == ShiftMask)
		return km->shift_key;
	if (mask && mask == km->level3_mask)
		return km->level3_key;
	return 0;
}

static void set_mapping(struct x11_keymap *km, KeyCode kc, KeySym sym)
{
	KeySym syms[2] = { sym, sym };

	/* Both levels, so that a held Shift does not turn it into
	 * NoSymbol. */
	XChangeKeyboardMapping(km->dpy, kc, 2, syms, 1);
	km->dirty = true;
}

static bool is_spare(struct x11_keymap *km, unsigned kc)
{
	unsigned g, l, width;

	if (binding_of(km, (KeyCode)kc))
		return false;
	for (g = 0; g < XkbKeyNumGroups(km->xkb, kc); g++) {
		width = XkbKeyGroupWidth(km->xkb, kc, g);
		for (l = 0; l < width; l++)
			if (XkbKeySymEntry(km->xkb, kc, l, g) != NoSymbol)
				return false;
	}
	return true;
}

static void on_unbind(void *arg)
{
	struct x11_binding *b = arg;
	struct x11_keymap *km = b->km;

	b->unbind = NULL;
	if (!x11_display_is_lost(km->d)) {
		set_mapping(km, b->keycode, NoSymbol);
		XFlush(km->dpy);
	}
	log_debug("%s: keycode %u free again", __func__, b->keycode);
	b->keycode = 0;
	b->keysym = NoSymbol;
}

int x11_keymap_bind(struct x11_keymap *km, KeySym keysym, KeyCode *keycode)
{
	struct x11_binding *b = NULL, *oldest = NULL;
	unsigned i, kc;

	if (load(km) < 0)
		return -EIO;
	for (i = 0; i < X11_KEYMAP_MAX_BINDINGS; i++) {
		struct x11_binding *e = &km->bindings[i];

		if (e->keycode && e->keysym == keysym) {
			b = e;
			goto found;
		}
		if (!e->keycode && !b)
			b = e;
		if (e->keycode && !e->pressed &&
		    (!oldest || e->released_ms < oldest->released_ms))
			oldest = e;
	}
	if (!b) {
		/* Every slot busy: take the binding released longest ago. */
		if (!oldest)
			return -ENOSPC;
		if (oldest->unbind)
			xrfb_timer_cancel(oldest->unbind);
		oldest->unbind = NULL;
		kc = oldest->keycode;
		b = oldest;
	} else {
		for (kc = km->xkb->max_key_code; kc >= km->xkb->min_key_code;
		     kc--)
			if (is_spare(km, kc))
				break;
		if (kc < km->xkb->min_key_code)
			return -ENOSPC;
	}
	b->km = km;
	b->keycode = (KeyCode)kc;
	b->keysym = keysym;
	b->pressed = 0;
	set_mapping(km, b->keycode, keysym);
	log_debug("%s: keysym 0x%lx bound to keycode %u", __func__,
		  (unsigned long)keysym, kc);
found:
	if (b->unbind) {
		xrfb_timer_cancel(b->unbind);
		b->unbind = NULL;
	}
	b->pressed++;
	*keycode = b->keycode;
	return 0;
}

void x11_keymap_unbind(struct x11_keymap *km, KeyCode keycode)
{
	struct x11_binding *b = binding_of(km, keycode);

	if (!b || !b->pressed)
		return;
	if (--b->pressed)
		return;
	b->released_ms = xrfb_now_ms();
	b->unbind = xrfb_loop_add_timer(km->loop, X11_KEYMAP_UNBIND_MS,
					on_unbind, b);
	if (!b->unbind)
		on_unbind(b);
}

static bool on_event(void *arg, XEvent *ev)
{
	struct x11_keymap *km = arg;

	if (ev->type == MappingNotify) {
		XRefreshKeyboardMapping(&ev->xmapping);
		if (ev->xmapping.request != MappingPointer)
			km->dirty = true;
		return true;
	}
	if (ev->type == km->xkb_event_base) {
		int type = ((XkbAnyEvent *)ev)->xkb_type;

		if (type == XkbMapNotify || type == XkbNewKeyboardNotify)
			km->dirty = true;
		/* Other XKB events (bell, indicators) are x11-xkb's. */
		return false;
	}
	return false;
}

struct x11_keymap *x11_keymap_new(struct xrfb_loop *loop,
				  struct x11_display *d)
{
	struct x11_keymap *km;
	int opcode, error_base, major = XkbMajorVersion,
				minor = XkbMinorVersion;

	km = xcalloc(1, sizeof(*km));
	km->loop = loop;
	km->d = d;
	km->dpy = x11_display_dpy(d);
	if (!XkbQueryExtension(km->dpy, &opcode, &km->xkb_event_base,
			       &error_base, &major, &minor)) {
		log_warn("the X server has no XKB extension: keyboard input "
			 "disabled");
		goto err_free;
	}
	XkbSelectEvents(km->dpy, XkbUseCoreKbd,
			XkbMapNotifyMask | XkbNewKeyboardNotifyMask,
			XkbMapNotifyMask | XkbNewKeyboardNotifyMask);
	if (load(km) < 0)
		goto err_free;
	if (x11_display_add_handler(d, on_event, km) < 0)
		goto err_free_map;
	return km;

err_free_map:
	XkbFreeKeyboard(km->xkb, 0, True);
err_free:
	free(km);
	return NULL;
}

void x11_keymap_free(struct x11_keymap *km)
{
	unsigned i;

	if (!km)
		return;
	for (i = 0; i < X11_KEYMAP_MAX_BINDINGS; i++) {
		struct x11_binding *b = &km->bindings[i];

		if (!b->keycode)
			continue;
		if (b->unbind)
			xrfb_timer_cancel(b->unbind);
		b->unbind = NULL;
		on_unbind(b);
	}
	if (!x11_display_is_lost(km->d))
		XFlush(km->dpy);
	x11_display_remove_handler(km->d, on_event, km);
	if (km->xkb)
		XkbFreeKeyboard(km->xkb, 0, True);
	free(km);
}
