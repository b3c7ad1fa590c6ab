/* SPDX-License-Identifier: MIT */
/*
 * options: the command line of the xrfb program (getopt_long), its
 * validation, --help, and reading the password file. A bad option or
 * value is one line on stderr and exit status 2; nothing here starts
 * anything.
 *
 * The safe default lives here too: without a password the server listens
 * on loopback only, and an explicit non-loopback --listen needs either a
 * password or --no-auth.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "options.h"
#include "sec-vncauth.h"

/* Largest password file we read; only the first line matters. */
#define OPTIONS_MAX_PASSWORD_FILE 4096
/* --clipboard-max may not go beyond this (a provide message of that
 * size still fits the S32 length of the extended clipboard). */
#define OPTIONS_CLIPBOARD_MAX_LIMIT (1ul << 30)

enum {
	OPT_DISPLAY = 256,
	OPT_CREATE,
	OPT_SESSION,
	OPT_LISTEN,
	OPT_PORT,
	OPT_PASSWORD_FILE,
	OPT_RSA_KEY,
	OPT_NO_AUTH,
	OPT_SHARED_POLICY,
	OPT_VIEW_ONLY,
	OPT_POLL,
	OPT_MAX_FPS,
	OPT_LOSSLESS_REFRESH,
	OPT_MAX_CPU,
	OPT_MAX_CPU_HARD,
	OPT_DESKTOP_NAME,
	OPT_LOG_LEVEL,
	OPT_CLIPBOARD,
	OPT_CLIPBOARD_MAX,
	OPT_VIEWER_CLIPBOARD_MAX,
	OPT_CLASSIC_CLIPBOARD_MAX,
	OPT_ALLOW_RESIZE,
	OPT_REATTACH,
	OPT_WEBSOCKET_PORT,
	OPT_WEBSOCKET_UNIX,
	OPT_HTTPS,
	OPT_WEBSOCKET_DETECT,
	OPT_WEBSOCKET_ORIGIN,
	OPT_WEB,
	OPT_NO_WEB,
	OPT_VIEW_TOKEN,
	OPT_NO_VIEW_TOKEN,
	OPT_SIZE,
	OPT_READY_FD,
	OPT_READY_FILE,
	OPT_CONTROL,
	OPT_SCREENSHOT_ON_FAILURE,
	OPT_UNIX_MODE,
	OPT_CONNECT,
	OPT_CONNECT_RETRY,
	OPT_REPEATER,
	OPT_REPEATER_ID,
	OPT_INETD,
	OPT_RECORD,
	OPT_RECORD_ON_FAILURE,
	OPT_RECORD_LAST,
	OPT_SECURITY,
	OPT_HANDSHAKE_TIMEOUT,
	OPT_PAM_SERVICE,
	OPT_USERS,
	OPT_VIEW_ONLY_USERS,
	OPT_REQUIRE_ENCRYPTION,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_PRIORITY,
};

static const struct option long_options[] = {
	{ "display", required_argument, NULL, OPT_DISPLAY },
	{ "create", optional_argument, NULL, OPT_CREATE },
	{ "session", required_argument, NULL, OPT_SESSION },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "rsa-key", required_argument, NULL, OPT_RSA_KEY },
	{ "no-auth", no_argument, NULL, OPT_NO_AUTH },
	{ "shared-policy", required_argument, NULL, OPT_SHARED_POLICY },
	{ "view-only", no_argument, NULL, OPT_VIEW_ONLY },
	{ "poll", no_argument, NULL, OPT_POLL },
	{ "max-fps", required_argument, NULL, OPT_MAX_FPS },
	{ "lossless-refresh", required_argument, NULL, OPT_LOSSLESS_REFRESH },
	{ "max-cpu", required_argument, NULL, OPT_MAX_CPU },
	{ "max-cpu-hard", no_argument, NULL, OPT_MAX_CPU_HARD },
	{ "desktop-name", required_argument, NULL, OPT_DESKTOP_NAME },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "clipboard", required_argument, NULL, OPT_CLIPBOARD },
	{ "clipboard-max", required_argument, NULL, OPT_CLIPBOARD_MAX },
	{ "viewer-clipboard-max", required_argument, NULL,
	  OPT_VIEWER_CLIPBOARD_MAX },
	{ "classic-clipboard-max", required_argument, NULL,
	  OPT_CLASSIC_CLIPBOARD_MAX },
	{ "allow-resize", no_argument, NULL, OPT_ALLOW_RESIZE },
	{ "reattach", optional_argument, NULL, OPT_REATTACH },
	{ "websocket-port", required_argument, NULL, OPT_WEBSOCKET_PORT },
	{ "websocket-unix", required_argument, NULL, OPT_WEBSOCKET_UNIX },
	{ "https", no_argument, NULL, OPT_HTTPS },
	{ "websocket-detect", required_argument, NULL, OPT_WEBSOCKET_DETECT },
	{ "websocket-origin", required_argument, NULL, OPT_WEBSOCKET_ORIGIN },
	{ "web", required_argument, NULL, OPT_WEB },
	{ "no-web", no_argument, NULL, OPT_NO_WEB },
	{ "view-token", required_argument, NULL, OPT_VIEW_TOKEN },
	{ "no-view-token", no_argument, NULL, OPT_NO_VIEW_TOKEN },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "ready-fd", required_argument, NULL, OPT_READY_FD },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ "control", optional_argument, NULL, OPT_CONTROL },
	{ "screenshot-on-failure", required_argument, NULL,
	  OPT_SCREENSHOT_ON_FAILURE },
	{ "unix-mode", required_argument, NULL, OPT_UNIX_MODE },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "connect-retry", required_argument, NULL, OPT_CONNECT_RETRY },
	{ "repeater", required_argument, NULL, OPT_REPEATER },
	{ "repeater-id", required_argument, NULL, OPT_REPEATER_ID },
	{ "inetd", no_argument, NULL, OPT_INETD },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "record-on-failure", no_argument, NULL, OPT_RECORD_ON_FAILURE },
	{ "record-last", required_argument, NULL, OPT_RECORD_LAST },
	{ "security", required_argument, NULL, OPT_SECURITY },
	{ "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT },
	{ "pam-service", required_argument, NULL, OPT_PAM_SERVICE },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "view-only-users", required_argument, NULL, OPT_VIEW_ONLY_USERS },
	{ "require-encryption", no_argument, NULL, OPT_REQUIRE_ENCRYPTION },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-priority", required_argument, NULL, OPT_TLS_PRIORITY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char usage_run[] =
	"Usage: xrfb run [OPTION]... [--] CMD [ARG]...\n"
	"Run CMD in a private virtual X server (Xvfb) served to VNC viewers,\n"
	"with DISPLAY and XAUTHORITY set; exit with CMD's status.\n"
	"\n"
	"  --size WxHxD          the Xvfb screen (default 1920x1080x24)\n"
	"  --screenshot-on-failure DIR\n"
	"                        when CMD fails, save the screen in DIR as a "
	"PNG\n"
	"  --record FILE.fbs     record the screen (play it with xrfb play)\n"
	"  --record-on-failure   keep the recording only if CMD fails (its "
	"last 60 s\n"
	"                        unless --record-last says otherwise)\n"
	"  --record-last N       keep only its last N seconds (and the screen "
	"then);\n"
	"                        meanwhile a ring of files FILE.fbs.partK "
	"holds them\n"
	"  --control[=PATH]      the control socket (always on; default\n"
	"                        $XDG_RUNTIME_DIR/xrfb/N.sock for display :N)\n"
	"  --ready-fd N, --ready-file PATH\n"
	"                        write a JSON ready record there once X, the "
	"listeners\n"
	"                        and CMD are up\n"
	"  --port N              also listen on TCP, on loopback (0: a free "
	"port);\n"
	"                        by default run listens on a Unix socket "
	"only,\n"
	"                        $XDG_RUNTIME_DIR/xrfb/run-PID.sock\n"
	"  --listen ADDR         listen there instead (unix:PATH, an "
	"address)\n"
	"  ...and the options of `xrfb --help` except --display, --create and\n"
	"  --session.\n"
	"\n"
	"SIGINT, SIGTERM and SIGHUP are passed on to CMD's process group.\n"
	"Xvfb, CMD and every file are removed when xrfb ends, also when it "
	"is killed.\n"
	"\n"
	"Exit status: CMD's (128+N if a signal N ended it); 2 on a bad "
	"command line;\n"
	"122 if X could not start; 123 if X ended during the run; 125 if "
	"xrfb could\n"
	"not set up otherwise; 126 if CMD could not be run; 127 if CMD was "
	"not found.\n";

