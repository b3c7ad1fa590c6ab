/* SPDX-License-Identifier: MIT */
/*
 * ctl: `xrfb ctl [--control PATH] [--display DPY] [--json] COMMAND`, the
 * client of the control socket (control.c). It sends one request line and
 * prints the answer; `events` prints every line that follows until the
 * server goes away. Exit status: 0 done, 1 the server refused, 2 bad
 * command line, 3 no server to talk to.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "ctl-proto.h"
#include "ctl.h"
#include "json.h"

#define CTL_EXIT_REFUSED 1
#define CTL_EXIT_USAGE 2
#define CTL_EXIT_NO_SERVER 3
/* Longest answer line we take (a status with many listeners). */
#define CTL_REPLY_MAX (1u << 20)

static const char ctl_usage[] =
	"Usage: xrfb ctl [--control PATH] [--display DPY] [--json] COMMAND\n"
	"Talk to a running xrfb through its control socket (default: the "
	"socket of\n"
	"$DISPLAY, $XDG_RUNTIME_DIR/xrfb/N.sock for display :N).\n"
	"\n"
	"Commands:\n"
	"  status                the display, listeners, processes and "
	"viewers\n"
	"  clients               the viewers connected now\n"
	"  disconnect ID         disconnect viewer ID\n"
	"  connect HOST[:PORT]   connect to a listening viewer (port 5500 by "
	"default)\n"
	"  screenshot [--cursor] FILE.png\n"
	"                        save the screen as a PNG (with the cursor "
	"drawn in)\n"
	"  record start FILE.fbs, record stop\n"
	"                        record the screen (see xrfb play)\n"
	"  stop                  end xrfb (with run: end CMD as SIGTERM "
	"would)\n"
	"  events                print events as JSON lines until xrfb ends\n"
	"\n"
	"  --json                print the server's answers as they are "
	"(JSON)\n"
	"\n"
	"Exit status: 0 done, 1 refused by the server, 2 bad command line, "
	"3 no server.\n";

static int usage_error(const char *what)
{
	fprintf(stderr, "xrfb ctl: %s (see xrfb ctl --help)\n", what);
	return CTL_EXIT_USAGE;
}

