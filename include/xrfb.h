/* SPDX-License-Identifier: MIT */
/*
 * libxrfb: an RFB (VNC) server you embed to serve pixels you draw yourself.
 *
 * Everything runs on one event loop (struct xrfb_loop, epoll based), which
 * you either run (xrfb_loop_run()) or drive from your own loop: poll
 * xrfb_loop_fd() with xrfb_loop_timeout() and call xrfb_loop_dispatch().
 * The server keeps its own copy of the framebuffer in one fixed format:
 * 32 bits per pixel, host byte order, 0x00RRGGBB ("XRGB8888"). You push
 * changed pixels with xrfb_server_update(); the server compares them with
 * its copy and sends clients only what really changed, translated to each
 * client's pixel format and encoding.
 *
 * All functions must be called from the loop's thread. Functions returning
 * int return 0 or a negative errno; constructors return NULL on failure.
 * Every type is opaque except the small value structs below; the library
 * never assumes the size of anything you allocate.
 *
 * Events reach you through one setter per event (xrfb_server_on_key(),
 * ...), not through a struct of function pointers: a new event is a new
 * function, so adding one never changes the size or layout of anything
 * an older program passed in, each event has its own argument, and an
 * event nobody asked for costs nothing. See doc/libxrfb.md.
 */
#ifndef XRFB_H
#define XRFB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- event loop ---------------------------------------------------------- */

struct xrfb_loop;
struct xrfb_watch;
struct xrfb_timer;

/* Events for fd watchers: the EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP values. */
#define XRFB_EV_IN 0x001u
#define XRFB_EV_OUT 0x004u
#define XRFB_EV_ERR 0x008u
#define XRFB_EV_HUP 0x010u

typedef void (*xrfb_fd_fn)(void *arg, int fd, uint32_t events);
typedef void (*xrfb_timer_fn)(void *arg);
typedef void (*xrfb_signal_fn)(void *arg, int signo);
typedef void (*xrfb_prepare_fn)(void *arg);

/* Create a loop on the calling thread (it handles no signals until asked
 * with xrfb_loop_on_signal(); SIGPIPE is set to be ignored, so that a
 * vanished viewer cannot kill the process). */
struct xrfb_loop *xrfb_loop_new(void);
/* Free a loop; every watch, timer and server on it must be freed first. */
void xrfb_loop_free(struct xrfb_loop *loop);
/* Run until xrfb_loop_stop(); returns the status given to it, or a
 * negative errno if waiting failed. */
int xrfb_loop_run(struct xrfb_loop *loop);
/* Make xrfb_loop_run() return @status after the current iteration (or at
 * once, if it is called before the loop runs). */
void xrfb_loop_stop(struct xrfb_loop *loop, int status);
/* The loop's epoll fd, for an embedder's own poll()/epoll/GSource: it is
 * readable whenever xrfb_loop_dispatch() has events to handle. */
int xrfb_loop_fd(const struct xrfb_loop *loop);
/* Milliseconds until the next timer is due (0: now; -1: no timer): the
 * longest an embedder may sleep on xrfb_loop_fd(). Ask right before each
 * sleep, after your own calls into the library. */
int xrfb_loop_timeout(const struct xrfb_loop *loop);
/* One iteration: wait at most @timeout_ms (0: not at all, -1: until
 * something happens) for events, handle them and the due timers, then run
 * the prepare hooks. Returns 0 or a negative errno. */
int xrfb_loop_dispatch(struct xrfb_loop *loop, int timeout_ms);
/* Watch @fd (level-triggered) for @events; @fn gets the ready events. */
struct xrfb_watch *xrfb_loop_watch_fd(struct xrfb_loop *loop, int fd,
				      uint32_t events, xrfb_fd_fn fn,
				      void *arg);
/* Change the events a watch waits for. */
int xrfb_watch_set_events(struct xrfb_watch *w, uint32_t events);
/* Stop watching and free the watch (does not close the fd). */
void xrfb_watch_free(struct xrfb_watch *w);
/* Call @fn once after @delay_ms; the timer frees itself after firing. */
struct xrfb_timer *xrfb_loop_add_timer(struct xrfb_loop *loop,
				       uint64_t delay_ms, xrfb_timer_fn fn,
				       void *arg);
