/* SPDX-License-Identifier: MIT */
/*
 * x11-input: client input into the X server through XTest.
 *
 * Pointer: motion on our screen, then one button event per changed bit of
 * the RFB button mask (bit n is X button n+1; wheel buttons arrive as the
 * press and release the client sends).
 *
 * Keys: RFB sends keysyms, X wants keycodes. For each press we ask
 * x11-keymap for a key giving the keysym in the current state, or with
 * Shift and/or AltGr toggled, or in another group; we then fake exactly
 * the difference (press Shift, release a held Shift, lock the group)
 * around the key press and restore the user's state right after. Keysyms
 * the map lacks go to a spare keycode bound for the occasion. Each
 * pressed keysym remembers its keycode, so the release goes to the same
 * key whatever the state is by then.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "buf.h"
#include "log.h"
#include "x11-input.h"
#include "x11-keymap.h"

/* RFB's mask has 8 bits; extended pointer events add bit 8 (button 9). */
#define X11_INPUT_MAX_BUTTONS 9
/* Keys held at once, over all clients. */
#define X11_INPUT_MAX_PRESSED 64

struct x11_pressed {
	uint32_t keysym;
	KeyCode keycode;
	bool bound;		/* a spare keycode bound by x11-keymap */
	unsigned client;
};

struct x11_input {
	struct x11_display *d;
	Display *dpy;
	struct x11_keymap *km;
	int n_buttons;		/* buttons of the core pointer */
	bool moved;
	int x, y;
	uint32_t buttons;
	unsigned buttons_client;
	bool warned_button;
	struct x11_pressed pressed[X11_INPUT_MAX_PRESSED];
	unsigned n_pressed;
};

void x11_input_pointer(struct x11_input *in, unsigned client, int x, int y,
		       uint32_t buttons)
{
	uint32_t changed;
	int i;

	if (x11_display_is_lost(in->d))
		return;
	if (!in->moved || x != in->x || y != in->y) {
		XTestFakeMotionEvent(in->dpy, x11_display_screen(in->d), x, y,
				     CurrentTime);
		in->moved = true;
		in->x = x;
		in->y = y;
	}
	changed = buttons ^ in->buttons;
	for (i = 0; i < X11_INPUT_MAX_BUTTONS; i++) {
		if (!(changed & (1u << i)))
			continue;
		if (i >= in->n_buttons) {
			if (!in->warned_button)
				log_info("pointer has %d buttons: ignoring "
					 "button %d", in->n_buttons, i + 1);
			in->warned_button = true;
			continue;
		}
		XTestFakeButtonEvent(in->dpy, (unsigned)i + 1,
				     (buttons >> i) & 1, CurrentTime);
	}
	in->buttons = buttons & ((1u << X11_INPUT_MAX_BUTTONS) - 1);
	in->buttons_client = client;
	XFlush(in->dpy);
}

static struct x11_pressed *find_pressed(struct x11_input *in, uint32_t keysym,
					unsigned client)
{
	struct x11_pressed *any = NULL;
	unsigned i;

	for (i = 0; i < in->n_pressed; i++) {
		if (in->pressed[i].keysym != keysym)
			continue;
		if (in->pressed[i].client == client)
			return &in->pressed[i];
		any = &in->pressed[i];
	}
	return any;
}

/* Keycodes now down that set a modifier in @mask. */
static unsigned held_modifier_keys(struct x11_input *in, unsigned mask,
				   KeyCode *out, unsigned max)
{
	char keys[32];
	unsigned kc, n = 0;

	XQueryKeymap(in->dpy, keys);
	for (kc = 8; kc < 256 && n < max; kc++) {
		if (!(keys[kc / 8] & (1 << (kc % 8))))
			continue;
		if (x11_keymap_modmap(in->km, (KeyCode)kc) & mask)
			out[n++] = (KeyCode)kc;
	}
	return n;
}

/* Press @kc with the modifiers (Shift, level 3) and group of @key in
 * effect, then put back the user's modifiers and group. */
