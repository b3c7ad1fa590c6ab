#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Expected pictures for the examples' tests, computed independently of
the examples (standard library only):

  example-images.py draw FRAME KEYSYM X Y RGB OUT.ppm
      the picture examples/draw shows at animation frame FRAME after key
      KEYSYM with the pointer square at X,Y in colour RGB (hex)
  example-images.py png SEED W H OUT.png OUT.ppm
      a W x H test pattern as an 8-bit RGB PNG and the same pixels as PPM
"""
import random
import struct
import sys
import zlib


def write_ppm(path, w, h, rgb):
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(bytes(rgb))


def draw(frame, keysym, px, py, colour, out):
    w, h = 320, 240
    img = bytearray(w * h * 3)

    def fill(x0, y0, fw, fh, c):
        for y in range(max(y0, 0), min(y0 + fh, h)):
            for x in range(max(x0, 0), min(x0 + fw, w)):
                img[3 * (y * w + x):3 * (y * w + x) + 3] = c

    for y in range(h):
        for x in range(w):
            i = 3 * (y * w + x)
            img[i] = (x + frame) & 255
            img[i + 1] = (y + 2 * frame) & 255
            img[i + 2] = ((x + y) // 4) & 255
    for i in range(16):
        bit = keysym >> (15 - i) & 1
        fill(4 + 10 * i, 4, 8, 8, b"\xff\xff\xff" if bit else b"\0\0\0")
    fill(px - 3, py - 3, 6, 6, bytes.fromhex(colour))
    write_ppm(out, w, h, img)


def png(seed, w, h, out_png, out_ppm):
    rnd = random.Random(seed)
    rgb = bytearray(w * h * 3)
    # smooth areas, hard edges and noise, so every encoding has work
    for y in range(h):
        for x in range(w):
            i = 3 * (y * w + x)
            if (x // 16 + y // 16) % 3 == 0:
                rgb[i:i + 3] = bytes(rnd.randrange(256) for _ in range(3))
            else:
                rgb[i:i + 3] = bytes(((x * 255 // w) ^ seed & 255,
                                      y * 255 // h, (x + y + seed) & 255))
    raw = b"".join(b"\0" + bytes(rgb[3 * w * y:3 * w * (y + 1)])
                   for y in range(h))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))

    with open(out_png, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw)))
        f.write(chunk(b"IEND", b""))
    write_ppm(out_ppm, w, h, rgb)


def main(argv):
    if len(argv) == 8 and argv[1] == "draw":
        draw(int(argv[2]), int(argv[3], 0), int(argv[4]), int(argv[5]),
             argv[6], argv[7])
    elif len(argv) == 7 and argv[1] == "png":
        png(int(argv[2]), int(argv[3]), int(argv[4]), argv[5], argv[6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
