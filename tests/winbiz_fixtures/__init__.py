"""Fixtures of the WinBIZ import (docs/WINBIZ.md): writers of WinBIZ data folders (dBase III or
Visual FoxPro tables, with or without a FoxPro memo file), of WinBIZ's CSV exports, of zips and
``.wb_backup`` files, and of hostile variants the import must refuse.

What is written is a realistic Swiss SME's bookkeeping (the Swiss SME chart of
``cheel.demo.chart``, VAT at the rates before and from 2024, wages as split entries, foreign
currency rows, reversals with negative amounts, deleted records holding wrong data), produced
row by row and streamed to disk: a million lines take seconds and little memory. Each writer
returns an ``Expected``: what a correct import must produce, computed from the rows written by
the rules of docs/WINBIZ.md, independently of any reader.

    expected = write_company(tmp_path / "winbiz", years=(2023, 2024), lines=2000)
    expected.source            # the folder to import: tmp_path/winbiz/DAT/MUSTER
    expected.year("2024").balances["1020"]   # centimes, debit minus credit

Only the standard library and cheel's demo reference data are used; the bytes of the tables
are written with ``struct``.

* :mod:`.rules` -- the rules of docs/WINBIZ.md (account kinds, VAT rates, fiscal years);
* :mod:`.chart` -- the chart of accounts of plan.dbf; :mod:`.tables` -- the tables' fields;
* :mod:`.rows` -- one ecriture record and its texts; :mod:`.expected` -- what a correct
  import produces, computed from the rows;
* :mod:`.dbf_writer` -- the DBF, FoxPro memo and CSV writers;
* :mod:`.ledger`, :mod:`.entries`, :mod:`.books` -- the generated bookkeeping: entries stored
  as rows, the kinds of entries a Swiss SME books, a year's mix of them;
* :mod:`.company` -- a data folder and CSV exports; :mod:`.archives` -- zips and
  ``.wb_backup`` files;
* :mod:`.patching` -- stored tables read back and broken; :mod:`.hostile` -- the hostile
  variants.
"""

from .archives import (WB_BACKUP_KINDS, write_company_zip, write_wb_backup_unknown,
                       write_wb_backup_zip, zip_folder)
from .company import write_company, write_csv_exports
from .expected import Expected, ExpectedEntry, ExpectedLine, ExpectedYear, rebuild
from .hostile import Hostile, hostile_variants
from .patching import TableLayout, patch_field, rewrite_table, stored_records, table_layout
from .rules import FiscalYear, account_kind, fiscal_years, is_grouping
from .tables import ECRITURE_FIELDS, PLAN_FIELDS, Field

__all__ = [
    "ECRITURE_FIELDS", "PLAN_FIELDS", "WB_BACKUP_KINDS", "Expected", "ExpectedEntry",
    "ExpectedLine", "ExpectedYear", "Field", "FiscalYear", "Hostile", "TableLayout",
    "account_kind", "fiscal_years", "hostile_variants", "is_grouping", "patch_field", "rebuild",
    "rewrite_table", "stored_records", "table_layout", "write_company", "write_company_zip",
    "write_csv_exports", "write_wb_backup_unknown", "write_wb_backup_zip", "zip_folder",
]
