/* SPDX-License-Identifier: MIT */
/* The X keyboard map: keysym -> keycode, group and modifiers; spare keys. */
#ifndef XRFB_X11_KEYMAP_H
#define XRFB_X11_KEYMAP_H

#include <stdbool.h>

#include <X11/Xlib.h>

#include "x11-display.h"
#include "xrfb.h"

struct x11_keymap;

/* How to produce a keysym: press @keycode with exactly the modifiers
 * @mods in effect and @group as the effective group. */
struct x11_key {
	KeyCode keycode;
	unsigned mods;
	unsigned group;
};

/* Read the keyboard map of @d (again whenever it changes); NULL without
 * XKB (the reason is logged). */
struct x11_keymap *x11_keymap_new(struct xrfb_loop *loop,
				  struct x11_display *d);
/* Remove our spare-key bindings and free. */
void x11_keymap_free(struct x11_keymap *km);
/* Find @keysym, preferring the state (@mods, @group): first as is, then
 * with Shift and/or level 3 toggled, then in other groups. 0 or -ENOENT. */
int x11_keymap_lookup(struct x11_keymap *km, KeySym keysym, unsigned mods,
		      unsigned group, struct x11_key *key);
/* The keysym the key @keycode gives with modifiers @mods in @group. */
KeySym x11_keymap_translate(struct x11_keymap *km, KeyCode keycode,
			    unsigned mods, unsigned group);
/* Bind @keysym (absent from the map) to a spare keycode; 0 or -ENOSPC. */
int x11_keymap_bind(struct x11_keymap *km, KeySym keysym, KeyCode *keycode);
/* The bound key was released: unbind it after a grace period. */
void x11_keymap_unbind(struct x11_keymap *km, KeyCode keycode);
/* True if @keycode is one of our temporary bindings. */
bool x11_keymap_is_bound(const struct x11_keymap *km, KeyCode keycode);
/* The real modifiers @keycode sets (its modifier map entry). */
unsigned x11_keymap_modmap(struct x11_keymap *km, KeyCode keycode);
/* The modifier of ISO_Level3_Shift (AltGr), 0 if the map has none. */
unsigned x11_keymap_level3_mask(struct x11_keymap *km);
/* A keycode that sets @mask (ShiftMask or the level 3 mask), 0: none. */
KeyCode x11_keymap_modifier_key(struct x11_keymap *km, unsigned mask);

#endif
