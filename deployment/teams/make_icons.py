"""Draws the Teams app icons (a clipboard with a tick) as PNGs, with no imaging library.

Run once after changing the design: python3 deployment/teams/make_icons.py
color.png: 192x192, full colour. outline.png: 32x32, white on transparent (Teams' rules).
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCENT = (0x1F, 0x5F, 0x8B)  # the manifest's accentColor, #1F5F8B
CLIP = (0xC9, 0xDD, 0xEC)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # supersampling per axis, for smooth edges


def png(width: int, height: int, rgba: bytes) -> bytes:
    """An 8-bit RGBA PNG of the given rows (no filtering)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    stride = width * 4
    raw = b"".join(b"\0" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def rounded_box(x: float, y: float, box: tuple[float, float, float, float], r: float) -> float:
    """Signed distance from (x, y) to a rounded rectangle (negative inside)."""
    x0, y0, x1, y1 = box
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 - r, (y1 - y0) / 2 - r
    dx, dy = abs(x - cx) - hx, abs(y - cy) - hy
    return math.hypot(max(dx, 0), max(dy, 0)) + min(max(dx, dy), 0) - r


def segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance from (x, y) to the segment a-b."""
    (ax, ay), (bx, by) = a, b
    t = ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)
    t = min(max(t, 0.0), 1.0)
    return math.hypot(x - ax - t * (bx - ax), y - ay - t * (by - ay))


def render(size: int, paint) -> bytes:
    """Average `paint(x, y) -> (r, g, b, a)` over sub-pixel samples in the unit square."""
    out = bytearray()
    n = SAMPLES * SAMPLES
    for py in range(size):
        for px in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    r, g, b, a = paint(x, y)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            alpha = acc[3] / n
            rgb = [round(c / acc[3]) if acc[3] else 0 for c in acc[:3]]
            out += bytes([*rgb, round(alpha * 255)])
    return bytes(out)


def colour(x: float, y: float) -> tuple[int, int, int, float]:
    tick = min(segment(x, y, (0.40, 0.56), (0.47, 0.64)), segment(x, y, (0.47, 0.64), (0.61, 0.46)))
    if tick < 0.028:
        return (*ACCENT, 1.0)
    if rounded_box(x, y, (0.39, 0.21, 0.61, 0.33), 0.035) < 0:
        return (*CLIP, 1.0)
    if rounded_box(x, y, (0.30, 0.26, 0.70, 0.81), 0.05) < 0:
        return (*WHITE, 1.0)
    return (*ACCENT, 1.0)


def outline(x: float, y: float) -> tuple[int, int, int, float]:
    stroke = 0.035  # half of a ~2.2 px line at 32 px
    board = abs(rounded_box(x, y, (0.17, 0.13, 0.83, 0.95), 0.09)) < stroke
    clip = rounded_box(x, y, (0.33, 0.03, 0.67, 0.24), 0.06) < 0
    tick = min(segment(x, y, (0.32, 0.58), (0.45, 0.72)), segment(x, y, (0.45, 0.72), (0.69, 0.42)))
    inside = board or clip or tick < stroke * 1.1
    return (*WHITE, 1.0 if inside else 0.0)


if __name__ == "__main__":
    (HERE / "color.png").write_bytes(png(192, 192, render(192, colour)))
    (HERE / "outline.png").write_bytes(png(32, 32, render(32, outline)))
    print("wrote color.png and outline.png")
