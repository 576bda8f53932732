"""Importing a company from WinBIZ (docs/WINBIZ.md).

* :mod:`.source` -- where the company comes from: a data folder, a zip, CSV exports, a
  ``.wb_backup`` (sniffed);
* :mod:`.tables` -- DBF and CSV tables read strictly; :mod:`.fields` -- their values;
* :mod:`.chart` -- the chart of accounts; :mod:`.entries` -- the journal entries rebuilt;
* :mod:`.load` -- the writes into an organization and the checks before commit;
* :mod:`.run` -- :func:`inspect_source` and :func:`run_import`.
"""

from .run import ImportOptions, ImportReport, SourceInfo, inspect_source, run_import

__all__ = ["ImportOptions", "ImportReport", "SourceInfo", "inspect_source", "run_import"]
