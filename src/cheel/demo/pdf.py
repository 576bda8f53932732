"""Minimal one-page PDF documents (invoices, receipts) written by hand.

The output is a valid PDF 1.4 file: catalog, page tree, one A4 page, the standard Helvetica
font in WinAnsi encoding, one content stream, a cross-reference table with exact byte offsets
and a trailer. Nothing depends on the clock: the same text gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def one_page_pdf(lines: Sequence[str], title: str = "") -> bytes:
    """A one-page A4 PDF showing ``lines`` (the first one larger, as a heading)."""
    ops = [b"BT", b"/F1 16 Tf", b"56 780 Td", b"18 TL"]
    for i, line in enumerate(lines):
        if i == 1:
            ops.append(b"/F1 10 Tf 14 TL")
        ops.append(b"(" + _escape(line) + b") Tj T*")
    ops.append(b"ET")
    stream = b"\n".join(ops) + b"\n"
    info = b"<< /Producer (cheel demo)"
    if title:
        info += b" /Title (" + _escape(title) + b")"
    info += b" >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        info,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (
        len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF" % xref
    return bytes(out)
