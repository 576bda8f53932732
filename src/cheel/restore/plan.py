"""Planning a restore: which groups, what happens to each, under which names. Changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..archive.manifest import CompanyDecl, Manifest
from ..errors import NotFound, RestoreConflict, UsageError, said
from ..store.engines import Database
from ..store.names import name_key
from ..store.organizations import list_groups

REPLACE, COPY, SKIP, FAIL, NEW = "replace", "copy", "skip", "fail", "new"
POLICIES = (REPLACE, COPY, SKIP, FAIL)


@dataclass
class RestoreOptions:
    """What to restore, where, and what to do with groups that already exist."""

    file: Path | str
    into: str
    create: bool = False
    postgres: str | None = None  # server URL when ``create`` makes a PostgreSQL organization
    groups: list[str] = field(default_factory=list)  # name, uid or "ORG/GROUP"; empty: all
    on_conflict: str = FAIL
    # per-group choice (source uid → replace/copy/skip), overriding ``on_conflict``
    decisions: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    # Every organization of the file becomes an organization of its own, under its own name
    # (``into`` unused; with ``create``): see :mod:`.own`.
    each_as_own_org: bool = False
    # With ``each_as_own_org``: only these organizations of the file (names); empty: all.
    organizations: list[str] = field(default_factory=list)
    # With ``each_as_own_org`` and ``postgres``: only the organizations that were on
    # PostgreSQL when backed up go to that server, the others become SQLite files.
    keep_engines: bool = False


@dataclass
class GroupPlan:
    org_index: int
    key: str  # "g1", … inside the backup
    source_org: str
    uid: str
    name: str
    companies: list[CompanyDecl]
    rows: dict[str, int]
    ids: dict[str, tuple[int, int]]
    action: str = NEW  # new | replace | copy | skip
    target_name: str = ""
    target_uid: str = ""
    replaces_id: int | None = None  # the target group replaced
    renamed: bool = False
    company_uids: dict[str, str] = field(default_factory=dict)  # old uid → uid in target
    company_names: dict[str, str] = field(default_factory=dict)

    @property
    def restored(self) -> bool:
        return self.action != SKIP

    def as_dict(self) -> dict:
        return {"source_organization": self.source_org, "uid": self.uid, "name": self.name,
                "action": self.action, "target_name": self.target_name,
                "target_uid": self.target_uid, "renamed": self.renamed,
                "companies": [self.company_names.get(c.uid, c.name) for c in self.companies],
                "rows": self.rows if self.restored else {}}


def backup_groups(manifest: Manifest) -> list[GroupPlan]:
    return [GroupPlan(o.index, g.key, o.name, g.uid, g.name, list(g.companies), dict(g.rows),
                      dict(g.ids))
            for o in manifest.organizations for g in o.groups]


def select_groups(groups: list[GroupPlan], keys: list[str]) -> list[GroupPlan]:
    """The groups named by ``keys`` (uid, name, or "ORG/GROUP"); all when empty."""
    if not keys:
        return groups
    chosen: list[GroupPlan] = []
    for key in keys:
        matches = [g for g in groups if g.uid == key]
        if not matches and "/" in key:
            org, _, name = key.partition("/")
            matches = [g for g in groups if name_key(g.source_org) == name_key(org)
                       and name_key(g.name) == name_key(name)]
        if not matches:
            matches = [g for g in groups if name_key(g.name) == name_key(key)]
        if not matches:
            known = ", ".join(g.name for g in groups)
            raise NotFound(said('the backup holds no company group "{key}"', key=key),
                           hint=said("it holds: {known}", known=known))
        if len(matches) > 1 and any(g.uid != key for g in matches):
            raise UsageError(said('several organizations of the backup have a group "{key}"',
                                  key=key),
                             hint=said("qualify it as ORGANIZATION/GROUP or give its uid"))
        for g in matches:  # a uid may name the same group in two organizations
            if g not in chosen:
                chosen.append(g)
    return chosen


def _free_name(name: str, taken: set[str], today: str) -> str:
    """``name`` suffixed with the date (and a number), within the 100 characters a name
    may have, and free in ``taken``."""
    n = 1
    while True:
        suffix = f" ({today})" if n == 1 else f" ({today} {n})"
        candidate = name[:100 - len(suffix)].rstrip() + suffix
        if name_key(candidate) not in taken:
            return candidate
        n += 1


def decide(db: Database | None, groups: list[GroupPlan], options: RestoreOptions,
           today: date | None = None) -> list[GroupPlan]:
    """Give each selected group its action and names in the target ``db`` (None: new org)."""
    if options.on_conflict not in POLICIES:
        raise UsageError(said("--on-conflict must be one of {join}", join=", ".join(POLICIES)))
    day = (today or date.today()).isoformat()
    for g in groups:  # deciding again (inside the restore's transaction) starts afresh
        g.action, g.target_name, g.target_uid, g.replaces_id = NEW, "", "", None
        g.renamed = False
        g.company_uids, g.company_names = {}, {}
    existing = list_groups(db) if db is not None else []
    by_uid = {g.uid: g for g in existing}
    company_uids = {c.uid for g in existing for c in g.companies}
    company_names = {name_key(c.name) for g in existing for c in g.companies}
    # Two organizations of one backup can hold the same group (one was restored from the
    # other): the later one is restored as a copy, under a new identity.
    seen: set[str] = set()
    duplicates = set()
    for g in groups:
        if g.uid in seen:
            duplicates.add(id(g))
        seen.add(g.uid)
    conflicts = [g for g in groups if g.uid in by_uid and id(g) not in duplicates]
    undecided = [g for g in conflicts if options.decisions.get(g.uid, options.on_conflict) == FAIL]
    if undecided:
        names = ", ".join(f'"{g.name}"' for g in undecided)
        raise RestoreConflict(
            said("the target organization already holds the group(s) {names} of this backup",
                 names=names),
            hint=said("choose --on-conflict replace (the backup's data replaces them), copy "
                      "(restored beside them under a new name) or skip (left as they are)"))
    # Names stay unique: groups that are replaced free theirs, restored ones take theirs.
    taken = {name_key(g.name) for g in existing}
    for g in groups:
        if id(g) in duplicates:
            g.action = COPY
        elif g.uid in by_uid:
            g.action = options.decisions.get(g.uid, options.on_conflict)
            if g.action == REPLACE:
                g.replaces_id = by_uid[g.uid].id
                taken.discard(name_key(by_uid[g.uid].name))
                company_uids -= {c.uid for c in by_uid[g.uid].companies}
                company_names -= {name_key(c.name) for c in by_uid[g.uid].companies}
        else:
            g.action = NEW
    for g in groups:
        if g.action == SKIP:
            g.target_name, g.target_uid = by_uid[g.uid].name, g.uid
            continue
        fresh = g.action == COPY
        g.target_uid = str(uuid.uuid4()) if fresh else g.uid
        g.target_name = g.name
        if fresh or name_key(g.name) in taken:
            g.target_name = _free_name(g.name, taken, day)
            g.renamed = True
        taken.add(name_key(g.target_name))
        for c in g.companies:
            new_uid = str(uuid.uuid4()) if fresh or c.uid in company_uids else c.uid
            new_name = c.name
            if fresh or name_key(new_name) in company_names:
                new_name = _free_name(new_name, company_names, day)
            g.company_uids[c.uid] = new_uid
            g.company_names[c.uid] = new_name
            company_uids.add(new_uid)
            company_names.add(name_key(new_name))
    return groups
