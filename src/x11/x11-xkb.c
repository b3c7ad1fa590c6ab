/* SPDX-License-Identifier: MIT */
/*
 * x11-xkb: what viewers learn from and send to the X keyboard beyond
 * keysyms. XKB bell events become RFB Bell messages; indicator changes
 * become the LED state (QEMU LED pseudo-encoding), read by indicator
 * name so any keymap's numbering works. QEMU Extended Key Events carry
 * XT scancodes: they are translated through the table below to Linux
 * evdev codes, and an X server whose keycodes are "evdev" (Xorg with
 * libinput or evdev, Xvfb, Xephyr) numbers its keys evdev + 8. Keys are
 * then pressed by keycode, so the server's own layout decides what they
 * type: any layout, dead keys and all.
 *
 * This file reads X state; faking key events is x11-input's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <linux/input-event-codes.h>

#include "buf.h"
#include "log.h"
#include "x11-xkb.h"

/* At most this many bells per second reach viewers. */
#define X11_XKB_BELL_MIN_MS 100

/*
 * XT scancode set 1, as QEMU numbers it (an E0 prefix sets bit 7), to the
 * Linux input event code of the same key (the kernel's atkbd table, as
 * QEMU's and TigerVNC's key maps use it). Codes 0x01-0x53 are identical
 * in both and are not listed.
 */
