#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A WebSocket and HTTP client written from RFC 6455 and RFC 9112 for the
integration tests: it checks how a server answers good and bad requests
and frames, and speaks RFB through the WebSocket as far as ServerInit.

  ws-probe.py --port N|--unix PATH [--host H] [--web DIR] [--size WxH]
              [--tls CERT] CHECK...

With --tls, every connection is TLS first (HTTPS, WSS), and the server
must present exactly the certificate in the PEM file CERT.

Each CHECK prints "ok CHECK: detail" or "FAIL CHECK: why"; the exit status
is 1 if any failed. Every socket has a timeout (--timeout), so a server
that does not answer fails a check instead of hanging the test.
"""

import argparse
import base64
import hashlib
import os
import select
import socket
import ssl
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Fail(Exception):
    pass


def expect(cond, why):
    if not cond:
        raise Fail(why)


def tls_wrap(opt, sock):
    """TLS over @sock; the server's certificate must be the one in
    opt.tls (self-signed: it is its own CA, and no host name is checked,
    the certificate is compared whole instead)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cafile=opt.tls)
    t = ctx.wrap_socket(sock)
    with open(opt.tls) as f:
        want = ssl.PEM_cert_to_DER_cert(f.read())
    expect(t.getpeercert(binary_form=True) == want,
           "the server presented another certificate")
    return t


class Conn:
    def __init__(self, opt):
        self.opt = opt
        if opt.unix:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(opt.timeout)
            self.s.connect(opt.unix)
        else:
            self.s = socket.create_connection((opt.host, opt.port),
                                              opt.timeout)
        self.s.settimeout(opt.timeout)
        if opt.tls:
            self.s = tls_wrap(opt, self.s)
        self.buf = b""

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def read(self, n):
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def eof(self):
        """True if the server closes (nothing more than what is buffered)."""
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
            return True
        except socket.timeout:
            return False

    def response(self):
        """Status, headers (lower-case names), body (by Content-Length)."""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        expect(parts[0] == "HTTP/1.1", "status line %r" % lines[0])
        hdrs = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        return int(parts[1]), hdrs, self.read(n)


def mask_frame(opcode, payload, fin=True, masked=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    mbit = 0x80 if masked else 0
    if n < 126:
        h = bytes([b0, mbit | n])
    elif n < 65536:
        h = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        h = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if not masked:
        return h + payload
    m = os.urandom(4)
    return h + m + bytes(c ^ m[i & 3] for i, c in enumerate(payload))


class WS:
    """A client WebSocket on a Conn after the handshake."""

    def __init__(self, conn, b64=False):
        self.c = conn
        self.b64 = b64
        self.data = b""
        self.controls = []

    def frame(self):
        b0, b1 = self.c.read(2)
        expect(not b1 & 0x80, "server frame is masked")
        expect(not b0 & 0x70, "reserved bits set by the server")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self.c.read(2))[0]
            expect(n >= 126, "16-bit length not minimal")
        elif n == 127:
            n = struct.unpack(">Q", self.c.read(8))[0]
            expect(n >= 65536, "64-bit length not minimal")
        return b0 >> 7, b0 & 0x0F, self.c.read(n)

    def pump(self):
        """Read one frame: data is added to self.data, controls noted."""
        fin, op, payload = self.frame()
        if op >= 8:
            self.controls.append((op, payload))
            return
        if self.b64:
            expect(op in (0, 1), "binary frame on a base64 connection")
            self.data += base64.b64decode(payload)
        else:
            expect(op in (0, 2), "text frame on a binary connection")
            self.data += payload

    def read(self, n):
        while len(self.data) < n:
            self.pump()
        d, self.data = self.data[:n], self.data[n:]
        return d

    def control(self):
        while not self.controls:
            self.pump()
        return self.controls.pop(0)

    def send(self, payload, opcode=None):
        if opcode is None:
            opcode = 1 if self.b64 else 2
            if self.b64:
                payload = base64.b64encode(payload)
        self.c.send(mask_frame(opcode, payload))


