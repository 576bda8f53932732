"""A restore from start to end: plan, a new organization made or the target opened, the
load in one transaction, the checks, commit or nothing at all (see :mod:`.load`)."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..archive.age import Unlocker
from ..archive.manifest import Manifest
from ..archive.reader import BackupReader
from ..destinations import open_location
from ..errors import AlreadyExists, DamagedFile, IntegrityError, NotFound, Text, said
from ..progress import Progress
from ..soundness import SoundReader, check_manifest
from ..store import locks, schema, staging
from ..store.catalog import Catalog, OrgEntry
from ..store.names import check_name
from ..store.organizations import open_database
from ..verify import BackupInfo, Unlock, inspect_backup, unlocker_of
from .load import Loader
from .plan import REPLACE, GroupPlan, RestoreOptions, backup_groups, decide, select_groups

if TYPE_CHECKING:
    from ..diff import GroupDiff

FINISH_CONNECTIONS = 2  # keys and checks of a new database, as pg_restore --jobs 2


@dataclass
class RestoreReport:
    file: str
    target: str
    created: bool
    dry_run: bool
    encrypted: bool
    groups: list[GroupPlan]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # a dry run: what replacing each group would lose (cheel.diff), in the groups' order
    replacing: list[tuple[GroupDiff, Text]] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = {"file": self.file, "target": self.target, "created": self.created,
               "dry_run": self.dry_run, "encrypted": self.encrypted,
               "groups": [g.as_dict() for g in self.groups], "rows": self.rows,
               "seconds": round(self.seconds, 3)}
        if self.dry_run:
            out["replacing"] = [{"group": d.name, "uid": d.uid, "sentence": str(text),
                                 "rows": d.rows(),
                                 "balances": [b.as_dict() for b in d.balances()]}
                                for d, text in self.replacing]
        return out


def plan_restore(catalog: Catalog, options: RestoreOptions, unlock: Unlock = None
                 ) -> tuple[BackupInfo, list[GroupPlan]]:
    """Read the manifest and decide what happens to each group; changes nothing."""
    info = inspect_backup(options.file, unlocker_of(unlock))
    check_manifest(info.manifest)  # a newer schema is refused here, not after the load
    groups = select_groups(backup_groups(info.manifest), options.groups)
    if options.create:
        if catalog.exists(options.into):
            raise AlreadyExists(said('an organization named "{name}" already exists',
                                     name=options.into),
                                hint=said("drop --create to restore into it"))
        return info, decide(None, groups, options)
    if not catalog.exists(options.into):
        raise NotFound(said('there is no organization named "{name}"', name=options.into),
                       hint=said("add --create to create it from the backup"))
    db = open_database(catalog, catalog.find(options.into))
    try:
        return info, decide(db, groups, options)
    finally:
        db.close()


def run_restore(catalog: Catalog, options: RestoreOptions, unlock: Unlock = None,
                progress: Progress | None = None) -> RestoreReport:
    """Restore as ``options`` say, all or nothing. The file is read through the rules of a
    sound file (:mod:`cheel.soundness`) and nothing commits before its last byte is
    checked; ``--dry-run`` reads and checks the whole file too, and changes nothing."""
    if options.each_as_own_org:
        raise ValueError("each_as_own_org: call restore.own.restore_own_orgs")
    started = time.monotonic()
    unlocker = unlocker_of(unlock)
    if options.create:  # a new organization's name is stored as typed names are
        options = dataclasses.replace(options, into=check_name(options.into))
        if options.dry_run:
            info, groups = plan_restore(catalog, options, unlocker)
        else:
            return _into_new(catalog, options, unlocker, progress, started)
    else:
        info, groups = plan_restore(catalog, options, unlocker)
    report = RestoreReport(str(options.file), options.into, options.create, options.dry_run,
                           info.encrypted, groups)
    if options.dry_run:
        report.replacing = _replacing(catalog, options, info, groups, unlocker, progress)
    else:
        entry = catalog.find(options.into)
        with locks.organization_in_use(catalog, entry.name):  # not deleted meanwhile
            _into_existing(catalog, entry, options, groups, unlocker, progress)
    report.rows = restored_rows(info.manifest, groups)
    report.seconds = time.monotonic() - started
    return report


def _replacing(catalog: Catalog, options: RestoreOptions, info: BackupInfo,
               groups: list[GroupPlan], unlocker: Unlocker, progress: Progress | None
               ) -> list[tuple[GroupDiff, Text]]:
    """A dry run's check of the whole file; with groups to replace, made by the diff of
    each against the group it replaces (one pass over the file), and what it loses."""
    # Imported here: only a dry run needs the diff (18 ms of a restore's start otherwise).
    from ..diff import replaced_groups, replacing

    replaced = [g for g in groups if g.action == REPLACE]
    if not replaced:
        check_whole_file(options.file, unlocker, progress)
        return []
    found = replaced_groups(catalog, options.file, unlocker, options.into,
                            [g.uid for g in replaced], progress)
    since = info.manifest.created_at[:10]
    return [(found[g.uid], replacing(found[g.uid], since)) for g in replaced if g.uid in found]


def _into_existing(catalog: Catalog, entry: OrgEntry, options: RestoreOptions,
                   groups: list[GroupPlan], unlocker: Unlocker,
                   progress: Progress | None) -> None:
    """A restore into an existing organization: one transaction."""
    db = open_database(catalog, entry)
    try:
        with db.bulk_load(), _refusals_are_damage(), db.transaction():
            # Names and ids are chosen under the lock that keeps other writers of groups
            # out until this commits: two restores at once each see what the other did.
            db.lock_groups()
            decide(db, groups, options)
            loader = Loader(db, groups)
            loader.load(options.file, unlocker, progress)
            loader.finish(progress=progress)
    finally:
        db.close()


def _into_new(catalog: Catalog, options: RestoreOptions, unlocker: Unlocker,
              progress: Progress | None, started: float) -> RestoreReport:
    """A restore into a new organization (:mod:`cheel.store.staging`), begun before the
    manifest is read, so that a new PostgreSQL database is made while scrypt runs."""
    if catalog.exists(options.into):
        raise AlreadyExists(said('an organization named "{name}" already exists',
                                 name=options.into),
                            hint=said("drop --create to restore into it"))
    new = staging.begin(catalog, options.into, options.postgres)
    try:
        info, groups = plan_restore(catalog, options, unlocker)
        first = next((o for o in info.manifest.organizations
                      if any(g.org_index == o.index for g in groups)), None)
        db = new.open(first.languages if first else ["fr", "de", "it", "en"], bulk=True)
        # A new database stays unlisted (a PostgreSQL one under a temporary name, a SQLite
        # file marked unfinished) until it is complete, so its rows may commit before its
        # keys or indexes are built and checked on two connections, as pg_restore --jobs
        # does.
        with db.bulk_load(fresh=True), _refusals_are_damage():
            loader = Loader(db, groups, bulk=True)
            with db.transaction():
                loader.load(options.file, unlocker, progress)
            loader.finish(connections=FINISH_CONNECTIONS, progress=progress)
        new.publish()
    except BaseException:
        new.discard()
        raise
    report = RestoreReport(str(options.file), options.into, True, False, info.encrypted,
                           groups, restored_rows(info.manifest, groups))
    report.seconds = time.monotonic() - started
    return report


def restored_rows(manifest: Manifest, groups: list[GroupPlan],
                  orgs: set[int] | None = None) -> dict[str, int]:
    """Rows per table the restore writes: its groups' rows, and the organization rows of
    their organizations (or of ``orgs``), matched by natural key, or added."""
    restored = [g for g in groups if g.restored]
    if orgs is None:
        orgs = {g.org_index for g in restored}
    rows = {}
    for t in schema.TABLES:
        if t.scope == schema.ORG:
            rows[t.name] = sum(o.org_rows.get(t.name, 0) for o in manifest.organizations
                               if o.index in orgs)
        else:
            rows[t.name] = sum(g.rows.get(t.name, 0) for g in restored)
    return rows


def check_whole_file(file: Path | str, unlocker: Unlocker, progress: Progress | None) -> None:
    """Read the file through every rule of a sound file, as verify does."""
    with open_location(file) as f:
        sound = SoundReader(BackupReader(f, unlocker), whole_file_rules=True)
        total = sound.manifest.total_rows
        for _ in sound:
            if progress:
                progress(sound.rows, total)


@contextlib.contextmanager
def _refusals_are_damage() -> Iterator[None]:
    """What the target's engine refuses in the restored rows, said as the file's fault
    (:func:`refusal_as_damage`)."""
    try:
        yield
    except Exception as e:
        said_so = refusal_as_damage(e)
        if said_so is e:
            raise
        raise said_so from None


def refusal_as_damage(e: Exception) -> Exception:
    """What the target's engine refuses in the restored rows (a value repeated that must be
    unique, an entry that does not balance, a value its type refuses) is the file's fault:
    said as ``DamagedFile``, as verify says it of the same file. Any other error: itself."""
    if isinstance(e, IntegrityError):
        if e.cause in ("unique", "balance"):
            return DamagedFile(e.text, e.hint_text)
        return e
    why = _engine_refusal(e)
    if why is None:
        return e
    return DamagedFile(said("the backup holds rows its target refuses ({why}); nothing was "
                            "restored", why=why))


def _engine_refusal(e: Exception) -> str | None:
    import sqlite3

    if isinstance(e, sqlite3.IntegrityError):
        text = str(e)
        if text.startswith("UNIQUE constraint failed: "):
            columns = text.split(": ", 1)[1].split(", ")
            table = columns[0].split(".")[0]
            return (f"a value that must be unique is repeated: {table}: "
                    + ", ".join(c.split(".")[-1] for c in columns))
        return text
    if isinstance(e, sqlite3.OperationalError) and "integer overflow" in str(e):
        return "amounts too large for the database to add up"
    psycopg = sys.modules.get("psycopg")  # loaded only where a PostgreSQL target is
    if psycopg is not None and isinstance(e, (psycopg.errors.IntegrityError,
                                              psycopg.errors.DataError)):
        text = str(e).strip().splitlines()
        first = text[0] if text else type(e).__name__
        if isinstance(e, psycopg.errors.UniqueViolation):
            return f"a value that must be unique is repeated: {first}"
        return first
    return None
