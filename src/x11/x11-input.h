/* SPDX-License-Identifier: MIT */
/* Client input into the X server with XTest: pointer and keys. */
#ifndef XRFB_X11_INPUT_H
#define XRFB_X11_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <X11/Xlib.h>

#include "x11-display.h"
#include "xrfb.h"

struct x11_input;

/* Inject input into @d; NULL without XTest (the reason is logged). */
struct x11_input *x11_input_new(struct xrfb_loop *loop,
				struct x11_display *d);
/* Release everything still pressed and free. */
void x11_input_free(struct x11_input *in);
/* Move the pointer to (@x, @y) and set the buttons: bit n of @buttons is
 * button n+1. @client identifies who sends it (for x11_input_forget). */
void x11_input_pointer(struct x11_input *in, unsigned client, int x, int y,
		       uint32_t buttons);
/* Press or release the key that gives @keysym (faking Shift or AltGr as
 * needed). */
void x11_input_key(struct x11_input *in, unsigned client, bool down,
		   uint32_t keysym);
/* Press or release the key @keycode as it is, whatever it types in the
 * current layout (QEMU Extended Key Events). */
void x11_input_keycode(struct x11_input *in, unsigned client, bool down,
		       KeyCode keycode);
/* @client is gone: release the keys and buttons it still holds. */
void x11_input_forget(struct x11_input *in, unsigned client);

#endif
