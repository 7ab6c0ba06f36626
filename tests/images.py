"""Image files made in the tests: a phone-style JPEG with orientation, GPS, XMP, a comment and an
ICC profile; and the bad files the upload must refuse."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms, ImageDraw

GPS_MARKER = "GPS-SECRET-HOME"
XMP_MARKER = b"XMP-SECRET-MARKER"
COMMENT_MARKER = b"COMMENT-SECRET-MARKER"
MAKER_MARKER = b"MAKERNOTE-SECRET"


def _scene(width: int, height: int) -> Image.Image:
    """A picture with a known "up": a red bar along the top edge, noise-free but not flat."""
    image = Image.new("RGB", (width, height), (200, 170, 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, max(1, height // 10)], fill=(220, 20, 20))
    for x in range(0, width, max(1, width // 40)):
        draw.line([(x, height // 5), (width - x, height)], fill=(90, 60, 50), width=3)
    return image


def phone_jpeg(width: int = 1200, height: int = 900, *, orientation: int = 6,
               quality: int = 90) -> bytes:
    """A JPEG as an Android phone writes it: stored sideways with EXIF orientation, GPS position
    of the patient's home, maker notes, XMP, a COM comment and an Adobe RGB-like ICC profile."""
    # Stored rotated: a viewer must rotate it back by the orientation to see the bar on top.
    upright = _scene(width, height)
    stored = upright.transpose(Image.Transpose.ROTATE_90) if orientation == 6 else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "PhoneModel X"
    gps = {1: "N", 2: (35.0, 5.0, 3.3), 3: "W", 4: (106.0, 39.0, 2.2), 27: GPS_MARKER}
    exif[0x8825] = gps
    exif.get_ifd(0x8769)[0x927C] = MAKER_MARKER  # maker note
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>'
           + XMP_MARKER + b"</rdf:Description></rdf:RDF></x:xmpmeta>")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=quality, exif=exif.tobytes(), comment=COMMENT_MARKER, xmp=xmp,
                icc_profile=profile)
    return out.getvalue()


def png(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    _scene(width, height).save(out, "PNG")
    return out.getvalue()


def webp(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    _scene(width, height).save(out, "WEBP", quality=80)
    return out.getvalue()


def heic(width: int = 640, height: int = 480) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 5.0, 3.3), 27: GPS_MARKER}
    _scene(width, height).save(out, "HEIF", quality=70, exif=exif.tobytes())
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = phone_jpeg(800, 600, orientation=1)
    return data[: len(data) // 2]


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares an enormous image."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * 3 * 16
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * 16)) + chunk(b"IEND", b""))


def many_frame_gif(frames: int = 3000) -> bytes:
    first = Image.new("P", (8, 8))
    rest = [Image.new("P", (8, 8), color=i % 255) for i in range(frames - 1)]
    out = io.BytesIO()
    first.save(out, "GIF", save_all=True, append_images=rest)
    return out.getvalue()


def polyglot_jpeg_zip() -> bytes:
    """A valid JPEG with a ZIP archive appended: opens as both."""
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    return phone_jpeg(400, 300, orientation=1) + archive.getvalue()


def polyglot_jpeg_html_comment() -> bytes:
    out = io.BytesIO()
    _scene(300, 200).save(out, "JPEG", comment=b"<script>fetch('/api/v1/me/')</script>")
    return out.getvalue()