void options_usage(FILE *f, bool run)
{
	if (run) {
		fputs(usage_run, f);
		return;
	}
	fputs("Usage: xrfb [OPTION]...\n"
	      "       xrfb run [OPTION]... [--] CMD [ARG]...  (see xrfb run "
	      "--help)\n"
	      "       xrfb ctl [--control PATH] [--json] COMMAND  (see xrfb "
	      "ctl --help)\n"
	      "       xrfb play [OPTION]... FILE.fbs  (see xrfb play --help)\n"
	      "       xrfb export FILE.fbs --png-at S OUT.png | --webm "
	      "OUT.webm\n"
	      "Serve an X display to VNC (RFB) viewers.\n"
	      "\n"
	      "Display:\n"
	      "  --display DPY         the X display to share (default: "
	      "$DISPLAY)\n"
	      "  --reattach[=SECS]     when that X server ends, wait for it "
	      "to come back\n"
	      "                        (at most SECS seconds) and serve it "
	      "again\n"
	      "  --create[=WxHxD]      start a virtual X server (Xvfb) "
	      "instead;\n"
	      "                        default 1920x1080x24\n"
	      "  --session CMD         with --create: run CMD (via /bin/sh "
	      "-c) in it;\n"
	      "                        default: a window manager and a "
	      "terminal\n"
	      "  --poll                read the whole screen periodically "
	      "instead of\n"
	      "                        using XDamage\n"
	      "\n"
	      "Network and security:\n"
	      "  --listen ADDR         listen on ADDR (repeatable); default "
	      "127.0.0.1 and\n"
	      "                        ::1, or 0.0.0.0 and :: with a "
	      "password or --no-auth;\n"
	      "                        unix:PATH for a Unix socket, which "
	      "needs no password\n"
	      "                        (its permissions decide who may "
	      "connect)\n"
	      "  --unix-mode MODE      permissions of those sockets (octal, "
	      "default 0600)\n"
	      "  --port N              TCP port (default 5900; 0: any free "
	      "port)\n"
	      "  --password-file FILE  require VNC authentication with the "
	      "password in\n"
	      "                        FILE (first line, or a vncpasswd "
	      "file); a second\n"
	      "                        line (or vncpasswd password) lets "
	      "viewers watch only\n"
	      "  --no-auth             allow non-loopback connections "
	      "without a password\n"
	      "  --security LIST       security types offered, most "
	      "preferred first:\n"
	      "                        RA2_256, RA2, RA2ne_256, RA2ne, "
	      "X509Plain,\n"
	      "                        TLSPlain, X509Vnc, TLSVnc, X509None, "
	      "TLSNone,\n"
	      "                        Plain, VncAuth, None (default with a "
	      "password:\n"
	      "                        RA2_256,RA2,RA2ne_256,RA2ne,X509Vnc,"
	      "TLSVnc,VncAuth)\n"
	      "  --require-encryption  offer only types that encrypt the "
	      "session (RA2,\n"
	      "                        RA2_256, TLS*, X509*)\n"
	      "  --rsa-key FILE        RSA private key (PEM) of the RSA-AES "
	      "types; default:\n"
	      "                        rsa-key.pem in the state directory, "
	      "made on first use\n"
	      "  --tls-cert FILE       certificate (PEM) of the X509 types; "
	      "default: a\n"
	      "                        self-signed one made on first use in "
	      "the state\n"
	      "                        directory ($XDG_STATE_HOME/xrfb or "
	      "/var/lib/xrfb)\n"
	      "  --tls-key FILE        its private key (PEM)\n"
	      "  --tls-priority STR    GnuTLS priority string (default: the "
	      "system's)\n"
	      "  --pam-service NAME    check user names and passwords with "
	      "PAM (the Plain\n"
	      "                        types, and RSA-AES, which then asks "
	      "for a user name;\n"
	      "                        default types with it: RA2_256,RA2,"
	      "RA2ne_256,RA2ne,\n"
	      "                        X509Plain,TLSPlain, then those of a "
	      "password)\n"
	      "  --users LIST          only these users (comma-separated) "
	      "may log in\n"
	      "  --view-only-users LIST  these users may only watch\n"
	      "  --handshake-timeout N close a connection whose handshake "
	      "is not done\n"
	      "                        within N seconds (default 30; 0: "
	      "never)\n"
	      "  --shared-policy P     always, never or allow (default): "
	      "how a client's\n"
	      "                        shared flag is treated\n"
	      "  --view-only           ignore keyboard and pointer input "
	      "from clients\n"
	      "\n"
	      "Browsers (WebSocket and the web client):\n"
	      "  --websocket-port N    also listen on port N for WebSocket "
	      "viewers only\n"
	      "                        (0: any free port)\n"
	      "  --websocket-unix PATH also listen for WebSocket viewers "
	      "only on a Unix\n"
	      "                        socket at PATH (--unix-mode), e.g. "
	      "for a web server\n"
	      "                        that proxies /websockify to it\n"
	      "  --websocket-detect MS on the RFB port, wait up to MS "
	      "milliseconds for a\n"
	      "                        client's first bytes: \"GET \" is "
	      "HTTP/WebSocket,\n"
	      "                        anything else or silence RFB "
	      "(default 200;\n"
	      "                        0: RFB only on that port)\n"
	      "  --web DIR             serve the web client in DIR over "
	      "HTTP on those\n"
	      "                        ports (default " OPTIONS_DEFAULT_WEB
	      " when\n"
	      "                        present), e.g. "
	      "http://127.0.0.1:5900/vnc.html\n"
	      "  --no-web              serve no files, WebSocket only\n"
	      "  --https               make or load the TLS certificate "
	      "(--tls-cert) even\n"
	      "                        when no X509 type needs it. With a "
	      "certificate, those\n"
	      "                        ports speak HTTPS and WSS too, told "
	      "apart by the\n"
	      "                        first byte: https://127.0.0.1:5900/"
	      "vnc.html\n"
	      "  --websocket-origin O  also accept WebSockets from pages of "
	      "origin O\n"
	      "                        (scheme://host[:port], repeatable); "
	      "without a\n"
	      "                        password only xrfb's own pages may "
	      "connect\n"
	      "  --view-token T        a browser whose WebSocket path carries "
	      "token=T\n"
	      "                        watches without a password, view-only "
	      "(T: 16-128\n"
	      "                        of A-Z a-z 0-9 _ -); run makes a "
	      "random one,\n"
	      "                        valid until xrfb exits, and logs its "
	      "URL\n"
	      "  --no-view-token       no view token (run's default is one)\n"
	      "\n"
	      "Connecting out (needs no password: you name the viewer):\n"
	      "  --connect HOST[:PORT] connect to a viewer listening there "
	      "(default port\n"
	      "                        5500, [IPv6]:PORT; repeatable); "
	      "repeater=ID:N+HOST:PORT\n"
	      "                        is the same as --repeater HOST:PORT "
	      "--repeater-id N\n"
	      "  --connect-retry SECS  keep trying, waiting at most SECS "
	      "between tries, and\n"
	      "                        connect again when the viewer leaves\n"
	      "  --repeater HOST:PORT  connect to an UltraVNC repeater (mode "
	      "II) and wait\n"
	      "                        there for a viewer; again after each "
	      "session\n"
	      "  --repeater-id ID      the ID a viewer gives the repeater to "
	      "reach us\n"
	      "\n"
	      "Service managers:\n"
	      "  --inetd               serve the one connection on standard "
	      "input, then exit\n"
	      "                        (inetd, systemd Accept=yes)\n"
	      "  Sockets passed by systemd (LISTEN_FDS) are served instead of "
	      "the default\n"
	      "  addresses; readiness goes to NOTIFY_SOCKET (Type=notify).\n"
	      "\n"
	      "Desktop:\n"
	      "  --clipboard WHICH     both (default), clipboard, primary or "
	      "none: the X\n"
	      "                        selections shared with viewers\n"
	      "  --clipboard-max N     largest clipboard text in bytes, "
	      "with an optional\n"
	      "                        K or M suffix (default 10M)\n"
	      "  --viewer-clipboard-max N  largest clipboard text taken "
	      "from a viewer;\n"
	      "                        larger is ignored (default 256K)\n"
	      "  --classic-clipboard-max N  largest clipboard text sent to a "
	      "viewer\n"
	      "                        without the Extended Clipboard; "
	      "larger is not\n"
	      "                        sent to it (default 1M)\n"
	      "  --allow-resize        let viewers resize a real display "
	      "(an Xvfb is\n"
	      "                        always resizable)\n"
	      "\n"
	      "Automation:\n"
	      "  --control[=PATH]      serve the control socket of `xrfb "
	      "ctl` (default\n"
	      "                        $XDG_RUNTIME_DIR/xrfb/N.sock for "
	      "display :N)\n"
	      "  --ready-fd N          write a JSON ready record to fd N when "
	      "serving\n"
	      "  --ready-file PATH     ... or to PATH (written atomically)\n"
	      "  --record FILE.fbs     record the screen (see xrfb play, "
	      "xrfb export)\n"
	      "  --record-last N       keep only its last N seconds (a ring "
	      "of files\n"
	      "                        FILE.fbs.partK meanwhile)\n"
	      "\n"
	      "Other:\n"
	      "  --max-fps N           at most N updates per second per "
	      "client\n"
	      "                        (default 60; 0: no limit)\n"
	      "  --lossless-refresh MS JPEG and H.264 only where the screen "
	      "moves, re-sent\n"
	      "                        lossless once still for MS ms "
	      "(default 200; 0: off)\n"
	      "  --max-cpu N           at most N % of one CPU core for "
	      "capturing and\n"
	      "                        encoding while other programs want "
	      "the CPU; more\n"
	      "                        of what the machine leaves idle "
	      "(default: a quarter\n"
	      "                        of all cores; 0: no limit)\n"
	      "  --max-cpu-hard        keep to --max-cpu also when the "
	      "machine is idle\n"
	      "  --desktop-name NAME   the desktop name shown by viewers\n"
	      "  --log-level LEVEL     error, warn, info (default), debug "
	      "or trace\n"
	      "  -h, --help            show this help and exit\n"
	      "  -V, --version         show the version and exit\n"
	      "\n"
	      "Examples (more in the manual page):\n"
	      "  xrfb --display :0 --connect helper.example.org "
	      "--connect-retry 30\n"
	      "      call a helper's listening viewer (vncviewer -listen), "
	      "from behind NAT\n"
	      "  xrfb --display :0 --repeater rep.example.org:5500 "
	      "--repeater-id 1234\n"
	      "      wait at an UltraVNC repeater for the viewer that asks "
	      "for ID 1234\n"
	      "  xrfb --create --listen unix:$XDG_RUNTIME_DIR/xrfb.sock\n"
	      "      a desktop on a Unix socket only this user can reach\n"
	      "  systemd: ListenStream=127.0.0.1:5900 in xrfb.socket, "
	      "Type=notify in\n"
	      "      xrfb.service; inetd: xrfb --inetd --create\n"
	      "\n"
	      "Exit status: 0 on success, 1 on a run-time error, 2 on a bad "
	      "command line;\n"
	      "with --create, the exit status of the session.\n",
	      f);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr about a bad command line; always -EINVAL. */
static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("xrfb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see xrfb --help)\n", stderr);
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A byte count with an optional K or M suffix (binary units), at most
 * OPTIONS_CLIPBOARD_MAX_LIMIT. */
static int parse_size(const char *s, unsigned long *out)
{
	unsigned long v, mult = 1;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		mult = 1ul << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1ul << 20;
	if (mult > 1)
		end++;
	if (*end || v > OPTIONS_CLIPBOARD_MAX_LIMIT / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_geometry(struct options *o, const char *s)
{
	unsigned long w, h, d = 24;
	char *end;

	if (!s)
		return 0;
	errno = 0;
	w = strtoul(s, &end, 10);
	if (errno || end == s || *end != 'x')
		return -EINVAL;
	s = end + 1;
	h = strtoul(s, &end, 10);
	if (errno || end == s || (*end && *end != 'x'))
		return -EINVAL;
	if (*end) {
		s = end + 1;
		d = strtoul(s, &end, 10);
		if (errno || end == s || *end)
			return -EINVAL;
	}
	if (w < 1 || w > 32767 || h < 1 || h > 32767)
		return -EINVAL;
	if (d != 8 && d != 15 && d != 16 && d != 24 && d != 30)
		return -EINVAL;
	o->width = (int)w;
	o->height = (int)h;
	o->depth = (int)d;
	return 0;
}

bool options_addr_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
			sin6->sin6_addr.s6_addr[12] == 127);
	return false;
}

/* True if every address @host stands for is a loopback address. */
static bool host_is_loopback(const char *host)
{
	struct addrinfo hints, *res, *ai;
	bool loopback = true;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (ai = res; ai; ai = ai->ai_next)
		if (!options_addr_is_loopback(ai->ai_addr))
			loopback = false;
	freeaddrinfo(res);
	return loopback;
}

/* "HOST", "HOST:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 literal. */
static int parse_host_port(const char *arg, uint16_t default_port,
			   struct options_connect *c)
{
	const char *host = arg, *port = NULL, *colon;
	size_t n = strlen(arg);
	unsigned long v;

	if (arg[0] == '[') {
		const char *rb = strchr(arg, ']');

		if (!rb || (rb[1] && rb[1] != ':'))
			return -EINVAL;
		host = arg + 1;
		n = (size_t)(rb - host);
		port = rb[1] ? rb + 2 : NULL;
	} else if ((colon = strchr(arg, ':')) && !strchr(colon + 1, ':')) {
		n = (size_t)(colon - arg);
		port = colon + 1;
	}
	if (n == 0)
		return -EINVAL;
	c->port = default_port;
	if (port) {
		if (parse_uint(port, 65535, &v) < 0 || v == 0)
			return -EINVAL;
		c->port = (uint16_t)v;
	}
	c->host = xmalloc(n + 1);
	memcpy(c->host, host, n);
	c->host[n] = '\0';
	return 0;
}

/* A repeater ID as sent in "ID:<id>": printable ASCII without spaces,
 * short enough for the 250-byte block. */
static bool is_repeater_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 246)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~')
			return false;
	return true;
}

