"""Real PDFs for tests, written byte by byte (no binary fixtures): a clean one-page document, and the same with
whatever objects an attacker adds, written plainly or inside a compressed object stream."""

from __future__ import annotations

import zlib

CATALOG = 1
PAGES = 2
PAGE = 3


def _page_objects(catalog_extra: bytes = b"", page_extra: bytes = b"") -> dict[int, bytes]:
    return {
        CATALOG: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        PAGES: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] " + page_extra + b" >>",
    }


def pdf_bytes(
    *,
    catalog_extra: bytes = b"",
    page_extra: bytes = b"",
    objects: dict[int, bytes] | None = None,
    compressed: dict[int, bytes] | None = None,
) -> bytes:
    """A one-page PDF. `objects` are added as plain numbered objects (4 onwards); `compressed` objects are
    packed into a FlateDecode object stream, which needs a cross-reference stream (PDF 1.5) instead of a table.
    """
    plain = {**_page_objects(catalog_extra, page_extra), **(objects or {})}
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(plain):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + plain[number] + b"\nendobj\n"
    root = b"/Root 1 0 R"
    if not compressed:
        size = max(plain) + 1
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for number in range(1, size):
            out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
        out += b"trailer\n<< /Size %d " % size + root + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
        return bytes(out)

    # The object stream: "number offset" pairs, then the objects themselves, compressed.
    stream_number = max(plain | compressed) + 1
    header, body = bytearray(), bytearray()
    for number in sorted(compressed):
        header += b"%d %d " % (number, len(body))
        body += compressed[number] + b"\n"
    packed = zlib.compress(bytes(header) + bytes(body))
    offsets[stream_number] = len(out)
    out += (
        b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (stream_number, len(compressed), len(header), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref_number = stream_number + 1
    offsets[xref_number] = len(out)
    size = xref_number + 1
    rows = bytearray()
    for number in range(size):
        if number in offsets:
            rows += b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00"
        elif number in compressed:
            index = sorted(compressed).index(number)
            rows += b"\x02" + stream_number.to_bytes(4, "big") + index.to_bytes(2, "big")
        else:
            rows += b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"
    table = zlib.compress(bytes(rows))
    xref = offsets[xref_number]
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Filter /FlateDecode /Length %d "
        % (xref_number, size, len(table))
        + root
        + b" >>\nstream\n"
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return bytes(out)


def clean_pdf() -> bytes:
    """A one-page PDF with nothing active in it: what a scanner or "print to PDF" writes."""
    return pdf_bytes()
