"""One run of a plan: every organization of it backed up, verified and pruned, N at a time,
one failure not stopping the others; then the stale ones found, the report kept, and
whoever the plan names told (only when something is wrong, unless asked otherwise).

Each organization's work runs in a worker process (spawned: the parent may hold threads,
an S3 client's for one), so two backups use two cores; workers are reused for the next
organizations, so a fleet pays cheel's start-up once per worker, not once per
organization. Organizations on one PostgreSQL server never take more connections than the
server has free (:mod:`.budget`).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..backups.listing import Listed, list_backups
from ..errors import CheelError, UsageError, said
from ..notify.message import compose
from ..store.catalog import Catalog, OrgEntry
from ..store.names import name_key
from .budget import server_budgets, server_of
from .model import FAILED, Outcome, Plan, RunReport, covers
from .secrets import read_secret
from .store import save_report
from .worker import WorkerJob, back_up_organization


@dataclass
class RunOptions:
    plan: Plan
    jobs: int = 2
    log2n: int = 18  # scrypt's work factor for a passphrase; production never lowers it


def select_organizations(catalog: Catalog, plan: Plan) -> list[OrgEntry]:
    """The organizations a plan covers: those it names, those its pattern matches, or all."""
    return [e for e in catalog.list() if covers(plan, e.name)]


def newest_verified(backups: list[Listed]) -> dict[str, str]:
    """Per organization (its name's key), the creation time of its newest verified backup."""
    newest: dict[str, str] = {}
    for backup in backups:
        if backup.record is None or not backup.record.verified:
            continue
        for name in backup.organizations:
            key = name_key(name)
            newest[key] = max(newest.get(key, ""), backup.created_at)
    return newest


def stale_organizations(names: list[str], backups: list[Listed], hours: int,
                        now: datetime) -> list[str]:
    limit = (now - timedelta(hours=hours)).isoformat()
    newest = newest_verified(backups)
    return [n for n in names if newest.get(name_key(n), "") < limit]


def run_plan(catalog: Catalog, options: RunOptions,
             told: Callable[[Outcome], None] | None = None) -> RunReport:
    """Run the plan once; ``told`` hears each organization's outcome as it ends."""
    plan = options.plan
    if options.jobs < 1:
        raise UsageError(said("--jobs counts from 1 up"))
    started = datetime.now(timezone.utc).replace(microsecond=0)
    clock = time.monotonic()
    entries = select_organizations(catalog, plan)
    passphrase = read_secret(plan.encryption.passphrase, said("the plan's passphrase")) \
        if plan.encryption.passphrase else None
    try:
        before = list_backups(plan.destination)
    except CheelError:
        before = []  # unreachable now: each organization's backup will say why
    newest = newest_verified(before)
    entries.sort(key=lambda e: (newest.get(name_key(e.name), ""), name_key(e.name)))
    outcomes = _run_all(catalog, plan, entries, options, passphrase, told)
    drills = _drill(plan, outcomes) if plan.drill_every_days > 0 else 0
    now = datetime.now(timezone.utc)
    try:
        after = list_backups(plan.destination)
    except CheelError:
        after = before
    report = RunReport(plan=plan.name, started_at=started.isoformat(),
                       finished_at=now.replace(microsecond=0).isoformat(),
                       seconds=round(time.monotonic() - clock, 3), jobs=options.jobs,
                       outcomes=outcomes, drills=drills,
                       stale=stale_organizations([e.name for e in entries], after,
                                                 plan.stale_after_hours, now))
    newest = newest_verified(after)
    ages = {n: newest.get(name_key(n)) for n in report.stale}
    if plan.notify.email or plan.notify.webhook:
        from ..notify import notify_run

        report.notified(notify_run(plan.notify, report, host=socket.gethostname(),
                                   newest_verified=ages))
    # kept as JSON (status, the web UI) and as the text a notification would say, for people
    save_report(catalog, report, compose(report, socket.gethostname(), ages).body)
    return report


def _drill(plan: Plan, outcomes: list[Outcome]) -> int:
    """The plan's drills that are due (:func:`cheel.drill.due_drills`), each into a
    throwaway SQLite organization; a failed one fails its organizations' outcomes."""
    from ..drill.plans import drill_plan
    from ..drill.run import DrillOptions

    by_name = {name_key(o.organization): o for o in outcomes}
    try:
        drilled = drill_plan(plan, DrillOptions(file=""))
    except CheelError as e:  # the destination or the plan's key cannot be read
        for outcome in outcomes:
            outcome.drilled = False
            if outcome.status != FAILED:
                outcome.status, outcome.error_code = FAILED, type(e).__name__
                outcome.say(said("no drill could run: {why}", why=e.text))
        return 0
    for drill in drilled:
        for name in drill.organizations:
            outcome = by_name.get(name_key(name))
            if outcome is None:
                continue
            outcome.drilled = drill.ok
            if not drill.ok and outcome.status != FAILED:
                outcome.status, outcome.error_code = FAILED, type(drill.error).__name__
                outcome.say(said("the drill of {location} failed: {why}",
                                 location=drill.location, why=drill.error.text))
    return len(drilled)


def _run_all(catalog: Catalog, plan: Plan, entries: list[OrgEntry], options: RunOptions,
             passphrase: str | None, told: Callable[[Outcome], None] | None) -> list[Outcome]:
    """Every organization's job, at most ``jobs`` at once and, per PostgreSQL server, at
    most what its free connections allow; the oldest-protected first."""
    budgets = server_budgets(entries)
    pending = list(entries)
    running: dict[concurrent.futures.Future, OrgEntry] = {}
    busy: dict[str, int] = {}
    outcomes: list[Outcome] = []
    context = multiprocessing.get_context("spawn")
    workers = min(options.jobs, len(entries)) or 1
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        while pending or running:
            for entry in list(pending):
                if len(running) >= workers:
                    break
                server = server_of(entry)
                if busy.get(server, 0) >= budgets.get(server, workers):
                    continue
                pending.remove(entry)
                busy[server] = busy.get(server, 0) + 1
                job = WorkerJob(str(catalog.data_dir), plan, entry.name, passphrase,
                                options.log2n)
                running[pool.submit(back_up_organization, job)] = entry
            if not running:  # every server is full: cannot happen with budgets of 1 or more
                break
            done, _ = concurrent.futures.wait(running, return_when="FIRST_COMPLETED")
            for future in done:
                entry = running.pop(future)
                busy[server_of(entry)] -= 1
                try:
                    outcome = future.result()
                except Exception as e:  # noqa: BLE001 - a worker that died: said, not raised
                    outcome = Outcome(entry.name, FAILED, error_code=type(e).__name__)
                    outcome.say(said("the worker backing it up ended: {why}",
                                     why=str(e)[:250]))
                outcomes.append(outcome)
                if told:
                    told(outcome)
    return outcomes