/* Cancel a timer that has not fired yet (NULL is ignored). */
void xrfb_timer_cancel(struct xrfb_timer *t);
/* Handle @signo (SIGINT, SIGTERM, SIGCHLD, ...) on the loop: the signal is
 * blocked in the calling thread and delivered through a signalfd. */
int xrfb_loop_on_signal(struct xrfb_loop *loop, int signo, xrfb_signal_fn fn,
			void *arg);
/* Call @fn before every sleep of the loop (after all events are handled). */
int xrfb_loop_add_prepare(struct xrfb_loop *loop, xrfb_prepare_fn fn,
			  void *arg);
/* Remove a prepare hook added with the same @fn and @arg. */
void xrfb_loop_remove_prepare(struct xrfb_loop *loop, xrfb_prepare_fn fn,
			      void *arg);
/* Monotonic milliseconds. */
uint64_t xrfb_now_ms(void);

/* ---- logging --------------------------------------------------------------- */

enum xrfb_log_level {
	XRFB_LOG_ERROR = 0,
	XRFB_LOG_WARN,
	XRFB_LOG_INFO,
	XRFB_LOG_DEBUG,
	XRFB_LOG_TRACE,
};

/* Receives one message (no trailing newline) and the source position. */
typedef void (*xrfb_log_fn)(void *arg, enum xrfb_log_level level,
			    const char *file, int line, const char *msg);

/* Where the messages of everything run on @loop go, up to @level (default:
 * XRFB_LOG_INFO to stderr). @fn NULL means stderr. Logging belongs to the
 * loop rather than a server because the loop's own code logs too and all
 * its servers share its thread; before any loop exists, and on encoder
 * threads, messages go to stderr at XRFB_LOG_INFO. */
int xrfb_loop_set_log(struct xrfb_loop *loop, enum xrfb_log_level level,
		      xrfb_log_fn fn, void *arg);
/* Parse "error", "warn", "info", "debug" or "trace"; -EINVAL otherwise. */
int xrfb_log_parse_level(const char *name);

/* ---- server ---------------------------------------------------------------- */

struct xrfb_server;
struct xrfb_client;

enum xrfb_shared_policy {
	XRFB_SHARED_ALLOW = 0,	/* honour the client's shared flag */
	XRFB_SHARED_ALWAYS,	/* treat every client as shared */
	XRFB_SHARED_NEVER,	/* a new client disconnects the others */
};

/* Button bits of pointer events: bit n is button n+1 (1 left, 2 middle,
 * 3 right, 4/5 wheel up/down, 6/7 wheel left/right, 8 back, 9 forward). */

/* One monitor of the desktop (ExtendedDesktopSize screen). */
struct xrfb_screen {
	uint32_t id;		/* stable, non-zero */
	uint16_t x, y, width, height;
	uint32_t flags;
};

/* Answers to a client's SetDesktopSize (the ExtendedDesktopSize codes). */
enum xrfb_resize_status {
	XRFB_RESIZE_OK = 0,
	XRFB_RESIZE_PROHIBITED = 1,
	XRFB_RESIZE_NO_RESOURCES = 2,
	XRFB_RESIZE_INVALID = 3,
};

/* Keyboard LED bits (QEMU LED state). */
#define XRFB_LED_SCROLL_LOCK 0x1u
#define XRFB_LED_NUM_LOCK 0x2u
#define XRFB_LED_CAPS_LOCK 0x4u

/* Create a server on @loop with a @width x @height black framebuffer. */
struct xrfb_server *xrfb_server_new(struct xrfb_loop *loop, uint16_t width,
				    uint16_t height);
/* Close every client and listener and free the server. */
void xrfb_server_free(struct xrfb_server *s);
/* Listen on @addr (IPv4 or IPv6 literal or host name; NULL = loopback). */
int xrfb_server_listen(struct xrfb_server *s, const char *addr,
		       uint16_t port);
/* Port actually bound by the most recent listen (useful with port 0). */
uint16_t xrfb_server_port(const struct xrfb_server *s);

/* ---- server: events (one setter per event; fn NULL turns it off) -------- */

typedef void (*xrfb_client_fn)(void *arg, struct xrfb_client *c);
typedef void (*xrfb_key_fn)(void *arg, struct xrfb_client *c, bool down,
			    uint32_t keysym);
