/* SPDX-License-Identifier: MIT */
/*
 * Clipboard exchange with clients: classic Latin-1 cut text and the
 * Extended Clipboard (pseudo-encoding 0xC0A1E5CE: UTF-8 text, caps,
 * request, peek, notify, provide; doc/protocol.md, "Extended clipboard").
 */
#ifndef XRFB_CLIPBOARD_H
#define XRFB_CLIPBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xrfb_client;
struct xrfb_server;

struct clip_client {
	bool extended;		/* listed 0xC0A1E5CE */
	uint32_t caps;		/* the client's caps flags (0: none sent) */
	uint32_t text_max;	/* its max unsolicited text size */
};

/* The server's clipboard: the last text set by the desktop or a client. */
struct clip_server {
	char *text;		/* UTF-8, LF line ends; NULL if none */
	size_t len;
};

void clipboard_client_init(struct clip_client *cc);
/* After SetEncodings: (re)send caps to extended clients, every time. */
void clipboard_set_encodings(struct xrfb_client *c, bool extended);
/* A ClientCutText body (@len as sent, S32 for extended clients). */
void clipboard_on_cut_text(struct xrfb_client *c, int32_t len,
			   const uint8_t *data, uint32_t data_len);
/* New text from the embedder or from client @from (NULL: the embedder):
 * store it and offer it to every other client. */
int clipboard_set(struct xrfb_server *s, struct xrfb_client *from,
		  const char *text, size_t len);
void clipboard_server_fini(struct clip_server *cs);

#endif
