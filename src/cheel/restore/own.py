"""Every organization of a backup restored as an organization of its own, under its own
name (``cheel restore FILE --each-as-own-org --create``; ``cheel recover`` for a file that
holds several), instead of all of their groups merged into one target.

Each organization is made as ``--create`` makes one (:mod:`cheel.store.staging`: unlisted
until complete, its keys built after the load, then listed), and is all or nothing on its
own: what fails in one organization's database (it cannot be made, its rows are refused,
its checks fail, its name was taken meanwhile) throws that one away and the others go on.
The file is read once for up to ``ORGS_PER_PASS`` organizations, each chunk handed to the
organization it belongs to, so that a file of many organizations is not read once per
organization, and the connections open at once stay few. Nothing commits before the whole
file was read through the rules of a sound file: a damaged file makes none of them.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..archive.age import Unlocker
from ..archive.manifest import Manifest, OrganizationDecl
from ..errors import AlreadyExists, CheelError, Interrupted, NotFound, UsageError, said
from ..progress import Progress
from ..soundness import check_manifest
from ..store import staging
from ..store.catalog import Catalog
from ..store.engines import POSTGRES, SQLITE
from ..store.names import check_name, name_key
from ..store.pgserver import database_name
from ..verify import BackupInfo, Unlock, inspect_backup, unlocker_of
from .load import Loader, load_file
from .plan import GroupPlan, RestoreOptions, backup_groups, decide, select_groups
from .run import FINISH_CONNECTIONS, check_whole_file, refusal_as_damage, restored_rows

ORGS_PER_PASS = 8  # organizations filled by one pass over the file (each holds a connection)


@dataclass
class OwnOrgPlan:
    """One organization of the file, to be made under its own name."""

    org: OrganizationDecl
    name: str  # as it will be listed (the file's name, checked as a typed one)
    groups: list[GroupPlan]
    postgres: str | None  # the server it goes to; None: a SQLite file

    @property
    def engine(self) -> str:
        return POSTGRES if self.postgres else SQLITE


@dataclass
class OwnOrgResult:
    """What became of one organization of the file."""

    name: str
    engine: str
    groups: list[GroupPlan]
    rows: dict[str, int]
    made: bool = False
    seconds: float = 0.0  # from the start of the pass that made it to its listing
    error: Exception | None = None

    def as_dict(self) -> dict:
        return {"organization": self.name, "engine": self.engine, "created": self.made,
                "groups": [g.as_dict() for g in self.groups], "rows": self.rows,
                "seconds": round(self.seconds, 3), "error": error_dict(self.error)}


@dataclass
class OwnOrgsReport:
    file: str
    encrypted: bool
    dry_run: bool
    organizations: list[OwnOrgResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.error is None for r in self.organizations)

    def as_dict(self) -> dict:
        return {"file": self.file, "encrypted": self.encrypted, "dry_run": self.dry_run,
                "ok": self.ok, "organizations": [r.as_dict() for r in self.organizations],
                "seconds": round(self.seconds, 3)}


def error_dict(e: BaseException | None) -> dict | None:
    """An error as a report says it: its kind, sentence, hint and exit code."""
    if e is None:
        return None
    if isinstance(e, CheelError):
        return {"kind": type(e).__name__, "message": e.message, "hint": e.hint,
                "exit_code": e.exit_code}
    return {"kind": type(e).__name__, "message": f"unexpected failure: {e}", "hint": None,
            "exit_code": 1}


def plan_own_orgs(catalog: Catalog, options: RestoreOptions, unlock: Unlock = None
                  ) -> tuple[BackupInfo, list[OwnOrgPlan]]:
    """Read the manifest and plan each organization to make; changes nothing. Refused
    whole when one of their names is taken here already (nothing is ever merged)."""
    info = inspect_backup(options.file, unlocker_of(unlock))
    check_manifest(info.manifest)
    chosen = select_groups(backup_groups(info.manifest), options.groups)
    plans = []
    for org in _chosen_orgs(info.manifest, options.organizations):
        groups = [g for g in chosen if g.org_index == org.index]
        if options.groups and not groups:
            continue  # none of the groups asked for is of this organization
        postgres = options.postgres if not options.keep_engines or org.engine == POSTGRES \
            else None
        plans.append(OwnOrgPlan(org, check_name(org.name), decide(None, groups, options),
                                postgres))
    taken = [p.name for p in plans if catalog.exists(p.name)]
    if taken:
        raise AlreadyExists(
            said('an organization named "{name}" already exists here', name=taken[0])
            if len(taken) == 1 else
            said("organizations named {names} already exist here",
                 names=", ".join(f'"{n}"' for n in taken)),
            hint=said("each organization of the backup is made anew and never merged into "
                      "one that exists: rename that one first (cheel org rename), or restore "
                      "into it with --into instead of --each-as-own-org"))
    check_server_url(options.postgres, sum(1 for p in plans if p.postgres))
    return info, plans


def check_server_url(postgres: str | None, count: int) -> None:
    """``count`` new organizations go to the server of ``postgres``: a URL naming one
    database can take one of them only."""
    db = database_name(postgres) if postgres else None
    if db and count > 1:
        raise UsageError(
            said("{count} organizations cannot all go to the one database {db}",
                 count=count, db=db),
            hint=said("give --postgres the server's URL without a database: each organization "
                      "gets a database of its own"))


def _chosen_orgs(manifest: Manifest, names: list[str]) -> list[OrganizationDecl]:
    if not names:
        return list(manifest.organizations)
    chosen = []
    for name in names:
        found = [o for o in manifest.organizations if name_key(o.name) == name_key(name)]
        if not found:
            raise NotFound(said('the backup holds no organization "{name}"', name=name),
                           hint=said("it holds: {known}", known=", ".join(
                               o.name for o in manifest.organizations)))
        chosen += [o for o in found if o not in chosen]
    return chosen


def restore_own_orgs(catalog: Catalog, options: RestoreOptions, unlock: Unlock = None,
                     progress: Progress | None = None) -> OwnOrgsReport:
    """Make each organization of the file (those of ``options.organizations``, or all) as
    an organization of its own; each all or nothing. An organization that failed carries its
    error in the report; a cancel (``Interrupted``) throws away every one not yet listed and
    is raised. ``dry_run`` reads the whole file through the rules of a sound file and makes
    nothing."""
    if not options.create:
        raise UsageError(said("--each-as-own-org makes new organizations: add --create"))
    started = time.monotonic()
    unlocker = unlocker_of(unlock)
    info, plans = plan_own_orgs(catalog, options, unlocker)
    report = OwnOrgsReport(str(options.file), info.encrypted, options.dry_run)
    report.organizations = [
        OwnOrgResult(p.name, p.engine, p.groups,
                     restored_rows(info.manifest, p.groups, {p.org.index})) for p in plans]
    pending = list(zip(plans, report.organizations))
    if options.dry_run:
        check_whole_file(options.file, unlocker, progress)
    else:
        for start in range(0, len(pending), ORGS_PER_PASS):
            try:
                _one_pass(catalog, options.file, unlocker, progress,
                          pending[start:start + ORGS_PER_PASS])
            except Interrupted:
                raise
            except Exception as e:  # the file's own fault: none of the rest can be made
                for _, result in pending[start:]:
                    if result.error is None and not result.made:
                        result.error = e
                break
    report.seconds = time.monotonic() - started
    return report


def _one_pass(catalog: Catalog, file: Path | str, unlocker: Unlocker,
              progress: Progress | None, batch: list[tuple[OwnOrgPlan, OwnOrgResult]]) -> None:
    """Make the organizations of ``batch`` from one pass over the file. What one of them
    fails at is its own result; what the pass itself raises (the file) fails all of them."""
    making: list[_Making] = []
    try:
        for plan, result in batch:  # new PostgreSQL databases are made meanwhile
            making.append(_Making(catalog, plan, result))
            making[-1].begin()
        for m in making:
            m.open()
        live = [m for m in making if m.result.error is None]
        if not live:
            return
        by_loader = {id(m.loader): m for m in live}
        load_file(file, unlocker, progress, {m.plan.org.index: m.loader for m in live},
                  failed=lambda loader, e: by_loader[id(loader)].fail(e))
        for m in live:
            if m.result.error is None:
                m.complete(progress)
    except BaseException as e:
        for m in making:
            m.fail(e)
        raise


class _Making:
    """One organization being made: begun unlisted, its transaction open while the file is
    read, then checked, committed and listed; or thrown away."""

    def __init__(self, catalog: Catalog, plan: OwnOrgPlan, result: OwnOrgResult):
        self.catalog, self.plan, self.result = catalog, plan, result
        self.new: staging.NewOrganization | None = None
        self.loader: Loader | None = None
        self.started = time.monotonic()
        # unwound innermost first: the writer of many batches, the transaction, the load's
        # settings of the connection
        self.writer, self.txn, self.outer = (contextlib.ExitStack(), contextlib.ExitStack(),
                                             contextlib.ExitStack())

    def begin(self) -> None:
        try:
            self.new = staging.begin(self.catalog, self.plan.name, self.plan.postgres)
        except Exception as e:
            self.fail(e)

    def open(self) -> None:
        if self.new is None:
            return
        try:
            db = self.new.open(self.plan.org.languages, bulk=True)
            # As restore --create does: the rows commit before the keys or indexes are
            # built on several connections (the database is unlisted until then).
            self.outer.enter_context(db.bulk_load(fresh=True))
            self.loader = Loader(db, self.plan.groups, bulk=True, orgs={self.plan.org.index})
            self.txn.enter_context(db.transaction())
            self.loader.begin()
            self.writer.enter_context(self.loader.writing())
        except Exception as e:
            self.fail(e)

    def complete(self, progress: Progress | None) -> None:
        assert self.new is not None and self.loader is not None
        try:
            self.writer.close()
            self.txn.close()
            self.loader.finish(connections=FINISH_CONNECTIONS, progress=progress)
            self.outer.close()
            self.new.publish()
        except Interrupted:
            raise
        except Exception as e:
            self.fail(e)
            return
        self.result.made = True
        self.result.seconds = time.monotonic() - self.started

    def fail(self, e: BaseException) -> None:
        """Roll back and throw the organization away (if not listed yet); ``e`` is its
        result, said as the file's fault when the target refused the file's rows."""
        if self.result.made:
            return
        for stack in (self.writer, self.txn, self.outer):
            try:
                stack.__exit__(type(e), e, e.__traceback__)
            except BaseException:  # noqa: S110 - unwinding after e; e is what is said
                pass
        if self.new is not None:
            self.new.discard()
        if isinstance(e, Exception) and self.result.error is None:
            self.result.error = refusal_as_damage(e)
