"""A diff from start to end: a backup against a live organization, or two backups.

Groups are matched by uid (a group restored as a copy has another identity, and is
another group), companies by uid; then every table of each pair of groups is merged by
natural key (:mod:`.accounting`). A group on one side only is named, with its rows, and
not merged. Nothing is changed anywhere: a live organization is read in one snapshot, a
backup is read once, through the rules of a sound file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NotFound, UsageError, said
from ..progress import Progress
from ..soundness import check_manifest
from ..store import schema
from ..store.catalog import Catalog
from ..store.names import name_key
from ..store.scope import count_sql
from ..verify import BackupInfo, Unlock, inspect_backup, unlocker_of
from .accounting import compare_group, replacing
from .report import (DIFFERENT, ONLY_AFTER, ONLY_BEFORE, SAME, DiffReport, GroupDiff,
                     TableDiff)
from .aligned import Aligner
from .sides import GroupAt, Live, Spool, live_side
from .touched import units


@dataclass
class DiffOptions:
    """What to compare: ``file`` (before) with the organization ``against`` or with the
    backup ``other`` (after); only the groups ``groups`` names (uid, name or ORG/GROUP)."""

    file: Path | str
    against: str | None = None
    other: Path | str | None = None
    groups: list[str] = field(default_factory=list)


@dataclass
class _FileGroup:
    org: int
    key: str
    group: GroupAt
    ids: dict[str, tuple[int, int]]  # the manifest's id ranges


def _file_groups(info: BackupInfo) -> list[_FileGroup]:
    return [_FileGroup(o.index, g.key, GroupAt(None, 0, g.uid, g.name, o.name,
                                               {c.uid: c.name for c in g.companies},
                                               dict(g.rows)), dict(g.ids))
            for o in info.manifest.organizations for g in o.groups]


def _named(g: GroupAt, keys: list[str]) -> bool:
    if not keys:
        return True
    for key in keys:
        org, _, name = key.partition("/")
        if key == g.uid or name_key(key) == name_key(g.name) or \
                (name and name_key(org) == name_key(g.org) and name_key(name) == name_key(g.name)):
            return True
    return False


def pair_groups(before: list[GroupAt], after: list[GroupAt], keys: list[str]
                ) -> list[tuple[GroupAt | None, GroupAt | None]]:
    """The groups of both sides matched by uid (several of one uid: those of the same
    organization first), the ones ``keys`` name; ordered by name."""
    before = [g for g in before if _named(g, keys)]
    after = [g for g in after if _named(g, keys)]
    if keys and not before and not after:
        raise NotFound(said('neither side holds a company group "{key}"', key=", ".join(keys)))
    pairs: list[tuple[GroupAt | None, GroupAt | None]] = []
    left = list(after)
    for a in before:
        same = [b for b in left if b.uid == a.uid]
        b = next((b for b in same if name_key(b.org) == name_key(a.org)), None) or \
            (same[0] if same else None)
        if b is not None:
            left.remove(b)
        pairs.append((a, b))
    pairs += [(None, b) for b in left]
    return sorted(pairs, key=lambda p: name_key((p[1] or p[0]).name))  # type: ignore[union-attr]


def _only(g: GroupAt, status: str) -> GroupDiff:
    """A group on one side only: named, with its rows."""
    d = GroupDiff(g.uid, g.name, status=status, before=g.name if status == ONLY_BEFORE else None,
                  after=g.name if status == ONLY_AFTER else None,
                  org_before=g.org if status == ONLY_BEFORE else "",
                  org_after=g.org if status == ONLY_AFTER else "")
    rows = g.rows or _counts(g)
    for table, n in rows.items():
        if n:
            d.tables[table] = TableDiff(table, added=n if status == ONLY_AFTER else 0,
                                        removed=n if status == ONLY_BEFORE else 0)
    return d


def _counts(g: GroupAt) -> dict[str, int]:
    if g.db is None:
        return {}
    return {t.name: int(g.db.scalar(count_sql(t), (g.id,)) or 0) for t in schema.group_tables()}


class _Progress:
    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(min(self.done, self.total), self.total)


def _compare(pairs, steps: _Progress) -> list[GroupDiff]:
    out = []
    for a, b in pairs:
        if a is None:
            out.append(_only(b, ONLY_AFTER))
        elif b is None:
            out.append(_only(a, ONLY_BEFORE))
        else:
            out.append(compare_group(a, b, steps))
    return out


def _spooled(spool: Spool, chosen: list[_FileGroup], info: BackupInfo) -> dict[int, GroupAt]:
    """The chosen groups as read back from the spool, by id() of their manifest entry."""
    names = {o.index: o.name for o in info.manifest.organizations}
    found = {}
    for org in {f.org for f in chosen}:
        by_uid = {g.uid: g for g in spool.groups(org, names[org])}
        for f in chosen:
            if f.org == org and f.group.uid in by_uid:
                spooled = by_uid[f.group.uid]
                spooled.rows = f.group.rows
                found[id(f.group)] = spooled
    return found


def _side(info: BackupInfo) -> dict:
    return {"file": info.file, "created_at": info.manifest.created_at,
            "encrypted": info.encrypted}


def diff(catalog: Catalog, options: DiffOptions, unlock: Unlock = None,
         progress: Progress | None = None) -> DiffReport:
    """Compare as ``options`` say; see the module."""
    if (options.against is None) == (options.other is None):
        raise UsageError("compare a backup with an organization (--against ORG) or with "
                         "another backup (FILE1 FILE2)")
    started = time.monotonic()
    unlocker = unlocker_of(unlock)
    info = inspect_backup(options.file, unlocker)
    check_manifest(info.manifest)
    mine = _file_groups(info)
    if options.against is not None:
        with live_side(catalog, options.against) as live:
            report = DiffReport(_side(info), {"organization": options.against})
            pairs = pair_groups([f.group for f in mine], live.groups, options.groups)
            report.groups = list(_against(options.file, unlocker, info, mine, pairs, live,
                                          progress))
    else:
        assert options.other is not None
        other = inspect_backup(options.other, unlocker)
        check_manifest(other.manifest)
        theirs = _file_groups(other)
        report = DiffReport(_side(info), _side(other))
        pairs = pair_groups([f.group for f in mine], [f.group for f in theirs], options.groups)
        chosen = {id(g) for p in pairs if None not in p for g in p}
        mine_chosen = [f for f in mine if id(f.group) in chosen]
        theirs_chosen = [f for f in theirs if id(f.group) in chosen]
        steps = _Progress(progress, info.manifest.total_rows + other.manifest.total_rows
                          + sum(sum(f.group.rows.values()) for f in mine_chosen))
        with Spool() as first, Spool() as second:
            first.read(options.file, unlocker, {(f.org, f.key) for f in mine_chosen}, steps)
            second.read(options.other, unlocker, {(f.org, f.key) for f in theirs_chosen}, steps)
            found = {**_spooled(first, mine_chosen, info),
                     **_spooled(second, theirs_chosen, other)}
            report.groups = _compare([(found.get(id(a), a) if a else None,
                                       found.get(id(b), b) if b else None)
                                      for a, b in pairs], steps)
    report.seconds = time.monotonic() - started
    return report


def _against(file: Path | str, unlocker, info: BackupInfo, mine: list[_FileGroup],
             pairs, live: Live, progress: Progress | None, whole_file_rules: bool = False
             ) -> Iterator[GroupDiff]:
    """The file's groups against the live ones they are paired with; those of the same
    id read by id range first (:mod:`.aligned`)."""
    partner = {id(a): b for a, b in pairs if a is not None and b is not None}
    chosen = [f for f in mine if id(f.group) in partner]
    steps = _Progress(progress, info.manifest.total_rows
                      + sum(sum(f.group.rows.values()) for f in chosen))
    with Spool() as spool, ThreadPoolExecutor(1, thread_name_prefix="cheel-diff") as pool:
        aligners = {(f.org, f.key): Aligner(spool.database(f.org), partner[id(f.group)],
                                            live.helper, f.group.rows, f.ids, pool)
                    for f in chosen if f.ids.get(schema.GROUP_TABLE, [0])[0] ==
                    partner[id(f.group)].id}
        spool.read(file, unlocker, {(f.org, f.key) for f in chosen}, steps, whole_file_rules,
                   aligners)
        found = _spooled(spool, chosen, info)
        only = {id(f.group): units(aligners[(f.org, f.key)], found[id(f.group)])
                for f in chosen if (f.org, f.key) in aligners and id(f.group) in found}
        for a, b in pairs:
            if a is not None and b is not None and id(a) in found:
                yield compare_group(found[id(a)], b, steps, only.get(id(a)))
            else:
                yield from _compare([(a, b)], steps)


def replaced_groups(catalog: Catalog, file: Path | str, unlock: Unlock, into: str,
                    uids: list[str], progress: Progress | None = None) -> dict[str, GroupDiff]:
    """For a restore's dry run: the file's groups ``uids`` against the groups of ``into``
    they would replace, reading the whole file through every rule of a sound file (as the
    dry run's check does). By uid; each with :func:`replacing`'s sentence."""
    unlocker = unlocker_of(unlock)
    info = inspect_backup(file, unlocker)
    check_manifest(info.manifest)
    mine = _file_groups(info)
    with live_side(catalog, into) as live:
        pairs = [(a, b) for a, b in pair_groups([f.group for f in mine], live.groups,
                                                list(uids))
                 if a is not None and b is not None and a.uid in uids]
        found = {d.uid: d for d in _against(file, unlocker, info, mine, pairs, live, progress,
                                            whole_file_rules=True)
                 if d.status in (DIFFERENT, SAME)}
    return found


__all__ = ["DiffOptions", "diff", "pair_groups", "replaced_groups", "replacing"]
