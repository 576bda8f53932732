"""What the pages show about organizations, read through the core (``describe``)."""

from __future__ import annotations

from ..errors import CheelError
from ..store.catalog import Catalog, OrgEntry
from ..store.organizations import describe
from .i18n import error_view


def org_summary(catalog: Catalog, entry: OrgEntry) -> dict:
    """One organization for a list: engine, languages, groups and companies, size.

    An organization whose database cannot be opened is still listed, with the reason.
    """
    row = {"name": entry.name, "engine": entry.engine, "languages": [], "groups": [],
           "group_count": 0, "company_count": 0, "size": None, "error": None}
    try:
        d = describe(catalog, entry, counts=False)
    except CheelError as e:
        row["error"] = error_view(e)
        return row
    except Exception as e:  # an unexpected failure of one database must not hide the others
        row["error"] = {"title": "L'opération a échoué.", "params": {},
                        "detail": f"{type(e).__name__}: {e}", "hint": None}
        return row
    row.update(languages=d["languages"], groups=d["groups"], size=d["size_bytes"],
               group_count=len(d["groups"]),
               company_count=sum(len(g["companies"]) for g in d["groups"]))
    return row


def org_summaries(catalog: Catalog) -> list[dict]:
    return [org_summary(catalog, e) for e in catalog.list()]


def groups_of(catalog: Catalog, name: str) -> list[dict]:
    """The groups (with their companies) of the organization ``name``; none if it cannot be
    found or opened."""
    try:
        entry = catalog.find(name)
    except CheelError:
        return []
    return org_summary(catalog, entry)["groups"]
