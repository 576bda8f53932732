"""A table (:mod:`.tables`) written as CSV or as an xlsx workbook, row by row.

CSV: UTF-8, comma-separated, a header row, amounts as decimals with two places and a point
(``-1234.50``), dates ISO (``2024-03-31``), empty cells for nothing; values as the books
hold them (a spreadsheet user takes the xlsx). xlsx: openpyxl's write-only mode (rows go
to a temporary file as they come, memory stays flat), amounts as exact decimal numbers
shown with two places, dates as real dates, text always as text (never a formula, even
when it begins with ``=``); a sheet holds at most Excel's 1,048,576 rows, the next ones go
to "Journal (2)", and so on. A number's digits are written as they are, never through a
float.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from typing import BinaryIO

from .tables import DATE, DECIMAL, INT, MONEY, TEXT, Table

SHEET_ROWS = 1_048_576  # Excel's rows per sheet, the header included
WIDTHS = {TEXT: 18, DATE: 11, INT: 8, MONEY: 14, DECIMAL: 12}
WIDE = {"description": 40, "text": 40, "line_text": 30, "account_name": 32, "name": 28,
        "other_addresses": 30, "other_communications": 30}
# What a text cell of xlsx cannot hold as it is: a control character XML refuses, or an
# ``=`` first (openpyxl would take the text for a formula). Texts of a row are searched
# joined by DEL, so one search per row finds the rows worth a closer look.
_SEPARATOR = "\x7f"
_SUSPECT = re.compile(r"[\000-\010\013\014\016-\037]|(?:^|\x7f)=")
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
Count = Callable[[int], None]


def cents_text(cents: int) -> str:
    """Minor units as a decimal with two places: -123456 → "-1234.56"."""
    if cents < 0:
        return f"-{-cents // 100}.{-cents % 100:02d}"
    return f"{cents // 100}.{cents % 100:02d}"


def write_csv(table: Table, raw: BinaryIO, count: Count) -> int:
    """Write ``table`` to ``raw``; returns the rows written (the header aside)."""
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
    writer = csv.writer(text)
    writer.writerow([h for h, _ in table.columns])
    money = [i for i, (_, kind) in enumerate(table.columns) if kind == MONEY]
    n = 0
    for row in table.rows:
        row = list(row)
        for i in money:
            if row[i] is not None:
                row[i] = cents_text(row[i])
        writer.writerow(row)
        n += 1
        if not n & 0x3FFF:
            count(n)
    text.flush()
    text.detach()
    return n


def write_xlsx(table: Table, raw: BinaryIO, count: Count) -> int:
    """Write ``table`` as a workbook to ``raw``; returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    kinds = [kind for _, kind in table.columns]
    texts = [i for i, kind in enumerate(kinds) if kind == TEXT]
    sheet = None

    def new_sheet(number: int):
        ws = book.create_sheet(table.title if number == 1 else f"{table.title} ({number})")
        for i, (header, kind) in enumerate(table.columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = WIDE.get(header, WIDTHS[kind])
        ws.freeze_panes = "A2"
        heads = []
        for header, _ in table.columns:
            cell = WriteOnlyCell(ws, header)
            cell.font = Font(bold=True)
            heads.append(cell)
        ws.append(heads)
        # One cell per styled column, given each row's value in turn: written at once.
        styled = {}
        for i, kind in enumerate(kinds):
            if kind in (MONEY, DECIMAL, DATE):
                cell = WriteOnlyCell(ws)
                cell.number_format = {MONEY: "#,##0.00", DECIMAL: "0.00####",
                                      DATE: "dd.mm.yyyy"}[kind]
                styled[i] = cell
        return ws, styled

    def as_text(value: str):
        cell = WriteOnlyCell(sheet)
        cell.value = _ILLEGAL.sub("\ufffd", value)
        cell.data_type = "s"
        return cell

    n = 0
    number = 0
    styled: dict = {}
    for row in table.rows:
        if n % (SHEET_ROWS - 1) == 0:
            number += 1
            sheet, styled = new_sheet(number)
        values = list(row)
        for i, cell in styled.items():
            value = values[i]
            if value is None:
                continue
            kind = kinds[i]
            if kind == DATE:
                cell.value = date.fromisoformat(value)
            else:  # the number's exact digits into the sheet, never through a float
                cell._value = cents_text(value) if kind == MONEY else str(value)
                cell.data_type = "n"
            values[i] = cell
        if _SUSPECT.search(_SEPARATOR.join([values[i] or "" for i in texts])):
            for i in texts:
                if values[i] and (_ILLEGAL.search(values[i]) or values[i][0] == "="):
                    values[i] = as_text(values[i])
        sheet.append(values)
        n += 1
        if not n & 0x3FFF:
            count(n)
    if sheet is None:
        new_sheet(1)
    book.save(raw)
    return n
