"""Hypothesis strategies that turn a Django form into hostile request data, field by field.

`form_payloads(form)` draws a `Payload` for a *bound-to-nothing* form instance taken from the page that
renders it (so choice fields carry the querysets the view scoped to its user). Each draw picks a mode:

- ``valid``: every field gets a value the field should accept, written in Chinese, Uyghur script, emoji
  or as HTML / SQL payloads that fit the field (so the services run and the page shows them back);
- ``one-hostile``: as ``valid``, but one field gets a hostile value;
- ``hostile``: every field is hostile: NUL bytes, right-to-left overrides, 100k characters, numbers at and
  beyond their limits, dates in year 1 and 9999, invalid and duplicated choices, lying uploads;
- fields may also be missing or sent twice with different values;

and an encoding: multipart (the browser's), urlencoded, a JSON body or a multipart content type with a
broken body. `Payload.send(client, url, method)` performs the request.

Strategies per field type are in `hostile_value` and `valid_value`; add a branch there when a new field
type appears (the fallback treats an unknown field as text).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import strategies as st

from portal.tests.pdfs import clean_pdf

MISSING = object()

SCRIPT_PAYLOAD = "<script>alert(1)</script>"
IMG_PAYLOAD = '<img src=x onerror="alert(2)">'
# Raw payloads that must never come back unescaped in a response.
HTML_PAYLOADS = (SCRIPT_PAYLOAD, IMG_PAYLOAD)
SQL_PAYLOADS = ("'; DROP TABLE portal_user; --", "1 OR 1=1", '" OR ""="', "1); SELECT pg_sleep(0)--")

UYGHUR = "ئۇيغۇرچە يېزىق"
CHINESE = "暖心学生支持：家庭经济困难"
EMOJI = "😀🧑🏽‍🎓👨‍👩‍👧‍👦🇨🇳"
RTL_OVERRIDE = "\u202eevil\u202c"
ZERO_WIDTH = "a\u200bb\ufeffc"

# Text a form should accept wherever free text is allowed.
VALID_PIECES = (UYGHUR, CHINESE, EMOJI, "买买提·艾力", SCRIPT_PAYLOAD, IMG_PAYLOAD, *SQL_PAYLOADS, "Tab\tand\nnewline")
HOSTILE_TEXT = (
    "\x00",
    "abc\x00def",
    "\x00" * 50,
    "\x07\x1b[31m",
    RTL_OVERRIDE,
    ZERO_WIDTH,
    "\ud7ff\ue000\uffff",
    "\U0010ffff",
    "x" * 100_000,
    "暖" * 100_000,
    "ئ" * 30_000,
    "😀" * 20_000,
    "   ",
    "",
    "%00",
    "../../etc/passwd",
    "{{ 7*7 }}{% debug %}",
    *HTML_PAYLOADS,
    *SQL_PAYLOADS,
)
HOSTILE_NUMBERS = (
    "",
    "-1",
    "0",
    "-0",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "Infinity",
    "-Infinity",
    "9" * 40,
    "-" + "9" * 40,
    str(2**63),
    str(2**31),
    str(-(2**63) - 1),
    "1.123456789",
    "0x10",
    "１２３",
    "١٢٣",
    "1,000",
    "1 000",
    "12abc",
    *HOSTILE_TEXT[:4],
)
HOSTILE_DATES = (
    "0001-01-01",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "-0001-01-01",
    "1900-01-01",
    "1970-01-01",
    "2024-02-30",
    "2024-13-01",
    "2999-12-31",
    "31/12/2024",
    "2024-01-01T25:61:61",
    "9999-12-31 23:59:59",
    "0001-01-01 00:00:00",
    "now",
    "",
)
HOSTILE_TIMES = ("24:00", "23:59:60", "-1:00", "99:99", "00:00", "23:59", "12:00:00.9999999", "noon", "")
HOSTILE_IDS = ("0", "-1", str(2**63), "9" * 30, "1.5", "abc", "1; DROP TABLE x", "\x00", "", "None", "[]")


def _png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (30, 200, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


PDF_BYTES = clean_pdf()
PNG_BYTES = _png_bytes()
JPEG_BYTES = _jpeg_bytes()


def _upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def valid_uploads() -> st.SearchStrategy[SimpleUploadedFile]:
    return st.sampled_from(
        [
            ("photo.png", PNG_BYTES, "image/png"),
            ("照片.jpg", JPEG_BYTES, "image/jpeg"),
            ("证明.pdf", PDF_BYTES, "application/pdf"),
            ("canteen.csv", "学号,日期,金额\n2024001,2024-09-01,5.00\n".encode(), "text/csv"),
        ]
    ).map(lambda spec: _upload(*spec))


def hostile_uploads() -> st.SearchStrategy[SimpleUploadedFile]:
    """Files that lie about what they are, are empty, huge, or named to hurt."""
    specs = [
        ("empty.png", b"", "image/png"),
        ("evil.png", b"<?php system($_GET['c']); ?>", "image/png"),
        ("evil.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, "application/pdf"),
        ("script.jpg", SCRIPT_PAYLOAD.encode(), "image/jpeg"),
        ("real.png.exe", PNG_BYTES, "application/octet-stream"),
        ("../../../etc/passwd", PDF_BYTES, "application/pdf"),
        ("name\x00.png", PNG_BYTES, "image/png"),
        (SCRIPT_PAYLOAD + ".png", PNG_BYTES, "image/png"),
        ("ئۇيغۇرچە😀.pdf", PNG_BYTES, "application/pdf"),
        ("x" * 300 + ".png", PNG_BYTES, "image/png"),
        ("truncated.png", PNG_BYTES[:20], "image/png"),
        ("big.pdf", PDF_BYTES + b"0" * (11 * 1024 * 1024), "application/pdf"),
        ("bomb.png", b"\x89PNG\r\n\x1a\n" + b"\xff" * 5000, "image/png"),
        ("data.csv", b"\xff\xfe\x00\x00garbage\x00\x00", "text/csv"),
        (
            "data.xlsx",
            b"PK\x03\x04not really a zip",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("noext", JPEG_BYTES, "text/html"),
    ]
    uploads = st.sampled_from(specs).map(lambda spec: _upload(*spec))
    return st.one_of(uploads, st.sampled_from(["", "not a file", "\x00"]))


# --- Values per field type --------------------------------------------------------------------------------


def _choice_values(field: forms.Field) -> list[str]:
    values: list[str] = []
    for value, label in getattr(field, "choices", []):
        if isinstance(label, (list, tuple)):  # an optgroup
            values.extend(str(v) for v, _ in label)
        else:
            values.append(str(value))
    return [value for value in values if value != ""] or [""]


def valid_text(*, max_length: int | None, min_length: int | None = None) -> st.SearchStrategy[str]:
    top = min(max_length or 400, 400)
    bottom = max(min_length or 1, 1)
    if bottom > top:
        bottom = top
    pieces = st.lists(st.sampled_from(VALID_PIECES), min_size=1, max_size=4).map(" ".join)
    return pieces.map(lambda text: _fit(text, bottom, top))


def _fit(text: str, bottom: int, top: int) -> str:
    text = text.strip()
    while len(text) < bottom:
        text = f"{text} {CHINESE}".strip()
    return text[:top].strip() or CHINESE[:top]


def valid_value(field: forms.Field) -> st.SearchStrategy[Any]:
    """A value the field is meant to accept (the form's cross-field rules may still refuse it)."""
    today = timezone.localdate()
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", "on", ""] if not field.required else ["on"])
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        options = _choice_values(field)
        return st.lists(st.sampled_from(options), min_size=1, max_size=min(3, len(options)), unique=True)
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return st.sampled_from(_choice_values(field))
    if isinstance(field, forms.FileField):
        return valid_uploads()
    if isinstance(field, forms.UUIDField):
        return st.uuids(version=4).map(str)
    if isinstance(field, forms.EmailField):
        return st.sampled_from(["student@example.edu.cn", "mai.ali+test@example.com"])
    if isinstance(field, forms.SplitDateTimeField):
        return st.just([str(today + dt.timedelta(days=3)), "10:00"])
    if isinstance(field, forms.DateTimeField):
        edges = st.sampled_from(["0001-01-01 00:00", "9999-12-31 23:59", "1900-01-01 00:00"])
        near = st.integers(-48, 24 * 30).map(lambda hours: _local_now_plus(hours).strftime("%Y-%m-%d %H:%M"))
        return st.one_of(near, edges)
    if isinstance(field, forms.DateField):
        # The field accepts year 1 and year 9999: the services behind it must too (date arithmetic overflows).
        edges = st.sampled_from([str(dt.date.min), str(dt.date.max), "1900-01-01", "2099-12-31"])
        near = st.integers(-30, 60).map(lambda days: str(today + dt.timedelta(days=days)))
        return st.one_of(near, edges)
    if isinstance(field, forms.TimeField):
        return st.sampled_from(["09:00", "14:30", "18:00"])
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        low, high = _limits(field)
        return st.one_of(st.sampled_from([low, high]), st.integers(int(low), int(high))).map(str)
    if isinstance(field, forms.CharField) and field.__class__.__name__ == "MoneyField":
        maximum = getattr(field, "maximum", None)
        top = int(maximum) if maximum else 5000
        return st.integers(1, max(top, 1)).map(str)
    max_length = getattr(field, "max_length", None)
    min_length = getattr(field, "min_length", None)
    texts = valid_text(max_length=max_length, min_length=min_length)
    if max_length:  # exactly at the limit, in characters that take 2–4 bytes each
        full = st.sampled_from(["暖", "ئ", "😀"]).map(lambda char: char * max_length)
        return st.one_of(texts, full)
    return texts


def _local_now_plus(hours: int) -> dt.datetime:
    return timezone.localtime() + dt.timedelta(hours=hours)


def _limits(field: forms.Field) -> tuple[Decimal, Decimal]:
    low = getattr(field, "min_value", None)
    high = getattr(field, "max_value", None)
    low = Decimal(low) if low is not None else Decimal(0)
    high = Decimal(high) if high is not None else low + 1000
    return low.to_integral_value(rounding="ROUND_CEILING"), high.to_integral_value(rounding="ROUND_FLOOR")


def hostile_value(field: forms.Field) -> st.SearchStrategy[Any]:
    """A value chosen to break the field's parser, its limits or what lies behind it."""
    texts = st.sampled_from(HOSTILE_TEXT)
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", "off", "false", "0", "yes", "\x00", "x" * 100_000])
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        options = _choice_values(field)
        return st.one_of(
            st.lists(st.sampled_from(options + list(HOSTILE_IDS)), min_size=2, max_size=6),  # duplicates too
            st.sampled_from(options).map(lambda v: [v, v, v]),
            texts,
        )
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        options = _choice_values(field)
        return st.one_of(
            st.sampled_from(HOSTILE_IDS),
            texts,
            st.sampled_from(options).map(lambda v: [v, v]),
            st.lists(st.sampled_from(options), min_size=2, max_size=2),
        )
    if isinstance(field, forms.FileField):
        return hostile_uploads()
    if isinstance(field, forms.UUIDField):
        return st.one_of(
            st.sampled_from(["not-a-uuid", "00000000-0000-0000-0000-000000000000", str(uuid.UUID(int=2**128 - 1))]),
            texts,
        )
    if isinstance(field, forms.SplitDateTimeField):
        return st.tuples(st.sampled_from(HOSTILE_DATES), st.sampled_from(HOSTILE_TIMES)).map(list)
    if isinstance(field, forms.DateField | forms.DateTimeField):
        return st.one_of(st.sampled_from(HOSTILE_DATES), texts)
    if isinstance(field, forms.TimeField):
        return st.one_of(st.sampled_from(HOSTILE_TIMES), texts)
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        low, high = _limits(field)
        edges = [str(low), str(high), str(low - 1), str(high + 1), str(high) + ".001"]
        return st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(edges))
    if isinstance(field, forms.CharField) and field.__class__.__name__ == "MoneyField":
        return st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(["1,00,0", "1.999", "1e9", "1，500．50"]))
    max_length = getattr(field, "max_length", None)
    beyond = "暖" * ((max_length or 0) + 1) if max_length else "暖" * 5000
    return st.one_of(texts, st.just(beyond))


