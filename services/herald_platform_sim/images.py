"""Images on the simulator: the media it serves for tests and demos, and what it reads from
bytes it fetched (format and size, from the bytes, whatever the Content-Type said).

``GET /media/{name}`` serves an image made from its name: ``photo.jpg`` a small JPEG,
``wide-1910x1000.jpg`` a JPEG of that size, ``a.png`` / ``a.gif`` / ``a.webp`` those formats,
``clip.mp4`` a few bytes typed video/mp4. ``?as=image/jpeg`` overrides the Content-Type, so a
PNG can be served as if it were a JPEG.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, UnidentifiedImageError

FORMATS = {
    "jpg": ("JPEG", "image/jpeg"),
    "jpeg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
    "gif": ("GIF", "image/gif"),
    "webp": ("WEBP", "image/webp"),
}
_SIZE = re.compile(r"(\d{1,4})x(\d{1,4})")
DEFAULT_SIZE = (8, 8)


@dataclass(frozen=True)
class Picture:
    format: str  # Pillow's name: JPEG, PNG, GIF, WEBP, ...
    width: int
    height: int


def inspect(data: bytes) -> Picture | None:
    """What the bytes are, or None if they are not an image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return Picture(str(img.format), img.width, img.height)
    except (UnidentifiedImageError, OSError, ValueError):
        return None


@lru_cache(maxsize=64)
def render(name: str) -> tuple[bytes, str]:
    """(bytes, content type) of the media named ``name``."""
    stem, _, ext = name.rpartition(".")
    ext = ext.lower()
    if ext in ("mp4", "mov"):
        return b"\x00\x00\x00\x18ftypmp42" + bytes(64), "video/mp4"
    fmt, ctype = FORMATS.get(ext, FORMATS["jpg"])
    size = _SIZE.search(stem)
    w, h = (int(size.group(1)), int(size.group(2))) if size else DEFAULT_SIZE
    out = io.BytesIO()
    Image.new("RGB", (max(w, 1), max(h, 1)), (200, 120, 40)).save(out, fmt)
    return out.getvalue(), ctype