static struct options_connect *add_connect(struct options *o)
{
	if (o->n_connect == OPTIONS_MAX_CONNECT)
		return NULL;
	return &o->connect[o->n_connect++];
}

/* --connect HOST[:PORT], or x11vnc's repeater=ID:NNN+HOST[:PORT]. */
static int parse_connect(struct options *o, const char *arg)
{
	struct options_connect *c = add_connect(o);
	const char *plus;
	char *id;

	if (!c)
		return bad("too many --connect and --repeater options");
	if (strncmp(arg, "repeater=", 9) != 0) {
		if (parse_host_port(arg, OPTIONS_DEFAULT_CONNECT_PORT, c) < 0)
			return bad("--connect: bad address '%s' (want "
				   "HOST[:PORT] or [IPv6]:PORT)",
				   arg);
		return 0;
	}
	arg += 9;
	plus = strchr(arg, '+');
	if (strncmp(arg, "ID:", 3) != 0 || !plus)
		return bad("--connect: want repeater=ID:NNN+HOST:PORT "
			   "(UltraVNC mode II)");
	id = xmalloc((size_t)(plus - arg - 3) + 1);
	memcpy(id, arg + 3, (size_t)(plus - arg - 3));
	id[plus - arg - 3] = '\0';
	c->repeater_id = id;
	c->own_id = true;
	if (!is_repeater_id(c->repeater_id))
		return bad("--connect: bad repeater ID '%s'", c->repeater_id);
	if (parse_host_port(plus + 1, OPTIONS_DEFAULT_CONNECT_PORT, c) < 0)
		return bad("--connect: bad repeater address '%s'", plus + 1);
	return 0;
}

