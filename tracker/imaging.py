"""Wound photo bytes: proving an upload is a whole, safe image, and making what Tend serves.

Uploads are judged by their content alone. `inspect_upload` runs in the request (it must be quick:
JPEG is decoded at 1/8 scale, which still reads every byte); `render` runs in a worker and makes the
upright, sRGB, metadata-free full image (long side <= 4096 px) and thumbnail (long side 512 px).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageFile
from pillow_heif import register_heif_opener

register_heif_opener()
ImageFile.LOAD_TRUNCATED_IMAGES = False

MAX_PIXELS = 50_000_000
MAX_SIDE = 30_000  # no phone makes a side this long; a 1 x 50,000,000 "photo" is an attack
FULL_SIDE = 4096
THUMB_SIDE = 512
FULL_QUALITY = 90
THUMB_QUALITY = 82

# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; Tend refuses above the limit.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

ACCEPTED = ("JPEG", "PNG", "WEBP", "HEIF")
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
                 "HEIF": "image/heif"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
# Images Tend recognises but does not take: 415, not 400.
_OTHER_IMAGES = (b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*", b"\x00\x00\x01\x00")
# Markup or code hidden in an image makes it a polyglot that a browser or server might run.
# Searched in the bytes lowered (ASCII only, as IGNORECASE does for bytes): a case-insensitive
# alternation scans a 4 MB upload in ~150 ms, a literal-prefixed search of a lowered copy in ~10 ms.
_ACTIVE_TAG = re.compile(rb"<\s*(script|html|body|iframe|svg|object|embed|\?php|!doctype)")
_ACTIVE_LITERALS = (b"javascript:", b"%pdf-")


class ImageRejected(Exception):
    """The upload is not a photo Tend takes. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class UploadInfo:
    format: str
    width: int
    height: int
    sha256: str


@dataclass(frozen=True)
class Rendered:
    full: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str