typedef void (*xrfb_key_code_fn)(void *arg, struct xrfb_client *c,
				 bool down, uint32_t keysym,
				 uint32_t xt_scancode);
typedef void (*xrfb_pointer_fn)(void *arg, struct xrfb_client *c,
				uint16_t x, uint16_t y, uint32_t buttons);
typedef void (*xrfb_cut_text_fn)(void *arg, struct xrfb_client *c,
				 const char *text, size_t len);
typedef enum xrfb_resize_status (*xrfb_resize_fn)(
	void *arg, struct xrfb_client *c, uint16_t width, uint16_t height,
	const struct xrfb_screen *screens, unsigned nscreens);

/* A client finished the handshake (authenticated, ServerInit sent). */
void xrfb_server_on_client_ready(struct xrfb_server *s, xrfb_client_fn fn,
				 void *arg);
/* A client that was ready went away (its last event; @c is freed after). */
void xrfb_server_on_client_gone(struct xrfb_server *s, xrfb_client_fn fn,
				void *arg);
/* A key was pressed or released on a client (X keysym). */
void xrfb_server_on_key(struct xrfb_server *s, xrfb_key_fn fn, void *arg);
/* A key by its XT scancode (QEMU Extended Key Event): @keysym is the
 * client's guess and may be 0. Without this event such keys go to the key
 * event with their keysym. */
void xrfb_server_on_key_code(struct xrfb_server *s, xrfb_key_code_fn fn,
			     void *arg);
/* The pointer moved or its buttons changed (button bits above). */
void xrfb_server_on_pointer(struct xrfb_server *s, xrfb_pointer_fn fn,
			    void *arg);
/* A client set the clipboard: UTF-8, LF line ends, followed by a NUL that
 * @len does not count. The server itself offers it to the other clients:
 * do not echo it back with xrfb_server_send_cut_text(). */
void xrfb_server_on_cut_text(struct xrfb_server *s, xrfb_cut_text_fn fn,
			     void *arg);
/* A client asked for a new desktop layout (SetDesktopSize). Return a
 * status; on XRFB_RESIZE_OK call xrfb_server_resize() and/or
 * xrfb_server_set_screens() (now or later). Without this event every
 * request is refused as prohibited. */
void xrfb_server_on_resize_request(struct xrfb_server *s, xrfb_resize_fn fn,
				   void *arg);

/* ---- server: settings ------------------------------------------------------- */

/* Require VNC Authentication with this password (NULL: security None). */
int xrfb_server_set_password(struct xrfb_server *s, const char *password);
/* Security types go by their RFB numbers: 1 None, 2 VncAuth, the RSA-AES
 * types 5 RA2, 6 RA2ne, 129 RA2_256, 130 RA2ne_256, and the VeNCrypt
 * subtypes 256 Plain, 257 TLSNone, 258 TLSVnc, 259 TLSPlain, 260
 * X509None, 261 X509Vnc, 262 X509Plain. */
enum xrfb_security_type {
	XRFB_SEC_NONE = 1,
	XRFB_SEC_VNC_AUTH = 2,
	XRFB_SEC_RA2 = 5,
	XRFB_SEC_RA2NE = 6,
	XRFB_SEC_RA2_256 = 129,
	XRFB_SEC_RA2NE_256 = 130,
	XRFB_SEC_PLAIN = 256,
	XRFB_SEC_TLS_NONE = 257,
	XRFB_SEC_TLS_VNC = 258,
	XRFB_SEC_TLS_PLAIN = 259,
	XRFB_SEC_X509_NONE = 260,
	XRFB_SEC_X509_VNC = 261,
	XRFB_SEC_X509_PLAIN = 262,
};
/* Offer these types, most preferred first (@n = 0: with a password,
 * RA2_256, RA2, RA2ne_256 and RA2ne if an RSA key is set, then VncAuth;
 * else None). -ENOTSUP for a type this build lacks (TLS
 * without GnuTLS), -EINVAL for an unknown one or too many. */
int xrfb_server_set_security(struct xrfb_server *s, const uint32_t *types,
			     unsigned n);