static const uint16_t xt_to_evdev[256] = {
	[0x54] = KEY_SYSRQ,		/* Alt+Print arrives as 0x54 */
	[0x55] = KEY_F16,
	[0x56] = KEY_102ND,
	[0x57] = KEY_F11,
	[0x58] = KEY_F12,
	[0x59] = KEY_KPEQUAL,
	[0x5a] = KEY_F20,
	[0x5b] = KEY_LINEFEED,
	[0x5c] = KEY_KPJPCOMMA,
	[0x5d] = KEY_F13,
	[0x5e] = KEY_F14,
	[0x5f] = KEY_F15,
	[0x63] = KEY_PHONE,
	[0x64] = KEY_OPEN,
	[0x65] = KEY_PASTE,
	[0x66] = KEY_SETUP,
	[0x67] = KEY_FILE,
	[0x68] = KEY_SENDFILE,
	[0x69] = KEY_DELETEFILE,
	[0x6a] = KEY_MSDOS,
	[0x6b] = KEY_DIRECTION,
	[0x6c] = KEY_EJECTCD,
	[0x6d] = KEY_F23,
	[0x6f] = KEY_F24,
	[0x70] = KEY_KATAKANAHIRAGANA,
	[0x71] = KEY_EXIT,
	[0x72] = KEY_MOVE,
	[0x73] = KEY_RO,
	[0x74] = KEY_F21,
	[0x75] = KEY_SCROLLUP,
	[0x76] = KEY_ZENKAKUHANKAKU,
	[0x77] = KEY_HIRAGANA,
	[0x78] = KEY_KATAKANA,
	[0x79] = KEY_HENKAN,
	[0x7b] = KEY_MUHENKAN,
	[0x7d] = KEY_YEN,
	[0x7e] = KEY_KPCOMMA,
	[0x81] = KEY_CONFIG,
	[0x82] = KEY_WWW,
	[0x83] = KEY_F17,
	[0x84] = KEY_F19,
	[0x85] = KEY_AGAIN,
	[0x86] = KEY_PROPS,
	[0x87] = KEY_UNDO,
	[0x88] = KEY_EDIT,
	[0x89] = KEY_NEW,
	[0x8a] = KEY_REDO,
	[0x8b] = KEY_SCALE,
	[0x8c] = KEY_FRONT,
	[0x8d] = KEY_HANJA,
	[0x8e] = KEY_FORWARDMAIL,
	[0x8f] = KEY_SCROLLDOWN,
	[0x90] = KEY_PREVIOUSSONG,
	[0x92] = KEY_SCREENLOCK,
	[0x93] = KEY_XFER,
	[0x94] = KEY_ALTERASE,
	[0x97] = KEY_PROG2,
	[0x98] = KEY_REWIND,
	[0x99] = KEY_NEXTSONG,
	[0x9c] = KEY_KPENTER,
	[0x9d] = KEY_RIGHTCTRL,
	[0x9e] = KEY_MENU,
	[0x9f] = KEY_PROG1,
	[0xa0] = KEY_MUTE,
	[0xa1] = KEY_CALC,
	[0xa2] = KEY_PLAYPAUSE,
	[0xa3] = KEY_CLOSECD,
	[0xa4] = KEY_STOPCD,
	[0xa5] = KEY_SUSPEND,
	[0xa6] = KEY_CYCLEWINDOWS,
	[0xa8] = KEY_PLAYCD,
	[0xa9] = KEY_PAUSECD,
	[0xab] = KEY_PROG3,
	[0xac] = KEY_PROG4,
	[0xad] = KEY_DASHBOARD,
	[0xae] = KEY_VOLUMEDOWN,
	[0xaf] = KEY_CLOSE,
	[0xb0] = KEY_VOLUMEUP,
	[0xb1] = KEY_RECORD,
	[0xb2] = KEY_HOMEPAGE,
	[0xb3] = KEY_PLAY,
	[0xb4] = KEY_FASTFORWARD,
	[0xb5] = KEY_KPSLASH,
	[0xb6] = KEY_BASSBOOST,
	[0xb7] = KEY_SYSRQ,		/* Print (E0 37) */
	[0xb8] = KEY_RIGHTALT,
	[0xb9] = KEY_PRINT,
	[0xba] = KEY_HP,
	[0xbb] = KEY_CAMERA,
	[0xbc] = KEY_CUT,
	[0xbd] = KEY_SOUND,
	[0xbe] = KEY_QUESTION,
	[0xbf] = KEY_EMAIL,
	[0xc0] = KEY_CHAT,
	[0xc1] = KEY_FIND,
	[0xc2] = KEY_CONNECT,
	[0xc3] = KEY_FINANCE,
	[0xc4] = KEY_SPORT,
	[0xc5] = KEY_SHOP,
	[0xc6] = KEY_PAUSE,		/* Pause (E1 1D 45) */
	[0xc7] = KEY_HOME,
	[0xc8] = KEY_UP,
	[0xc9] = KEY_PAGEUP,
	[0xca] = KEY_CANCEL,
	[0xcb] = KEY_LEFT,
	[0xcc] = KEY_BRIGHTNESSDOWN,
	[0xcd] = KEY_RIGHT,
	[0xce] = KEY_KPPLUSMINUS,
	[0xcf] = KEY_END,
	[0xd0] = KEY_DOWN,
	[0xd1] = KEY_PAGEDOWN,
	[0xd2] = KEY_INSERT,
	[0xd3] = KEY_DELETE,
	[0xd4] = KEY_BRIGHTNESSUP,
	[0xd5] = KEY_SAVE,
	[0xd6] = KEY_SWITCHVIDEOMODE,
	[0xd7] = KEY_KBDILLUMTOGGLE,
	[0xd8] = KEY_KBDILLUMDOWN,
	[0xd9] = KEY_KBDILLUMUP,
	[0xda] = KEY_SEND,
	[0xdb] = KEY_LEFTMETA,
	[0xdc] = KEY_RIGHTMETA,
	[0xdd] = KEY_COMPOSE,
	[0xde] = KEY_POWER,
	[0xdf] = KEY_SLEEP,
	[0xe3] = KEY_WAKEUP,
	[0xe4] = KEY_REPLY,
	[0xe5] = KEY_SEARCH,
	[0xe6] = KEY_BOOKMARKS,
	[0xe7] = KEY_REFRESH,
	[0xe8] = KEY_STOP,
	[0xe9] = KEY_FORWARD,
	[0xea] = KEY_BACK,
	[0xeb] = KEY_COMPUTER,
	[0xec] = KEY_MAIL,
	[0xed] = KEY_MEDIA,
	[0xef] = KEY_MACRO,
	[0xf0] = KEY_DOCUMENTS,
	[0xf1] = KEY_BATTERY,
	[0xf2] = KEY_BLUETOOTH,
	[0xf3] = KEY_WLAN,
	[0xf4] = KEY_UWB,
	[0xf5] = KEY_HELP,
	[0xf6] = KEY_KPLEFTPAREN,
	[0xf7] = KEY_F18,
	[0xf8] = KEY_COPY,
	[0xf9] = KEY_F22,
	[0xfb] = KEY_KPRIGHTPAREN,
	[0xfd] = KEY_EJECTCLOSECD,
};

struct x11_xkb {
	struct x11_display *d;
	struct xrfb_server *server;
	Display *dpy;
	int event_base;
	bool evdev;		/* keycodes are evdev + 8 */
	bool warned_keycodes;
	int min_keycode, max_keycode;
	/* Indicator index of each LED viewers know; -1: none. */
	int ind_scroll, ind_num, ind_caps;
	uint64_t last_bell_ms;
};

KeyCode x11_xkb_keycode(struct x11_xkb *xk, uint32_t xt)
{
	unsigned code;

	/* Some viewers send Print/SysRq as the two-byte E0 37 either way:
	 * both forms name the same key (doc/protocol.md, "QEMU extended key
	 * events"). */
	if (!xk || xt > 0xff)
		return 0;
	if (!xk->evdev) {
		if (!xk->warned_keycodes)
			log_info("the X server's keycodes are not evdev: "
				 "QEMU key events use their keysyms");
		xk->warned_keycodes = true;
		return 0;
	}
	code = xt < 0x54 ? xt : xt_to_evdev[xt];
	if (!code || code + 8 < (unsigned)xk->min_keycode ||
	    code + 8 > (unsigned)xk->max_keycode)
		return 0;
	return (KeyCode)(code + 8);
}

