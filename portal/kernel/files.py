"""Every file a user uploads is checked here, by its content: the file name and the browser's content type
are never trusted. One module for the whole project; apps call it and never open files themselves.

Documents (identification evidence, trip receipts): `check_document(upload)` accepts a PDF, JPEG or PNG of at
most 5 MB and returns its real type. The caller stores the original bytes under `private_name()`, in the
default storage (MEDIA_ROOT, outside the web root), served only by views that check access, as attachments.

PDFs are parsed with pypdf (pure Python: a crafted file cannot reach native code here) and every object of the
document is walked, objects inside compressed object streams included; pypdf decodes `#xx` escapes in names,
so `/J#61vaScript` is seen as `/JavaScript`. A PDF with *active content* is **refused, not stripped**: a
rewritten PDF could differ from what the student signed or scanned, and the message tells them to print it
to a new PDF instead. Active content is: JavaScript (`/JS`, `/JavaScript`, a JavaScript name tree),
additional actions (`/AA`, on pages, annotations and form fields), an `/OpenAction` other than "go to a
page", Launch / GoToR / GoToE / SubmitForm / ImportData / Rendition / RichMediaExecute actions, URI actions
to anything but http(s) and mailto (a `file:` or `\\\\server` link leaks Windows credentials), embedded or
attached files (`/EmbeddedFiles`, `/EF`, file-attachment annotations), XFA forms, RichMedia, 3D, movie,
sound and screen annotations. A plain AcroForm (fillable fields without scripts) is accepted.
A PDF that pypdf cannot read (truncated, garbage, no pages) is refused as damaged; one that needs a password
to open is refused (it cannot be inspected, and a reviewer could not read it either). A PDF encrypted only
with an owner password (opens without one, printing restricted) is decrypted with the empty password and
inspected like any other.

The work is bounded so a "PDF bomb" cannot hold a worker: at most 5 MB in, `PDF_MAX_OBJECTS` objects,
`PDF_MAX_PAGES` pages, `PDF_MAX_INFLATED_BYTES` out of any one decompressed stream (only object streams are
decompressed: page contents and images are never decoded), and `PDF_MAX_SECONDS` of checking.

Images: `check_image(upload, rules=IMAGE | PHOTO)` accepts a JPEG or PNG and returns it *re-encoded* by Pillow,
which drops metadata (EXIF, with the GPS location of a visit photo) and anything appended after the image
data. Every image, whichever way it comes in (identification documents, journal images, visit photos), must
have at most `settings.UPLOAD_MAX_IMAGE_PIXELS` pixels, the one limit of the project, checked from the header
*before* decoding (a decompression bomb), must pass Pillow's `verify()` (PNG chunk checksums) and must decode
completely. No app opens an image itself.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.utils.functional import _StrPromise

__all__ = [
    "EXTENSIONS",
    "IMAGE",
    "JPEG",
    "MAX_UPLOAD_BYTES",
    "PDF",
    "PDF_MAX_OBJECTS",
    "PDF_MAX_PAGES",
    "PHOTO",
    "PNG",
    "CheckedImage",
    "CheckedUpload",
    "ImageRules",
    "check_document",
    "check_image",
    "check_pdf",
    "clean_original_name",
    "max_image_pixels",
    "private_name",
]

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # documents

PDF_MAX_PAGES = 500
PDF_MAX_OBJECTS = 20_000
PDF_MAX_NODES = 2_000_000  # dictionary entries and array items walked, in all objects together
PDF_MAX_INFLATED_BYTES = 20_000_000  # per decompressed stream
PDF_MAX_SECONDS = 10.0

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
_IMAGE_TYPES = {"JPEG": JPEG, "PNG": PNG}

_PDF_HEADER = re.compile(rb"^%PDF-[12]\.\d")

# Keys that only ever carry active content, wherever they appear (compared case-insensitively).
_PDF_FORBIDDEN_KEYS = frozenset(
    k.lower()
    for k in ("/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent", "/RichMediaSettings")
)
# Action types (/S) that run code, open other files or send data.
_PDF_FORBIDDEN_ACTIONS = frozenset(
    a.lower()
    for a in (
        "/JavaScript",
        "/Launch",
        "/GoToR",
        "/GoToE",
        "/SubmitForm",
        "/ImportData",
        "/Rendition",
        "/RichMediaExecute",
        "/Movie",
        "/Sound",
        "/GoTo3DView",
    )
)
# Annotation subtypes and object types that embed files or players.
_PDF_FORBIDDEN_SUBTYPES = frozenset(
    s.lower() for s in ("/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D")
)
_PDF_FORBIDDEN_TYPES = frozenset(t.lower() for t in ("/EmbeddedFile",))
_PDF_SAFE_URI = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)

_TOO_LARGE = _("Each file may be at most 5 MB.")
_EMPTY = _("The file is empty.")
_NOT_ACCEPTED = _("Only PDF, JPEG and PNG files are accepted.")
_PDF_ACTIVE = _(
    "This PDF could not be accepted: it contains scripts, automatic actions or attached files. "
    "Print it to a new PDF (or scan the paper) and upload that file."
)
_PDF_DAMAGED = _("This PDF could not be read: it is damaged or incomplete. Save it again and upload the new file.")
_PDF_PASSWORD = _("This PDF is protected by a password. Upload a copy that opens without a password.")
_PDF_TOO_COMPLEX = _("This PDF is too large to check (more than %(pages)s pages or too many parts). Split it.")


class _PdfRefused(Exception):
    def __init__(self, message: _StrPromise | str, code: str) -> None:
        super().__init__(code)
        self.message = message
        self.code = code


# --- Documents -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    size: int


def _read_all(upload: UploadedFile, limit: int) -> bytes:
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    return data


def check_document(upload: UploadedFile) -> CheckedUpload:
    """The real type of a PDF, JPEG or PNG of at most 5 MB, or ValidationError with a message for the user.

    The upload is left at position 0, unchanged: the caller stores the original bytes.
    """
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_TOO_LARGE, code="too_large")
    data = _read_all(upload, MAX_UPLOAD_BYTES)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(_TOO_LARGE, code="too_large")
    if not data:
        raise ValidationError(_EMPTY, code="empty")
    if data.startswith(b"%PDF-"):
        check_pdf(data)
        content_type = PDF
    else:
        try:
            fmt, image = _decoded_image(data)
        except _ImageRefused as exc:
            message = _DOCUMENT_IMAGE_MESSAGES.get(exc.code, _NOT_ACCEPTED)
            raise ValidationError(message, code="type") from exc
        image.close()  # checked only: a document is stored as the student sent it
        content_type = _IMAGE_TYPES[fmt]
    return CheckedUpload(content_type=content_type, extension=EXTENSIONS[content_type], size=len(data))


def check_pdf(data: bytes) -> None:
    """None if `data` is a readable PDF without active content (see the module docstring), else ValidationError.

    Never raises anything else: pypdf's many errors on a crafted file all mean "damaged" to the user.
    """
    if not _PDF_HEADER.match(data[:16]) or b"%%EOF" not in data[-2048:]:
        raise ValidationError(_PDF_DAMAGED, code="pdf_damaged")
    try:
        _inspect_pdf(data)
    except _PdfRefused as exc:
        raise ValidationError(exc.message, code=exc.code) from exc
    except Exception as exc:  # pypdf raises a zoo of errors (and RecursionError) on crafted files
        raise ValidationError(_PDF_DAMAGED, code="pdf_damaged") from exc


def _inspect_pdf(data: bytes) -> None:
    from pypdf import PasswordType, PdfReader, apply_configuration
    from pypdf.generic import IndirectObject

    limits = {
        "zlib_maximum_output_length": PDF_MAX_INFLATED_BYTES,
        "lzw_maximum_output_length": PDF_MAX_INFLATED_BYTES,
        "run_length_maximum_output_length": PDF_MAX_INFLATED_BYTES,
        "brotli_maximum_output_length": PDF_MAX_INFLATED_BYTES,
        "array_based_stream_maximum_output_length": PDF_MAX_INFLATED_BYTES,
        "stream_decoding_work_maximum_length": 4 * PDF_MAX_INFLATED_BYTES,
        "page_tree_maximum_entries": 4 * PDF_MAX_PAGES,
        "page_tree_maximum_page_entries": 40 * PDF_MAX_PAGES,
        "jbig2dec_binary": None,  # never run an external program on an upload
    }
    too_complex = _PDF_TOO_COMPLEX % {"pages": PDF_MAX_PAGES}
    deadline = time.monotonic() + PDF_MAX_SECONDS
    with apply_configuration(**limits):  # a context variable: other threads keep their own configuration
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise _PdfRefused(_PDF_PASSWORD, "pdf_password")
        numbers = [(num, gen) for gen, entries in reader.xref.items() for num in entries]
        numbers += [(num, 0) for num in reader.xref_objStm]
        if len(numbers) > PDF_MAX_OBJECTS:
            raise _PdfRefused(too_complex, "pdf_too_complex")
        pages = len(reader.pages)
        if pages == 0:
            raise _PdfRefused(_PDF_DAMAGED, "pdf_damaged")
        if pages > PDF_MAX_PAGES:
            raise _PdfRefused(too_complex, "pdf_too_complex")
        budget = [PDF_MAX_NODES]
        _walk_pdf(reader.trailer, budget)
        for num, gen in numbers:
            if time.monotonic() > deadline:
                raise _PdfRefused(too_complex, "pdf_too_complex")
            _walk_pdf(reader.get_object(IndirectObject(num, gen, reader)), budget)


def _walk_pdf(root: Any, budget: list[int]) -> None:
    """Refuse if this object, or anything written inside it, is active content.

    References to other objects are not followed: every object of the file is walked on its own.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    stack = [root]
    while stack:
        node = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise _PdfRefused(_PDF_TOO_COMPLEX % {"pages": PDF_MAX_PAGES}, "pdf_too_complex")
        if isinstance(node, DictionaryObject):  # streams too: their dictionary is what names actions
            for key, value in node.items():
                name = str(key).lower()
                if name in _PDF_FORBIDDEN_KEYS:
                    raise _PdfRefused(_PDF_ACTIVE, "pdf_active")
                if name == "/openaction":
                    action = value.get_object() if isinstance(value, IndirectObject) else value
                    if isinstance(action, DictionaryObject) and str(action.get("/S", "")).lower() != "/goto":
                        raise _PdfRefused(_PDF_ACTIVE, "pdf_active")
                if isinstance(value, NameObject):
                    kind = str(value).lower()
                    if (
                        (name == "/s" and kind in _PDF_FORBIDDEN_ACTIONS)
                        or (name == "/subtype" and kind in _PDF_FORBIDDEN_SUBTYPES)
                        or (name == "/type" and kind in _PDF_FORBIDDEN_TYPES)
                    ):
                        raise _PdfRefused(_PDF_ACTIVE, "pdf_active")
                if (
                    name == "/uri"
                    and not isinstance(value, (DictionaryObject, ArrayObject, IndirectObject))
                    and not _PDF_SAFE_URI.match(str(value).strip())
                ):
                    raise _PdfRefused(_PDF_ACTIVE, "pdf_active")
                stack.append(value)
        elif isinstance(node, ArrayObject):
            budget[0] -= len(node)
            stack.extend(node)