/* --repeater HOST[:PORT]; the ID comes from --repeater-id. */
static int parse_repeater(struct options *o, const char *arg)
{
	struct options_connect *c = add_connect(o);

	if (!c)
		return bad("too many --connect and --repeater options");
	if (parse_host_port(arg, OPTIONS_DEFAULT_CONNECT_PORT, c) < 0)
		return bad("--repeater: bad address '%s' (want HOST:PORT)",
			   arg);
	c->repeater = true;
	return 0;
}

static int validate_ways_in(struct options *o)
{
	bool repeater = false;

	for (unsigned i = 0; i < o->n_connect; i++)
		if (o->connect[i].repeater_id || o->connect[i].repeater)
			repeater = true;
	if (o->repeater_id && !repeater)
		return bad("--repeater-id needs --repeater");
	for (unsigned i = 0; i < o->n_connect; i++) {
		if (!o->connect[i].repeater)
			continue;
		if (!o->repeater_id)
			return bad("--repeater needs --repeater-id");
		o->connect[i].repeater_id = o->repeater_id;
	}
	if (o->inetd && (o->n_listen || o->n_connect || o->websocket_unix))
		return bad("--inetd serves standard input only: no --listen, "
			   "--websocket-unix, --connect or --repeater with "
			   "it");
	return 0;
}

