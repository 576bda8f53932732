"""Backing up company groups into one ``.cheelbackup`` file.

* :mod:`.plan` -- what to back up and where, checked before any work (:func:`plan_backup`);
* :mod:`.snapshot_reader` -- one organization's selected groups, read from one snapshot on
  helper connections, in bounded chunks;
* :mod:`.run` -- the file written, layer by layer, to its destination (:func:`run_backup`;
  where it goes and how a file is finished there: :mod:`cheel.destinations`).
"""

from ..destinations.base import EXTENSION
from ..destinations.part_file import check_destination, create_destination, sweep_parts
from .plan import BackupOptions, BackupPlan, plan_backup
from .run import BackupResult, run_backup

__all__ = ["EXTENSION", "BackupOptions", "BackupPlan", "BackupResult", "check_destination",
           "create_destination", "plan_backup", "run_backup", "sweep_parts"]