# --- Images ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRules:
    """How large one kind of image upload may be, and how its refusals are worded."""

    max_bytes: int
    too_large: _StrPromise
    not_an_image: _StrPromise
    unreadable: _StrPromise
    too_many_pixels: _StrPromise
    jpeg_quality: int = 90


IMAGE = ImageRules(
    max_bytes=5 * 1024 * 1024,
    too_large=_("The image is larger than 5 MB."),
    not_an_image=_("Upload a JPEG or PNG image."),
    unreadable=_("The file is not a readable JPEG or PNG image."),
    too_many_pixels=_("The image has too many pixels."),
)
PHOTO = ImageRules(  # photos taken on a phone in the field are larger
    max_bytes=10 * 1024 * 1024,
    too_large=_("A photo may be at most 10 MB."),
    not_an_image=_("Upload a JPEG or PNG photo."),
    unreadable=_("The file is not a readable JPEG or PNG photo."),
    too_many_pixels=_("The photo has too many pixels."),
    jpeg_quality=88,
)
_DOCUMENT_IMAGE_MESSAGES = {"pixels": IMAGE.too_many_pixels}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes  # re-encoded: no metadata, nothing after the image
    content_type: str
    extension: str  # without the dot: "jpg" or "png"


class _ImageRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "type", "pixels" or "unreadable"


