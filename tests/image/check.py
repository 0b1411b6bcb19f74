#!/usr/bin/env python3
"""tests/image/check.py: helpers of tests/image/run.sh (python3's standard library only).
  check.py cmp GOT.f32 WANT.f32 TOL        max |got - want| <= TOL (prints it)
  check.py near GOT.f32 WANT.f32 MEAN      the mean |got - want| <= MEAN (lossy JPEG)
  check.py shape OUT IMAGE.json            the "shape"/"grid" lines pixels printed match image.json
  check.py rgbdiff A.rgb B.rgb MAX         decoded bytes of one picture differ by at most MAX
  check.py png KIND SRC.rgb W H OUT.png    SRC (8-bit RGB) as a PNG of KIND: rgb16 (16-bit samples,
                                           the 8-bit values as high bytes), palette, rgba (alpha
                                           255), interlaced, gray16
  check.py smart H W FACTOR MIN MAX        Qwen2-VL's smart_resize (transformers), printed "h w"
  check.py quant SRC.rgb OUT.rgb           SRC with each sample's low 6 bits cleared (64 colours at most)
  check.py ppm SRC.rgb W H OUT.ppm         SRC as a P6 PPM
  check.py alpha SRC.rgb W H OUT.png OUT.ppm  SRC with a varying alpha as an RGBA PNG, and as PPM what
                                           transformers' convert_to_rgb makes of it (PIL's alpha_composite
                                           over white, AlphaComposite.c's integer arithmetic)
"""
import array, json, math, struct, sys, zlib


def f32(p):
    a = array.array("f")
    a.frombytes(open(p, "rb").read())
    if sys.byteorder != "little":
        a.byteswap()
    return a


def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


def png(kind, src, w, h, out):
    px = open(src, "rb").read()
    assert len(px) == w * h * 3
    rows = [px[y * w * 3:(y + 1) * w * 3] for y in range(h)]
    plte = b""
    interlace = 0
    if kind == "rgb16":
        depth, ct = 16, 2
        raw = [bytes(b for v in r for b in (v, (v * 7) & 0xFF)) for r in rows]
    elif kind == "gray16":
        depth, ct = 16, 0
        raw = [bytes(b for x in range(w) for b in (r[x * 3], 0)) for r in rows]
    elif kind == "palette":
        cols = sorted(set(px[i:i + 3] for i in range(0, len(px), 3)))
        assert len(cols) <= 256
        idx = {c: i for i, c in enumerate(cols)}
        depth, ct = 8, 3
        plte = chunk(b"PLTE", b"".join(cols))
        raw = [bytes(idx[r[x * 3:x * 3 + 3]] for x in range(w)) for r in rows]
    elif kind == "rgba":
        depth, ct = 8, 6
        raw = [bytes(b for x in range(w) for b in r[x * 3:x * 3 + 3] + b"\xff") for r in rows]
    elif kind == "interlaced":  # Adam7: the seven passes of an 8-bit RGB image
        depth, ct, interlace = 8, 2, 1
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        data = b""
        for x0, y0, dx, dy in passes:
            for y in range(y0, h, dy):
                line = b"".join(rows[y][x * 3:x * 3 + 3] for x in range(x0, w, dx))
                if line:
                    data += b"\0" + line
        ihdr = struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, interlace)
        open(out, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b""))
        return
    else:
        sys.exit("check.py png: unknown kind " + kind)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, interlace)
    data = b"".join(b"\0" + r for r in raw)
    open(out, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + plte + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b""))


def smart(h, w, factor, mn, mx):
    hb = round(h / factor) * factor
    wb = round(w / factor) * factor
    if hb * wb > mx:
        beta = math.sqrt((h * w) / mx)
        hb = max(factor, math.floor(h / beta / factor) * factor)
        wb = max(factor, math.floor(w / beta / factor) * factor)
    elif hb * wb < mn:
        beta = math.sqrt(mn / (h * w))
        hb = math.ceil(h * beta / factor) * factor
        wb = math.ceil(w * beta / factor) * factor
    return hb, wb


def alpha_of(x, y):
    return (x * 37 + y * 11) & 255


def over_white(r, a):
    if a == 0:
        return 255
    outa255 = a * 255 + 255 * (255 - a)
    c1 = a * 255 * 255 * 128 // outa255
    c2 = 255 * 128 - c1
    t = r * c1 + 255 * c2 + (0x80 << 7)
    return (((t >> 8) + t) >> 8) >> 7


def main():
    a = sys.argv[1:]
    if a[0] in ("cmp", "near"):
        g, w = f32(a[1]), f32(a[2])
        if len(g) != len(w):
            sys.exit("%d values, want %d" % (len(g), len(w)))
        d = [abs(x - y) for x, y in zip(g, w)]
        m, mean = max(d), sum(d) / len(d)
        rel = max(abs(x - y) / max(abs(y), 1e-3) for x, y in zip(g, w))
        print("max_abs=%.3g mean_abs=%.3g max_rel=%.3g (%d values, %d differ)" % (m, mean, rel, len(d), sum(1 for x in d if x)))
        sys.exit(0 if (m if a[0] == "cmp" else mean) <= float(a[3]) else 1)
    if a[0] == "shape":
        lines = dict((l.split()[0], [int(x) for x in l.split()[1:]]) for l in open(a[1]) if l.strip())
        ref = json.load(open(a[2]))
        ok = lines.get("shape") == ref["pixel_values_shape"] and lines.get("grid") == ref.get("image_grid_thw")
        print("shape %s grid %s (image.json: %s %s)" % (lines.get("shape"), lines.get("grid"), ref["pixel_values_shape"], ref.get("image_grid_thw")))
        sys.exit(0 if ok else 1)
    if a[0] == "rgbdiff":
        x, y = open(a[1], "rb").read(), open(a[2], "rb").read()
        if len(x) != len(y):
            sys.exit("%d bytes, want %d" % (len(x), len(y)))
        m = max(abs(p - q) for p, q in zip(x, y))
        print("max byte difference %d" % m)
        sys.exit(0 if m <= int(a[3]) else 1)
    if a[0] == "png":
        png(a[1], a[2], int(a[3]), int(a[4]), a[5])
        return
    if a[0] == "quant":
        open(a[2], "wb").write(bytes(v & 0xC0 for v in open(a[1], "rb").read()))
        return
    if a[0] == "ppm":
        open(a[4], "wb").write(b"P6\n%d %d\n255\n" % (int(a[2]), int(a[3])) + open(a[1], "rb").read())
        return
    if a[0] == "alpha":
        px, w, h = open(a[1], "rb").read(), int(a[2]), int(a[3])
        rgba = b"".join(px[i * 3:i * 3 + 3] + bytes([alpha_of(i % w, i // w)]) for i in range(w * h))
        rows = [b"\0" + rgba[y * w * 4:(y + 1) * w * 4] for y in range(h)]
        ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
        open(a[4], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))
        comp = bytes(over_white(px[i * 3 + c], alpha_of(i % w, i // w)) for i in range(w * h) for c in range(3))
        open(a[5], "wb").write(b"P6\n%d %d\n255\n" % (w, h) + comp)
        return
    if a[0] == "smart":
        print("%d %d" % smart(*[int(x) for x in a[1:6]]))
        return
    sys.exit("check.py: unknown command " + a[0])


main()