static bool is_unix_listen(const char *addr)
{
	return strncmp(addr, "unix:", 5) == 0;
}

bool options_open_to_all(const struct options *o)
{
	if (!o->n_security)
		return !o->password_file && !o->pam_service;
	for (unsigned i = 0; i < o->n_security; i++)
		if (o->security[i] == XRFB_SEC_NONE ||
		    o->security[i] == XRFB_SEC_TLS_NONE ||
		    o->security[i] == XRFB_SEC_X509_NONE)
			return true;
	return false;
}

static int validate(struct options *o)
{
	unsigned i;
	int r;

	if (o->run && (o->display || o->session))
		return bad("run starts its own X server and runs CMD: no "
			   "--display, --create or --session");
	if (o->run && !o->run_argv)
		return bad("run needs a command: xrfb run [OPTION]... -- CMD");
	if (o->record_last_s && !o->record)
		return bad("--record-last needs --record");
	if (o->record_on_failure && !(o->run && o->record))
		return bad("--record-on-failure needs run and --record");
	if (o->record_on_failure && !o->record_last_s)
		o->record_last_s = OPTIONS_DEFAULT_RECORD_LAST;
	if (o->screenshot_on_failure && !o->run)
		return bad("--screenshot-on-failure is an option of run");
	if (o->display && o->create)
		return bad("--display and --create exclude each other");
	if (o->reattach && (o->create || o->run))
		return bad("--reattach is for a display xrfb did not start: "
			   "not with --create or run");
	if (o->session && !o->create)
		return bad("--session needs --create");
	if (o->no_auth && o->password_file && !o->n_security)
		return bad("--no-auth and --password-file exclude each other");
	r = validate_ways_in(o);
	if (r < 0)
		return r;
	if (!o->tls_cert != !o->tls_key)
		return bad("--tls-cert and --tls-key go together");
	if ((o->users || o->view_users) && !o->pam_service)
		return bad("--users and --view-only-users need --pam-service");
	for (i = 0; i < o->n_security; i++) {
		uint32_t t = o->security[i];

		if ((t == XRFB_SEC_VNC_AUTH || t == XRFB_SEC_TLS_VNC ||
		     t == XRFB_SEC_X509_VNC) && !o->password_file)
			return bad("--security %s needs --password-file",
				   xrfb_security_name(t));
		if ((t == XRFB_SEC_PLAIN || t == XRFB_SEC_TLS_PLAIN ||
		     t == XRFB_SEC_X509_PLAIN) && !o->pam_service)
			return bad("--security %s needs --pam-service",
				   xrfb_security_name(t));
		if ((t == XRFB_SEC_RA2 || t == XRFB_SEC_RA2NE ||
		     t == XRFB_SEC_RA2_256 || t == XRFB_SEC_RA2NE_256) &&
		    !o->pam_service && !o->password_file)
			return bad("--security %s needs --password-file or "
				   "--pam-service", xrfb_security_name(t));
	}
	if (o->password_file || o->no_auth || !options_open_to_all(o))
		return 0;
	/* No password: loopback only, unless --no-auth says otherwise.
	 * Unix sockets have permissions, and connecting out goes only to
	 * the peer the operator named. */
	for (i = 0; i < o->n_listen; i++)
		if (!is_unix_listen(o->listen[i]) &&
		    !host_is_loopback(o->listen[i]))
			return bad("--listen %s is not a loopback address: "
				   "use --password-file, or --no-auth to "
				   "serve it without a password",
				   o->listen[i]);
	return 0;
}

/* "--name=value" for a known option that takes no value. */
static bool takes_no_value(const char *opt)
{
	size_t n = strcspn(opt, "=");
	const struct option *lo;

	if (strncmp(opt, "--", 2) != 0 || !opt[n])
		return false;
	for (lo = long_options; lo->name; lo++)
		if (lo->has_arg == no_argument &&
		    strlen(lo->name) == n - 2 &&
		    !strncmp(lo->name, opt + 2, n - 2))
			return true;
	return false;
}

