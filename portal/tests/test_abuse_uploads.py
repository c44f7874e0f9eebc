"""Attacker stories for uploads (portal/kernel/files.py), on real PostgreSQL.

A student uploads identification evidence that a reviewer in the aid office will open. The attacker wants
that PDF to run something on the reviewer's machine: a script hidden from the old byte filter (a name
written with a #xx escape, an action inside a compressed object stream), an action that runs when the file
opens, a program launched, a file attached, a form whose fields run scripts. Or they want to break the
checker: an encrypted file it cannot look into, a truncated or garbage file, a PNG renamed .pdf, a file
that inflates or nests until the worker gives up. Each is refused with a clear message (or, for the PNG,
stored as what it really is), through the validator and through the real upload form; nothing is saved,
nothing answers 500. The one pixel limit holds for every image entry point.
"""

from __future__ import annotations

import io
import time
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from aid.models import Identification, IdentificationDocument
from aid.tests.factories import AcademicYearFactory, identification_in
from portal.kernel import files as uploads
from portal.tests.pdfs import clean_pdf, pdf_bytes

pytestmark = pytest.mark.django_db

ACTIVE = "contains scripts, automatic actions or attached files"
DAMAGED = "damaged or incomplete"
PASSWORD = "protected by a password"
TOO_COMPLEX = "too large to check"