/* @path as the server must see it: it has its own working directory.
 * malloc'ed; NULL if the working directory cannot be told. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	size_t n;
	char *abs;

	if (path[0] == '/')
		return xstrdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	n = strlen(cwd) + strlen(path) + 2;
	abs = xmalloc(n);
	snprintf(abs, n, "%s/%s", cwd, path);
	return abs;
}

/* The request for the command line in @argv (COMMAND and its args). */
static int build_request(int argc, char **argv, struct buf *b)
{
	const char *cmd = argv[0];
	char *abs = NULL, *end;

	json_raw(b, "{");
	if (!strcmp(cmd, "status") || !strcmp(cmd, "clients") ||
	    !strcmp(cmd, "stop") || !strcmp(cmd, "events")) {
		if (argc != 1)
			return usage_error("this command takes no arguments");
		json_kv_str(b, "cmd", cmd);
	} else if (!strcmp(cmd, "disconnect")) {
		long id;

		if (argc != 2)
			return usage_error("disconnect ID");
		id = strtol(argv[1], &end, 10);
		if (!*argv[1] || *end || id < 0)
			return usage_error("disconnect: bad viewer id");
		json_kv_str(b, "cmd", cmd);
		json_kv_int(b, "id", id);
	} else if (!strcmp(cmd, "connect")) {
		if (argc != 2)
			return usage_error("connect HOST[:PORT]");
		json_kv_str(b, "cmd", cmd);
		json_kv_str(b, "target", argv[1]);
	} else if (!strcmp(cmd, "screenshot")) {
		bool cursor = argc == 3 && !strcmp(argv[1], "--cursor");

		if (cursor) {
			argc--;
			argv++;
		}
		if (argc != 2 || !*argv[1])
			return usage_error("screenshot [--cursor] FILE.png");
		abs = absolute(argv[1]);
		if (!abs)
			return usage_error("cannot tell the working directory");
		json_kv_str(b, "cmd", cmd);
		json_kv_str(b, "file", abs);
		if (cursor)
			json_kv_bool(b, "cursor", true);
		free(abs);
	} else if (!strcmp(cmd, "record")) {
		if (argc < 2 || (strcmp(argv[1], "start") &&
				 strcmp(argv[1], "stop")))
			return usage_error("record start FILE | record stop");
		if ((!strcmp(argv[1], "start") && argc != 3) ||
		    (!strcmp(argv[1], "stop") && argc != 2))
			return usage_error("record start FILE | record stop");
		json_kv_str(b, "cmd", cmd);
		json_kv_str(b, "action", argv[1]);
		if (argc > 2) {
			abs = absolute(argv[2]);
			if (!abs)
				return usage_error("cannot tell the working "
						   "directory");
			json_kv_str(b, "file", abs);
			free(abs);
		}
	} else {
		return usage_error("unknown command");
	}
	json_raw(b, "}\n");
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "xrfb ctl: %s: path too long\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "xrfb ctl: cannot connect to %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const struct buf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Read one line into @b (without the newline); 0, or -1 at the end. */
static int read_line(int fd, struct buf *b, struct buf *rest)
{
	uint8_t *nl, chunk[4096];
	ssize_t n;

	for (;;) {
		nl = rest->len ? memchr(rest->data, '\n', rest->len) : NULL;
		if (nl) {
			b->len = 0;
			buf_append(b, rest->data, (size_t)(nl - rest->data));
			buf_append(b, "", 1);
			b->len--;
			buf_consume(rest, (size_t)(nl - rest->data) + 1);
			return 0;
		}
		if (rest->len > CTL_REPLY_MAX)
			return -1;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf_append(rest, chunk, (size_t)n);
	}
}

static bool reply_ok(const struct buf *line)
{
	static const char ok[] = "{\"ok\":true";

	return line->len >= sizeof(ok) - 1 &&
	       !memcmp(line->data, ok, sizeof(ok) - 1);
}

/* The error of a refusal, for a person. */
static void print_error(const struct buf *line)
{
	struct ctl_proto_request *req = xmalloc(sizeof(*req));
	struct buf copy = BUF_INIT;
	const char *why = NULL;

	buf_append(&copy, line->data, line->len);
	buf_append(&copy, "\n", 1);
	if (ctl_proto_parse(copy.data, copy.len, req) > 0 && !req->error)
		why = ctl_proto_str(req, "error");
	fprintf(stderr, "xrfb ctl: %s\n", why ? why : "unexpected answer");
	buf_fini(&copy);
	free(req);
}

int ctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "display", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *display = getenv("DISPLAY");
	struct buf req = BUF_INIT, line = BUF_INIT, rest = BUF_INIT;
	char def[4096];
	bool json = false, events, ok;
	int c, fd, status;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			display = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(ctl_usage, stdout);
			return 0;
		default:
			return usage_error("unknown option");
		}
	}
	if (optind >= argc)
		return usage_error("no command");
	status = build_request(argc - optind, argv + optind, &req);
	if (status)
		goto out;
	if (!path) {
		if (control_default_path(display, def, sizeof(def), false) <
		    0) {
			fprintf(stderr, "xrfb ctl: no control socket for "
				"display %s (use --control)\n",
				display ? display : "(none)");
			status = CTL_EXIT_NO_SERVER;
			goto out;
		}
		path = def;
	}
	fd = connect_to(path);
	if (fd < 0) {
		status = CTL_EXIT_NO_SERVER;
		goto out;
	}
	events = !strcmp(argv[optind], "events");
	if (send_all(fd, &req) < 0 || read_line(fd, &line, &rest) < 0) {
		fprintf(stderr, "xrfb ctl: the server went away\n");
		status = CTL_EXIT_NO_SERVER;
		goto out_close;
	}
	ok = events || reply_ok(&line);
	if (json || events || (ok && (!strcmp(argv[optind], "status") ||
				      !strcmp(argv[optind], "clients"))))
		printf("%.*s\n", (int)line.len, (const char *)line.data);
	fflush(stdout);
	if (!ok) {
		if (!json)
			print_error(&line);
		status = CTL_EXIT_REFUSED;
	}
	while (events && read_line(fd, &line, &rest) == 0) {
		printf("%.*s\n", (int)line.len, (const char *)line.data);
		fflush(stdout);
	}
	fflush(stdout);
out_close:
	close(fd);
out:
	buf_fini(&req);
	buf_fini(&line);
	buf_fini(&rest);
	return status;
}