static void press_in_state(struct x11_input *in, const XkbStateRec *st,
			   const struct x11_key *key)
{
	unsigned fakeable = ShiftMask | x11_keymap_level3_mask(in->km);
	unsigned cur = st->mods & fakeable, want = key->mods & fakeable;
	unsigned on = want & ~cur, off = cur & ~want, i, n_released = 0;
	KeyCode pressed_mods[2], released[16];
	unsigned n_pressed_mods = 0;
	KeyCode kc;

	if (off) {
		if (st->locked_mods & off)
			log_debug("%s: modifiers 0x%x are locked", __func__,
				  st->locked_mods & off);
		n_released = held_modifier_keys(in, off, released, 16);
		for (i = 0; i < n_released; i++)
			XTestFakeKeyEvent(in->dpy, released[i], False,
					  CurrentTime);
	}
	if (on & ShiftMask) {
		kc = x11_keymap_modifier_key(in->km, ShiftMask);
		if (kc)
			pressed_mods[n_pressed_mods++] = kc;
	}
	if (on & ~ShiftMask) {
		kc = x11_keymap_modifier_key(in->km, on & ~ShiftMask);
		if (kc)
			pressed_mods[n_pressed_mods++] = kc;
	}
	for (i = 0; i < n_pressed_mods; i++)
		XTestFakeKeyEvent(in->dpy, pressed_mods[i], True, CurrentTime);
	if (key->group != st->group)
		XkbLockGroup(in->dpy, XkbUseCoreKbd, key->group);

	XTestFakeKeyEvent(in->dpy, key->keycode, True, CurrentTime);

	if (key->group != st->group)
		XkbLockGroup(in->dpy, XkbUseCoreKbd, st->locked_group);
	for (i = n_pressed_mods; i-- > 0;)
		XTestFakeKeyEvent(in->dpy, pressed_mods[i], False, CurrentTime);
	for (i = 0; i < n_released; i++)
		XTestFakeKeyEvent(in->dpy, released[i], True, CurrentTime);
}

/* Find how to type @keysym; *bound is set when a spare keycode was bound
 * for it. */
static int find_key(struct x11_input *in, uint32_t keysym,
		    const XkbStateRec *st, const struct x11_pressed *again,
		    struct x11_key *key, bool *bound)
{
	unsigned mods = st->mods;
	int r = -ENOENT;

	*bound = false;
	/* RFB has no ISO_Left_Tab: Shift+Tab arrives as Tab with Shift
	 * held, which the map calls ISO_Left_Tab. */
	if (keysym == XK_Tab && (mods & ShiftMask))
		r = x11_keymap_lookup(in->km, XK_ISO_Left_Tab, mods,
				      st->group, key);
	if (r < 0)
		r = x11_keymap_lookup(in->km, keysym, mods, st->group, key);
	if (r < 0 && keysym == XK_ISO_Left_Tab) {
		r = x11_keymap_lookup(in->km, XK_Tab, mods, st->group, key);
		key->mods |= ShiftMask;
	}
	if (again && again->keycode != key->keycode && !again->bound) {
		/* A repeat goes to the key already down. */
		key->keycode = again->keycode;
		key->mods = mods;
		key->group = st->group;
		r = 0;
	}
	if (r == 0 && !x11_keymap_is_bound(in->km, key->keycode))
		return 0;
	/* Absent from the map (or one of our own bindings). */
	r = x11_keymap_bind(in->km, keysym, &key->keycode);
	if (r < 0)
		return r;
	key->mods = mods;
	key->group = st->group;
	*bound = true;
	return 0;
}

static void key_down(struct x11_input *in, unsigned client, uint32_t keysym)
{
	struct x11_pressed *p = find_pressed(in, keysym, client);
	struct x11_key key;
	XkbStateRec st;
	bool bound;

	if (!p && in->n_pressed == X11_INPUT_MAX_PRESSED) {
		log_debug("%s: too many keys down, ignoring 0x%x", __func__,
			  keysym);
		return;
	}
	if (XkbGetState(in->dpy, XkbUseCoreKbd, &st) != Success)
		return;
	if (find_key(in, keysym, &st, p, &key, &bound) < 0) {
		log_debug("%s: no key for keysym 0x%x", __func__, keysym);
		return;
	}
	/* A repeated press of a bound key holds its binding only once. */
	if (p && bound && p->bound)
		x11_keymap_unbind(in->km, key.keycode);
	log_trace("%s: keysym 0x%x -> keycode %u mods 0x%x group %u%s",
		  __func__, keysym, key.keycode, key.mods, key.group,
		  bound ? " (bound)" : "");
	press_in_state(in, &st, &key);
	if (!p) {
		p = &in->pressed[in->n_pressed++];
		p->keysym = keysym;
		p->client = client;
	}
	p->keycode = key.keycode;
	p->bound = bound;
}

