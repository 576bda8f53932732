"""Backing up company groups into one ``.cheelbackup`` file.

* :mod:`.plan` -- what to back up and where, checked before any work (:func:`plan_backup`);
* :mod:`.snapshot_reader` -- one organization's selected groups, read from one snapshot on
  helper connections, in bounded chunks;
* :mod:`.run` -- the file written, layer by layer (:func:`run_backup`);
* :mod:`.folder` -- the destination folder (created when a user asks) and the file's life
  in it: hidden and locked while written, named once complete.
"""

from .folder import create_destination, sweep_parts
from .plan import EXTENSION, BackupOptions, BackupPlan, check_destination, plan_backup
from .run import BackupResult, run_backup

__all__ = ["EXTENSION", "BackupOptions", "BackupPlan", "BackupResult", "check_destination",
           "create_destination", "plan_backup", "run_backup", "sweep_parts"]
