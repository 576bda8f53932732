"""Drilling a plan's backups: those of its destination that are due (:mod:`.due`), each
opened with the plan's passphrase or identity file, one failure not stopping the others."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone

from ..archive.age import Unlocker
from ..archive.age.key_files import read_identity_files
from ..backups.listing import list_backups
from ..errors import CheelError, DrillMismatch, said
from ..plans.model import Plan, covers
from ..plans.secrets import read_secret
from ..progress import Progress
from .due import due_drills
from .run import DrillOptions, DrillReport, run_drill


@dataclass
class PlanDrill:
    """One backup a plan drilled: its report (also when figures differed), or the error."""

    location: str
    report: DrillReport | None = None
    error: CheelError | None = None
    organizations: list[str] = dataclasses.field(default_factory=list)  # the file's

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict:
        out = self.report.as_dict() if self.report else {"file": self.location, "ok": False}
        if self.error is not None:
            out.update(ok=False, error_code=type(self.error).__name__, error=self.error.message)
        return out


def plan_unlocker(plan: Plan) -> Unlocker:
    """What opens the plan's backups: its passphrase (read once, if a file needs it), or
    the private key of its identity file."""
    encryption = plan.encryption
    identities = read_identity_files([encryption.identity_file]) \
        if encryption.identity_file else []
    secret = encryption.passphrase
    return Unlocker((lambda: read_secret(secret, said("the plan's passphrase")))
                    if secret else None, identities=identities)


def drill_plan(plan: Plan, options: DrillOptions, now: datetime | None = None,
               progress: Progress | None = None) -> list[PlanDrill]:
    """Drill the backups of ``plan`` that are due now (every organization's newest verified
    backup when the plan says no period), as ``options`` say (its ``file`` is not used)."""
    options = dataclasses.replace(options, file="").checked()
    listed = [b for b in list_backups(plan.destination)
              if any(covers(plan, o) for o in b.organizations)]
    due = due_drills(listed, plan.drill_every_days, now or datetime.now(timezone.utc))
    unlocker = plan_unlocker(plan)
    out: list[PlanDrill] = []
    for backup in due:
        location = backup.location or backup.name
        try:
            report = run_drill(dataclasses.replace(options, file=location), unlocker, progress)
        except DrillMismatch as e:
            out.append(PlanDrill(location, e.report, e,  # type: ignore[arg-type]
                                 backup.organizations))
        except CheelError as e:
            out.append(PlanDrill(location, None, e, backup.organizations))
        else:
            out.append(PlanDrill(location, report, None, backup.organizations))
    return out
