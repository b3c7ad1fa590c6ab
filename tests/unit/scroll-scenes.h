/* SPDX-License-Identifier: MIT */
/*
 * Synthetic screens for move detection: an old and a new frame of a
 * desktop where something scrolled or moved (a terminal, an editor with a
 * fixed status line, a dragged window, a horizontal scroll, repeated
 * lines, a moved block that then changed, full-screen video), and the
 * damage rectangles an X server would report. Shared by the fb-scroll
 * unit suite and its benchmark.
 */
#ifndef XRFB_TEST_SCROLL_SCENES_H
#define XRFB_TEST_SCROLL_SCENES_H

#include <stdbool.h>
#include <stdint.h>

#include "region.h"

#define SCENE_MAX_DAMAGE 16

struct scene {
	const char *name;
	int w, h;
	uint32_t *old;		/* what the server holds */
	uint32_t *cur;		/* the screen now */
	struct rect damage[SCENE_MAX_DAMAGE];
	unsigned ndamage;
	/* The true move (if any): content of @moved at (-dx, -dy) in old. */
	bool has_move;
	int dx, dy;
	struct rect moved;
};

/* Kinds of scene; scene_make() builds number @kind with @seed. */
enum scene_kind {
	SCENE_TERMINAL,		/* 80x24 terminal scrolls up by 1..4 lines */
	SCENE_TERMINAL_BIG,	/* full-screen terminal, several lines */
	SCENE_EDITOR,		/* only the middle scrolls; status lines stay */
	SCENE_BROWSER,		/* images and text scroll by odd pixels */
	SCENE_HSCROLL,		/* content moves sideways */
	SCENE_DRAG,		/* a window moves over a patterned desktop */
	SCENE_DRAG_FAR,		/* ... by a long way at once */
	SCENE_REPEAT,		/* identical lines scroll by one line */
	SCENE_MOVED_CHANGED,	/* a moved block, then parts of it change */
	SCENE_TWO_MOVES,	/* two windows scroll differently */
	SCENE_VIDEO,		/* everything changes, nothing moved */
	SCENE_KINDS
};

void scene_make(struct scene *sc, enum scene_kind kind, uint32_t seed);
void scene_free(struct scene *sc);

#endif
