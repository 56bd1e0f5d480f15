"""Venue photos: validated, re-encoded (which drops EXIF, GPS included), thumbnailed, renamed."""

from __future__ import annotations

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # ~ a 7,300 × 5,500 photo; larger is refused before decoding
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
LONG_EDGE = 2000
THUMB_EDGE = 480


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def prepare_photo(upload) -> tuple[ContentFile, ContentFile]:
    """The cleaned image and its thumbnail, under a generated name; ValidationError if unfit."""
    if upload.size > MAX_BYTES:
        raise ValidationError(_("The photo is larger than 5 MB."))
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationError(_("Only JPEG, PNG or WebP photos are accepted."))
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")  # a fresh image: no EXIF, no ICC tricks, no alpha
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as error:
        raise ValidationError(_("The file is not a readable image.")) from error
    image.thumbnail((LONG_EDGE, LONG_EDGE))
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMB_EDGE, THUMB_EDGE))
    name = uuid.uuid4().hex
    return ContentFile(_encode(image), name=f"{name}.jpg"), ContentFile(_encode(thumbnail), name=f"{name}.jpg")
