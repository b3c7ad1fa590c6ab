#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A viewer for the RSA-AES security types (RA2 5, RA2ne 6, RA2_256 129,
RA2ne_256 130), written from the community RFB specification for the
tests: it runs the handshake, asks for one full Raw update at 32 bits per
pixel and writes it as a binary PPM.

  ra2-client.py HOST:PORT --type N [--user U] --password P
                [--out FILE.ppm] [--key CHAR]
                [--tamper credentials|session] [--timeout S]

Prints "fingerprint xx-xx-..." (the server key's, as TigerVNC shows it),
"subtype N" (1: the server asks for a user name and password, which
--user gives; 2: the password alone), "security-result N" and, on
failure, "reason TEXT". With --key, after the update it presses and
releases CHAR and waits for the answer to one more update request, so
that the server has taken the key when the client leaves.
Exit: 0 desktop decoded (or, with --tamper, the server closed the
connection at once), 3 authentication failed, 1 anything else.
"""
import argparse
import hashlib
import os
import socket
import struct
import sys

from Cryptodome.Cipher import AES, PKCS1_v1_5
from Cryptodome.PublicKey import RSA

TYPES = {5: (16, False), 6: (16, True), 129: (32, False), 130: (32, True)}


class Conn:
    """The socket, with exact reads."""

    def __init__(self, sock):
        self.sock = sock

    def read(self, n):
        out = b""
        while len(out) < n:
            d = self.sock.recv(n - len(out))
            if not d:
                raise EOFError("server closed the connection")
            out += d
        return out

    def write(self, d):
        self.sock.sendall(d)


class Records:
    """AES-EAX records: U16 length, ciphertext, 16-byte MAC; the nonce is
    a 16-byte little-endian count of records, the length is the
    associated data."""

    def __init__(self, conn, rkey, wkey):
        self.conn = conn
        self.rkey, self.wkey = rkey, wkey
        self.rcount = self.wcount = 0
        self.buf = b""

    def _cipher(self, key, count):
        return AES.new(key, AES.MODE_EAX, nonce=count.to_bytes(16, "little"),
                       mac_len=16)

    def seal(self, d):
        out = b""
        for i in range(0, len(d), 65535):
            chunk = d[i:i + 65535]
            hdr = struct.pack(">H", len(chunk))
            c = self._cipher(self.wkey, self.wcount)
            c.update(hdr)
            ct, mac = c.encrypt_and_digest(chunk)
            self.wcount += 1
            out += hdr + ct + mac
        return out

    def write(self, d):
        self.conn.write(self.seal(d))

    def read(self, n):
        while len(self.buf) < n:
            hdr = self.conn.read(2)
            (length,) = struct.unpack(">H", hdr)
            body = self.conn.read(length + 16)
            c = self._cipher(self.rkey, self.rcount)
            c.update(hdr)
            self.buf += c.decrypt_and_verify(body[:length], body[length:])
            self.rcount += 1
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def key_msg(bits, n, e):
    size = (bits + 7) // 8
    return struct.pack(">I", bits) + n.to_bytes(size, "big") + \
        e.to_bytes(size, "big")


def handshake(conn, sectype, user, password, tamper):
    key_len, clear_after = TYPES[sectype]
    hashf = hashlib.sha1 if key_len == 16 else hashlib.sha256
    hash_len = hashf().digest_size

    version = conn.read(12)
    if not version.startswith(b"RFB 003."):
        raise ValueError("bad ProtocolVersion %r" % version)
    conn.write(b"RFB 003.008\n")
    (ntypes,) = conn.read(1)
    types = list(conn.read(ntypes))
    print("security-types", " ".join(str(t) for t in types))
    if sectype not in types:
        raise ValueError("type %d not offered" % sectype)
    conn.write(bytes([sectype]))

    # The server's public key.
    (bits,) = struct.unpack(">I", conn.read(4))
    if not 1024 <= bits <= 8192:
        raise ValueError("server key of %d bits" % bits)
    size = (bits + 7) // 8
    n = int.from_bytes(conn.read(size), "big")
    e = int.from_bytes(conn.read(size), "big")
    server_msg = key_msg(bits, n, e)
    print("fingerprint", "-".join("%02x" % b for b in
                                  hashlib.sha1(server_msg).digest()[:8]))
    server_key = RSA.construct((n, e))

    # Ours: 1024 bits is the smallest allowed and quick to make.
    client_key = RSA.generate(1024)
    client_msg = key_msg(1024, client_key.n, client_key.e)
    conn.write(client_msg)

    # The server's random, under our key; ours, under the server's.
    (length,) = struct.unpack(">H", conn.read(2))
    if length != 128:
        raise ValueError("server random of %d bytes" % length)
    sentinel = os.urandom(key_len + 1)
    server_random = PKCS1_v1_5.new(client_key).decrypt(conn.read(length),
                                                       sentinel)
    if len(server_random) != key_len:
        raise ValueError("cannot decrypt the server random")
    client_random = os.urandom(key_len)
    ct = PKCS1_v1_5.new(server_key).encrypt(client_random)
    conn.write(struct.pack(">H", len(ct)) + ct)

    # We write with H(server || client), read with H(client || server).
    wkey = hashf(server_random + client_random).digest()[:key_len]
    rkey = hashf(client_random + server_random).digest()[:key_len]
    rec = Records(conn, rkey, wkey)

    if rec.read(hash_len) != hashf(server_msg + client_msg).digest():
        raise ValueError("server hash is wrong")
    rec.write(hashf(client_msg + server_msg).digest())
    (subtype,) = rec.read(1)
    print("subtype", subtype)
    if subtype not in (1, 2):
        raise ValueError("unknown subtype %d" % subtype)
    # Subtype 1: user name and password; 2: the password, no name.
    name = user.encode() if subtype == 1 else b""
    pw = password.encode()
    creds = bytes([len(name)]) + name + bytes([len(pw)]) + pw
    if tamper == "credentials":
        bad = bytearray(rec.seal(creds))
        bad[3] ^= 0x01
        conn.write(bytes(bad))
        return None
    rec.write(creds)

    stream = conn if clear_after else rec
    (result,) = struct.unpack(">I", stream.read(4))
    print("security-result", result)
    if result:
        (rlen,) = struct.unpack(">I", stream.read(4))
        print("reason", stream.read(rlen).decode(errors="replace"))
        sys.exit(3)
    return stream


def expect_close(conn):
    """The server must close without a word more."""
    try:
        d = conn.sock.recv(1)
    except ConnectionResetError:
        d = b""
    if d:
        raise ValueError("server answered a tampered record")
    print("closed")


def read_update(s, width, height, area=None):
    """Raw rectangles until @area pixels (the whole screen) are covered;
    32-bit pixels."""
    fb = bytearray(width * height * 4)
    covered = 0
    while covered < (area or width * height):
        (mtype,) = s.read(1)
        if mtype == 2:          # Bell
            continue
        if mtype == 3:          # ServerCutText
            (tlen,) = struct.unpack(">3xI", s.read(7))
            s.read(tlen)
            continue
        if mtype != 0:
            raise ValueError("unexpected message type %d" % mtype)
        (nrects,) = struct.unpack(">xH", s.read(3))
        for _ in range(nrects):
            x, y, w, h, enc = struct.unpack(">HHHHi", s.read(12))
            if enc != 0:
                raise ValueError("unexpected encoding %d" % enc)
            data = s.read(w * h * 4)
            for row in range(h):
                off = ((y + row) * width + x) * 4
                fb[off:off + w * 4] = data[row * w * 4:(row + 1) * w * 4]
            covered += w * h
    return fb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("--type", type=int, required=True, choices=TYPES)
    ap.add_argument("--user", default="")
    ap.add_argument("--password", required=True)
    ap.add_argument("--key")
    ap.add_argument("--out")
    ap.add_argument("--tamper", choices=("credentials", "session"))
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    if a.tamper == "session" and TYPES[a.type][1]:
        ap.error("--tamper session needs a type that encrypts the session")
    host, port = a.addr.rsplit(":", 1)
    sock = socket.create_connection((host.strip("[]"), int(port)),
                                    timeout=a.timeout)
    conn = Conn(sock)
    try:
        s = handshake(conn, a.type, a.user, a.password, a.tamper)
        if s is None:
            expect_close(conn)
            return 0
        s.write(b"\x01")        # ClientInit, shared
        width, height = struct.unpack(">HH", s.read(4))
        s.read(16)
        (nlen,) = struct.unpack(">I", s.read(4))
        print("desktop", width, height, s.read(nlen).decode(errors="replace"))
        # 32 bpp, depth 24, little-endian, true colour, 255 each,
        # shifts 16, 8, 0; Raw only; one full update.
        s.write(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255,
                            255, 16, 8, 0))
        s.write(struct.pack(">BxHi", 2, 1, 0))
        if a.tamper == "session":
            bad = bytearray(s.seal(struct.pack(">BBHHHH", 3, 0, 0, 0,
                                               width, height)))
            bad[-1] ^= 0x80
            conn.write(bytes(bad))
            expect_close(conn)
            return 0
        s.write(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))
        fb = read_update(s, width, height)
        if a.key:
            sym = ord(a.key)
            s.write(struct.pack(">BBxxI", 4, 1, sym) +
                    struct.pack(">BBxxI", 4, 0, sym))
            # Messages are taken in order: once this is answered, the
            # key has been.
            s.write(struct.pack(">BBHHHH", 3, 0, 0, 0, 1, 1))
            read_update(s, width, height, 1)
            print("typed", a.key)
    except (EOFError, ValueError, OSError) as e:
        print("error", e)
        return 1
    if a.out:
        with open(a.out, "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (width, height))
            px = bytearray(width * height * 3)
            px[0::3] = fb[2::4]
            px[1::3] = fb[1::4]
            px[2::3] = fb[0::4]
            f.write(px)
    print("decoded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
