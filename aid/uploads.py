"""Private uploads checked by content: PDF, JPEG and PNG only, at most 5 MB each.

The file name and the browser's content type are never trusted: a PDF must start with "%PDF-", end with
"%%EOF" and carry no script or launch actions (a parse-free check, so a crafted file cannot exploit a
parser here); an image must open and verify in Pillow as JPEG or PNG. Files are stored under a random
name in the default storage (MEDIA_ROOT, outside the web root) and served only by views that check
access, as attachments.
"""

from __future__ import annotations

import re
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}

_PDF_HEADER = re.compile(rb"^%PDF-[12]\.\d")
_PDF_FORBIDDEN = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia")


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    size: int


def _read_all(upload: UploadedFile) -> bytes:
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    upload.seek(0)
    return data


def _is_pdf(data: bytes) -> bool:
    if not _PDF_HEADER.match(data[:16]):
        return False
    if b"%%EOF" not in data[-2048:]:
        return False
    return not any(token in data for token in _PDF_FORBIDDEN)


def _image_type(data: bytes) -> str | None:
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:
                kind = image.format
                width, height = image.size
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
        return None
    except Image.DecompressionBombError:
        return None
    if width * height > MAX_IMAGE_PIXELS:
        return None
    return {"JPEG": JPEG, "PNG": PNG}.get(kind or "")


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """The file's real type, or ValidationError with a message for the user."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("Each file may be at most 5 MB."), code="too_large")
    data = _read_all(upload)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(_("Each file may be at most 5 MB."), code="too_large")
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if data.startswith(b"%PDF-"):
        if not _is_pdf(data):
            raise ValidationError(_("This PDF could not be accepted: it is damaged or contains scripts."), code="pdf")
        content_type = PDF
    else:
        content_type = _image_type(data)
        if content_type is None:
            raise ValidationError(_("Only PDF, JPEG and PNG files are accepted."), code="type")
    return CheckedUpload(content_type=content_type, extension=EXTENSIONS[content_type], size=len(data))


def private_name(checked: CheckedUpload) -> str:
    """A random stored name: nothing of the user's file name reaches the file system."""
    return f"{uuid.uuid4().hex}{checked.extension}"


def clean_original_name(name: str) -> str:
    """The name shown to people (and in Content-Disposition): no paths, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "document"
