"""tracker/imaging.py: judging an upload by its content, and rendering what Tend serves."""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable

import pytest
from PIL import Image, ImageStat

from tests import images
from tests.images import is_red
from tracker import imaging

RED = (220, 20, 20)


@functools.cache
def big_phone_jpeg() -> bytes:
    """A 5000 x 3000 phone photo (stored sideways, 3000 x 5000, with orientation 6)."""
    return images.phone_jpeg(5000, 3000)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), RED).save(out, "BMP")
    return out.getvalue()


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (32, 32), (i * 40, 0, 0)) for i in range(4)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    return out.getvalue()


# --- inspect_upload: what the request checks before storing anything ---------------------------
@pytest.mark.parametrize(("make", "fmt", "size"), [
    (lambda: images.phone_jpeg(1200, 900), "JPEG", (900, 1200)),  # as stored, sideways
    (images.png, "PNG", (640, 480)),
    (images.webp, "WEBP", (640, 480)),
    (images.heic, "HEIF", (640, 480)),
])
def test_inspect_upload_accepts_the_four_formats_by_their_content(
        make: Callable[[], bytes], fmt: str, size: tuple[int, int]) -> None:
    data = make()
    info = imaging.inspect_upload(data, max_bytes=25 * 1024 * 1024)
    assert (info.format, (info.width, info.height)) == (fmt, size)
    assert info.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(("make", "status"), [
    pytest.param(images.text_file, 400, id="text"),
    pytest.param(lambda: b"", 400, id="empty"),
    pytest.param(images.truncated_jpeg, 400, id="truncated-jpeg"),
    pytest.param(lambda: images.png(64, 48)[:-40], 400, id="truncated-png"),
    pytest.param(images.png_bomb, 413, id="png-100000x100000"),
    pytest.param(lambda: images.png_bomb(8000, 7000), 413, id="png-56-megapixels"),
    pytest.param(lambda: images.png_bomb(1, 40_000), 400, id="png-absurd-side"),
    pytest.param(images.many_frame_gif, 415, id="gif-3000-frames"),
    pytest.param(bmp, 415, id="bmp"),
    pytest.param(animated_webp, 400, id="animated-webp"),
    pytest.param(images.polyglot_jpeg_zip, 400, id="polyglot-jpeg-zip"),
    pytest.param(images.polyglot_jpeg_html_comment, 400, id="polyglot-script-comment"),
    pytest.param(lambda: images.png(64, 48) + b"<html><body>hi</body></html>", 400,
                 id="png-trailing-html"),
    pytest.param(lambda: images.phone_jpeg(64, 48, orientation=1) + b"\0\1\2" * 100, 400,
                 id="jpeg-trailing-bytes"),
])
def test_inspect_upload_refuses_what_is_not_one_whole_taken_image(
        make: Callable[[], bytes], status: int) -> None:
    with pytest.raises(imaging.ImageRejected) as refused:
        imaging.inspect_upload(make(), max_bytes=25 * 1024 * 1024)
    assert refused.value.status == status
    assert refused.value.message


def test_inspect_upload_checks_the_size_before_decoding() -> None:
    data = images.oversized_jpeg(2 * 1024 * 1024)
    assert imaging.inspect_upload(data, max_bytes=len(data)).format == "JPEG"
    with pytest.raises(imaging.ImageRejected) as refused:
        imaging.inspect_upload(data, max_bytes=len(data) - 1)
    assert refused.value.status == 413
    # Too large is decided before the content is looked at: even text is "too large", not "not an image".
    with pytest.raises(imaging.ImageRejected) as refused:
        imaging.inspect_upload(b"x" * 2048, max_bytes=1024)
    assert refused.value.status == 413


# --- render: what the worker makes --------------------------------------------------------------
@pytest.mark.parametrize("orientation", [6, 1])
def test_render_turns_the_photo_upright_by_its_exif_orientation(orientation: int) -> None:
    rendered = imaging.render(images.phone_jpeg(1200, 900, orientation=orientation), "JPEG")
    full = decoded(rendered.full)
    assert full.size == (rendered.width, rendered.height) == (1200, 900)
    # The scene's red bar runs along the top edge, and along no other.
    assert is_red(full, (100, 5, 1100, 60))
    assert not is_red(full, (100, 860, 1100, 895))
    assert not is_red(full, (0, 300, 40, 600))
    assert not is_red(full, (1160, 300, 1200, 600))
    thumb = decoded(rendered.thumbnail)
    assert thumb.size == (512, 384)
    assert is_red(thumb, (40, 2, 470, 25)) and not is_red(thumb, (40, 366, 470, 382))


