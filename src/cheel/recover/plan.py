"""Planning a recovery: per organization, the backup it comes back from, or why not.

Only the records beside the backups are read (:mod:`cheel.backups.listing`): no backup is
opened, so a plan, and a dry run, cost one listing of the destination. An organization comes
back from its newest backup whose latest verification passed (a newer one not verified, or
whose verification failed, is passed over and said so); one that exists here already is
skipped, never merged into or replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..backups.listing import Listed, list_backups
from ..errors import AlreadyExists, NotFound, NoVerifiedBackup, UsageError, said
from ..restore.own import check_server_url
from ..store.catalog import Catalog
from ..store.engines import POSTGRES, SQLITE
from ..store.names import name_key

ORIGINAL = "original"  # each organization on the engine it was backed up from
ENGINES = (SQLITE, POSTGRES, ORIGINAL)

# What becomes of an organization
PLANNED, RECOVERED, SKIPPED, FAILED = "planned", "recovered", "skipped", "failed"


@dataclass
class RecoverOptions:
    dest: str  # a folder, s3://… or sftp://…
    organizations: list[str] = field(default_factory=list)
    all: bool = False
    postgres: str | None = None  # the server new organizations go to
    engine: str | None = None  # ENGINES; None: PostgreSQL with ``postgres``, else SQLite
    dry_run: bool = False


@dataclass
class OrgRecovery:
    """One organization asked for: the backup it comes back from, and what became of it."""

    name: str
    backup: Listed | None = None
    age_seconds: int | None = None  # how old the backup is (from its record's date)
    passed_over: list[tuple[str, str]] = field(default_factory=list)  # newer: (file, why)
    status: str = PLANNED
    error: Exception | None = None
    engine: str | None = None  # known once it is made (with --engine original)
    groups: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # of the restore that made it (shared by a file's organizations)


@dataclass
class RecoverPlan:
    options: RecoverOptions
    organizations: list[OrgRecovery]
    # backups nobody can tell the organizations of without opening them: (file, why)
    ignored: list[tuple[str, str]]

    @property
    def planned(self) -> list[OrgRecovery]:
        return [o for o in self.organizations if o.status == PLANNED]


def check_engine(options: RecoverOptions) -> None:
    """The engine and server flags make sense together."""
    if options.engine is not None and options.engine not in ENGINES:
        raise UsageError(said("--engine must be one of {join}", join=", ".join(ENGINES)))
    if options.engine == SQLITE and options.postgres:
        raise UsageError(said("--postgres goes with --engine postgres or original, not sqlite"))
    if options.engine in (POSTGRES, ORIGINAL) and not options.postgres:
        raise UsageError(said("--engine {engine} needs the server: add --postgres URL",
                              engine=options.engine))


def engine_of(options: RecoverOptions) -> str:
    """The engine the organizations are made on (ORIGINAL: each its own)."""
    if options.engine:
        return options.engine
    return POSTGRES if options.postgres else SQLITE


def plan_recover(catalog: Catalog, options: RecoverOptions,
                 now: datetime | None = None) -> RecoverPlan:
    """Which backup each organization comes back from, or why it does not; reads the
    destination's listing only."""
    if options.all and options.organizations:
        raise UsageError(said("--org and --all exclude each other"))
    if not options.all and not options.organizations:
        raise UsageError(said("say which organizations to recover"),
                         hint=said("name them with --org ORG (repeatable), or give --all for "
                                   "every organization the destination holds backups of"))
    check_engine(options)
    now = now or datetime.now(timezone.utc)
    listed = list_backups(options.dest)  # oldest first
    ignored = [(b.location or b.name, "changed since its record was written" if b.changed
                else "no record beside it") for b in listed if b.record is None]
    if options.all:
        names: dict[str, str] = {}
        for b in reversed(listed):  # the newest spelling of a name
            for org in b.organizations:
                names.setdefault(name_key(org), org)
        wanted = sorted(names.values(), key=name_key)
    else:
        asked: dict[str, str] = {}
        for name in options.organizations:  # a name given twice, however spelled: once
            asked.setdefault(name_key(name), name)
        wanted = list(asked.values())
    where = options.dest.split("?", 1)[0]
    plans = []
    for name in wanted:
        held = [b for b in listed if name_key(name) in {name_key(o) for o in b.organizations}]
        plans.append(_choose(catalog, name, held, ignored, where, now))
    if engine_of(options) == POSTGRES:
        check_server_url(options.postgres, sum(1 for p in plans if p.status == PLANNED))
    return RecoverPlan(options, plans, ignored)


def _choose(catalog: Catalog, name: str, held: list[Listed], ignored: list, where: str,
            now: datetime) -> OrgRecovery:
    """The newest verified backup of ``held`` (oldest first), the newer ones passed over."""
    if held:
        name = next(o for o in held[-1].organizations if name_key(o) == name_key(name))
    plan = OrgRecovery(name)
    for b in reversed(held):
        assert b.record is not None  # a listed backup names organizations by its record
        if b.record.verified:
            plan.backup = b
            plan.age_seconds = max(0, int((now - _when(b.created_at)).total_seconds()))
            break
        why = f"its last verification failed ({b.record.verifications[-1].error})" \
            if b.record.failed else "not verified"
        plan.passed_over.append((b.location or b.name, why))
    if catalog.exists(name):
        plan.status = SKIPPED
        plan.error = AlreadyExists(
            said('an organization named "{name}" already exists here; recover never merges '
                 'into or replaces one', name=name),
            hint=said('to restore into it: cheel restore {file} --into "{name}"; or rename it '
                      "first (cheel org rename)", file=plan.backup.location, name=name)
            if plan.backup else said("rename it first (cheel org rename) to recover it"))
    elif plan.backup is None:
        plan.status = FAILED
        if not held:
            plan.error = NotFound(
                said('no backup in {dest} holds an organization named "{name}"',
                     dest=where, name=name),
                hint=said("{count} backup(s) there have no record and were not considered: "
                          "restore one with cheel restore FILE --each-as-own-org --create",
                          count=len(ignored)) if ignored else
                said("cheel backups list {dest} shows what it holds", dest=where))
        else:
            plan.error = NoVerifiedBackup(
                said('none of the {count} backup(s) of "{name}" in {dest} is verified',
                     count=len(held), name=name, dest=where),
                hint=said("verify the newest with cheel verify {file}, then recover again",
                          file=held[-1].location or held[-1].name))
    return plan


def _when(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
