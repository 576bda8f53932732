"""Restoring company groups from a backup into an organization, all or nothing.

* :mod:`.plan` -- which groups, what happens to each (new, replace, copy, skip), names;
* :mod:`.load` -- the rows into the target's open transaction, ids shifted, file checked;
* :mod:`.checks` -- what must hold in the target before it commits;
* :mod:`.run` -- a restore from start to end (:func:`run_restore`), into an existing
  organization or a new one (made through :mod:`cheel.store.staging`);
* :mod:`.own` -- each organization of a file as an organization of its own
  (:func:`restore_own_orgs`, ``--each-as-own-org``).
"""

from .plan import (COPY, FAIL, NEW, POLICIES, REPLACE, SKIP, GroupPlan, RestoreOptions,
                   backup_groups, decide, select_groups)
from .own import OwnOrgResult, OwnOrgsReport, plan_own_orgs, restore_own_orgs
from .run import RestoreReport, plan_restore, run_restore

__all__ = ["COPY", "FAIL", "NEW", "POLICIES", "REPLACE", "SKIP", "GroupPlan",
           "OwnOrgResult", "OwnOrgsReport", "RestoreOptions", "RestoreReport", "backup_groups",
           "decide", "plan_own_orgs", "plan_restore", "restore_own_orgs", "run_restore",
           "select_groups"]