def upgrade(opt, headers=None, path="/websockify", key=None):
    """Send an upgrade; return (conn, status, headers, key)."""
    c = Conn(opt)
    key = key or base64.b64encode(os.urandom(16)).decode()
    h = {
        "Host": "%s:%d" % (opt.host, opt.port),
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
    }
    h.update(headers or {})
    req = "GET %s HTTP/1.1\r\n" % path
    req += "".join("%s: %s\r\n" % (k, v) for k, v in h.items() if v is not None)
    c.send((req + "\r\n").encode())
    status, hdrs, _ = c.response()
    if status == 101:
        want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
        expect(hdrs.get("sec-websocket-accept") == want.decode(),
               "bad Sec-WebSocket-Accept %r" % hdrs.get("sec-websocket-accept"))
        expect(hdrs.get("upgrade", "").lower() == "websocket", "no Upgrade")
    return c, status, hdrs


def rfb_handshake(opt, ws, split=False):
    """RFB 3.8 with security None up to ServerInit; returns (w, h)."""
    expect(ws.read(12) == b"RFB 003.008\n", "no RFB greeting")
    if split:
        # the version in three fragments, a Ping between them
        ws.c.send(mask_frame(2, b"RFB 003", fin=False))
        ws.c.send(mask_frame(9, b"ping-1"))
        ws.c.send(mask_frame(0, b".008", fin=False))
        ws.c.send(mask_frame(10, b"unasked"))
        ws.c.send(mask_frame(0, b"\n"))
        op, payload = ws.control()
        expect((op, payload) == (10, b"ping-1"),
               "Ping answered with %r" % ((op, payload),))
    else:
        ws.send(b"RFB 003.008\n")
    n = ws.read(1)[0]
    types = ws.read(n)
    expect(1 in types, "security None not offered: %r" % types)
    ws.send(b"\x01")
    expect(ws.read(4) == b"\0\0\0\0", "SecurityResult not OK")
    ws.send(b"\x01")
    init = ws.read(24)
    w, h = struct.unpack(">HH", init[:4])
    ws.read(struct.unpack(">I", init[20:24])[0])
    return w, h


def expect_close(ws, code):
    op, payload = ws.control()
    expect(op == 8, "no Close but opcode %d" % op)
    got = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
    expect(got == code, "Close code %r, not %d" % (got, code))
    expect(ws.c.eof(), "connection still open after the Close")
    return payload[2:].decode()


def own_origin(opt):
    return "%s://%s:%d" % ("https" if opt.tls else "http", opt.host,
                           opt.port)


# ---- checks ---------------------------------------------------------------


