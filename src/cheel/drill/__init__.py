"""Restore drills: a backup restored into a throwaway organization, checked as a restore
checks, its figures compared with the file's, the result recorded beside it.

* :mod:`.throwaway` -- the throwaway organization (a temporary folder, or a temporary
  PostgreSQL database) and its removal whatever happens;
* :mod:`.figures` -- rows per table and debits and credits per account: the file's (one
  streaming pass) and the restored organization's (SQL), compared;
* :mod:`.run` -- a drill from start to end (:func:`run_drill`);
* :mod:`.due` -- which backups a plan drills now (:func:`due_drills`), rotating;
* :mod:`.plans` -- drilling a plan's due backups (:func:`drill_plan`).
"""

from .due import due_drills
from .figures import Difference
from .plans import PlanDrill, drill_plan, plan_unlocker
from .run import DrillOptions, DrillReport, run_drill

__all__ = ["Difference", "DrillOptions", "DrillReport", "PlanDrill", "drill_plan",
           "due_drills", "plan_unlocker", "run_drill"]