/* A type's number from its TigerVNC name ("X509Vnc"), or 0. */
uint32_t xrfb_security_type(const char *name);
/* A type's TigerVNC name, or NULL. */
const char *xrfb_security_name(uint32_t type);
/* Whether the session is encrypted after this type. */
bool xrfb_security_encrypts(uint32_t type);
/* Check a user name and password for the Plain subtypes and the RSA-AES
 * types (which then ask for a user name, subtype 1): true lets the
 * client in, *view_only = true makes it a viewer only. Each check runs
 * on a thread of its own, not the loop thread, so it may block (PAM's
 * failure delay) without stalling other clients; @fn must be safe to
 * call from several threads at once. */
typedef bool (*xrfb_plain_check_fn)(void *arg, const char *user,
				    const char *password, bool *view_only);
void xrfb_server_set_plain_check(struct xrfb_server *s,
				 xrfb_plain_check_fn fn, void *arg);
/* Failed authentications from one address beyond five refuse it for
 * @ms, doubling with each further failure (default 10 s). */
void xrfb_server_set_auth_ban(struct xrfb_server *s, unsigned ms);
#define XRFB_HANDSHAKE_TIMEOUT_MS 30000
/* Close a connection whose handshake is not done within @ms (0: never;
 * default XRFB_HANDSHAKE_TIMEOUT_MS). */
void xrfb_server_set_handshake_timeout(struct xrfb_server *s, unsigned ms);
/* A second VNC password whose clients may only watch (NULL: none). */
int xrfb_server_set_view_password(struct xrfb_server *s,
				  const char *password);
/* The GnuTLS priority string of TLS sessions (NULL: the system's);
 * anonymous sessions add the anonymous key exchanges. -EINVAL if bad. */
int xrfb_server_set_tls_priority(struct xrfb_server *s, const char *priority);
/* The certificate chain and key (PEM files) of the X509 subtypes, and of
 * HTTPS and WSS on the listeners that speak WebSocket; @fingerprint (at
 * least 96 bytes) gets the certificate's SHA-256. */
int xrfb_server_set_tls_cert(struct xrfb_server *s, const char *cert,
			     const char *key, char *fingerprint, size_t len);
/* Write a self-signed certificate and key (mode 0600) unless both exist:
 * 1 if made, 0 if they existed, -errno on failure. */
int xrfb_tls_make_cert(const char *cert, const char *key);

/* The server's RSA key for the RSA-AES security types (RA2_256, RA2,
 * RA2ne_256, RA2ne), which need a password or a plain check too: a PEM
 * file at @path (PKCS#1 "RSA PRIVATE KEY" or
 * PKCS#8 "PRIVATE KEY", 1024 to 8192 bits). With @create and no file at
 * @path, a 2048-bit key is made and written there with mode 0600. If
 * @fingerprint is not NULL, it gets (up to @size bytes, 24 are enough)
 * the key's fingerprint as TigerVNC's viewer shows it,
 * "xx-xx-xx-xx-xx-xx-xx-xx". Returns 1 if the key was made, 0 if it was
 * read, or -errno. */
int xrfb_server_set_rsa_key(struct xrfb_server *s, const char *path,
			    bool create, char *fingerprint, size_t size);
/* How ClientInit's shared flag is treated. */
int xrfb_server_set_shared_policy(struct xrfb_server *s,
				  enum xrfb_shared_policy policy);
/* The desktop name sent in ServerInit (UTF-8). */
int xrfb_server_set_desktop_name(struct xrfb_server *s, const char *name);
/* Ignore all input from clients. */
void xrfb_server_set_view_only(struct xrfb_server *s, bool view_only);
/* Limit updates per second per client (0 = no limit). */
void xrfb_server_set_max_fps(struct xrfb_server *s, unsigned fps);
/* Lossy encodings (Tight JPEG, for clients that send a quality level) only
 * where the picture moves, and what was sent lossy re-sent lossless once
 * it has been still for @ms milliseconds (default
 * XRFB_LOSSLESS_REFRESH_DEFAULT_MS; 0: off, lossy wherever the client
 * allows, never refreshed). */
