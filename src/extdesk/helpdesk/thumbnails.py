"""Thumbnails of image attachments: re-encoded by the server, never the customer's file itself.

An attachment is an image when its content is PNG, JPEG, GIF or WebP (its
name and declared type are the sender's word and count for nothing). Its
thumbnail is drawn anew from the decoded pixels, so nothing of the original
file reaches a browser inline: no metadata (EXIF, ICC profiles, text chunks),
no second frame, no bytes a browser might sniff as something else. Images
too large to decode safely, and files that do not decode, get no thumbnail:
the page keeps their download link.

Thumbnails are kept in ``$EXTDESK_DATA_DIR/thumbnails/`` under the
attachment's stored (random, never reused) name, so a page draws each once;
a refusal is kept too, so a broken file is not decoded on every page. The
directory is outside ``attachments/``, whose sweep deletes files no
attachment row names.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from extdesk.private_files import DIRECTORY_MODE, FILE_MODE

from .models import Attachment

# The longest side of a thumbnail, in pixels.
BOX = 320
# Far under Pillow's own bomb limit (~89 million pixels): a 40-megapixel photo
# is the largest a customer plausibly attaches, and decoding one takes about
# 160 MB; anything larger is refused before its pixels are decoded.
MAX_PIXELS = 40_000_000
# The decoders that may look at an attachment (Pillow would otherwise try
# every format it knows, some far less hardened than these).
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")

_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
_REFUSED = ".refused"
_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg"}


@dataclass(frozen=True)
class Thumbnail:
    path: Path
    content_type: str
    width: int
    height: int


class RefusedImage(Exception):
    """The file is not an image that can be decoded safely (its message says why)."""


def looks_like_image(head: bytes) -> bool:
    """Whether a file starting with ``head`` (its first 12 bytes or more) is PNG, JPEG, GIF or WebP."""
    return head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def make_thumbnail(source: Path, target_stem: Path) -> Thumbnail:
    """Decode the image at ``source`` and write its thumbnail next to ``target_stem`` (suffix added).

    Raises :class:`RefusedImage` for anything but a safely decodable PNG,
    JPEG, GIF or WebP.
    """
    with warnings.catch_warnings():
        # Pillow warns (and carries on) between its limit and twice it: a refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(source, formats=FORMATS) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise RefusedImage(f"{width} by {height} pixels is more than a thumbnail is drawn from")
                is_jpeg = image.format == "JPEG"
                image.seek(0)  # an animation: its first frame
                # draft: a JPEG decoded at a fraction of its size, enough for the box.
                image.draft("RGB", (BOX * 2, BOX * 2))
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((BOX, BOX), Image.Resampling.LANCZOS)
                pixels = _plain_pixels(upright, opaque=is_jpeg)
        except RefusedImage:
            raise
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
                OSError, SyntaxError, ValueError, EOFError) as exc:
            # Truncated, malformed, or a format decoder's own refusal.
            raise RefusedImage(f"not a readable image ({type(exc).__name__})") from exc
    suffix = ".jpg" if is_jpeg else ".png"
    path = target_stem.with_name(target_stem.name + suffix)
    _write_atomically(path, lambda handle: pixels.save(
        handle, format="JPEG" if is_jpeg else "PNG", **({"quality": 85} if is_jpeg else {"optimize": True})))
    return Thumbnail(path, _SUFFIXES[suffix], pixels.width, pixels.height)


def _plain_pixels(image: Image.Image, *, opaque: bool) -> Image.Image:
    """The pixels alone, in a new image: nothing of the file's metadata (``info``) comes along."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGB" if opaque or not has_alpha else "RGBA"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file, so a page never serves a half-written thumbnail."""
    path.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _cache_stem(attachment: Attachment) -> Path:
    return Path(settings.DATA_DIR) / "thumbnails" / str(attachment.file.name)


def _cached(stem: Path) -> Thumbnail | None:
    for suffix, content_type in _SUFFIXES.items():
        path = stem.with_name(stem.name + suffix)
        try:
            with Image.open(path, formats=("PNG", "JPEG")) as image:
                return Thumbnail(path, content_type, image.width, image.height)
        except FileNotFoundError:
            continue
        except (UnidentifiedImageError, OSError):
            path.unlink(missing_ok=True)  # damaged on disk: drawn again
    return None


def thumbnail_of(attachment: Attachment) -> Thumbnail | None:
    """The attachment's thumbnail, drawn on first use; ``None`` when it is no image that can be shown."""
    source = Path(attachment.file.path)
    try:
        with source.open("rb") as handle:
            if not looks_like_image(handle.read(16)):
                return None
    except FileNotFoundError:
        return None
    stem = _cache_stem(attachment)
    refused = stem.with_name(stem.name + _REFUSED)
    if refused.exists():
        return None
    cached = _cached(stem)
    if cached is not None:
        return cached
    try:
        return make_thumbnail(source, stem)
    except RefusedImage:
        _write_atomically(refused, lambda handle: None)
        return None
