"""Running a recovery: each planned organization restored as its own organization from its
backup, the organizations of one file from one restore (:mod:`cheel.restore.own`), each all
or nothing; what fails for one file or one organization is said in the report and the
others go on. Only a cancel (``Interrupted``) stops the whole."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import Interrupted
from ..progress import Progress
from ..restore import RestoreOptions, restore_own_orgs
from ..restore.own import error_dict
from ..store.catalog import Catalog
from ..store.engines import SQLITE
from ..store.names import name_key
from ..verify import Unlock, unlocker_of
from .plan import (FAILED, ORIGINAL, PLANNED, RECOVERED, OrgRecovery, RecoverPlan,
                   engine_of)

WOULD_RECOVER = "would_recover"  # a dry run's planned organization


@dataclass
class RecoverReport:
    dest: str
    dry_run: bool
    organizations: list[OrgRecovery]
    ignored: list[tuple[str, str]]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every organization asked for was recovered (or, in a dry run, would be)."""
        done = WOULD_RECOVER if self.dry_run else RECOVERED
        return all(o.status == done for o in self.organizations)

    def as_dict(self) -> dict:
        return {
            "destination": self.dest.split("?", 1)[0], "dry_run": self.dry_run, "ok": self.ok,
            "organizations": [{
                "organization": o.name, "status": o.status,
                "file": (o.backup.location or o.backup.name) if o.backup else None,
                "backed_up_at": o.backup.created_at if o.backup else None,
                "age_seconds": o.age_seconds,
                "verified_at": o.backup.record.last_verified_at
                if o.backup and o.backup.record else None,
                "passed_over": [{"file": f, "why": why} for f, why in o.passed_over],
                "engine": o.engine, "groups": o.groups, "rows": sum(o.rows.values()),
                "rows_per_table": o.rows, "seconds": round(o.seconds, 3),
                "error": error_dict(o.error)} for o in self.organizations],
            "ignored": [{"file": f, "why": why} for f, why in self.ignored],
            "seconds": round(self.seconds, 3)}


def run_recover(catalog: Catalog, plan: RecoverPlan, unlock: Unlock = None,
                progress: Progress | None = None,
                done: Callable[[OrgRecovery], None] | None = None) -> RecoverReport:
    """Recover what ``plan`` says (a dry run: nothing; the plan is the report). ``unlock``
    opens every encrypted backup (a passphrase is asked once); ``done`` hears of each
    organization as its restore ends."""
    started = time.monotonic()
    options = plan.options
    report = RecoverReport(options.dest, options.dry_run, plan.organizations, plan.ignored)
    engine = engine_of(options)
    if options.dry_run:
        for o in plan.planned:
            o.status, o.engine = WOULD_RECOVER, engine
        return report
    unlocker = unlocker_of(unlock)  # one for the whole: each file's key is kept once opened
    by_file: dict[str, list[OrgRecovery]] = {}
    for o in plan.planned:
        assert o.backup is not None
        by_file.setdefault(o.backup.location or o.backup.name, []).append(o)
    for location, orgs in by_file.items():
        restore = RestoreOptions(location, "", create=True,
                                 postgres=options.postgres if engine != SQLITE else None,
                                 each_as_own_org=True, organizations=[o.name for o in orgs],
                                 keep_engines=engine == ORIGINAL)
        try:
            made = restore_own_orgs(catalog, restore, unlocker, progress)
        except Interrupted:
            raise
        except Exception as e:  # the file (unreadable, wrong password, …): its organizations
            for o in orgs:
                o.status, o.error = FAILED, e
                if done:
                    done(o)
            continue
        results = {name_key(r.name): r for r in made.organizations}
        for o in orgs:
            r = results[name_key(o.name)]
            o.engine, o.groups, o.seconds = r.engine, [g.target_name for g in r.groups], \
                r.seconds or made.seconds
            if r.error is None and r.made:
                o.status, o.rows = RECOVERED, r.rows
            else:
                o.status, o.error = FAILED, r.error
            if done:
                done(o)
    assert not [o for o in plan.organizations if o.status == PLANNED]
    report.seconds = time.monotonic() - started
    return report
