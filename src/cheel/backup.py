"""Backup of company groups into one ``.cheelbackup`` file.

One consistent snapshot per organization; rows stream from the database into bounded
chunks, so memory stays flat. The file is written under a temporary name in the destination
and gets its final name (never overwriting) only once complete and flushed to disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import msgspec

from . import __version__
from .archive.age import ScryptRecipient
from .archive.manifest import FORMAT_NAME, FORMAT_VERSION, Manifest, OrganizationDecl
from .archive.members import MANIFEST
from .archive.writer import ContainerWriter
from .errors import CheelError, DamagedFile, DestinationError, NotFound, UsageError
from .soundness import DECLARATIONS, check_manifest
from .store import schema as S
from .store.catalog import Catalog, OrgEntry, safe_name
from .extract import OrgReader
from .store.engines import Database
from .store.organizations import GroupInfo, find_group, list_groups, open_database

EXTENSION = ".cheelbackup"
Progress = Callable[[int, int], None]


@dataclass
class BackupOptions:
    """What to back up and where. ``groups`` (names or uids) only with one organization."""

    organizations: list[str]
    dest: Path | str
    groups: list[str] = field(default_factory=list)
    password: str | None = None
    log2n: int = 18  # scrypt work factor; production never lowers it


@dataclass
class BackupResult:
    path: Path
    size: int
    encrypted: bool
    organizations: list[str]
    groups: list[str]
    companies: list[str]
    rows: dict[str, int]
    seconds: float

    def as_dict(self) -> dict:
        return {"path": str(self.path), "size": self.size, "encrypted": self.encrypted,
                "organizations": self.organizations, "groups": self.groups,
                "companies": self.companies, "rows": self.rows,
                "seconds": round(self.seconds, 3)}


@dataclass
class OrgSelection:
    entry: OrgEntry
    groups: list[GroupInfo]


@dataclass
class BackupPlan:
    options: BackupOptions
    selections: list[OrgSelection]
    dest: Path
    filename: str

    @property
    def summary(self) -> dict:
        return {
            "organizations": [s.entry.name for s in self.selections],
            "groups": [g.name for s in self.selections for g in s.groups],
            "companies": [c.name for s in self.selections for g in s.groups for c in g.companies],
            "destination": str(self.dest / self.filename),
            "encrypted": bool(self.options.password),
        }


def check_destination(dest: Path | str) -> Path:
    """The destination folder, checked writable before any work starts."""
    path = Path(dest).expanduser()
    if not path.exists():
        raise DestinationError(f"the destination folder {path} does not exist")
    if not path.is_dir():
        raise DestinationError(f"the destination {path} is not a folder")
    probe = path / f".cheel-write-test-{secrets.token_hex(4)}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        raise DestinationError(f"the destination folder {path} is not writable") from None
    return path


def plan_backup(catalog: Catalog, options: BackupOptions, now: datetime | None = None) -> BackupPlan:
    """Check the options and resolve names; nothing is written."""
    if not options.organizations:
        raise UsageError("choose at least one organization to back up")
    if options.groups and len(options.organizations) > 1:
        raise UsageError(
            "groups can be chosen only when one organization is backed up",
            hint="with several organizations every group of each is included; "
                 "drop --group or back up one organization")
    dest = check_destination(options.dest)
    seen: set[str] = set()
    selections = []
    for name in options.organizations:
        entry = catalog.find(name)
        if entry.name in seen:
            raise UsageError(f'the organization "{entry.name}" is named twice')
        seen.add(entry.name)
        db = open_database(catalog, entry)
        try:
            if options.groups:
                groups = []
                for key in options.groups:
                    g = find_group(db, key)
                    if all(x.id != g.id for x in groups):
                        groups.append(g)
            else:
                groups = list_groups(db)
        finally:
            db.close()
        selections.append(OrgSelection(entry, groups))
    if not any(s.groups for s in selections):
        which = (f'the organization "{selections[0].entry.name}" has' if len(selections) == 1
                 else "these organizations have")
        raise NotFound(f"{which} no company group to back up")
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = safe_name(selections[0].entry.name)
    if len(selections) > 1:
        base += f"+{len(selections) - 1}"
    return BackupPlan(options, selections, dest, f"{base}_{stamp}{EXTENSION}")


def run_backup(catalog: Catalog, plan: BackupPlan, progress: Progress | None = None) -> BackupResult:
    """Write the backup file; returns what was written."""
    started = time.monotonic()
    opts = plan.options
    created = datetime.now(timezone.utc).replace(microsecond=0)
    tmp = plan.dest / f".{plan.filename}.{secrets.token_hex(4)}.part"
    dbs: list[Database] = []
    totals: dict[str, int] = {}
    writer: ContainerWriter | None = None
    try:
        with contextlib.ExitStack() as stack:
            raw = stack.enter_context(os.fdopen(  # private: the final name is a link to it
                os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb"))
            # Held while writing: a later backup removes only .part files nobody holds.
            fcntl.flock(raw, fcntl.LOCK_EX | fcntl.LOCK_NB)
            sweep_parts(plan.dest)
            # Encrypted: scrypt (about a second, by design) runs in a thread while the data
            # is written; the age header is filled in by close().
            recipients = [ScryptRecipient(opts.password, opts.log2n)] if opts.password else []
            writer = ContainerWriter(raw, recipients, mtime=int(created.timestamp()))
            readers = []
            for i, sel in enumerate(plan.selections):
                db = open_database(catalog, sel.entry)
                dbs.append(db)
                reader = OrgReader(db, sel.groups, i, sel.entry.name, sel.entry.engine)
                readers.append(stack.enter_context(reader.session()))
            orgs = [r.describe() for r in readers]
            for t in S.TABLES:
                totals[t.name] = sum(
                    o["org_rows"].get(t.name, 0) + sum(g["rows"].get(t.name, 0)
                                                       for g in o["groups"]) for o in orgs)
            manifest = Manifest(
                FORMAT_NAME, FORMAT_VERSION, __version__, created.isoformat(),
                S.SCHEMA_VERSION, bool(opts.password), DECLARATIONS,
                [msgspec.convert(o, OrganizationDecl) for o in orgs], totals)
            _readable(manifest)
            total = sum(totals.values())
            done = 0
            if progress:
                progress(0, total)
            writer.add(MANIFEST, manifest.encode())
            for r in readers:
                parts = [("org", t, r.org_chunks(t)) for t in S.org_tables()]
                parts += [(f"g{k}", t, r.group_chunks(k, t))
                          for k in range(1, len(r.groups) + 1) for t in S.group_tables()]
                for key, t, chunks in parts:
                    seq = S.TABLES.index(t)
                    for n, (data, rows) in enumerate(chunks):
                        name = f"data/{r.index}/{key}/{seq:03d}-{t.name}-{n:06d}.json"
                        if b"\\u0000" in data:  # what no reader (nor PostgreSQL) takes
                            raise CheelError(f"a row of {t.name} holds a NUL character, which "
                                             "a backup cannot carry; no backup was written")
                        writer.add(name, data, rows)
                        done += rows
                        if progress:
                            progress(done, total)
            if done != total:
                raise CheelError(f"read {done} rows where the snapshot counted {total}; "
                                 "no backup was written")
            writer.close()
            raw.flush()
            os.fsync(raw.fileno())
        final = _publish(tmp, plan.dest, plan.filename)
    except BaseException as e:
        if writer is not None:
            writer.abort()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(e, OSError):  # the databases raise their own errors: this is the file
            raise DestinationError(f"cannot write the backup in {plan.dest}: "
                                   f"{e.strerror or e}; no backup was written",
                                   hint="free some space there or choose another --dest"
                                   ) from e
        raise
    finally:
        for db in dbs:
            db.close()
    return BackupResult(
        path=final, size=final.stat().st_size, encrypted=bool(opts.password),
        organizations=plan.summary["organizations"], groups=plan.summary["groups"],
        companies=plan.summary["companies"], rows=totals, seconds=time.monotonic() - started)


def _readable(manifest: Manifest) -> None:
    """The writer never writes what a reader would refuse: names that break the rule typed
    names follow (made by an older cheel, say) stop the backup, saying which."""
    try:
        check_manifest(manifest)
    except DamagedFile as e:
        why = e.message.split("(", 1)[-1].rstrip(")")
        raise CheelError(f"this backup could not be read back ({why}); no backup was written",
                         hint="rename it, then back up again") from None


def sweep_parts(dest: Path) -> list[Path]:
    """Remove the temporary files of backups that were killed (their lock is free).

    Only regular files: a FIFO, a directory or a symbolic link named like one is left
    alone (opened without blocking and without following links, then looked at)."""
    import stat

    removed = []
    for part in dest.glob(f".*{EXTENSION}.*.part"):
        try:
            fd = os.open(part, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:  # a symbolic link, unreadable, or already gone
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(part, follow_symlinks=False).st_ino != st.st_ino:
                continue  # replaced since it was opened: not the file we looked at
            part.unlink()
            removed.append(part)
        except OSError:  # held by a running backup, or already gone
            continue
        finally:
            os.close(fd)
    return removed


def _publish(tmp: Path, dest: Path, filename: str) -> Path:
    """Give ``tmp`` its final name without ever replacing an existing file."""
    stem = filename[: -len(EXTENSION)]
    for n in range(1, 1000):
        final = dest / (filename if n == 1 else f"{stem}-{n}{EXTENSION}")
        try:
            os.link(tmp, final)  # fails if ``final`` exists: no overwrite, no race
        except FileExistsError:
            continue
        except OSError:  # no hard links here (FAT, some network shares)
            if final.exists():
                continue
            os.rename(tmp, final)
            return final
        tmp.unlink()
        fd = os.open(dest, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return final
    raise DestinationError(f"too many backups named {filename} in {dest}")
