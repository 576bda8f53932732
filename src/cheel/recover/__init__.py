"""Recovering a fleet after a lost server: per organization, its newest verified backup in a
destination restored as its own organization, under its own name.

* :mod:`.plan` -- which backup each organization comes back from, or why not (the
  destination's records only: no backup is opened);
* :mod:`.run` -- the restores (:mod:`cheel.restore.own`), each organization all or
  nothing, one failure not stopping the others; the report.
"""

from .plan import (ENGINES, FAILED, ORIGINAL, PLANNED, RECOVERED, SKIPPED, OrgRecovery,
                   RecoverOptions, RecoverPlan, plan_recover)
from .run import WOULD_RECOVER, RecoverReport, run_recover

__all__ = ["ENGINES", "FAILED", "ORIGINAL", "PLANNED", "RECOVERED", "SKIPPED", "WOULD_RECOVER",
           "OrgRecovery", "RecoverOptions", "RecoverPlan", "RecoverReport", "plan_recover",
           "run_recover"]