static unsigned leds_of(const struct x11_xkb *xk, unsigned state)
{
	unsigned leds = 0;

	if (xk->ind_scroll >= 0 && (state & (1u << xk->ind_scroll)))
		leds |= XRFB_LED_SCROLL_LOCK;
	if (xk->ind_num >= 0 && (state & (1u << xk->ind_num)))
		leds |= XRFB_LED_NUM_LOCK;
	if (xk->ind_caps >= 0 && (state & (1u << xk->ind_caps)))
		leds |= XRFB_LED_CAPS_LOCK;
	return leds;
}

/* Which indicators are Caps, Num and Scroll Lock, and whether keycodes
 * are evdev's, from the keymap's names. */
static void read_names(struct x11_xkb *xk)
{
	XkbDescPtr xkb;
	char *name;
	unsigned state = 0;
	int i;

	xk->ind_scroll = xk->ind_num = xk->ind_caps = -1;
	XDisplayKeycodes(xk->dpy, &xk->min_keycode, &xk->max_keycode);
	xkb = XkbAllocKeyboard();
	if (!xkb)
		return;
	if (XkbGetNames(xk->dpy, XkbKeycodesNameMask | XkbIndicatorNamesMask,
			xkb) != Success ||
	    !xkb->names) {
		XkbFreeKeyboard(xkb, 0, True);
		log_warn("cannot read the keyboard's names: no LED state");
		return;
	}
	name = xkb->names->keycodes ? XGetAtomName(xk->dpy,
						   xkb->names->keycodes)
				    : NULL;
	xk->evdev = name && !strncmp(name, "evdev", 5);
	log_debug("%s: keycodes \"%s\"", __func__, name ? name : "");
	if (name)
		XFree(name);
	for (i = 0; i < XkbNumIndicators; i++) {
		if (!xkb->names->indicators[i])
			continue;
		name = XGetAtomName(xk->dpy, xkb->names->indicators[i]);
		if (!name)
			continue;
		if (!strcmp(name, "Caps Lock"))
			xk->ind_caps = i;
		else if (!strcmp(name, "Num Lock"))
			xk->ind_num = i;
		else if (!strcmp(name, "Scroll Lock"))
			xk->ind_scroll = i;
		XFree(name);
	}
	XkbFreeKeyboard(xkb, 0, True);
	if (XkbGetIndicatorState(xk->dpy, XkbUseCoreKbd, &state) == Success)
		xrfb_server_set_led_state(xk->server, leds_of(xk, state));
}

static bool on_event(void *arg, XEvent *ev)
{
	struct x11_xkb *xk = arg;
	XkbEvent *xe = (XkbEvent *)ev;
	uint64_t now;

	if (ev->type != xk->event_base)
		return false;
	switch (xe->any.xkb_type) {
	case XkbBellNotify:
		now = xrfb_now_ms();
		if (xk->last_bell_ms &&
		    now - xk->last_bell_ms < X11_XKB_BELL_MIN_MS)
			return true;
		xk->last_bell_ms = now;
		log_debug("%s: bell", __func__);
		if (xrfb_server_bell(xk->server) < 0)
			log_debug("%s: bell not sent", __func__);
		return true;
	case XkbIndicatorStateNotify:
		xrfb_server_set_led_state(xk->server,
					  leds_of(xk, xe->indicators.state));
		return true;
	case XkbNamesNotify:
	case XkbNewKeyboardNotify:
		read_names(xk);
		/* x11-keymap wants to hear of a new keyboard too. */
		return false;
	default:
		return false;
	}
}

struct x11_xkb *x11_xkb_new(struct x11_display *d, struct xrfb_server *s)
{
	struct x11_xkb *xk;
	int opcode, error_base, major = XkbMajorVersion,
				minor = XkbMinorVersion;
	unsigned mask = XkbBellNotifyMask | XkbIndicatorStateNotifyMask |
			XkbNamesNotifyMask | XkbNewKeyboardNotifyMask;

	xk = xcalloc(1, sizeof(*xk));
	xk->d = d;
	xk->server = s;
	xk->dpy = x11_display_dpy(d);
	if (!XkbQueryExtension(xk->dpy, &opcode, &xk->event_base, &error_base,
			       &major, &minor)) {
		log_warn("the X server has no XKB extension: no bell, LED "
			 "state or scancode input for viewers");
		free(xk);
		return NULL;
	}
	if (x11_display_add_handler(d, on_event, xk) < 0) {
		free(xk);
		return NULL;
	}
	/* Only our own bits: x11-keymap selects others on the same
	 * connection. */
	XkbSelectEvents(xk->dpy, XkbUseCoreKbd, mask, mask);
	read_names(xk);
	return xk;
}

void x11_xkb_free(struct x11_xkb *xk)
{
	if (!xk)
		return;
	x11_display_remove_handler(xk->d, on_event, xk);
	free(xk);
}