def sniff(head: bytes) -> str:
    """The format the first bytes announce, or raise ImageRejected."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        if head[8:12] in _HEIF_BRANDS:
            return "HEIF"
        raise ImageRejected("This kind of file is not taken. Send a JPEG, PNG, WebP or HEIC photo.",
                            status=415)
    if head.startswith(_OTHER_IMAGES) or head.lstrip().lower().startswith((b"<svg", b"<?xml")):
        raise ImageRejected("This kind of image is not taken. Send a JPEG, PNG, WebP or HEIC photo.",
                            status=415)
    raise ImageRejected("This file is not an image.")


def _heif_boxes_span(data: bytes) -> int:
    """How many bytes the top-level ISO-BMFF boxes cover."""
    offset = 0
    while offset + 8 <= len(data):
        size, = struct.unpack(">I", data[offset:offset + 4])
        if size == 1:
            if offset + 16 > len(data):
                break
            size, = struct.unpack(">Q", data[offset + 8:offset + 16])
        elif size == 0:
            return len(data)  # the last box runs to the end of the file
        if size < 8:
            break
        offset += size
    return offset


def _jpeg_metadata(data: bytes) -> list[bytes]:
    """The APPn and COM segments before the first scan: where EXIF, XMP, IPTC and comments live."""
    regions, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        if marker == 0xDA:  # start of scan: compressed pixels follow
            break
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            regions.append(data[pos + 4:pos + 2 + length])
        pos += 2 + length
    return regions


def _chunks(data: bytes, start: int, *, header: str, pad: bool) -> list[tuple[bytes, bytes]]:
    """(type, payload) of each chunk of a PNG (big-endian length, type) or RIFF (type, LE size)."""
    found, pos = [], start
    while pos + 8 <= len(data):
        if header == "png":
            size, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
            found.append((kind, data[pos + 8:pos + 8 + size]))
            pos += 12 + size
        else:
            kind, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
            found.append((kind, data[pos + 8:pos + 8 + size]))
            pos += 8 + size + (size & 1 if pad else 0)
    return found


def _heif_boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    found, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        elif size == 0:
            size = len(data) - pos
        if size < 8:
            break
        found.append((kind, data[pos + 8:pos + size]))
        pos += size
    return found


_PIXELS = {b"IDAT", b"VP8 ", b"VP8L", b"ALPH", b"ANMF", b"mdat"}


def metadata_regions(data: bytes, fmt: str) -> list[bytes]:
    """The parts of an image file that hold metadata and text, not compressed pixels.

    Only these are searched for markup: compressed pixel data is effectively random, and a 4 MB
    photo would contain a chance "<svg" or "<body" in several percent of uploads.
    """
    if fmt == "JPEG":
        return _jpeg_metadata(data)
    if fmt == "PNG":
        return [body for kind, body in _chunks(data, 8, header="png", pad=False)
                if kind not in _PIXELS]
    if fmt == "WEBP":
        return [body for kind, body in _chunks(data, 12, header="riff", pad=True)
                if kind not in _PIXELS]
    return [body for kind, body in _heif_boxes(data) if kind not in _PIXELS]


def _check_envelope(data: bytes, fmt: str) -> None:
    """Refuse markup or code in the metadata, and anything after the image's own end: a polyglot
    hides its payload in one or the other."""
    for region in metadata_regions(data, fmt):
        lowered = region.lower()
        if _ACTIVE_TAG.search(lowered) or any(literal in lowered for literal in _ACTIVE_LITERALS):
            raise ImageRejected("This file contains markup or code as well as an image.")
    if fmt == "JPEG":
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise ImageRejected("This JPEG has data after the end of the image, or is cut off.")
    elif fmt == "PNG":
        end = data.rfind(b"IEND")
        if end < 0 or len(data.rstrip(b"\x00")) > end + 8:
            raise ImageRejected("This PNG has data after the end of the image, or is cut off.")
    elif fmt == "WEBP":
        size, = struct.unpack("<I", data[4:8])
        if size + 8 not in (len(data), len(data) - 1):
            raise ImageRejected("This WebP file's length does not match its header.")
    elif fmt == "HEIF" and _heif_boxes_span(data) != len(data):
        raise ImageRejected("This HEIC file has data outside its boxes, or is cut off.")


def _open(data: bytes, fmt: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=[fmt])
    # The warning too (an error in inspect_upload): a Warning is an Exception, so the generic
    # handler below would otherwise answer 400 "broken" for an image over the pixel limit.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(f"The image has more than {MAX_PIXELS // 1_000_000} megapixels.",
                            status=413) from None
    except Exception:  # noqa: BLE001  (any decoder error means the file is not a valid image)
        raise ImageRejected("This file is broken or is not a valid image.") from None


def inspect_upload(data: bytes, *, max_bytes: int) -> UploadInfo:
    """Prove the upload is one whole image of a taken format, within the limits.

    1. Size first: empty or over the cap, before any decoding.
    2. The format from the magic bytes, then Pillow with that one format only.
    3. Dimensions and frame count from the header (decompression-bomb warnings are errors).
    4. Decode every byte once: JPEG in draft mode at 1/8 scale, which still reads the whole file.
    5. Nothing outside the image structure (polyglots).
    """
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", status=413)
    fmt = sniff(data[:32])
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open(data, fmt)
        except Image.DecompressionBombWarning:
            raise ImageRejected(f"The image has more than {MAX_PIXELS // 1_000_000} megapixels.",
                                status=413) from None
        width, height = image.size
        if width < 1 or height < 1 or max(width, height) > MAX_SIDE:
            raise ImageRejected(f"The image is {width} x {height} pixels: not a photo.")
        if width * height > MAX_PIXELS:
            raise ImageRejected(f"The image has more than {MAX_PIXELS // 1_000_000} megapixels.",
                                status=413)
        if getattr(image, "n_frames", 1) > 1 and fmt != "HEIF":
            raise ImageRejected("Animated images are not taken: send a single photo.")
        try:
            if fmt == "JPEG":
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
        except Exception:  # noqa: BLE001
            raise ImageRejected("This image is cut off or broken.") from None
    _check_envelope(data, fmt)
    return UploadInfo(fmt, width, height, hashlib.sha256(data).hexdigest())


_ORIENTATION = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            description = ImageCms.getProfileDescription(source).lower()
            if "srgb" not in description:
                mode = image.mode if image.mode in ("RGB", "CMYK", "L") else "RGB"
                return ImageCms.profileToProfile(image.convert(mode), source, _SRGB,
                                                 outputMode="RGB") or image
        except (ImageCms.PyCMSError, OSError):
            pass  # an unreadable profile: treat the pixels as sRGB, as browsers do
    return image if image.mode == "RGB" else image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.info = {}  # nothing of the original (comment, XMP, ICC, EXIF) may be written back
    image.save(out, "JPEG", quality=quality, exif=b"", icc_profile=None, comment=None)
    return out.getvalue()


def render(data: bytes, fmt: str) -> Rendered:
    """Make the served full image and thumbnail: upright, sRGB, without any metadata.

    1. Open with the known format; for JPEG, let libjpeg scale down by a power of two in the
       decoder when the photo is over twice the target size (draft mode).
    2. Shrink to the target with `thumbnail(reducing_gap=...)` (a fast box reduce, then Lanczos).
    3. Turn upright by the EXIF orientation, on the smaller image.
    4. Convert to sRGB (ICC profile), flatten transparency on white.
    5. Encode fresh JPEGs from the pixels alone; the thumbnail from the full image.
    """
    image = _open(data, fmt)
    orientation = image.getexif().get(0x0112, 1)
    icc = image.info.get("icc_profile")
    if fmt == "JPEG":
        image.draft("RGB", (FULL_SIDE, FULL_SIDE))
    if max(image.size) > FULL_SIDE:
        image.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    else:
        image.load()
    for step in _ORIENTATION.get(orientation, []):
        image = image.transpose(step)
    image = _to_srgb(image, icc)
    full = _jpeg(image, FULL_QUALITY)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return Rendered(full=full, thumbnail=_jpeg(thumb, THUMB_QUALITY), width=image.width,
                    height=image.height, sha256=hashlib.sha256(full).hexdigest())
