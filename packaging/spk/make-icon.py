#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make-icon.py SIZE OUT.png: the package icon Package Center shows (64 and 256 pixels), a
portcullis drawn from rectangles: a stone arch and the gate's grid. Drawn here so that no
binary file lives in the repository; the output is the same on every run."""
import struct
import sys
import zlib


def draw(size):
    stone, gate, sky = (0x5a, 0x63, 0x70), (0x2b, 0x2f, 0x36), (0xe8, 0xee, 0xf4)
    px = [[(0, 0, 0, 0)] * size for _ in range(size)]
    u = size / 16.0
    for y in range(size):
        for x in range(size):
            fx, fy = x / u, y / u
            inside = 1 <= fx < 15 and 2 <= fy < 15
            opening = 3 <= fx < 13 and 5 <= fy < 15
            if not inside:
                continue
            px[y][x] = (*stone, 255)
            if opening:
                bar = (fx - 3) % 2.5 < 0.7 or (fy - 5) % 2.5 < 0.7 or fy >= 14.3
                px[y][x] = (*gate, 255) if bar else (*sky, 255)
    return px


def png(px):
    h, w = len(px), len(px[0])
    raw = b"".join(b"\0" + b"".join(struct.pack("4B", *p) for p in row) for row in px)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make-icon.py SIZE OUT.png")
    with open(sys.argv[2], "wb") as f:
        f.write(png(draw(int(sys.argv[1]))))