def _encrypted(user_password: str, owner_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean_pdf())))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png(size: tuple[int, int] = (20, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "PNG")
    return out.getvalue()


def _png_bomb(side: int = 20000) -> bytes:
    """A PNG that says it is side × side pixels: a few hundred bytes that would decode to gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    idat = zlib.compress(b"\x00" * (side + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


JS_ACTION = b"<< /S /JavaScript /JS (app.alert('owned')) >>"

HOSTILE_PDFS = {
    # The old filter looked for the bytes "/JavaScript" and "/JS": a #xx escape in a name hides both.
    "hex-escaped name": (
        pdf_bytes(catalog_extra=b"/OpenAction 4 0 R", objects={4: b"<< /S/J#61vaScript /J#53 (app.alert(1)) >>"}),
        ACTIVE,
    ),
    # The same action inside a compressed object stream: no byte of it is visible in the file.
    "script in an object stream": (
        pdf_bytes(
            catalog_extra=b"/Names 4 0 R",
            compressed={4: b"<< /JavaScript 5 0 R >>", 5: b"<< /Names [(x) 6 0 R] >>", 6: JS_ACTION},
        ),
        ACTIVE,
    ),
    "open action": (pdf_bytes(catalog_extra=b"/OpenAction 4 0 R", objects={4: JS_ACTION}), ACTIVE),
    "open action to a web page": (
        pdf_bytes(catalog_extra=b"/OpenAction << /S /URI /URI (http://x.example) >>"),
        ACTIVE,
    ),
    "launch": (
        pdf_bytes(
            page_extra=b"/Annots [4 0 R]",
            objects={4: b"<< /Type /Annot /Subtype /Link /Rect [0 0 200 200] /A << /S /Launch /F (cmd.exe) >> >>"},
        ),
        ACTIVE,
    ),
    "link to a windows share": (
        pdf_bytes(
            page_extra=b"/Annots [4 0 R]",
            objects={4: b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (\\\\\\\\evil\\\\x) >> >>"},
        ),
        ACTIVE,
    ),
    "embedded file": (
        pdf_bytes(
            catalog_extra=b"/Names << /EmbeddedFiles << /Names [(setup.exe) 4 0 R] >> >>",
            objects={
                4: b"<< /Type /Filespec /F (setup.exe) /EF << /F 5 0 R >> >>",
                5: b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
            },
        ),
        ACTIVE,
    ),
    "acroform field with an /AA script": (
        pdf_bytes(
            catalog_extra=b"/AcroForm << /Fields [4 0 R] >>",
            objects={4: b"<< /FT /Tx /T (name) /AA << /K 5 0 R >> >>", 5: JS_ACTION},
        ),
        ACTIVE,
    ),
    "xfa form": (pdf_bytes(catalog_extra=b"/AcroForm << /Fields [] /XFA 4 0 R >>", objects={4: b"[]"}), ACTIVE),
    "page additional action": (pdf_bytes(page_extra=b"/AA << /O 4 0 R >>", objects={4: JS_ACTION}), ACTIVE),
    "encrypted": (_encrypted("secret", "owner"), PASSWORD),
    "truncated": (clean_pdf()[: len(clean_pdf()) // 2], DAMAGED),
    "garbage after the header": (b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n", DAMAGED),
    "no page at all": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", DAMAGED),
}


def document(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize("story", HOSTILE_PDFS)
def test_the_validator_refuses_a_hostile_pdf_with_a_message(story):
    content, message = HOSTILE_PDFS[story]
    with pytest.raises(ValidationError) as refused:
        uploads.check_document(document("证明.pdf", content))
    assert message in refused.value.messages[0]


def test_the_hidden_script_is_invisible_to_a_byte_filter():
    """Why a parser is needed: the old filter's tokens are not in these files at all."""
    escaped, _ = HOSTILE_PDFS["hex-escaped name"]
    packed, _ = HOSTILE_PDFS["script in an object stream"]
    for content in (escaped, packed):
        assert b"/JavaScript" not in content and b"/JS" not in content


@pytest.fixture
def student_draft(world):
    identification_in(world.student_a, Identification.Status.DRAFT, year=AcademicYearFactory())


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post_document(client, name: str, content: bytes):
    return client.post(reverse("aid:identification_document_add"), {"file": document(name, content)})


@pytest.mark.parametrize("story", HOSTILE_PDFS)
def test_the_identification_form_refuses_a_hostile_pdf_and_saves_nothing(world, client_for, student_draft, story):
    content, message = HOSTILE_PDFS[story]
    client = client_for(world["student"])
    response = post_document(client, "证明.pdf", content)
    assert response.status_code == 302  # back to the form, never a 500
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not IdentificationDocument.objects.exists()


def test_the_refusal_is_in_the_students_language(world, client_for, student_draft):
    client = client_for(world["student"])
    client.cookies["django_language"] = "zh-hans"
    response = post_document(client, "证明.pdf", HOSTILE_PDFS["script in an object stream"][0])
    page = client.get(response["Location"])
    assert "脚本" in page.content.decode()
    assert not IdentificationDocument.objects.exists()


def test_a_clean_pdf_passes_the_validator_and_the_form(world, client_for, student_draft):
    checked = uploads.check_document(document("证明.pdf", clean_pdf()))
    assert checked.content_type == uploads.PDF
    client = client_for(world["student"])
    page = client.get(post_document(client, "证明.pdf", clean_pdf())["Location"])
    assert "The document was added." in page.content.decode()
    assert IdentificationDocument.objects.get().content_type == uploads.PDF


def test_a_pdf_with_only_an_owner_password_is_inspected_and_accepted():
    """Opens without a password (printing restricted, as some official e-certificates are): pypdf decrypts it
    with the empty password and walks it like any other."""
    assert uploads.check_document(document("电子证明.pdf", _encrypted("", "owner"))).content_type == uploads.PDF


def test_plain_links_and_a_go_to_page_open_action_are_accepted():
    link = b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://www.gov.cn/) >> >>"
    content = pdf_bytes(catalog_extra=b"/OpenAction [3 0 R /Fit]", page_extra=b"/Annots [4 0 R]", objects={4: link})
    assert uploads.check_document(document("a.pdf", content)).content_type == uploads.PDF


def test_a_png_named_pdf_is_stored_as_the_png_it_is(world, client_for, student_draft):
    checked = uploads.check_document(document("证明.pdf", _png()))
    assert (checked.content_type, checked.extension) == (uploads.PNG, ".png")
    client = client_for(world["student"])
    page = client.get(post_document(client, "证明.pdf", _png())["Location"])
    assert "The document was added." in page.content.decode()
    stored = IdentificationDocument.objects.get()
    assert stored.content_type == uploads.PNG and stored.file.name.endswith(".png")


def test_a_pdf_bomb_is_refused_quickly():
    """An object stream that inflates to 40 MB, 20 001 objects, arrays nested 50 000 deep: each is refused
    in seconds, without a 500."""
    inflating = pdf_bytes(compressed={4: b"<< /Pad (" + b"A" * 40_000_000 + b") >>"})
    many = pdf_bytes(objects={n: b"<< >>" for n in range(4, uploads.PDF_MAX_OBJECTS + 5)})
    deep = pdf_bytes(objects={4: b"[" * 50_000 + b"]" * 50_000})
    for content, message in ((inflating, DAMAGED), (many, TOO_COMPLEX), (deep, DAMAGED)):
        assert len(content) < uploads.MAX_UPLOAD_BYTES
        started = time.monotonic()
        with pytest.raises(ValidationError) as refused:
            uploads.check_document(document("bomb.pdf", content))
        assert message in refused.value.messages[0]
        assert time.monotonic() - started < uploads.PDF_MAX_SECONDS


# --- Images: one pixel limit for every entry point -------------------------------------------------------------


def test_one_pixel_limit_refuses_a_bomb_at_every_image_entry_point(settings):
    bomb = _png_bomb()
    with pytest.raises(ValidationError, match="too many pixels"):
        uploads.check_document(document("bomb.png", bomb, "image/png"))
    with pytest.raises(ValidationError, match="The image has too many pixels"):
        uploads.check_image(document("bomb.png", bomb, "image/png"), rules=uploads.IMAGE)
    with pytest.raises(ValidationError, match="The photo has too many pixels"):
        uploads.check_image(document("bomb.png", bomb, "image/png"), rules=uploads.PHOTO)

    settings.UPLOAD_MAX_IMAGE_PIXELS = 100  # the one setting moves the limit everywhere
    for check in (
        lambda f: uploads.check_document(f),
        lambda f: uploads.check_image(f, rules=uploads.IMAGE),
        lambda f: uploads.check_image(f, rules=uploads.PHOTO),
    ):
        with pytest.raises(ValidationError, match="too many pixels"):
            check(document("small.png", _png((20, 20)), "image/png"))
    settings.UPLOAD_MAX_IMAGE_PIXELS = 400
    assert uploads.check_image(document("small.png", _png((20, 20)), "image/png")).extension == "png"


def test_a_photo_loses_its_location_and_a_document_keeps_its_bytes():
    exif = Image.Exif()
    exif[0x8825] = {2: (30.0, 35.0, 0.0)}  # GPSInfo: a latitude
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "blue").save(out, "JPEG", exif=exif.tobytes())
    jpeg = out.getvalue()
    assert b"Exif" in jpeg
    photo = uploads.check_image(document("IMG_0001.jpg", jpeg, "image/jpeg"), rules=uploads.PHOTO)
    assert photo.content_type == uploads.JPEG and b"Exif" not in photo.data
    upload = document("证明.jpg", jpeg, "image/jpeg")
    assert uploads.check_document(upload).content_type == uploads.JPEG
    assert upload.read() == jpeg  # documents are stored as sent: the caller saves the upload itself
