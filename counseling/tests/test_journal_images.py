"""Journal images: checked by content (JPEG/PNG only, ≤ 5 MB, must decode), stored privately under a random
name with metadata and trailing bytes dropped, served only to signed-in users (drafts only to editors)."""

import io
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from counseling import services
from counseling.models import JournalImage, JournalIssue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def image_bytes(fmt: str, size=(40, 30), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, fmt, **save)
    return buffer.getvalue()


def corrupt_png() -> bytes:
    """A PNG whose image data was damaged in transit: its chunk checksum no longer matches."""
    data = bytearray(image_bytes("PNG"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    return bytes(data)


@pytest.fixture
def issue(world):
    return services.journal_issue_save(actor=world["counselor"], issue=None, title="春天", number=1)


def upload(client, issue, name, content, content_type="image/png"):
    return client.post(
        reverse("counseling:journal_image_upload", args=[issue.pk]),
        {"image": SimpleUploadedFile(name, content, content_type=content_type)},
        follow=True,
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 2000, "Upload a JPEG or PNG image."),
        ("big.jpg", image_bytes("JPEG")[:2] + b"\x00" * (6 * 1024 * 1024), "larger than 5 MB"),
        ("anim.gif", image_bytes("GIF"), "Upload a JPEG or PNG image."),
        ("broken.png", corrupt_png(), "not a readable JPEG or PNG"),
        ("cut.png", image_bytes("PNG")[:-30], "not a readable JPEG or PNG"),
        ("notes.txt", b"<html><script>alert(1)</script></html>", "Upload a JPEG or PNG image."),
        ("empty.png", b"", "Choose an image"),
    ],
)
def test_bad_uploads_are_refused_with_a_message(world, client_for, issue, name, content, message):
    response = upload(client_for(world["counselor"]), issue, name, content)
    assert message in response.content.decode()
    assert not JournalImage.objects.exists()


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_valid_images_are_stored_privately_and_served_only_to_signed_in_users(
    world, client_for, client, issue, settings, fmt, content_type
):
    # Trailing bytes after the image (a polyglot) pass Pillow's checks but are dropped by re-encoding.
    content = image_bytes(fmt) + b"<script>alert(1)</script>"
    response = upload(client_for(world["counselor"]), issue, "照片.exe", content, "application/octet-stream")
    assert "Image uploaded" in response.content.decode()
    image = JournalImage.objects.get()
    assert image.content_type == content_type
    assert str(settings.MEDIA_ROOT) in image.image.path and "照片" not in image.image.name
    with image.image.open("rb") as stored:
        data = stored.read()
    assert b"<script>" not in data
    assert Image.open(io.BytesIO(data)).format == fmt

    url = reverse("counseling:journal_image", args=[image.pk])
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page
    # A draft: the editors only.
    assert client_for(world["student"]).get(url).status_code == 404
    assert client_for(world["station"]).get(url).status_code == 404
    editor = client_for(world["counselor"]).get(url)
    assert editor.status_code == 200 and editor["Content-Type"] == content_type
    # Published: any signed-in user.
    JournalIssue.objects.filter(pk=issue.pk).update(published_at=timezone.now())
    for persona in ("student", "aidofficer", "visitor"):
        response = client_for(world[persona]).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data
    assert client_for(world["student"]).post(url).status_code == 405


def test_exif_location_is_dropped(world, issue):
    exif = Image.Exif()
    exif[0x8825] = {2: (30.0, 35.0, 0.0)}  # GPSInfo: a latitude
    content = image_bytes("JPEG", exif=exif.tobytes())
    assert b"Exif" in content
    image = services.journal_image_upload(
        actor=world["counselor"], issue=issue, upload=SimpleUploadedFile("a.jpg", content, "image/jpeg")
    )
    with image.image.open("rb") as stored:
        assert b"Exif" not in stored.read()


def test_only_editors_may_upload(world, client_for, issue):
    url = reverse("counseling:journal_image_upload", args=[issue.pk])
    file = SimpleUploadedFile("a.png", image_bytes("PNG"), "image/png")
    assert client_for(world["student"]).post(url, {"image": file}).status_code == 404  # a draft: not visible
    JournalIssue.objects.filter(pk=issue.pk).update(published_at=timezone.now())
    assert client_for(world["station"]).post(url, {"image": file}).status_code == 403
    assert not JournalImage.objects.exists()


def test_a_png_bomb_is_refused_before_decoding(world, issue):
    # 20000 × 20000 pixels of one colour compress to a few hundred kilobytes.
    raw = b"".join(b"\x00" + b"\x00" * 20000 for _ in range(1))
    header = b"\x89PNG\r\n\x1a\n"

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    ihdr = (20000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    bomb = header + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with pytest.raises(services.DomainError, match="too many pixels"):
        services.journal_image_upload(
            actor=world["counselor"], issue=issue, upload=SimpleUploadedFile("b.png", bomb, "image/png")
        )