#define XRFB_LOSSLESS_REFRESH_DEFAULT_MS 200
void xrfb_server_set_lossless_refresh(struct xrfb_server *s, unsigned ms);
/* Limit the CPU time spent on updates to @percent of one core on average
 * (0 = no limit, the default). What counts is the whole process's CPU
 * time from one update to the next, the caller's own work included, but
 * not the reading and parsing of what clients send (handshakes
 * included); an update that overspends makes the next ones wait until
 * the budget has earned it back. A quarter of a second of CPU time is
 * saved up over a quiet spell, so the first change after it is never
 * delayed. The budget is shared equally by the clients that had an
 * update within the last second, and the work they share. */
void xrfb_server_set_max_cpu(struct xrfb_server *s, unsigned percent);
/* Make the xrfb_server_set_max_cpu() budget yield to demand (false, the
 * default: a hard limit): CPU time the machine leaves idle may be spent
 * beyond it, judged every half second from /proc/stat and the CPU
 * pressure in /proc/pressure/cpu; while other programs want the CPU the
 * budget holds as set. Without /proc/stat it is a hard limit. */
void xrfb_server_set_cpu_yield(struct xrfb_server *s, bool yield);
/* Threads this server encodes updates with, the loop's thread included
 * (0: one per CPU, the default; 1: the loop's thread only; at most 64).
 * The threads start when the first update is encoded. */
int xrfb_server_set_encoder_threads(struct xrfb_server *s, unsigned threads);
/* Largest clipboard text the server holds (bytes, default 10 MiB):
 * longer text from xrfb_server_send_cut_text() or from a client is
 * refused. xrfb_server_set_clipboard_limits() sets lower limits for each
 * direction within it. */
void xrfb_server_set_clipboard_max(struct xrfb_server *s, uint32_t max);
/* Longest clipboard text taken from a client (larger is ignored, default
 * 256 KiB) and sent to a client without the Extended Clipboard (larger
 * is not sent to it, default 1 MiB). */
void xrfb_server_set_clipboard_limits(struct xrfb_server *s,
				      uint32_t from_viewer, uint32_t classic);
/* Look for moved content in pushed pixels (default on). */
void xrfb_server_set_move_detection(struct xrfb_server *s, bool on);

/* ---- server: the desktop ---------------------------------------------------- */

/* Framebuffer size. */
uint16_t xrfb_server_width(const struct xrfb_server *s);
uint16_t xrfb_server_height(const struct xrfb_server *s);
/* Resize the framebuffer; new areas are black, clients are told. */
int xrfb_server_resize(struct xrfb_server *s, uint16_t width, uint16_t height);
/* Push the pixels of a changed rectangle: @pixels points at the pixel for
 * (@x, @y), rows @stride bytes apart, XRGB8888. Only pixels that differ
 * from the server's copy are sent to clients. Clipped to the framebuffer;
 * -EINVAL for a negative size or missing pixels. */
int xrfb_server_update(struct xrfb_server *s, const void *pixels,
		       size_t stride, int x, int y, int w, int h);
/* One changed rectangle for xrfb_server_update_many(). */
struct xrfb_update {
	const void *pixels;	/* the pixel at (x, y), XRGB8888 */
	size_t stride;		/* bytes between rows */
	int x, y, w, h;
};
/* Push several changed rectangles of one moment at once. Content that
 * moved (scrolling, dragged windows) is found across all of them and sent
 * as CopyRect; everything else as with xrfb_server_update(). */
int xrfb_server_update_many(struct xrfb_server *s,
			    const struct xrfb_update *u, unsigned n);
/* The area of @w x @h at (@src_x, @src_y) moved to (@dst_x, @dst_y):
 * applied to the server's copy and sent to clients as CopyRect. */
int xrfb_server_copy_rect(struct xrfb_server *s, int src_x, int src_y,
			  int dst_x, int dst_y, int w, int h);
/* Read-only view of the server's framebuffer (valid until the next call
 * that changes it); *stride is set in bytes. */
const uint32_t *xrfb_server_pixels(const struct xrfb_server *s,
				   size_t *stride);
/* True while at least one client is waiting for an update, and once
 * shortly after each update (a change read then is ready when the
 * client asks again): a pixel source may skip capturing while this is
 * false. */
bool xrfb_server_wants_update(const struct xrfb_server *s);
/* Number of clients past the handshake. */
unsigned xrfb_server_client_count(const struct xrfb_server *s);
/* The monitor layout sent in ExtendedDesktopSize (default: one screen
 * covering the framebuffer). Screens must lie inside the framebuffer. */