def check_http_file(opt):
    expect(opt.web, "--web not given")
    c = Conn(opt)
    c.send(b"GET /vnc.html HTTP/1.1\r\nHost: x\r\n\r\n"
           b"HEAD /core/rfb.js HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /app/styles/base.css?v=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    status, hdrs, body = c.response()
    expect(status == 200, "vnc.html: %d" % status)
    expect(hdrs["content-type"].startswith("text/html"), hdrs["content-type"])
    with open(os.path.join(opt.web, "vnc.html"), "rb") as f:
        expect(body == f.read(), "vnc.html differs from the file")
    # HEAD: headers only
    while b"\r\n\r\n" not in c.buf:
        c.fill()
    head, c.buf = c.buf.split(b"\r\n\r\n", 1)
    expect(b"text/javascript" in head, "rfb.js type: %r" % head)
    status, hdrs, body = c.response()
    expect(status == 200 and hdrs["content-type"].startswith("text/css"),
           "base.css: %d %s" % (status, hdrs.get("content-type")))
    c.send(b"GET /vnc.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    c.response()
    expect(c.eof(), "not closed after Connection: close")
    return "three requests on one connection, then close"


def check_http_late(opt):
    """A browser's spare connection: opened, silent for a while (longer
    than the RFB port waits for a first byte), then used for a request.
    On an RFB port this works after the address has made requests."""
    c = Conn(opt)
    time.sleep(1.0)
    c.send(b"GET /vnc.html HTTP/1.1\r\nHost: x\r\n\r\n")
    status, hdrs, body = c.response()
    expect(status == 200, "vnc.html after a silent second: %d" % status)
    c.close()
    return "a silent connection served a file a second later"


def http_status(opt, raw):
    c = Conn(opt)
    c.send(raw)
    status, hdrs, body = c.response()
    closed = c.eof()
    c.close()
    return status, hdrs, body, closed


def check_http_errors(opt):
    cases = [
        (b"GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /core/..%2f..%2fetc HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /no-such-file.js HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"GET /core HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"GET / HTTP/1.1\nHost: x\n\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 9000 + b"\r\n\r\n",
         431),
    ]
    if opt.http_only:
        # on an RFB port a POST is not HTTP: it is a bad RFB version
        cases.append(
            (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
             405))
    for raw, want in cases:
        status, _, body, closed = http_status(opt, raw)
        expect(status == want, "%r: %d, not %d" % (raw[:40], status, want))
        expect(closed, "%r: not closed after %d" % (raw[:40], status))
    return "%d refusals, each closed" % len(cases)


def check_ws_refusals(opt):
    cases = [
        ({"Sec-WebSocket-Version": "8"}, 426),
        ({"Sec-WebSocket-Key": "c2hvcnQ="}, 400),
        ({"Sec-WebSocket-Key": None}, 400),
        ({"Connection": "keep-alive"}, 400),
        ({"Sec-WebSocket-Protocol": "chat"}, 400),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "http://localhost.evil.example:%d" % opt.port}, 403),
    ]
    for h, want in cases:
        c, status, hdrs = upgrade(opt, h)
        expect(status == want, "%r: %d, not %d" % (h, status, want))
        if want == 426:
            expect(hdrs.get("sec-websocket-version") == "13",
                   "426 without Sec-WebSocket-Version")
        expect(c.eof(), "%r: not closed" % h)
        c.close()
    return "%d refusals" % len(cases)


def check_ws_rfb(opt):
    """noVNC's way: no subprotocol, an Origin of our own page."""
    c, status, hdrs = upgrade(opt, {"Origin": own_origin(opt)})
    expect(status == 101, "upgrade: %d" % status)
    expect("sec-websocket-protocol" not in hdrs,
           "subprotocol %r though none offered" %
           hdrs.get("sec-websocket-protocol"))
    ws = WS(c)
    w, h = rfb_handshake(opt, ws, split=True)
    if opt.size:
        expect("%dx%d" % (w, h) == opt.size, "ServerInit %dx%d" % (w, h))
    # a long message in a frame with a 64-bit length: ClientCutText
    text = b"x" * 69992
    ws.send(b"\x06\0\0\0" + struct.pack(">I", len(text)) + text)
    # then a clean close
    ws.send(struct.pack(">H", 1000) + b"done", opcode=8)
    expect_close(ws, 1000)
    return "RFB to ServerInit %dx%d, fragments, Ping, long frame, Close" % (
        w, h)


def check_ws_binary(opt):
    c, status, hdrs = upgrade(opt, {"Sec-WebSocket-Protocol": "base64, binary"})
    expect(status == 101, "upgrade: %d" % status)
    expect(hdrs.get("sec-websocket-protocol") == "binary",
           "subprotocol %r" % hdrs.get("sec-websocket-protocol"))
    w, h = rfb_handshake(opt, WS(c))
    c.close()
    return "binary echoed, ServerInit %dx%d" % (w, h)


def check_ws_base64(opt):
    c, status, hdrs = upgrade(opt, {"Sec-WebSocket-Protocol": "base64"})
    expect(status == 101, "upgrade: %d" % status)
    expect(hdrs.get("sec-websocket-protocol") == "base64",
           "subprotocol %r" % hdrs.get("sec-websocket-protocol"))
    w, h = rfb_handshake(opt, WS(c, b64=True))
    c.close()
    return "base64 text frames, ServerInit %dx%d" % (w, h)


