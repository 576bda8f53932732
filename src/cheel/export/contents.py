"""What a backup holds for an export to choose from: its companies (the manifest) and each
one's fiscal years (rows of the file: the manifest does not list them).

The fiscal years are found in one forward pass that decodes only the ``companies`` and
``fiscal_years`` chunks (with the schema's types, as every reader does) and stops once the
last group's fiscal years have gone by. It is a listing, not a verdict: every export reads
the whole file through the sound reader before it writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..archive.reader import BackupReader
from ..archive.values import decode_rows
from ..destinations import open_location
from ..soundness import SPECS, check_manifest
from ..store import schema
from ..verify import Unlock, unlocker_of
from .choose import Company, FiscalYear, companies_of

_TABLES = [t.name for t in schema.TABLES]
_YEARS = _TABLES.index("fiscal_years")
_C = schema.table("companies").column_names
_Y = schema.table("fiscal_years").column_names


@dataclass
class CompanyContents:
    company: Company
    years: list[FiscalYear] = field(default_factory=list)  # oldest first

    def as_dict(self) -> dict:
        c = self.company
        return {"organization": c.org_name, "group": c.group_name, "uid": c.uid,
                "name": c.name, "fiscal_years": [
                    {"name": y.name, "start": y.start.isoformat(), "end": y.end.isoformat(),
                     "closed": y.closed} for y in self.years]}


def backup_contents(path: Path | str, unlock: Unlock = None) -> list[CompanyContents]:
    """The file's companies, in manifest order, each with its fiscal years."""
    with open_location(path) as f:
        reader = BackupReader(f, unlocker_of(unlock))
        manifest = reader.read_manifest()
        check_manifest(manifest)
        found = [CompanyContents(c) for c in companies_of(manifest)]
        by_uid = {(c.company.org, c.company.group, c.company.uid): c for c in found}
        groups = [(o.index, g.key) for o in manifest.organizations for g in o.groups]
        if not groups:
            return found
        last = groups[-1]
        ids: dict[tuple[int, int], CompanyContents] = {}  # (organization, company id)
        for chunk in reader.chunks():
            where = chunk.where
            if (where.org, where.scope) == last and where.seq > _YEARS:
                break  # the last group's fiscal years have gone by
            if where.table == "companies":
                for row in decode_rows(chunk.data, SPECS["companies"], chunk.name):
                    held = by_uid.get((where.org, where.scope, row[_C.index("uid")]))
                    if held is not None:
                        ids[(where.org, row[_C.index("id")])] = held
            elif where.table == "fiscal_years":
                for row in decode_rows(chunk.data, SPECS["fiscal_years"], chunk.name):
                    held = ids.get((where.org, row[_Y.index("company_id")]))
                    if held is not None:
                        held.years.append(FiscalYear(
                            row[_Y.index("id")], row[_Y.index("name")],
                            date.fromisoformat(row[_Y.index("start_date")]),
                            date.fromisoformat(row[_Y.index("end_date")]),
                            bool(row[_Y.index("closed")])))
    for c in found:
        c.years.sort(key=lambda y: (y.start, y.end, y.id))
    return found
