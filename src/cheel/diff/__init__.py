"""What changed between a backup and a live organization, or between two backups, in the
accountant's terms (issue 20).

* :mod:`.keys` -- each table's natural key (declared in the schema) and the query that reads
  a group's rows in key order, foreign keys as the natural keys they point to;
* :mod:`.sides` -- the two sides: a live organization (one snapshot), a backup's groups
  spooled to a temporary SQLite file;
* :mod:`.aligned` -- a backup against the organization it came from: its chunks compared
  with the live rows of their id ranges first; :mod:`.touched` -- then the units to merge;
* :mod:`.merge` -- the merge of two sides' rows in key order: added, removed, changed;
* :mod:`.accounting` -- a group's merges in the accountant's terms: entries with their
  lines, balances per fiscal year before → after, the sentence of a restore's dry run;
* :mod:`.report` -- what a diff found, as data; :mod:`.run` -- a diff from start to end.
"""

from .accounting import replacing
from .report import DiffReport, GroupDiff
from .run import DiffOptions, diff, replaced_groups

__all__ = ["DiffOptions", "DiffReport", "GroupDiff", "diff", "replaced_groups", "replacing"]
