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

/* Default of xrfb_server_set_clipboard_limits(): the longest text taken
 * from a viewer (as TigerVNC's MaxCutText), and the longest sent to a
 * classic viewer (libvncclient drops the connection beyond 1 MiB). */
#define CLIP_VIEWER_MAX_DEFAULT (256u << 10)
#define CLIP_CLASSIC_MAX_DEFAULT (1u << 20)

struct clip_client {
	bool extended;		/* listed 0xC0A1E5CE */
	uint32_t caps;		/* the client's caps flags (0: none sent) */
	uint32_t text_max;	/* its max unsolicited text size */
	/* What the client is owed, sent once its queue has room: the
	 * server's text (until offered == the server's serial) and
	 * answers to its extended messages, each kept once however often
	 * it was asked for. */
	unsigned offered;
	bool owe_provide, owe_notify, owe_request;
};

/* The server's clipboard: the last text set by the desktop or a client,
 * and the messages that carry it, built once per change and shared by
 * every client's queue. */
struct clip_server {
	char *text;		/* UTF-8, LF line ends; NULL if none */
	size_t len;
	unsigned serial;	/* counts changes; 0: never set */
	struct rcbuf *provide;	/* extended Provide (NULL: not built yet) */
	struct rcbuf *classic;	/* classic Latin-1 ServerCutText (idem) */
	unsigned skip_logged;	/* serial whose skipping was logged */
	uint32_t viewer_max;	/* longest text taken from a viewer */
	uint32_t classic_max;	/* longest text sent to a classic viewer */
};

void clipboard_server_init(struct clip_server *cs);
/* A new client: offered the server's text only when it next changes. */
void clipboard_client_init(struct clip_client *cc,
			   const struct clip_server *cs);
/* After SetEncodings: (re)send caps to extended clients, every time. */
void clipboard_set_encodings(struct xrfb_client *c, bool extended);
/* A ClientCutText body (@len as sent, S32 for extended clients). */
void clipboard_on_cut_text(struct xrfb_client *c, int32_t len,
			   const uint8_t *data, uint32_t data_len);
/* New text from the embedder or from client @from (NULL: the embedder):
 * store it and offer it to every other client. */
int clipboard_set(struct xrfb_server *s, struct xrfb_client *from,
		  const char *text, size_t len);
/* Send what @c is owed if its queue has room (the scheduler's pass). */
void clipboard_run(struct xrfb_client *c);
void clipboard_server_fini(struct clip_server *cs);

#endif
