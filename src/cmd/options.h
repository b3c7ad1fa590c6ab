/* SPDX-License-Identifier: MIT */
/* Command line options of the xrfb program. */
#ifndef XRFB_OPTIONS_H
#define XRFB_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "xrfb.h"

#define OPTIONS_MAX_LISTEN 16
#define OPTIONS_MAX_CONNECT 16
/* Where listening viewers wait for --connect, by convention. */
#define OPTIONS_DEFAULT_CONNECT_PORT 5500
/* --unix-mode by default: only this user may connect. */
#define OPTIONS_DEFAULT_UNIX_MODE 0600
/* The longest wait between repeater connections without --connect-retry. */
#define OPTIONS_DEFAULT_REPEATER_RETRY 60
#define OPTIONS_MAX_SECURITY 15
#define OPTIONS_DEFAULT_PORT 5900
#define OPTIONS_DEFAULT_MAX_FPS 60
#define OPTIONS_MAX_ORIGINS 16
#define OPTIONS_DEFAULT_WEBSOCKET_DETECT 200
/* The web client served by default, when it is installed (Debian's noVNC). */
#define OPTIONS_DEFAULT_WEB "/usr/share/novnc"
/* --max-cpu by default: this share (percent) of all the machine's cores. */
#define OPTIONS_DEFAULT_CPU_SHARE 25
/* The seconds --record-on-failure keeps without --record-last. */
#define OPTIONS_DEFAULT_RECORD_LAST 60

/* Which X selections --clipboard exchanges with viewers (bits). */
#define OPTIONS_CLIP_CLIPBOARD 0x1u
#define OPTIONS_CLIP_PRIMARY 0x2u

/* One --connect, --repeater or --connect repeater=ID:nnn+HOST:PORT. */
struct options_connect {
	char *host;			/* malloc'ed, without brackets */
	uint16_t port;
	const char *repeater_id;	/* NULL: a listening viewer */
	bool repeater;			/* --repeater: the ID is --repeater-id */
	bool own_id;			/* repeater_id is malloc'ed */
};

struct options {
	const char *display;		/* NULL: $DISPLAY */
	bool create;			/* start our own Xvfb */
	int width, height, depth;	/* of that Xvfb */
	const char *session;		/* NULL: the default session */
	const char *listen[OPTIONS_MAX_LISTEN];
	unsigned n_listen;		/* 0: the defaults */
	bool listen_explicit;
	unsigned unix_mode;		/* of --listen unix:PATH sockets */
	struct options_connect connect[OPTIONS_MAX_CONNECT];
	unsigned n_connect;
	unsigned connect_retry;		/* seconds; 0: one attempt */
	const char *repeater_id;	/* --repeater-id */
	bool inetd;			/* standard input is the one client */
	int port;
	bool port_explicit;		/* --port given */
	const char *password_file;
	const char *rsa_key;		/* --rsa-key */
	bool no_auth;
	enum xrfb_shared_policy shared_policy;
	bool view_only;
	bool poll;
	unsigned max_fps;
	unsigned lossless_refresh;	/* ms; 0: off */
	int max_cpu;		/* percent of one core; 0: no limit; -1: the default */
	bool max_cpu_hard;	/* not even when the machine is idle */
	const char *desktop_name;
	enum xrfb_log_level log_level;
	unsigned clipboard;		/* OPTIONS_CLIP_* bits; 0: none */
	uint32_t clipboard_max;		/* bytes */
	uint32_t viewer_clipboard_max;	/* bytes taken from a viewer */
	uint32_t classic_clipboard_max;	/* bytes sent to a classic viewer */
	bool allow_resize;		/* SetDesktopSize on a real display */
	bool reattach;			/* wait for a lost display to return */
	unsigned reattach_s;		/* ... at most this long; 0: forever */
	int websocket_port;		/* -1: none */
	const char *websocket_unix;	/* --websocket-unix PATH, or NULL */
	bool https;			/* --https: a certificate in any case */
	unsigned websocket_detect_ms;	/* 0: RFB only on the RFB port */
	const char *origins[OPTIONS_MAX_ORIGINS];
	unsigned n_origins;
	const char *web;		/* NULL: the default, or none */
	bool web_explicit;		/* --web or --no-web given */
	const char *view_token;		/* --view-token, or NULL */
	bool no_view_token;		/* --no-view-token */
	/* xrfb run */
	bool run;
	char **run_argv;		/* CMD and its arguments */
	const char *screenshot_on_failure;	/* a directory, or NULL */
	const char *record;		/* --record FILE, or NULL */
	bool record_on_failure;
	unsigned record_last_s;		/* 0: keep all of it */
	/* the ready record and the control socket */
	int ready_fd;			/* -1: none */
	const char *ready_file;
	bool control;			/* serve the control socket */
	const char *control_path;	/* NULL: the default path */
	uint32_t security[OPTIONS_MAX_SECURITY];	/* --security */
	unsigned n_security;		/* 0: the defaults */
	bool require_encryption;
	int handshake_timeout;		/* seconds; -1: the default */
	const char *tls_cert, *tls_key;
	const char *tls_priority;
	const char *pam_service;	/* NULL: no Plain types */
	const char *users;		/* --users: NULL: any PAM user */
	const char *view_users;		/* --view-only-users */
};

/* Parse the command line into @o: `xrfb [OPTION]...` or `xrfb run
 * [OPTION]... [--] CMD [ARG]...`. Returns 0 to go on, 1 when done
 * (--help, --version printed), or -EINVAL after printing one line about
 * what is wrong (exit status 2). */
int options_parse(struct options *o, int argc, char **argv);
/* Whether anyone who reaches the port gets in without a credential
 * (then the server listens on loopback only, unless --no-auth). */
bool options_open_to_all(const struct options *o);
/* Print the usage text (of `xrfb run` with @run). */
void options_usage(FILE *f, bool run);
/* True for an IPv4 or IPv6 loopback address (v4-mapped included). */
bool options_addr_is_loopback(const struct sockaddr *sa);
/* Free what options_parse() allocated. */
void options_fini(struct options *o);
/* Read the passwords from @path: the first line of a text file, or the
 * first 8 bytes of an obfuscated vncpasswd file; the second line, or
 * the next 8 bytes, is the view-only password (*view_password NULL if
 * there is none). Both are malloc'ed. 0 or -errno, after printing one
 * line about what is wrong. */
int options_read_password(const char *path, char **password,
			  char **view_password);

#endif