# --- Whole forms --------------------------------------------------------------------------------------------


@dataclass
class Payload:
    data: dict[str, Any]
    mode: str
    encoding: str = "multipart"
    notes: list[str] = field(default_factory=list)

    def send(self, client: Client, url: str, method: str):
        if method == "get":
            query = {k: v for k, v in self.data.items() if not isinstance(v, SimpleUploadedFile)}
            return client.get(url, query)
        if self.encoding == "urlencoded":
            body = urlencode(_flat(self.data), doseq=True)
            return client.post(url, body, content_type="application/x-www-form-urlencoded")
        if self.encoding == "json":
            body = json.dumps({k: v for k, v in _flat(self.data).items()}, ensure_ascii=False)
            return client.post(url, body, content_type="application/json")
        if self.encoding == "broken-multipart":
            return client.post(url, b"--nope\r\n\x00garbage", content_type="multipart/form-data")
        if self.encoding == "text":
            return client.post(url, "\x00\xff" + SCRIPT_PAYLOAD, content_type="text/plain; charset=latin-1")
        return client.post(url, self.data)

    def __repr__(self) -> str:  # keep Hypothesis' falsifying example readable
        shown = {k: (repr(v)[:80] + "…" if len(repr(v)) > 80 else v) for k, v in self.data.items()}
        return f"Payload(mode={self.mode!r}, encoding={self.encoding!r}, data={shown!r})"


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    return {k: ("" if isinstance(v, SimpleUploadedFile) else v) for k, v in data.items()}


