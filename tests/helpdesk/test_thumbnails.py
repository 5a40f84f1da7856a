"""Thumbnails drawn anew from the pixels: bounded, upright, first frame, no metadata; bad files refused."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from extdesk.helpdesk.thumbnails import BOX, MAX_PIXELS, RefusedImage, looks_like_image, make_thumbnail

pytestmark = pytest.mark.database_independent

SECRET = b"secret-camera-serial-4711"


def _two_halves(size=(400, 200)) -> Image.Image:
    """Red on the left half, blue on the right: which way up a thumbnail is shows in its corners."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


def _icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET.decode())
    info.add_itxt("Author", SECRET.decode())
    out = io.BytesIO()
    _two_halves((800, 400)).save(out, "PNG", pnginfo=info, icc_profile=_icc())
    return out.getvalue()


def jpeg_turned(orientation: int = 6) -> bytes:
    """A JPEG stored sideways whose EXIF says how to turn it (6: a quarter turn clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = SECRET.decode()  # Make
    exif[0x0131] = SECRET.decode()  # Software
    out = io.BytesIO()
    _two_halves().save(out, "JPEG", exif=exif.tobytes(), icc_profile=_icc(), quality=95)
    return out.getvalue()


def gif_animated() -> bytes:
    frames = [Image.new("P", (64, 48), color) for color in (1, 2)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 9))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0,
                   comment=SECRET)
    return out.getvalue()


def webp_transparent() -> bytes:
    image = Image.new("RGBA", (500, 500), (0, 128, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, 250, 500))
    exif = Image.Exif()
    exif[0x010F] = SECRET.decode()
    out = io.BytesIO()
    image.save(out, "WEBP", lossless=True, exif=exif.tobytes(), icc_profile=_icc())
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` by ``height`` with almost no pixel data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


@functools.cache
def png_bomb() -> bytes:
    """A real, valid PNG of a few kilobytes that decodes to 50 million pixels (1-bit grey, all black)."""
    width, height = 10_000, 5_000
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = (b"\x00" + b"\x00" * ((width + 7) // 8)) * height
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b""))


def _thumbnail(tmp_path: Path, content: bytes):
    source = tmp_path / "source"
    source.write_bytes(content)
    return make_thumbnail(source, tmp_path / "cache" / "thumb")


def _assert_clean(path: Path) -> None:
    data = path.read_bytes()
    assert SECRET not in data
    with Image.open(path) as image:
        assert not set(image.info) & {"icc_profile", "exif", "Comment", "Author", "comment", "xmp"}
        assert len(image.getexif()) == 0
        if image.format == "PNG":
            assert not image.text  # type: ignore[attr-defined]
    for chunk in (b"iCCP", b"tEXt", b"iTXt", b"zTXt", b"eXIf"):
        assert chunk not in data


def test_png_is_bounded_and_stripped(tmp_path):
    thumb = _thumbnail(tmp_path, png_with_metadata())
    assert (thumb.content_type, thumb.width, thumb.height) == ("image/png", BOX, BOX // 2)
    assert thumb.path.suffix == ".png"
    _assert_clean(thumb.path)
    with Image.open(thumb.path) as image:
        assert image.size == (BOX, BOX // 2)
        assert image.getpixel((5, 5))[:3] == (255, 0, 0)


def test_jpeg_is_turned_upright_and_stripped(tmp_path):
    thumb = _thumbnail(tmp_path, jpeg_turned(6))
    assert thumb.content_type == "image/jpeg"
    # 400 by 200 stored sideways: shown 200 wide, 400 high, so 160 by 320 in the box.
    assert (thumb.width, thumb.height) == (BOX // 2, BOX)
    _assert_clean(thumb.path)
    with Image.open(thumb.path) as image:
        assert image.format == "JPEG"
        top, bottom = image.getpixel((80, 10)), image.getpixel((80, 310))
    # A quarter turn clockwise puts the left (red) half on top.
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_animated_gif_gives_its_first_frame(tmp_path):
    thumb = _thumbnail(tmp_path, gif_animated())
    assert (thumb.content_type, thumb.width, thumb.height) == ("image/png", 64, 48)
    _assert_clean(thumb.path)
    with Image.open(thumb.path) as image:
        assert getattr(image, "n_frames", 1) == 1
        assert image.convert("RGB").getpixel((10, 10)) == (255, 0, 0)


def test_webp_keeps_its_transparency_and_loses_its_metadata(tmp_path):
    thumb = _thumbnail(tmp_path, webp_transparent())
    assert (thumb.content_type, thumb.width, thumb.height) == ("image/png", BOX, BOX)
    _assert_clean(thumb.path)
    with Image.open(thumb.path) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((10, 10))[3] == 255
        assert image.getpixel((BOX - 10, 10))[3] == 0


def test_small_images_are_not_enlarged(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, "PNG")
    thumb = _thumbnail(tmp_path, out.getvalue())
    assert (thumb.width, thumb.height) == (40, 30)


@pytest.mark.parametrize("content", [
    pytest.param(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 20, id="malformed-png"),
    pytest.param(png_with_metadata()[:600], id="truncated-png"),
    pytest.param(jpeg_turned()[:900], id="truncated-jpeg"),
    pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 100, id="malformed-jpeg"),
    pytest.param(b"GIF89a\x10\x00", id="truncated-gif"),
    pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 garbage", id="malformed-webp"),
    pytest.param(png_claiming(100_000, 100_000), id="huge-dimensions"),
    pytest.param(png_claiming(MAX_PIXELS // 1000 + 1, 1000), id="just-over-the-limit"),
    pytest.param(png_claiming(0, 10), id="zero-width"),
    pytest.param(png_bomb(), id="decompression-bomb"),
    pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", id="svg"),
    pytest.param(b"BM" + b"\x00" * 60, id="bmp-not-offered"),
])
def test_bad_or_unsafe_images_are_refused_and_write_nothing(tmp_path, content):
    with pytest.raises(RefusedImage):
        _thumbnail(tmp_path, content)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_the_bomb_is_small_on_disk():
    # What makes it a bomb: its pixels are far beyond the limit, its file is tiny.
    assert len(png_bomb()) < 100_000
    with Image.open(io.BytesIO(png_bomb())) as image:
        assert image.width * image.height > MAX_PIXELS


def test_content_decides_what_is_an_image():
    assert looks_like_image(png_with_metadata()[:16])
    assert looks_like_image(jpeg_turned()[:16])
    assert looks_like_image(gif_animated()[:16])
    assert looks_like_image(webp_transparent()[:16])
    assert not looks_like_image(b"%PDF-1.4 not an image")
    assert not looks_like_image(b"RIFF\x00\x00\x00\x00WAVEfmt ")