def check_ws_origins(opt):
    """The listed origins (--origin-ok) get in, the others (--origin-bad)
    do not."""
    for o in opt.origin_ok:
        c, status, _ = upgrade(opt, {"Origin": o})
        expect(status == 101, "origin %s: %d" % (o, status))
        c.close()
    for o in opt.origin_bad:
        c, status, _ = upgrade(opt, {"Origin": o})
        expect(status == 403, "origin %s: %d" % (o, status))
        c.close()
    return "%d allowed, %d refused" % (len(opt.origin_ok), len(opt.origin_bad))


def check_ws_bad_frames(opt):
    cases = [
        (lambda: mask_frame(2, b"RFB 003.008\n", masked=False), 1002),
        (lambda: bytes([0xC2, 0x80]) + b"\0\0\0\0", 1002),
        (lambda: mask_frame(1, b"text"), 1003),
        (lambda: mask_frame(9, b"x", fin=False), 1002),
        (lambda: mask_frame(0, b"x"), 1002),
        (lambda: mask_frame(8, b"\x03"), 1002),
    ]
    for make, code in cases:
        c, status, _ = upgrade(opt)
        expect(status == 101, "upgrade: %d" % status)
        ws = WS(c)
        expect(ws.read(12) == b"RFB 003.008\n", "no greeting")
        c.send(make())
        reason = expect_close(ws, code)
        c.close()
    return "%d bad frames closed with the right code" % len(cases)


