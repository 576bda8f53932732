"""Backups a day apart in a destination (a folder or an address), as the prune tests need
them: each made now, its record then dated back (the record's date is what the rules
read; a backup cannot be made in the past), then verified, so that the rules count it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.backups.record import record_at, write_record_to
from cheel.destinations import split_location
from cheel.verify import verify_backup


def dated_backups(catalog, organization: str, dest: str, count: int,
                  newest_days_ago: int = 2) -> list[str]:
    """``count`` verified backups of ``organization`` in ``dest``, a day apart, the newest
    ``newest_days_ago`` days ago; their names, oldest first."""
    newest = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=newest_days_ago)
    names = []
    for days in range(count - 1, -1, -1):
        when = newest - timedelta(days=days)
        plan = plan_backup(catalog, BackupOptions([organization], dest), now=when)
        location = str(run_backup(catalog, plan).path)
        destination, name = split_location(location)
        record, _ = record_at(destination, name)
        record.created_at = when.isoformat()
        write_record_to(destination, record)
        verify_backup(location)
        names.append(name)
    return names