def max_image_pixels() -> int:
    """The one pixel limit of every image upload: settings.UPLOAD_MAX_IMAGE_PIXELS."""
    return int(settings.UPLOAD_MAX_IMAGE_PIXELS)


def _decoded_image(data: bytes) -> tuple[str, Any]:
    """(format, decoded PIL image) of a JPEG or PNG within the pixel limit, else _ImageRefused."""
    from PIL import Image, UnidentifiedImageError

    try:
        # The size comes from the header: a bomb is refused here, before anything is decoded.
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            if fmt not in _IMAGE_TYPES:
                raise _ImageRefused("type")
            if probe.width * probe.height > max_image_pixels():
                raise _ImageRefused("pixels")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except _ImageRefused:
        raise
    except UnidentifiedImageError as exc:  # not an image Pillow knows: an .exe, a text file
        raise _ImageRefused("type") from exc
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise _ImageRefused("pixels") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated, bad checksums
        raise _ImageRefused("unreadable") from exc
    return fmt, image


def check_image(upload: UploadedFile, *, rules: ImageRules = IMAGE) -> CheckedImage:
    """A real JPEG or PNG, re-encoded (metadata such as EXIF and GPS dropped), or ValidationError with the
    message `rules` words for the user."""
    from PIL import ImageOps

    if upload.size is None or upload.size > rules.max_bytes:
        raise ValidationError(rules.too_large, code="too_large")
    data = _read_all(upload, rules.max_bytes)
    if len(data) > rules.max_bytes:
        raise ValidationError(rules.too_large, code="too_large")
    try:
        fmt, image = _decoded_image(data)
    except _ImageRefused as exc:
        message = {"type": rules.not_an_image, "pixels": rules.too_many_pixels}.get(exc.code, rules.unreadable)
        raise ValidationError(message, code=exc.code) from exc
    try:
        with image:
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if fmt == "JPEG":
                upright.convert("RGB").save(out, "JPEG", quality=rules.jpeg_quality, optimize=True)
            else:
                if upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    upright = upright.convert("RGBA")
                upright.save(out, "PNG", optimize=True)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(rules.unreadable, code="unreadable") from exc
    content_type = _IMAGE_TYPES[fmt]
    return CheckedImage(data=out.getvalue(), content_type=content_type, extension=EXTENSIONS[content_type][1:])


# --- Storage names ---------------------------------------------------------------------------------------------


def private_name(checked: CheckedUpload) -> str:
    """A random stored name: nothing of the user's file name reaches the file system."""
    return f"{uuid.uuid4().hex}{checked.extension}"


def clean_original_name(name: str) -> str:
    """The name shown to people (and in Content-Disposition): no paths, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "document"
