"""Write the grid-worker app's PNG icons (the OneGrid mark: four squares, one gold) without any
imaging library: `python3 scripts/field_icons.py`."""

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/onegrid/web/static/field"
BLUE, WHITE, GOLD = (11, 61, 117), (255, 255, 255), (232, 163, 23)


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y) in a unit square: a 2×2 block of squares centred on a blue field."""
    for i, (x0, y0) in enumerate(((0.2, 0.2), (0.53, 0.2), (0.2, 0.53), (0.53, 0.53))):
        if x0 <= x < x0 + 0.27 and y0 <= y < y0 + 0.27:
            return GOLD if i == 3 else WHITE
    return BLUE


def png(size: int) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel((x + 0.5) / size, (y + 0.5) / size)) for x in range(size))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(png(size))
