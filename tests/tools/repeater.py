#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A mode-II repeater in the manner of UltraVNC's, for the tests.

Servers connect to one port and send a 250-byte block "ID:<id>" padded
with NULs; viewers connect to the other, are greeted with "RFB 000.000\\n"
(so that they know a repeater answered) and send the same kind of block.
A server and a viewer with the same ID are joined: every byte goes across
unchanged until one side closes, then both are closed. Either side waits
as long as it takes for its partner.

Stricter than a real repeater, because it is a test: a server's block
must be exactly "ID:" + digits + NULs, and the server's RFB greeting must
follow it (checked with MSG_PEEK, so nothing is consumed). Every event is
one line on stdout:
  ports VIEWER SERVER | server ID:n waiting | viewer ID:n waiting |
  joined ID:n | ended ID:n | bad server block ... | bad viewer block ...

Usage: repeater.py [VIEWER_PORT SERVER_PORT]   (default: both 0, any)
"""
import socket
import sys
import threading

BLOCK = 250

lock = threading.Lock()
waiting = {"server": {}, "viewer": {}}


def say(*words):
    with lock:
        print(*words, flush=True)


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def parse_block(block, strict):
    """The ID of a block, or None if it is malformed."""
    if block is None or not block.startswith(b"ID:"):
        return None
    text, _, pad = block.partition(b"\0")
    if strict and (pad.strip(b"\0") or not text[3:].isdigit()):
        return None
    ident = text[3:].decode("ascii", "replace")
    return ident or None


def relay(src, dst, done):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    done.set()


def join(ident, server, viewer):
    say("joined ID:" + ident)
    done = threading.Event()
    for a, b in ((server, viewer), (viewer, server)):
        threading.Thread(target=relay, args=(a, b, done), daemon=True).start()
    done.wait()
    for s in (server, viewer):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
    say("ended ID:" + ident)


def arrive(kind, ident, sock):
    other = "viewer" if kind == "server" else "server"
    with lock:
        partner = waiting[other].pop(ident, None)
        if partner is None:
            old = waiting[kind].pop(ident, None)
            if old is not None:
                old.close()
            waiting[kind][ident] = sock
    if partner is None:
        say(kind + " ID:" + ident + " waiting")
        return
    server, viewer = (sock, partner) if kind == "server" else (partner, sock)
    join(ident, server, viewer)


def on_server(sock):
    block = read_exact(sock, BLOCK)
    ident = parse_block(block, strict=True)
    if ident is None:
        say("bad server block", repr(block[:40] if block else block))
        sock.close()
        return
    # The RFB greeting comes next, after the block and never in it.
    greeting = sock.recv(12, socket.MSG_PEEK | socket.MSG_WAITALL)
    if not greeting.startswith(b"RFB 003."):
        say("bad server greeting", repr(greeting))
        sock.close()
        return
    arrive("server", ident, sock)


def on_viewer(sock):
    sock.sendall(b"RFB 000.000\n")
    block = read_exact(sock, BLOCK)
    ident = parse_block(block, strict=False)
    if ident is None:
        say("bad viewer block", repr(block[:40] if block else block))
        sock.close()
        return
    arrive("viewer", ident, sock)


def serve(listener, handler):
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handler, args=(sock,), daemon=True).start()


def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    return s


def main():
    ports = [int(p) for p in sys.argv[1:3]] if len(sys.argv) > 2 else [0, 0]
    viewers, servers = listen(ports[0]), listen(ports[1])
    say("ports", viewers.getsockname()[1], servers.getsockname()[1])
    threading.Thread(target=serve, args=(servers, on_server),
                     daemon=True).start()
    serve(viewers, on_viewer)


if __name__ == "__main__":
    main()