static void release(struct x11_input *in, struct x11_pressed *p)
{
	XTestFakeKeyEvent(in->dpy, p->keycode, False, CurrentTime);
	if (p->bound)
		x11_keymap_unbind(in->km, p->keycode);
	*p = in->pressed[--in->n_pressed];
}

void x11_input_key(struct x11_input *in, unsigned client, bool down,
		   uint32_t keysym)
{
	struct x11_pressed *p;

	if (x11_display_is_lost(in->d) || !in->km)
		return;
	if (down) {
		key_down(in, client, keysym);
	} else {
		p = find_pressed(in, keysym, client);
		if (!p) {
			log_debug("%s: release of 0x%x, which is not down",
				  __func__, keysym);
			return;
		}
		release(in, p);
	}
	XFlush(in->dpy);
}

/* Keys pressed by keycode are remembered under a value no keysym has. */
#define X11_INPUT_KEYCODE_TAG 0x80000000u

void x11_input_keycode(struct x11_input *in, unsigned client, bool down,
		       KeyCode keycode)
{
	uint32_t tag = X11_INPUT_KEYCODE_TAG | keycode;
	struct x11_pressed *p;

	if (x11_display_is_lost(in->d) || !keycode)
		return;
	p = find_pressed(in, tag, client);
	if (down) {
		/* A repeat is pressed again, but remembered once. */
		if (!p && in->n_pressed == X11_INPUT_MAX_PRESSED)
			return;
		XTestFakeKeyEvent(in->dpy, keycode, True, CurrentTime);
		if (!p) {
			p = &in->pressed[in->n_pressed++];
			p->keysym = tag;
			p->keycode = keycode;
			p->bound = false;
			p->client = client;
		}
	} else if (p) {
		release(in, p);
	}
	XFlush(in->dpy);
}

void x11_input_forget(struct x11_input *in, unsigned client)
{
	unsigned i;
	int b;

	if (x11_display_is_lost(in->d))
		return;
	for (i = in->n_pressed; i-- > 0;)
		if (in->pressed[i].client == client)
			release(in, &in->pressed[i]);
	if (in->buttons && in->buttons_client == client) {
		for (b = 0; b < X11_INPUT_MAX_BUTTONS && b < in->n_buttons;
		     b++)
			if (in->buttons & (1u << b))
				XTestFakeButtonEvent(in->dpy, (unsigned)b + 1,
						     False, CurrentTime);
		in->buttons = 0;
	}
	XFlush(in->dpy);
}

struct x11_input *x11_input_new(struct xrfb_loop *loop,
				struct x11_display *d)
{
	struct x11_input *in;
	int ev, err, major, minor;
	unsigned char map[256];

	in = xcalloc(1, sizeof(*in));
	in->d = d;
	in->dpy = x11_display_dpy(d);
	if (!XTestQueryExtension(in->dpy, &ev, &err, &major, &minor)) {
		log_warn("the X server has no XTEST extension: input from "
			 "clients is ignored");
		free(in);
		return NULL;
	}
	in->n_buttons = XGetPointerMapping(in->dpy, map, sizeof(map));
	/* Keep the pointer working even if the keyboard cannot. */
	in->km = x11_keymap_new(loop, d);
	log_debug("%s: XTest %d.%d, %d pointer buttons", __func__, major,
		  minor, in->n_buttons);
	return in;
}

void x11_input_free(struct x11_input *in)
{
	unsigned i;

	if (!in)
		return;
	if (!x11_display_is_lost(in->d)) {
		for (i = in->n_pressed; i-- > 0;)
			release(in, &in->pressed[i]);
		x11_input_forget(in, in->buttons_client);
	}
	x11_keymap_free(in->km);
	free(in);
}
