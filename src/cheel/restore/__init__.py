"""Restoring company groups from a backup into an organization, all or nothing.

* :mod:`.plan` -- which groups, what happens to each (new, replace, copy, skip), names;
* :mod:`.load` -- the rows into the target's open transaction, ids shifted, file checked;
* :mod:`.checks` -- what must hold in the target before it commits;
* :mod:`.run` -- a restore from start to end (:func:`run_restore`), into an existing
  organization or a new one (made through :mod:`cheel.store.staging`).
"""

from .plan import (COPY, FAIL, NEW, POLICIES, REPLACE, SKIP, GroupPlan, RestoreOptions,
                   backup_groups, decide, select_groups)
from .run import RestoreReport, plan_restore, run_restore

__all__ = ["COPY", "FAIL", "NEW", "POLICIES", "REPLACE", "SKIP", "GroupPlan",
           "RestoreOptions", "RestoreReport", "backup_groups", "decide", "plan_restore",
           "run_restore", "select_groups"]