int xrfb_server_set_screens(struct xrfb_server *s,
			    const struct xrfb_screen *screens, unsigned n);
/* The cursor image: @argb is w*h pixels 0xAARRGGBB (not premultiplied),
 * hotspot (hx, hy). Sent as a Cursor/XCursor pseudo-rectangle to clients
 * that ask for shapes and drawn into the pixels for the others.
 * w = h = 0 hides the cursor. */
int xrfb_server_set_cursor(struct xrfb_server *s, const uint32_t *argb,
			   uint16_t w, uint16_t h, uint16_t hx, uint16_t hy);
/* Where the pointer is now (moved by the desktop or another client). */
void xrfb_server_set_pointer_pos(struct xrfb_server *s, uint16_t x,
				 uint16_t y);
/* Keyboard LED state (XRFB_LED_* bits), sent to clients that ask. */
void xrfb_server_set_led_state(struct xrfb_server *s, unsigned leds);
/* Ring the bell on every client. */
int xrfb_server_bell(struct xrfb_server *s);
/* Set the clipboard of every client (UTF-8, LF line ends). Clients with
 * the Extended Clipboard get it as UTF-8; others as Latin-1. */
int xrfb_server_send_cut_text(struct xrfb_server *s, const char *text,
			      size_t len);

/* ---- other ways in: Unix sockets, adopted sockets ------------------------ */

/* Listen on a Unix stream socket at @path, created with permissions @mode
 * (0600 is the usual choice: only this user may connect). A stale socket
 * file left at @path is replaced; -EADDRINUSE if a server answers there,
 * -EEXIST if @path is something other than a socket. The file is removed
 * when the server is freed. */
int xrfb_server_listen_unix(struct xrfb_server *s, const char *path,
			    unsigned mode);
/* Accept connections on @fd, a listening stream socket made by someone
 * else (systemd socket activation, a parent process). The server owns
 * @fd from then on, also when this fails: -ENOTSOCK if it is not a
 * socket, -EINVAL if it is not a listening stream socket. */
int xrfb_server_listen_fd(struct xrfb_server *s, int fd);

/* Serve the connected stream socket @fd as a client (inetd, a
 * socketpair): the server owns @fd, also on failure. @name (NULL:
 * "fd N") names it in logs; @gone (may be NULL) is called once when the
 * connection is freed, whatever stage it reached (the handshake may
 * never have finished). NULL on failure. */
struct xrfb_client *xrfb_server_adopt(struct xrfb_server *s, int fd,
				      const char *name,
				      xrfb_client_fn gone, void *arg);

/* ---- connecting out: reverse connections and repeaters ------------------ */

struct xrfb_reverse;

enum xrfb_reverse_event {
	XRFB_REVERSE_CONNECTED,	/* connected: the RFB handshake starts */
	XRFB_REVERSE_FAILED,	/* resolving or connecting failed (@err) */
	XRFB_REVERSE_CLOSED,	/* the connection ended */
};

/* What became of an attempt; @err is a negative errno for FAILED (-ENXIO:
 * the name does not resolve), else 0. A retry, if configured, is already
 * planned when this is called; the callback may free @r. */
typedef void (*xrfb_reverse_fn)(void *arg, struct xrfb_reverse *r,
				enum xrfb_reverse_event ev, int err);

/* Connect out to a viewer listening on @host (a name or an address
 * literal), @port (0: 5500), or through an UltraVNC repeater (mode II)
 * there: @repeater_id (printable ASCII, at most 246 bytes) is sent first
 * as "ID:<id>" in a 250-byte block; NULL for a direct connection. Nothing
 * blocks: the name is resolved and the connection made on the loop, from
 * its next iteration on, so settings made right after this call apply to
 * the first attempt. The connection is served like any other client,
 * with the server's security type. NULL with errno EINVAL (bad host or
 * repeater ID) or ENOMEM. */
struct xrfb_reverse *xrfb_server_reverse(struct xrfb_server *s,
					 const char *host, uint16_t port,
					 const char *repeater_id);
/* Retry after a failure and connect again when the connection ends:
 * after 1 s, doubling after each failure up to @max_ms (0, the default:
 * a single attempt). */
