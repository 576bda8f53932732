"""Data out of a backup, without restoring it (issue 20): a company's journal, general
ledger, chart of accounts with its balances, or its group's contacts, as CSV or xlsx, read
straight from the file through the sound reader, in memory that does not grow with the
journal. ``run_export(ExportOptions, unlock, progress)``; ``backup_contents`` lists the
companies and fiscal years a file holds (the web UI's page of a backup)."""

from .choose import (ACCOUNTS, CONTACTS, CSV, FORMATS, JOURNAL, LEDGER, WHATS, XLSX, Company,
                     ExportOptions, FiscalYear)
from .contents import CompanyContents, backup_contents
from .run import ExportResult, run_export

__all__ = ["ACCOUNTS", "CONTACTS", "CSV", "FORMATS", "JOURNAL", "LEDGER", "WHATS", "XLSX",
           "Company", "CompanyContents", "ExportOptions", "ExportResult", "FiscalYear",
           "backup_contents", "run_export"]