@pytest.mark.parametrize(("make", "secrets"), [
    pytest.param(images.phone_jpeg, [images.GPS_MARKER.encode(), images.XMP_MARKER,
                                     images.COMMENT_MARKER, images.MAKER_MARKER, b"ICC_PROFILE"],
                 id="phone-jpeg"),
    pytest.param(images.heic, [images.GPS_MARKER.encode()], id="heic-with-gps"),
    pytest.param(images.png_with_metadata, [images.GPS_MARKER.encode(),
                                            images.PNG_TEXT_MARKER.encode(), b"iCCP"],
                 id="png-with-text-exif-icc"),
])
def test_render_removes_every_metadata_block(make: Callable[[], bytes], secrets: list[bytes]) -> None:
    data = make()
    assert all(secret in data for secret in secrets)  # the source does carry them
    rendered = imaging.render(data, imaging.sniff(data[:32]))
    for served in (rendered.full, rendered.thumbnail):
        assert images.metadata_found(served) == []
        assert decoded(served).format == "JPEG"


def test_render_bounds_the_full_image_at_4096_and_the_thumbnail_at_512() -> None:
    rendered = imaging.render(big_phone_jpeg(), "JPEG")
    full, thumb = decoded(rendered.full), decoded(rendered.thumbnail)
    assert full.size == (rendered.width, rendered.height)
    assert full.width == 4096 and abs(full.height - 4096 * 3000 / 5000) <= 1
    assert max(thumb.size) == 512 and abs(thumb.height - 512 * 3000 / 5000) <= 1
    assert is_red(full, (200, 10, 3800, 200))  # upright after the downscale too
    assert rendered.sha256 == hashlib.sha256(rendered.full).hexdigest()
    assert images.metadata_found(rendered.full) == []


def test_render_does_not_enlarge_a_small_photo() -> None:
    rendered = imaging.render(images.png(640, 480), "PNG")
    assert (rendered.width, rendered.height) == decoded(rendered.full).size == (640, 480)
    assert decoded(rendered.thumbnail).size == (512, 384)


@pytest.mark.parametrize(("make", "fmt"), [
    pytest.param(images.cmyk_jpeg, "JPEG", id="cmyk-jpeg"),
    pytest.param(images.rgba_png, "PNG", id="rgba-png"),
])
def test_render_makes_an_rgb_jpeg_of_cmyk_and_transparent_images(
        make: Callable[[], bytes], fmt: str) -> None:
    source = decoded(make())
    assert source.mode in ("CMYK", "RGBA")
    rendered = imaging.render(make(), fmt)
    for served in (rendered.full, rendered.thumbnail):
        image = decoded(served)
        assert (image.format, image.mode) == ("JPEG", "RGB")
    full = decoded(rendered.full)
    assert full.size == (320, 240)
    assert is_red(full, (20, 3, 140, 18))
    if fmt == "PNG":  # transparency is flattened on white
        assert all(channel > 245 for channel in ImageStat.Stat(full.crop((200, 50, 310, 230))).mean)


def test_render_converts_a_non_srgb_icc_profile_to_srgb() -> None:
    # Under the test profile, stored pure red is sRGB green: converted, it must come out green.
    profiled = imaging.render(images.flat_jpeg((255, 0, 0),
                                               icc_profile=images.swapped_primaries_icc()), "JPEG")
    r, g, b = decoded(profiled.full).getpixel((30, 20))
    assert g > 200 and r < 60 and b < 60
    assert images.metadata_found(profiled.full) == []
    # The same pixels without a profile (or with sRGB's) are left as they are.
    plain = imaging.render(images.flat_jpeg((255, 0, 0)), "JPEG")
    r, g, b = decoded(plain.full).getpixel((30, 20))
    assert r > 200 and g < 60 and b < 60


def test_render_is_deterministic() -> None:
    data = images.phone_jpeg(800, 600)
    assert imaging.render(data, "JPEG") == imaging.render(data, "JPEG")


def test_only_metadata_is_searched_for_markup_never_the_compressed_pixels():
    # Compressed pixels are effectively random: a 4 MB photo holds a chance "<svg" or "<body"
    # in several percent of uploads, so they must not be searched.
    from tests import images as made
    from tracker.imaging import metadata_regions

    data = made.phone_jpeg(800, 600)
    scan_start = data.index(b"\xff\xda")
    regions = metadata_regions(data, "JPEG")
    assert any(made.XMP_MARKER in region for region in regions)
    assert all(data.index(region) < scan_start for region in regions if region)
    assert sum(len(region) for region in regions) < scan_start


def test_markup_in_a_png_text_chunk_is_refused():
    import struct
    import zlib

    from tests import images as made
    from tracker.imaging import ImageRejected, inspect_upload

    png = made.png(64, 48)
    body = b"Comment\x00<script>alert(1)</script>"
    chunk = (struct.pack(">I", len(body)) + b"tEXt" + body
             + struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF))
    polyglot = png[:33] + chunk + png[33:]  # after the 8-byte signature and the 25-byte IHDR
    try:
        inspect_upload(polyglot, max_bytes=25 * 1024 * 1024)
    except ImageRejected as exc:
        assert exc.status == 400 and "markup" in exc.message
    else:
        raise AssertionError("a PNG with a script in a text chunk was accepted")
