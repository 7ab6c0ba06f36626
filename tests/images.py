"""Image files made in the tests: a phone-style JPEG with orientation, GPS, XMP, a comment and an
ICC profile; and the bad files the upload must refuse."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms, ImageDraw, ImageStat

GPS_MARKER = "GPS-SECRET-HOME"
XMP_MARKER = b"XMP-SECRET-MARKER"
COMMENT_MARKER = b"COMMENT-SECRET-MARKER"
MAKER_MARKER = b"MAKERNOTE-SECRET"


def is_red(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    """Whether the mean colour of `box` in `image` is the red of the scene's bar."""
    r, g, b = ImageStat.Stat(image.crop(box)).mean[:3]
    return r > 180 and g < 80 and b < 80


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


# --- Added for the photo pipeline tests (issue 3) -------------------------------------------------
PNG_TEXT_MARKER = "PNG-TEXT-SECRET"


def _s15fixed16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def swapped_primaries_icc(description: str = "Swapped Primaries Test RGB") -> bytes:
    """An RGB matrix/TRC ICC v2 profile whose red and green primaries are sRGB's green and red.

    Not sRGB, so a pixel stored as pure red (255, 0, 0) under it is, in sRGB, pure green: a
    renderer that converts colours turns it green, one that ignores the profile leaves it red.
    """
    d50 = (0.9642, 1.0, 0.8249)
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)

    def xyz(value: tuple[float, float, float]) -> bytes:
        return b"XYZ " + b"\0" * 4 + b"".join(_s15fixed16(c) for c in value)

    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(2.2 * 256)) + b"\0\0"
    text = description.encode() + b"\0"
    desc = (b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0" * 3
            + b"\0" * 67)
    tags = [(b"desc", desc), (b"cprt", b"text" + b"\0" * 4 + b"No copyright\0"),
            (b"wtpt", xyz(d50)), (b"rXYZ", xyz(green)), (b"gXYZ", xyz(red)), (b"bXYZ", xyz(blue)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    start = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", start + len(body), len(data))
        body += data
    header = (struct.pack(">I", start + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntr"
              + b"RGB XYZ " + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 24
              + b"\0" * 4 + b"".join(_s15fixed16(c) for c in d50) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + body


def flat_jpeg(colour: tuple[int, int, int], *, size: tuple[int, int] = (64, 48),
              icc_profile: bytes | None = None) -> bytes:
    out = io.BytesIO()
    kwargs = {"icc_profile": icc_profile} if icc_profile else {}
    Image.new("RGB", size, colour).save(out, "JPEG", quality=95, **kwargs)
    return out.getvalue()


def cmyk_jpeg(width: int = 320, height: int = 240) -> bytes:
    out = io.BytesIO()
    _scene(width, height).convert("CMYK").save(out, "JPEG", quality=90)
    return out.getvalue()


def rgba_png(width: int = 320, height: int = 240) -> bytes:
    """A PNG with an alpha channel: the left half opaque scene, the right half fully transparent."""
    image = _scene(width, height).convert("RGBA")
    image.paste((0, 0, 0, 0), (width // 2, 0, width, height))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def png_with_metadata(width: int = 320, height: int = 240) -> bytes:
    """A PNG carrying a tEXt comment, an eXIf chunk with GPS, and an ICC profile."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PNG_TEXT_MARKER)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 5.0, 3.3), 27: GPS_MARKER}
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    _scene(width, height).save(out, "PNG", pnginfo=info, exif=exif.tobytes(), icc_profile=profile)
    return out.getvalue()


def oversized_jpeg(total_bytes: int) -> bytes:
    """A valid-looking JPEG header padded out to `total_bytes` (for the size caps)."""
    head = phone_jpeg(64, 48, orientation=1)
    return head[:-2] + b"\0" * max(0, total_bytes - len(head)) + b"\xff\xd9"


def text_file() -> bytes:
    return b"This is not a photo, just a few words of text.\n" * 20


# JPEG markers that carry only pixels or the coding of the pixels; APP0 must be the JFIF header.
_PIXEL_MARKERS = {0xDB, 0xC4, 0xDD, 0xDA, *range(0xC0, 0xC4), *range(0xC5, 0xC8),
                  *range(0xC9, 0xCC), *range(0xCD, 0xD0)}


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The marker segments of a JPEG up to the start of the scan: [(marker, payload), ...]."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, offset = [], 2
    while offset < len(data):
        assert data[offset] == 0xFF, f"no marker at {offset}"
        marker = data[offset + 1]
        length, = struct.unpack(">H", data[offset + 2:offset + 4])
        segments.append((marker, data[offset + 4:offset + 2 + length]))
        if marker == 0xDA:
            break
        offset += 2 + length
    return segments


def metadata_found(data: bytes) -> list[str]:
    """Every trace of metadata in a JPEG Tend serves; [] when it carries pixels only."""
    found = [name for name, marker in (
        ("GPS", GPS_MARKER.encode()), ("XMP", XMP_MARKER), ("COM", COMMENT_MARKER),
        ("maker note", MAKER_MARKER), ("PNG text", PNG_TEXT_MARKER.encode()),
        ("Exif", b"Exif\x00"), ("XMP header", b"http://ns.adobe.com/xap/1.0/"),
        ("xmpmeta", b"xmpmeta"), ("ICC", b"ICC_PROFILE"), ("Photoshop/IPTC", b"Photoshop 3.0"),
        ("maker", b"PhoneMaker"), ("model", b"PhoneModel"),
    ) if marker in data]
    for marker, payload in jpeg_segments(data):
        if marker == 0xE0 and payload.startswith(b"JFIF\x00"):
            continue
        if marker not in _PIXEL_MARKERS:
            found.append(f"segment 0x{marker:02X}")
    image = Image.open(io.BytesIO(data))
    found += [f"info {key}" for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment",
                                        "icc_profile", "photoshop", "adobe")
              if image.info.get(key)]
    if len(image.getexif()):
        found.append("getexif")
    return found


def _phone_metadata(orientation: int) -> dict[str, object]:
    """The metadata blocks of phone_jpeg, as keyword arguments of Image.save."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "PhoneModel X"
    exif[0x8825] = {1: "N", 2: (35.0, 5.0, 3.3), 3: "W", 4: (106.0, 39.0, 2.2), 27: GPS_MARKER}
    exif.get_ifd(0x8769)[0x927C] = MAKER_MARKER
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>'
           + XMP_MARKER + b"</rdf:Description></rdf:RDF></x:xmpmeta>")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return {"exif": exif.tobytes(), "comment": COMMENT_MARKER, "xmp": xmp, "icc_profile": profile}


def detailed_phone_jpeg(width: int = 4032, height: int = 3024, *, orientation: int = 6,
                        quality: int = 90, grain: float = 0.23) -> bytes:
    """A phone photo as heavy as a real one: gradients, edges and sensor-like grain make a 12 MP
    JPEG (4032 x 3024 at quality 90) weigh about 3.5-4 MB, where phone_jpeg's flat scene weighs far
    less and decodes faster. Stored width x height (the sensor's landscape) with the same metadata
    as phone_jpeg: EXIF orientation, GPS, maker note, XMP, a comment and an ICC profile."""
    from PIL import ImageChops

    ramp = Image.linear_gradient("L")
    scene = Image.merge("RGB", (ramp.resize((width, height)),
                                ramp.rotate(90).resize((width, height)),
                                Image.new("L", (width, height), 150)))
    draw = ImageDraw.Draw(scene)
    step = max(1, width // 40)
    for x in range(0, width, step):
        y = (x * 7) % height
        draw.ellipse([x, y, x + width // 13, y + height // 15], outline=(200, 60, 60), width=5)
    draw.rectangle([0, 0, width, max(1, height // 10)], fill=(220, 20, 20))
    noise = Image.effect_noise((width, height), 40)
    grainy = Image.merge("RGB", (noise, ImageChops.offset(noise, 7, 3), ImageChops.offset(noise, 13, 29)))
    out = io.BytesIO()
    Image.blend(scene, grainy, grain).save(out, "JPEG", quality=quality, **_phone_metadata(orientation))
    return out.getvalue()
