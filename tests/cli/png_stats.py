#!/usr/bin/python3
"""Decode a PNG with the standard library only and print what a browser test needs to know.

Usage: png_stats.py FILE.png
Prints one line: width=W height=H ink=F red=R blue=B
  ink  = fraction of pixels that are not (near) white,
  red  = number of strongly red pixels (the reference curves of xrdid's plots, #d62728),
  blue = number of strongly blue pixels (the measured curves, #1f77b4).
Exits 2 when the file is not a PNG this decoder understands (8-bit, non-interlaced
greyscale/RGB/RGBA, which is what headless Chromium writes).
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        raise ValueError("no IHDR chunk")
    w, h, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = w * channels
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif f != 0:
                raise ValueError(f"bad filter type {f}")
        rows.append(bytes(line))
        prev = line
    return w, h, channels, rows


def main():
    try:
        w, h, ch, rows = decode(sys.argv[1])
    except (OSError, ValueError, zlib.error) as e:
        print(f"png_stats: {sys.argv[1]}: {e}", file=sys.stderr)
        return 2
    ink = red = blue = 0
    for row in rows:
        for x in range(w):
            px = row[x * ch:(x + 1) * ch]
            r, g, b = (px[0], px[0], px[0]) if ch == 1 else (px[0], px[1], px[2])
            if min(r, g, b) < 235:
                ink += 1
            if r > 170 and g < 90 and b < 90:
                red += 1
            if b > 140 and r < 90 and 80 < g < 160:
                blue += 1
    print(f"width={w} height={h} ink={ink / (w * h):.4f} red={red} blue={blue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
