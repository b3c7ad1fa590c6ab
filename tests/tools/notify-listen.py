#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A service manager's end of NOTIFY_SOCKET, for the tests: bind a Unix
datagram socket at PATH, write each datagram received to OUT (one per
line, newlines as ';'), and exit 0 once one holds READY=1, 1 after
TIMEOUT seconds without it.

Usage: notify-listen.py PATH OUT TIMEOUT
"""
import os
import socket
import sys
import time


def main():
    path, out, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    deadline = time.monotonic() + timeout
    with open(out, "w") as f:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return 1
            sock.settimeout(left)
            try:
                data = sock.recv(4096)
            except socket.timeout:
                return 1
            text = data.decode("utf-8", "replace")
            f.write(text.replace("\n", ";") + "\n")
            f.flush()
            if "READY=1" in text.split("\n"):
                return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        try:
            os.unlink(sys.argv[1])
        except OSError:
            pass
