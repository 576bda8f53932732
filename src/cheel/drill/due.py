"""Which backups a plan drills now, so that every organization has a backup drilled with
success within ``every_days`` days, the drills spread over the days (rotating) rather than
all at once.

Per organization, the candidate is its newest verified backup (a backup of several
organizations counts for each); when it was last drilled is the newest passed drill of any
of its backups. Drilled now, oldest-drilled first (never drilled before all):

* every organization whose last drill is ``every_days`` old or older (overdue), and
* as many more as the rotation owes: the organizations are drilled at a pace of
  ``n / every_days`` a day, so the time since the newest drill of any of them owes
  ``n × that time / every_days`` drills; those are taken from the oldest-drilled of the
  others. After a first run that drills everything, the next ones drill a share each,
  whatever the schedule's frequency, and no organization waits longer than ``every_days``.

``every_days`` of 0 (or less): every organization's newest verified backup, now.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from ..backups.listing import Listed


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None  # a record's times carry their zone


def due_drills(listed: list[Listed], every_days: int, now: datetime) -> list[Listed]:
    """The backups of ``listed`` to drill now (see the module), oldest-drilled organization
    first; each backup once. ``now`` without a zone is taken as UTC."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    newest: dict[str, Listed] = {}
    drilled: dict[str, datetime] = {}
    for b in listed:
        if b.record is None or b.changed:
            continue
        passed = _when(b.record.last_drilled_at)
        for org in b.organizations:
            if passed is not None and (org not in drilled or passed > drilled[org]):
                drilled[org] = passed
            if b.record.verified and (org not in newest or
                                      (b.created_at, b.name) > (newest[org].created_at,
                                                                newest[org].name)):
                newest[org] = b
    never = datetime.min.replace(tzinfo=now.tzinfo)
    orgs = sorted(newest, key=lambda o: (drilled.get(o, never), o))
    if every_days <= 0:
        chosen = orgs
    else:
        window = timedelta(days=every_days)
        overdue = [o for o in orgs if o not in drilled or now - drilled[o] >= window]
        latest = max((drilled[o] for o in orgs if o in drilled), default=None)
        owed = 0 if latest is None or latest > now else \
            math.floor(len(orgs) * ((now - latest) / window))
        others = [o for o in orgs if o not in overdue]
        chosen = overdue + others[:max(0, owed - len(overdue))]
        chosen.sort(key=lambda o: (drilled.get(o, never), o))
    out: list[Listed] = []
    seen: set[str] = set()
    for org in chosen:
        b = newest[org]
        if (b.location or b.name) not in seen:
            seen.add(b.location or b.name)
            out.append(b)
    return out