def form_fields(form: forms.BaseForm) -> list[tuple[str, forms.Field]]:
    """(name in the request, field) for every field, prefixes applied; split widgets keep one name."""
    return [(form.add_prefix(name), bound) for name, bound in form.fields.items()]


@st.composite
def form_payloads(draw: st.DrawFn, form: forms.BaseForm, *, method: str = "post") -> Payload:
    fields = form_fields(form)
    name_of = {form.add_prefix(name): name for name in form.fields}
    mode = draw(st.sampled_from(["valid", "one-hostile", "one-hostile", "hostile"]))
    hostile_index = draw(st.integers(0, max(len(fields) - 1, 0))) if mode == "one-hostile" else -1
    data: dict[str, Any] = {}
    for index, (name, fld) in enumerate(fields):
        if mode == "hostile":
            value = draw(st.one_of(hostile_value(fld), st.just(MISSING)))
        elif index == hostile_index:
            value = draw(hostile_value(fld))
        elif isinstance(fld.widget, forms.HiddenInput) and form[name_of[name]].value() not in (None, ""):
            value = str(form[name_of[name]].value())  # page state the view relies on (a receipt code)
        else:
            initial = form[name_of[name]].value()
            hint = [] if initial in (None, "", []) or isinstance(initial, list) else [st.just(str(initial))]
            value = draw(st.one_of(valid_value(fld), *hint))
        if value is MISSING:
            continue
        if isinstance(fld, forms.SplitDateTimeField) and isinstance(value, list):
            data[f"{name}_0"], data[f"{name}_1"] = value[0], value[1]
        else:
            data[name] = value
    if mode == "hostile" and draw(st.booleans()):
        data[draw(st.sampled_from(["unexpected", "csrfmiddlewaretoken", "__proto__", "0"]))] = SCRIPT_PAYLOAD
    encoding = "multipart"
    if method == "post" and mode == "hostile":
        encoding = draw(st.sampled_from(["multipart", "multipart", "urlencoded", "json", "broken-multipart", "text"]))
    return Payload(data=data, mode=mode, encoding=encoding)