def read_raw_update(ws, w, h, bpp, big, shifts):
    """One FramebufferUpdate of Raw rectangles; returns [(x, y, w, h,
    [(r, g, b)...])]."""
    expect(ws.read(1) == b"\0", "not a FramebufferUpdate")
    ws.read(1)
    n = struct.unpack(">H", ws.read(2))[0]
    rects = []
    for _ in range(n):
        x, y, rw, rh, enc = struct.unpack(">HHHHi", ws.read(12))
        expect(enc == 0, "encoding %d, not Raw" % enc)
        data = ws.read(rw * rh * bpp // 8)
        px = []
        fmt = (">" if big else "<") + "I"
        for i in range(rw * rh):
            v = struct.unpack(fmt, data[4 * i:4 * i + 4])[0]
            px.append(tuple((v >> s_) & 255 for s_ in shifts))
        rects.append((x, y, rw, rh, px))
    return rects


def check_view_token(opt):
    """--token T: a wrong token is refused (403); without one the server
    asks for its password (None not offered); with it, None only, the
    desktop arrives (saved to --save as PPM) and keys, pointer, clipboard
    and a resize are sent, then a round trip shows they were read."""
    expect(opt.token, "--token is needed")
    c, status, _ = upgrade(opt, {"Origin": own_origin(opt)},
                           path="/websockify?token=" + opt.token + "x")
    expect(status == 403, "a wrong token: %d, not 403" % status)
    expect(c.eof(), "not closed after a wrong token")
    c.close()
    c, status, _ = upgrade(opt, {"Origin": own_origin(opt)})
    expect(status == 101, "no token: %d" % status)
    ws = WS(c)
    expect(ws.read(12) == b"RFB 003.008\n", "no greeting")
    ws.send(b"RFB 003.008\n")
    types = ws.read(ws.read(1)[0])
    expect(1 not in types, "None offered without the token: %r" % types)
    c.close()
    c, status, _ = upgrade(opt, {"Origin": own_origin(opt)},
                           path="/websockify?a=1&token=" + opt.token)
    expect(status == 101, "the view token: %d" % status)
    ws = WS(c)
    expect(ws.read(12) == b"RFB 003.008\n", "no greeting")
    ws.send(b"RFB 003.008\n")
    types = ws.read(ws.read(1)[0])
    expect(types == b"\x01", "with the token, types %r, not None" % types)
    ws.send(b"\x01")
    expect(ws.read(4) == b"\0\0\0\0", "SecurityResult not OK")
    ws.send(b"\x01")
    init = ws.read(24)
    w, h = struct.unpack(">HH", init[:4])
    bpp, depth, big, tc = init[4:8]
    rmax, gmax, bmax = struct.unpack(">HHH", init[8:14])
    shifts = init[14:17]
    ws.read(struct.unpack(">I", init[20:24])[0])
    expect(bpp == 32 and tc and (rmax, gmax, bmax) == (255, 255, 255),
           "pixel format %r" % (init[4:17],))
    ws.send(struct.pack(">BxHi", 2, 1, 0) + struct.pack(">BBHHHH", 3, 0, 0, 0,
                                                    w, h))
    img = bytearray(w * h * 3)
    for x, y, rw, rh, px in read_raw_update(ws, w, h, bpp, big, shifts):
        for i, p in enumerate(px):
            o = ((y + i // rw) * w + x + i % rw) * 3
            img[o:o + 3] = bytes(p)
    if opt.save:
        with open(opt.save, "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (w, h) + bytes(img))
    # keys, clicks, clipboard, a resize: all to be ignored
    for down in (1, 0):
        ws.send(struct.pack(">BBHI", 4, down, 0, 0x61))
    for x, y, b in ((50, 60, 0), (50, 60, 1), (50, 60, 0), (70, 80, 4),
                    (70, 80, 0)):
        ws.send(struct.pack(">BBHH", 5, b, x, y))
    ws.send(struct.pack(">BxxxI", 6, 5) + b"typed")
    # a round trip: an update asked for after the input comes after it
    ws.send(struct.pack(">BBHHHH", 3, 0, 0, 0, 1, 1))
    read_raw_update(ws, w, h, bpp, big, shifts)
    c.close()
    return "403 for a wrong token, a password without; %dx%d view-only" % (
        w, h)


def check_ws_desktop(opt):
    """RFB through the WebSocket as far as a whole Raw framebuffer, saved
    to --save as PPM, the server's own pixel format (32 bpp)."""
    expect(opt.save, "--save is needed")
    # as a browser would on a port; no browser has a Unix socket
    c, status, _ = upgrade(opt, {} if opt.unix else
                           {"Origin": own_origin(opt)})
    expect(status == 101, "upgrade: %d" % status)
    ws = WS(c)
    expect(ws.read(12) == b"RFB 003.008\n", "no greeting")
    ws.send(b"RFB 003.008\n")
    types = ws.read(ws.read(1)[0])
    expect(1 in types, "security None not offered: %r" % types)
    ws.send(b"\x01")
    expect(ws.read(4) == b"\0\0\0\0", "SecurityResult not OK")
    ws.send(b"\x01")
    init = ws.read(24)
    w, h = struct.unpack(">HH", init[:4])
    bpp, depth, big, tc = init[4:8]
    shifts = init[14:17]
    ws.read(struct.unpack(">I", init[20:24])[0])
    expect(bpp == 32 and tc, "pixel format %r" % (init[4:17],))
    ws.send(struct.pack(">BxHi", 2, 1, 0) +
            struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))
    img = bytearray(w * h * 3)
    covered = 0
    while covered < w * h:
        for x, y, rw, rh, px in read_raw_update(ws, w, h, bpp, big, shifts):
            covered += rw * rh
            for i, p in enumerate(px):
                o = ((y + i // rw) * w + x + i % rw) * 3
                img[o:o + 3] = bytes(p)
    with open(opt.save, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h) + bytes(img))
    c.close()
    return "%dx%d desktop, %s" % (w, h, "over TLS" if opt.tls else "plain")


def check_tls_garbage(opt):
    """A TLS record type byte followed by nonsense: the server ends the
    connection (no HTTP, no RFB greeting)."""
    s = socket.create_connection((opt.host, opt.port), opt.timeout)
    s.settimeout(opt.timeout)
    s.sendall(b"\x16GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\xff" * 64)
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except ConnectionResetError:
        pass
    s.close()
    expect(b"RFB" not in got and b"HTTP/" not in got,
           "answered in the clear: %r" % got[:40])
    return "closed after %d bytes (a TLS alert at most)" % len(got)


def check_tls_silent(opt):
    """A client that sends only the start of a ClientHello: closed by the
    handshake timeout, not kept forever."""
    s = socket.create_connection((opt.host, opt.port), opt.timeout)
    s.settimeout(opt.timeout)
    t = time.monotonic()
    s.sendall(b"\x16\x03\x01\x02\x00")
    try:
        got = s.recv(65536)
    except ConnectionResetError:
        got = b""
    s.close()
    expect(not got, "answered %r" % got[:40])
    return "closed after %.1f s" % (time.monotonic() - t)


def check_tls_limit(opt):
    """Connections from one address that start a TLS handshake and do
    not finish it count under the server's limit of connections not yet
    authenticated (16 from one address): of 17, one is closed at once,
    while the other 16 wait (and are closed by the test)."""
    socks = []
    for _ in range(17):
        s = socket.create_connection((opt.host, opt.port), opt.timeout)
        s.sendall(b"\x16\x03\x01\x02\x00")
        socks.append(s)
    # the first to become readable (at its end), then any others
    ready, _, _ = select.select(socks, [], [], opt.timeout)
    ready, _, _ = select.select(socks, [], [], 0.5)
    closed = [s for s in ready if not s.recv(1)]
    for s in socks:
        s.close()
    expect(len(ready) == 1 and len(closed) == 1,
           "%d closed, %d readable, of 17" % (len(closed), len(ready)))
    return "the 17th closed, 16 waiting"


def check_rfb_first(opt):
    """A client that sends its version before the greeting (gtk-vnc)."""
    c = Conn(opt)
    c.send(b"RFB 003.008\n")
    expect(c.read(12) == b"RFB 003.008\n", "no greeting")
    n = c.read(1)[0]
    expect(n >= 1, "no security types")
    c.read(n)
    c.close()
    return "greeting and security types"


def check_rfb_silent(opt):
    c = Conn(opt)
    t = time.monotonic()
    expect(c.read(12) == b"RFB 003.008\n", "no greeting")
    c.close()
    return "greeting after %.0f ms" % ((time.monotonic() - t) * 1000)


CHECKS = {
    "http-file": check_http_file,
    "http-errors": check_http_errors,
    "http-late": check_http_late,
    "ws-refusals": check_ws_refusals,
    "ws-rfb": check_ws_rfb,
    "ws-binary": check_ws_binary,
    "ws-base64": check_ws_base64,
    "ws-origins": check_ws_origins,
    "ws-bad-frames": check_ws_bad_frames,
    "rfb-first": check_rfb_first,
    "rfb-silent": check_rfb_silent,
    "view-token": check_view_token,
    "ws-desktop": check_ws_desktop,
    "tls-garbage": check_tls_garbage,
    "tls-silent": check_tls_silent,
    "tls-limit": check_tls_limit,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--unix", help="connect to this Unix socket instead")
    ap.add_argument("--web")
    ap.add_argument("--size")
    ap.add_argument("--http-only", action="store_true",
                    help="the port is a WebSocket listener, not RFB")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--origin-ok", action="append", default=[])
    ap.add_argument("--token", help="the view token (view-token)")
    ap.add_argument("--save",
                    help="view-token, ws-desktop: the desktop as PPM here")
    ap.add_argument("--tls", metavar="CERT",
                    help="speak TLS; the server's certificate (PEM)")
    ap.add_argument("--origin-bad", action="append", default=[])
    ap.add_argument("checks", nargs="+", choices=sorted(CHECKS))
    opt = ap.parse_args()
    failed = 0
    for name in opt.checks:
        try:
            print("ok %s: %s" % (name, CHECKS[name](opt)), flush=True)
        except (Fail, OSError, EOFError, ValueError, KeyError) as e:
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