/* "X509Vnc,TLSVnc,VncAuth": TigerVNC's names, case-insensitive. */
static int parse_security(struct options *o, const char *arg)
{
	char name[32];
	const char *p = arg;

	o->n_security = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		uint32_t t;

		if (n == 0 || n >= sizeof(name))
			return bad("--security: bad list '%s'", arg);
		memcpy(name, p, n);
		name[n] = '\0';
		t = xrfb_security_type(name);
		if (!t)
			return bad("--security: unknown type '%s' (RA2_256, "
				   "RA2, RA2ne_256, RA2ne, X509Plain, "
				   "TLSPlain, X509Vnc, TLSVnc, X509None, "
				   "TLSNone, Plain, VncAuth, None)",
				   name);
		for (unsigned i = 0; i < o->n_security; i++)
			if (o->security[i] == t)
				return bad("--security: '%s' twice", name);
		if (o->n_security == OPTIONS_MAX_SECURITY)
			return bad("--security: too many types");
		o->security[o->n_security++] = t;
		p += n;
		if (*p == ',' && *++p == '\0')
			return bad("--security: bad list '%s'", arg);
	}
	if (!o->n_security)
		return bad("--security needs at least one type");
	return 0;
}

static int parse_one(struct options *o, int c, const char *arg,
		     const char *opt)
{
	unsigned long v;
	int level;

	switch (c) {
	case OPT_DISPLAY:
		o->display = arg;
		return 0;
	case OPT_CREATE:
		if (o->run)
			return bad("run starts its own X server: use --size, "
				   "not --create");
		o->create = true;
		if (parse_geometry(o, arg) < 0)
			return bad("--create: bad geometry '%s' (want WxH or "
				   "WxHxD, depth 8, 15, 16, 24 or 30)",
				   arg);
		return 0;
	case OPT_SESSION:
		o->session = arg;
		return 0;
	case OPT_LISTEN:
		if (!*arg || !strcmp(arg, "unix:"))
			return bad("--listen needs an address");
		if (o->n_listen == OPTIONS_MAX_LISTEN)
			return bad("too many --listen options");
		o->listen[o->n_listen++] = arg;
		return 0;
	case OPT_PORT:
		if (parse_uint(arg, 65535, &v) < 0)
			return bad("--port: bad port '%s' (0-65535)", arg);
		o->port = (int)v;
		o->port_explicit = true;
		return 0;
	case OPT_PASSWORD_FILE:
		o->password_file = arg;
		return 0;
	case OPT_RSA_KEY:
		o->rsa_key = arg;
		return 0;
	case OPT_NO_AUTH:
		o->no_auth = true;
		return 0;
	case OPT_SHARED_POLICY:
		if (!strcmp(arg, "always"))
			o->shared_policy = XRFB_SHARED_ALWAYS;
		else if (!strcmp(arg, "never"))
			o->shared_policy = XRFB_SHARED_NEVER;
		else if (!strcmp(arg, "allow"))
			o->shared_policy = XRFB_SHARED_ALLOW;
		else
			return bad("--shared-policy: bad value '%s' (always, "
				   "never or allow)",
				   arg);
		return 0;
	case OPT_VIEW_ONLY:
		o->view_only = true;
		return 0;
	case OPT_POLL:
		o->poll = true;
		return 0;
	case OPT_MAX_FPS:
		if (parse_uint(arg, 1000, &v) < 0)
			return bad("--max-fps: bad value '%s' (0-1000)", arg);
		o->max_fps = (unsigned)v;
		return 0;
	case OPT_LOSSLESS_REFRESH:
		if (parse_uint(arg, 60000, &v) < 0)
			return bad("--lossless-refresh: bad value '%s' "
				   "(0-60000)", arg);
		o->lossless_refresh = (unsigned)v;
		return 0;
	case OPT_MAX_CPU:
		if (parse_uint(arg, 100000, &v) < 0)
			return bad("--max-cpu: bad value '%s' (0-100000)", arg);
		o->max_cpu = (int)v;
		return 0;
	case OPT_MAX_CPU_HARD:
		o->max_cpu_hard = true;
		return 0;
	case OPT_DESKTOP_NAME:
		o->desktop_name = arg;
		return 0;
	case OPT_LOG_LEVEL:
		level = xrfb_log_parse_level(arg);
		if (level < 0)
			return bad("--log-level: bad level '%s' (error, warn, "
				   "info, debug or trace)",
				   arg);
		o->log_level = (enum xrfb_log_level)level;
		return 0;
	case OPT_CLIPBOARD:
		if (!strcmp(arg, "both"))
			o->clipboard = OPTIONS_CLIP_CLIPBOARD |
				       OPTIONS_CLIP_PRIMARY;
		else if (!strcmp(arg, "clipboard"))
			o->clipboard = OPTIONS_CLIP_CLIPBOARD;
		else if (!strcmp(arg, "primary"))
			o->clipboard = OPTIONS_CLIP_PRIMARY;
		else if (!strcmp(arg, "none"))
			o->clipboard = 0;
		else
			return bad("--clipboard: bad value '%s' (both, "
				   "clipboard, primary or none)",
				   arg);
		return 0;
	case OPT_CLIPBOARD_MAX:
		if (parse_size(arg, &v) < 0 || v == 0)
			return bad("--clipboard-max: bad size '%s' (1 to "
				   "%luM bytes)",
				   arg, OPTIONS_CLIPBOARD_MAX_LIMIT >> 20);
		o->clipboard_max = (uint32_t)v;
		return 0;
	case OPT_VIEWER_CLIPBOARD_MAX:
	case OPT_CLASSIC_CLIPBOARD_MAX:
		if (parse_size(arg, &v) < 0 || v == 0)
			return bad("--%s-clipboard-max: bad size '%s' (1 to "
				   "%luM bytes)",
				   c == OPT_VIEWER_CLIPBOARD_MAX ? "viewer"
								 : "classic",
				   arg, OPTIONS_CLIPBOARD_MAX_LIMIT >> 20);
		if (c == OPT_VIEWER_CLIPBOARD_MAX)
			o->viewer_clipboard_max = (uint32_t)v;
		else
			o->classic_clipboard_max = (uint32_t)v;
		return 0;
	case OPT_ALLOW_RESIZE:
		o->allow_resize = true;
		return 0;
	case OPT_REATTACH:
		o->reattach = true;
		o->reattach_s = 0;
		if (arg && (parse_uint(arg, 86400, &v) < 0 || v == 0))
			return bad("--reattach: bad value '%s' (1 to 86400 "
				   "seconds)", arg);
		if (arg)
			o->reattach_s = (unsigned)v;
		return 0;
	case OPT_WEBSOCKET_PORT:
		if (parse_uint(arg, 65535, &v) < 0)
			return bad("--websocket-port: bad port '%s' (0-65535)",
				   arg);
		o->websocket_port = (int)v;
		return 0;
	case OPT_WEBSOCKET_UNIX:
		if (!*arg)
			return bad("--websocket-unix needs a path");
		o->websocket_unix = arg;
		return 0;
	case OPT_HTTPS:
		o->https = true;
		return 0;
	case OPT_WEBSOCKET_DETECT:
		if (parse_uint(arg, 10000, &v) < 0)
			return bad("--websocket-detect: bad value '%s' "
				   "(0-10000 ms)", arg);
		o->websocket_detect_ms = (unsigned)v;
		return 0;
	case OPT_WEBSOCKET_ORIGIN:
		if (!strstr(arg, "://"))
			return bad("--websocket-origin: '%s' is not an origin "
				   "(scheme://host[:port])", arg);
		if (o->n_origins == OPTIONS_MAX_ORIGINS)
			return bad("too many --websocket-origin options");
		o->origins[o->n_origins++] = arg;
		return 0;
	case OPT_WEB:
		if (!*arg)
			return bad("--web needs a directory");
		o->web = arg;
		o->web_explicit = true;
		return 0;
	case OPT_NO_WEB:
		o->web = NULL;
		o->web_explicit = true;
		return 0;
	case OPT_VIEW_TOKEN: {
		size_t n = strlen(arg);

		if (n < 16 || n > 128 ||
		    strspn(arg, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n)
			return bad("--view-token: want 16 to 128 of A-Z, "
				   "a-z, 0-9, '_' and '-'");
		o->view_token = arg;
		o->no_view_token = false;
		return 0;
	}
	case OPT_NO_VIEW_TOKEN:
		o->view_token = NULL;
		o->no_view_token = true;
		return 0;
	case OPT_SIZE:
		if (!o->run || parse_geometry(o, arg) < 0)
			return bad(o->run ? "--size: bad geometry '%s' (want WxH "
					    "or WxHxD, depth 8, 15, 16, 24 or "
					    "30)"
					  : "--size is an option of run (use "
					    "--create=%s)",
				   arg);
		return 0;
	case OPT_READY_FD:
		if (parse_uint(arg, INT_MAX, &v) < 0 || v < 3)
			return bad("--ready-fd: bad descriptor '%s' (3 or "
				   "more)", arg);
		o->ready_fd = (int)v;
		return 0;
	case OPT_READY_FILE:
		if (!*arg)
			return bad("--ready-file needs a path");
		o->ready_file = arg;
		return 0;
	case OPT_CONTROL:
		o->control = true;
		if (arg && !*arg)
			return bad("--control= needs a path");
		o->control_path = arg;
		return 0;
	case OPT_RECORD:
		if (!*arg)
			return bad("--record needs a file");
		o->record = arg;
		return 0;
	case OPT_RECORD_ON_FAILURE:
		o->record_on_failure = true;
		return 0;
	case OPT_RECORD_LAST:
		if (parse_uint(arg, 86400, &v) < 0 || v == 0)
			return bad("--record-last: bad value '%s' (1 to 86400 "
				   "seconds)", arg);
		o->record_last_s = (unsigned)v;
		return 0;
	case OPT_SCREENSHOT_ON_FAILURE:
		if (!*arg)
			return bad("--screenshot-on-failure needs a directory");
		o->screenshot_on_failure = arg;
		return 0;
	case OPT_UNIX_MODE: {
		char *end;

		errno = 0;
		v = strtoul(arg, &end, 8);
		if (!*arg || *end || errno || v > 0777 || !(v & 0600))
			return bad("--unix-mode: bad mode '%s' (octal, at "
				   "most 0777, readable and writable by the "
				   "owner)",
				   arg);
		o->unix_mode = (unsigned)v;
		return 0;
	}
	case OPT_CONNECT:
		return parse_connect(o, arg);
	case OPT_CONNECT_RETRY:
		if (parse_uint(arg, 86400, &v) < 0 || v == 0)
			return bad("--connect-retry: bad value '%s' (1-86400 "
				   "seconds)",
				   arg);
		o->connect_retry = (unsigned)v;
		return 0;
	case OPT_REPEATER:
		return parse_repeater(o, arg);
	case OPT_REPEATER_ID:
		/* "ID:1234" as x11vnc users write it is "1234" */
		if (!strncmp(arg, "ID:", 3))
			arg += 3;
		if (!is_repeater_id(arg))
			return bad("--repeater-id: bad ID '%s' (printable, "
				   "no spaces, at most 246 characters)",
				   arg);
		o->repeater_id = arg;
		return 0;
	case OPT_INETD:
		o->inetd = true;
		return 0;
	case OPT_SECURITY:
		return parse_security(o, arg);
	case OPT_PAM_SERVICE:
#if HAVE_PAM
		if (!*arg)
			return bad("--pam-service needs a name");
		o->pam_service = arg;
		return 0;
#else
		return bad("--pam-service: built without PAM");
#endif
	case OPT_USERS:
		o->users = arg;
		return 0;
	case OPT_VIEW_ONLY_USERS:
		o->view_users = arg;
		return 0;
	case OPT_HANDSHAKE_TIMEOUT:
		if (parse_uint(arg, 3600, &v) < 0)
			return bad("--handshake-timeout: bad value '%s' (0-3600 "
				   "seconds)", arg);
		o->handshake_timeout = (int)v;
		return 0;
	case OPT_REQUIRE_ENCRYPTION:
		o->require_encryption = true;
		return 0;
	case OPT_TLS_CERT:
		o->tls_cert = arg;
		return 0;
	case OPT_TLS_KEY:
		o->tls_key = arg;
		return 0;
	case OPT_TLS_PRIORITY:
		o->tls_priority = arg;
		return 0;
	case 'h':
		options_usage(stdout, o->run);
		return 1;
	case 'V':
		printf("xrfb %s\n", xrfb_version());
		return 1;
	case ':':
		return bad("option %s needs a value", opt);
	default:
		if (takes_no_value(opt))
			return bad("option %.*s takes no value",
				   (int)strcspn(opt, "="), opt);
		return bad("unknown option '%s'", opt);
	}
}

int options_parse(struct options *o, int argc, char **argv)
{
	char short_opt[3] = "-?";
	const char *opt;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->width = 1920;
	o->height = 1080;
	o->depth = 24;
	o->port = OPTIONS_DEFAULT_PORT;
	o->websocket_port = -1;
	o->websocket_detect_ms = OPTIONS_DEFAULT_WEBSOCKET_DETECT;
	o->shared_policy = XRFB_SHARED_ALLOW;
	o->log_level = XRFB_LOG_INFO;
	o->clipboard = OPTIONS_CLIP_CLIPBOARD | OPTIONS_CLIP_PRIMARY;
	o->clipboard_max = 10u << 20;
	o->viewer_clipboard_max = 256u << 10;
	o->classic_clipboard_max = 1u << 20;
	o->max_fps = OPTIONS_DEFAULT_MAX_FPS;
	o->lossless_refresh = XRFB_LOSSLESS_REFRESH_DEFAULT_MS;
	o->max_cpu = -1;
	o->handshake_timeout = -1;
	o->ready_fd = -1;
	o->unix_mode = OPTIONS_DEFAULT_UNIX_MODE;

	opterr = 0;
	optind = 1;
	if (argc > 1 && !strcmp(argv[1], "run")) {
		/* The options end at CMD ("+": no permutation). */
		o->run = true;
		o->create = true;
		o->control = true;
		/* Many runs side by side: a free port when TCP is asked. */
		o->port = 0;
		/* CMD's output comes first: only what goes wrong. */
		o->log_level = XRFB_LOG_WARN;
		optind = 2;
	}
	while ((c = getopt_long(argc, argv, o->run ? "+:hV" : ":hV",
				long_options, NULL)) != -1) {
		opt = argv[optind - 1];
		/* optopt names a short option; long ones are in argv. */
		if ((c == '?' || c == ':') && optopt > 0 && optopt < 256 &&
		    strncmp(opt, "--", 2) != 0) {
			short_opt[1] = (char)optopt;
			opt = short_opt;
		}
		r = parse_one(o, c, optarg, opt);
		if (r != 0)
			return r;
	}
	if (o->run && optind < argc) {
		o->run_argv = argv + optind;
	} else if (optind < argc) {
		if (o->create && strchr(argv[optind], 'x') &&
		    parse_geometry(o, argv[optind]) == 0)
			return bad("unexpected argument '%s' (write "
				   "--create=%s)",
				   argv[optind], argv[optind]);
		return bad("unexpected argument '%s'", argv[optind]);
	}
	o->listen_explicit = o->n_listen > 0;
	return validate(o);
}

void options_fini(struct options *o)
{
	for (unsigned i = 0; i < o->n_connect; i++) {
		free(o->connect[i].host);
		if (o->connect[i].own_id)
			free((char *)o->connect[i].repeater_id);
	}
	o->n_connect = 0;
}

/* Valid UTF-8 without control characters other than tab and line ends. */
static bool is_text(const uint8_t *p, size_t len)
{
	size_t i = 0, n, k;
	uint8_t c;

	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
			    c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return false;
		if (i + n >= len)
			return false;
		for (k = 1; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += n + 1;
	}
	return true;
}

/* The first line of @p (up to @len bytes) as a new string; *@next is
 * where the line after it starts. */
static char *text_line(const uint8_t *p, size_t len, size_t *next)
{
	size_t n = 0;
	char *line;

	while (n < len && p[n] != '\n' && p[n] != '\r')
		n++;
	line = xmalloc(n + 1);
	memcpy(line, p, n);
	line[n] = '\0';
	if (n < len && p[n] == '\r')
		n++;
	if (n < len && p[n] == '\n')
		n++;
	*next = n;
	return line;
}

int options_read_password(const char *path, char **password,
			  char **view_password)
{
	uint8_t data[OPTIONS_MAX_PASSWORD_FILE];
	char plain[9];
	size_t len = 0, n;
	ssize_t got;
	int fd, err;

	*password = *view_password = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "xrfb: cannot open password file %s: %s\n",
			path, strerror(errno));
		return err;
	}
	while (len < sizeof(data)) {
		got = read(fd, data + len, sizeof(data) - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = -errno;
			fprintf(stderr, "xrfb: cannot read password file %s: "
				"%s\n", path, strerror(errno));
			close(fd);
			return err;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);

	if (!is_text(data, len)) {
		/* vncpasswd: 8 bytes, then 8 more for a view-only password. */
		if (len < 8) {
			fprintf(stderr, "xrfb: password file %s is neither "
				"text nor a vncpasswd file\n", path);
			return -EINVAL;
		}
		vncauth_unobfuscate(data, plain);
		*password = xstrdup(plain);
		if (len >= 16) {
			vncauth_unobfuscate(data + 8, plain);
			*view_password = xstrdup(plain);
		}
		explicit_bzero(plain, sizeof(plain));
		log_debug("%s: %s is an obfuscated vncpasswd file", __func__,
			  path);
	} else {
		/* The first line; a second one is the view-only password. */
		*password = text_line(data, len, &n);
		if (n < len)
			*view_password = text_line(data + n, len - n, &n);
	}
	explicit_bzero(data, sizeof(data));
	if (*view_password && !**view_password) {
		free(*view_password);
		*view_password = NULL;
	}
	if (!**password) {
		fprintf(stderr, "xrfb: password file %s holds an empty "
			"password\n", path);
		free(*password);
		free(*view_password);
		*password = *view_password = NULL;
		return -EINVAL;
	}
	if (strlen(*password) > 8 ||
	    (*view_password && strlen(*view_password) > 8))
		log_warn("VNC authentication uses only the first 8 characters "
			 "of a password");
	return 0;
}
