"""The student's application: drafts, submission, bad input, one per year, uploads and their serving."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from aid.models import AcademicYear, FamilyMember, Identification, IdentificationDocument
from aid.services import identification as services
from aid.tests.factories import AcademicYearFactory, identification_in
from portal.models import AuditEvent
from portal.services import DomainError
from portal.tests.pdfs import clean_pdf, pdf_bytes

EDIT = reverse("aid:identification_edit")
MINE = reverse("aid:identification_mine")


@pytest.fixture
def year(db) -> AcademicYear:
    return AcademicYearFactory()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "household_size": "4",
        "household_income": "24000.50",
        "household_debt": "3000",
        "special_statuses": ["dibao"],
        "statement": "父亲务农，母亲生病。",
        "family-TOTAL_FORMS": "2",
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "15",
        "family-0-relation": "父亲",
        "family-0-age": "50",
        "family-0-occupation": "务农",
        "family-0-annual_income": "12000",
        "family-1-relation": "",
        "save": "1",
    }
    data.update(overrides)
    return data


def test_the_student_saves_a_draft_and_submits_it_with_the_pledge(world, client_for, year):
    client = client_for(world["student"])
    page = client.get(EDIT)
    assert page.status_code == 200
    assert "I pledge that the information" in page.content.decode()

    response = client.post(EDIT, form_data())
    assert response.status_code == 302
    ident = Identification.objects.get(student=world.student_a)
    assert ident.status == Identification.Status.DRAFT
    assert str(ident.household_income) == "24000.50"
    assert ident.special_statuses == ["dibao"]
    assert list(ident.family_members.values_list("relation", flat=True)) == ["父亲"]

    response = client.post(EDIT, form_data(submit="1", pledge="on"), follow=True)
    assert "Your application was submitted." in response.content.decode()
    ident.refresh_from_db()
    assert ident.status == Identification.Status.SUBMITTED
    assert ident.pledge_signed_at is not None
    assert AuditEvent.objects.filter(action="identification.submitted", object_id=str(ident.pk)).exists()


def test_submitting_without_the_pledge_is_refused_with_a_message(world, client_for, year):
    client = client_for(world["student"])
    response = client.post(EDIT, form_data(submit="1", household_income="12345"))
    # Shown again as sent (nothing typed is lost), the reason next to the pledge box, the draft saved.
    assert response.status_code == 200
    assert response.context["form"].errors["pledge"] == ["Read and accept the pledge to submit your application."]
    assert response.context["form"]["household_income"].value() == "12345"
    page = response.content.decode()
    assert 'id="id_pledge_error"' in page or "id_pledge_error" in page
    ident = Identification.objects.get(student=world.student_a)
    assert ident.status == Identification.Status.DRAFT
    assert ident.household_income == 12345


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("household_income", "-1"),
        ("household_income", "abc"),
        ("household_income", "1234567890123"),
        ("household_debt", "-0.01"),
        ("statement", "长" * 100_000),
        ("statement", "bad\x00text"),
        ("family-0-annual_income", "-5"),
        ("family-0-annual_income", "abc"),
        ("family-0-relation", "父\x00亲"),
        ("household_size", "0"),
    ],
)
def test_bad_input_comes_back_as_a_message_and_nothing_is_saved(world, client_for, year, field, value):
    client = client_for(world["student"])
    response = client.post(EDIT, form_data(**{field: value}))
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    assert not Identification.objects.exists()
    assert not FamilyMember.objects.exists()


def test_one_identification_per_student_and_year(world, year):
    identification_in(world.student_a, Identification.Status.SUBMITTED, year=year)
    with pytest.raises(DomainError):
        services.identification_save(
            actor=world["student"],
            student=world.student_a,
            year=year,
            mid_year=False,
            household_size=3,
            household_income=None,
            household_debt=None,
            special_statuses=[],
            statement="",
            family_members=[],
        )
    assert Identification.objects.filter(student=world.student_a).count() == 1


def test_the_database_refuses_a_second_identification_and_the_service_says_so(world, year, monkeypatch):
    """Two requests racing past the look-up: the unique constraint wins and the loser gets a message."""
    Identification.objects.create(student=world.student_a, year=year)
    real_filter = Identification.objects.select_for_update

    class Nothing:
        def filter(self, *a, **k):
            return self

        def select_related(self, *a):
            return self

        def first(self):
            return None

    monkeypatch.setattr(Identification.objects, "select_for_update", lambda *a, **k: Nothing())
    with pytest.raises(DomainError, match="already have an application"):
        services.identification_save(
            actor=world["student"],
            student=world.student_a,
            year=year,
            mid_year=False,
            household_size=3,
            household_income=None,
            household_debt=None,
            special_statuses=[],
            statement="",
            family_members=[],
        )
    monkeypatch.setattr(Identification.objects, "select_for_update", real_filter)


def test_outside_the_window_only_a_mid_year_application_is_accepted(world, client_for):
    today = timezone.localdate()
    AcademicYearFactory(window_opens_on=today - timedelta(days=40), window_closes_on=today - timedelta(days=10))
    client = client_for(world["student"])
    response = client.post(EDIT, form_data())
    assert "window is closed" in response.content.decode()
    assert not Identification.objects.exists()
    response = client.post(EDIT, form_data(mid_year="on", submit="1", pledge="on"))
    ident = Identification.objects.get()
    assert ident.mid_year and ident.status == Identification.Status.SUBMITTED


def test_a_submitted_application_can_no_longer_be_changed(world, client_for, year):
    identification_in(world.student_a, Identification.Status.SUBMITTED, year=year, household_size=4)
    client = client_for(world["student"])
    response = client.post(EDIT, form_data(household_size="9"))
    assert response.status_code == 302
    assert Identification.objects.get().household_size == 4


# --- Uploads -----------------------------------------------------------------------------------------

PDF_BYTES = clean_pdf()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(client, name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("aid:identification_document_add"),
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        follow=True,
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("证明.pdf", PDF_BYTES, "application/pdf"), ("a.png", None, "image/png"), ("b.jpg", None, "image/jpeg")],
)
def test_valid_pdf_png_and_jpeg_are_accepted(world, client_for, year, name, content, content_type):
    identification_in(world.student_a, Identification.Status.DRAFT, year=year)
    content = content or (png_bytes() if name.endswith("png") else jpeg_bytes())
    response = upload(client_for(world["student"]), name, content)
    assert "The document was added." in response.content.decode()
    document = IdentificationDocument.objects.get()
    assert document.content_type == content_type
    assert document.original_name == name
    assert document.file.name.rsplit("/", 1)[-1] != name  # stored under a random name


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "Only PDF, JPEG and PNG"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024) + b"\n%%EOF", "at most 5 MB"),
        (
            "script.pdf",
            pdf_bytes(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
            "contains scripts",
        ),
        ("fake.png", b"\x89PNG\r\n\x1a\nnot really", "Only PDF, JPEG and PNG"),
    ],
)
def test_bad_files_are_refused_with_a_message(world, client_for, year, name, content, message):
    identification_in(world.student_a, Identification.Status.DRAFT, year=year)
    response = upload(client_for(world["student"]), name, content)
    assert message in response.content.decode()
    assert not IdentificationDocument.objects.exists()


def test_at_most_five_documents(world, client_for, year):
    identification_in(world.student_a, Identification.Status.DRAFT, year=year)
    client = client_for(world["student"])
    for n in range(5):
        upload(client, f"{n}.pdf", PDF_BYTES)
    response = upload(client, "6.pdf", PDF_BYTES)
    assert "At most 5 documents" in response.content.decode()
    assert IdentificationDocument.objects.count() == 5


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("student", 200),
        ("aidreviewer", 200),
        ("aidofficer", 200),
        ("admin", 200),
        ("roommate", 404),
        ("committee", 404),
        ("liaison", 404),
        ("station", 404),
        ("counselor", 404),
        ("assessor", 404),
        ("visitor", 404),
    ],
)
def test_documents_are_served_to_the_owner_and_aid_staff_only(world, client_for, year, persona, status):
    ident = identification_in(world.student_a, Identification.Status.DRAFT, year=year)
    upload(client_for(world["student"]), "证明.pdf", PDF_BYTES)
    document = IdentificationDocument.objects.get(identification=ident)
    user = world.roommate_a.user if persona == "roommate" else world[persona]
    response = client_for(user).get(reverse("aid:identification_document", args=[document.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Disposition"].startswith("attachment")
        assert AuditEvent.objects.filter(action="read", object_type="aid.identificationdocument").exists()


def test_a_reviewer_of_another_college_gets_404_for_a_document(world, client_for, year):
    from portal.models import Role
    from portal.tests.factories import StaffFactory, grant

    ident = identification_in(world.student_a, Identification.Status.DRAFT, year=year)
    upload(client_for(world["student"]), "证明.pdf", PDF_BYTES)
    other = StaffFactory().user
    grant(other, Role.AID_REVIEWER, college=world.college_b)
    document = IdentificationDocument.objects.get(identification=ident)
    assert client_for(other).get(reverse("aid:identification_document", args=[document.pk])).status_code == 404
