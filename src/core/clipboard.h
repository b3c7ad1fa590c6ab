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

struct clip_server;
struct conn;
struct xrfb_server;

/* Default of xrfb_server_set_clipboard_limits(): the longest text taken
 * from a viewer (as TigerVNC's MaxCutText), and the longest sent to a
 * classic viewer (libvncclient drops the connection beyond 1 MiB). */
#define CLIP_VIEWER_MAX_DEFAULT (256u << 10)
#define CLIP_CLASSIC_MAX_DEFAULT (1u << 20)

/* One client's clipboard state; the server lists them all (struct
 * clip_server in server-state.h), so text one client sets reaches the
 * others. */
struct clip_client {
	struct conn *conn;
	struct clip_client *prev, *next;
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

void clipboard_server_init(struct clip_server *cs);
/* A new client joins the server's list: offered the server's text only
 * when it next changes. clipboard_client_fini() takes it off. */
void clipboard_client_init(struct clip_client *cc, struct conn *conn);
void clipboard_client_fini(struct clip_client *cc);
/* SetEncodings, in three steps: forget the last list; take @encoding if
 * it is the Extended Clipboard (true if taken); then (re)send caps to
 * extended clients, every time. */
void clipboard_encodings_reset(struct clip_client *cc);
bool clipboard_encoding(struct clip_client *cc, int32_t encoding);
void clipboard_encodings_done(struct clip_client *cc);
/* Whether ClientCutText may carry extended messages (negative length). */
bool clipboard_is_extended(const struct clip_client *cc);
/* A ClientCutText body (@len as sent, S32 for extended clients). */
void clipboard_on_cut_text(struct clip_client *cc, int32_t len,
			   const uint8_t *data, uint32_t data_len);
/* New text from the embedder or from client @from (NULL: the embedder):
 * store it and offer it to every other client. */
int clipboard_set(struct xrfb_server *s, struct clip_client *from,
		  const char *text, size_t len);
/* Send what @cc is owed if its queue has room (the scheduler's pass). */
void clipboard_run(struct clip_client *cc);
void clipboard_server_fini(struct clip_server *cs);

/* The longest clipboard text (and message) taken from a client. */
uint32_t clipboard_viewer_max(const struct xrfb_server *s);

#endif