void xrfb_reverse_set_retry(struct xrfb_reverse *r, unsigned max_ms);
/* What becomes of each attempt goes to @fn (NULL: nothing). */
void xrfb_reverse_on_event(struct xrfb_reverse *r, xrfb_reverse_fn fn,
			   void *arg);
/* Stop connecting and retrying; a connection that stands stays up as an
 * ordinary client. (The server frees what is left when it is freed.) */
void xrfb_reverse_free(struct xrfb_reverse *r);
/* The client of the connection that stands now, or NULL. */
struct xrfb_client *xrfb_reverse_client(const struct xrfb_reverse *r);
/* One attempt to reach a viewer listening on @host:@port (0: 5500),
 * without retries: non-blocking, the outcome is logged. 0 once started,
 * -EINVAL or -ENOMEM. */
int xrfb_server_connect(struct xrfb_server *s, const char *host,
			uint16_t port);

/* ---- WebSocket and the web client (doc/protocol.md, "WebSocket") ------- */

/* Listen on @addr:@port for WebSocket viewers only (and HTTP GET of the
 * web root's files); RFB starts after the WebSocket handshake. With a
 * certificate (xrfb_server_set_tls_cert()), a client that starts with a
 * TLS handshake gets HTTPS and WSS on the same port. */
int xrfb_server_listen_websocket(struct xrfb_server *s, const char *addr,
				 uint16_t port);
/* The same on a Unix stream socket at @path, made and replaced as by
 * xrfb_server_listen_unix() (permissions @mode; -EADDRINUSE if a server
 * answers there, -EEXIST if @path is not a socket): for a web server
 * that proxies WebSocket connections to a socket file. */
int xrfb_server_listen_websocket_unix(struct xrfb_server *s, const char *path,
				      unsigned mode);
/* On the RFB listeners, wait up to @ms for a new connection's first
 * bytes: "GET " or "HEAD " makes it HTTP or WebSocket, a TLS handshake
 * record (with a certificate set) HTTPS or WSS, anything else or
 * silence makes it RFB. 0 (the default): RFB only, greeted at once. */
void xrfb_server_set_websocket_detect(struct xrfb_server *s, unsigned ms);
/* Serve the files under @dir over HTTP GET on the listeners that speak
 * WebSocket (NULL: none, the default). -errno (-ENOTDIR, -ENOENT,
 * -EACCES) if @dir is not a readable directory. */
int xrfb_server_set_web_root(struct xrfb_server *s, const char *dir);
/* Accept WebSocket upgrades from pages of @origin too ("scheme://host" or
 * "scheme://host:port"). Without a password, only pages xrfb serves
 * itself and these origins may open a WebSocket; with one, any may. */
int xrfb_server_add_websocket_origin(struct xrfb_server *s,
				     const char *origin);
/* A WebSocket upgrade whose request target carries "token=@token" in its
 * query ("/websockify?token=..."): the viewer gets in without a
 * password and is view-only (its keys, pointer and clipboard are
 * ignored). A wrong token is refused (HTTP 403). @token is 16 to 128 of
 * [A-Za-z0-9_-] (-EINVAL otherwise); NULL (the default) turns it off.
 * Valid until changed or the server is freed. */
int xrfb_server_set_view_token(struct xrfb_server *s, const char *token);

/* ---- clients ------------------------------------------------------------------ */

/* A short id for log lines and callbacks. */
unsigned xrfb_client_id(const struct xrfb_client *c);
/* The peer address as text ("127.0.0.1:40000"). */
const char *xrfb_client_peer(const struct xrfb_client *c);
/* The server the client belongs to. */
struct xrfb_server *xrfb_client_server(const struct xrfb_client *c);
/* Attach your own pointer to a client (NULL at first). */
void xrfb_client_set_data(struct xrfb_client *c, void *data);
/* The pointer given to xrfb_client_set_data(). */
void *xrfb_client_data(const struct xrfb_client *c);
/* True if the client's input is ignored: the server is view-only or
 * the client came in with the view token. */
bool xrfb_client_view_only(const struct xrfb_client *c);
/* Disconnect a client (its gone event follows, if it was ready). */
void xrfb_client_close(struct xrfb_client *c);

/* Library version as "MAJOR.MINOR.PATCH". */
const char *xrfb_version(void);

#ifdef __cplusplus
}
#endif
#endif
