#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Play the service manager for xrfb's tests.

  sd-tool.py activate PORTFILE -- CMD...
      Listen on 127.0.0.1 (any port, written to PORTFILE; on 0.0.0.0
      with SD_TOOL_ADDR=0.0.0.0), then exec CMD
      with that socket as fd 3 and LISTEN_FDS=1, LISTEN_PID=<its own pid>,
      as systemd does for a socket unit (Accept=no). exec keeps the pid.
  sd-tool.py notify-sink PATH
      Receive NOTIFY_SOCKET datagrams at PATH; print each on a line
      (newlines inside shown as '|').
  sd-tool.py inetd PORTFILE -- CMD...
      Accept one TCP connection on 127.0.0.1 (port written to PORTFILE),
      start CMD with one end of a socketpair as its standard input and
      output, and relay bytes between the two; when CMD exits, print
      "exit STATUS".
"""
import os
import select
import socket
import subprocess
import sys


def listen_tcp(portfile):
    s = socket.socket()
    s.bind((os.environ.get("SD_TOOL_ADDR", "127.0.0.1"), 0))
    s.listen(8)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(tmp, portfile)
    return s


def command(args):
    if "--" not in args:
        sys.exit("sd-tool.py: missing -- CMD")
    return args[args.index("--") + 1:]


def activate(portfile, cmd):
    s = listen_tcp(portfile)
    if s.fileno() != 3:
        os.dup2(s.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.execvp(cmd[0], cmd)


def notify_sink(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    print("listening", path, flush=True)
    while True:
        data = s.recv(4096)
        print(data.decode("utf-8", "replace").replace("\n", "|"),
              flush=True)


def inetd(portfile, cmd):
    listener = listen_tcp(portfile)
    conn, _ = listener.accept()
    listener.close()
    ours, theirs = socket.socketpair()
    child = subprocess.Popen(cmd, stdin=theirs, stdout=theirs)
    theirs.close()
    ends = {conn: ours, ours: conn}
    while ends:
        ready, _, _ = select.select(list(ends), [], [], 0.5)
        for r in ready:
            try:
                data = r.recv(65536)
            except OSError:
                data = b""
            if data:
                try:
                    ends[r].sendall(data)
                    continue
                except OSError:
                    pass
            # one side is done: so is the other
            for s in (conn, ours):
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            ends.pop(r, None)
        if child.poll() is not None:
            break
    conn.close()
    ours.close()
    print("exit", child.wait(), flush=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    mode, arg = sys.argv[1], sys.argv[2]
    if mode == "activate":
        activate(arg, command(sys.argv[3:]))
    elif mode == "notify-sink":
        notify_sink(arg)
    elif mode == "inetd":
        inetd(arg, command(sys.argv[3:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
