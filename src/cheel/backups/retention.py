"""Which backups a pruning keeps, and why: rules, a legal floor, and safety rails.

Rules (as restic's ``forget``), per *set*: one organization and the same groups. Only
backups whose latest verification passed count toward a rule. ``last N`` keeps the N
newest; ``daily N`` the newest of each of the N most recent days that have one, and so on
for weeks (ISO), months and years.

The legal floor (Swiss CO art. 958f: accounting records are kept ten years): for each
company and each of its fiscal years, the last verified backup made on or before the
fiscal year's end (or, when none was, the first one after it) and the first one that
shows the fiscal year closed are kept until ten years after that end, whatever the rules.

Safety rails: a backup without a valid record, not yet verified, or whose verification
failed is never deleted (a failed one stays for inspection); the last verified backup of a
set is never deleted; and nothing of an organization is pruned while its newest backup is
not verified (jobs failing quietly must not end with the good backups deleted) or while
one of its backups is dated in the future (a wrong clock would make the rules keep the
wrong files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from ..errors import Text, UsageError, said
from .listing import Listed

LEGAL_YEARS = 10


@dataclass
class KeepRules:
    last: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    def check(self) -> None:
        values = [self.last, self.daily, self.weekly, self.monthly, self.yearly]
        if any(v < 0 for v in values):
            raise UsageError(said("a --keep-… rule counts from 0 up"))
        if not any(values):
            raise UsageError(said("say what to keep: at least one --keep-… rule above 0"),
                             hint=said("for example --keep-daily 7 --keep-weekly 4 "
                                       "--keep-monthly 12"))


@dataclass
class Decision:
    backup: Listed
    reasons: list[Text] = field(default_factory=list)  # empty: delete

    @property
    def keep(self) -> bool:
        return bool(self.reasons)

    def as_dict(self) -> dict:
        return {**self.backup.as_dict(), "keep": self.keep,
                "reasons": [str(r) for r in self.reasons]}


def _day(b: Listed) -> date:
    return _moment(b.created_at).date()


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


PERIODS: list[tuple[str, Callable[[date], tuple]]] = [
    ("daily", lambda d: (d.year, d.month, d.day)),
    ("weekly", lambda d: tuple(d.isocalendar()[:2])),
    ("monthly", lambda d: (d.year, d.month)),
    ("yearly", lambda d: (d.year,)),
]
PERIOD_REASONS = {
    "daily": lambda day: said("daily ({day})", day=day.isoformat()),
    "weekly": lambda day: said("weekly (week {week} of {year})", week=day.isocalendar()[1],
                               year=day.isocalendar()[0]),
    "monthly": lambda day: said("monthly ({month})", month=day.strftime("%Y-%m")),
    "yearly": lambda day: said("yearly ({year})", year=day.year),
}


def decide(backups: list[Listed], rules: KeepRules, now: datetime | None = None
           ) -> list[Decision]:
    """A decision for every backup, oldest first, each kept one with its reasons."""
    rules.check()
    now = now or datetime.now(timezone.utc)
    decisions = {id(b): Decision(b) for b in backups}

    def keep(b: Listed, reason: Text) -> None:
        decisions[id(b)].reasons.append(reason)

    recorded = []
    for b in backups:
        if b.changed:
            keep(b, said("the file changed since it was written (its record no longer "
                         "matches it): never deleted by a pruning; verify it"))
        elif b.record is None:
            keep(b, said("no valid record beside it: never deleted by a pruning"))
        elif b.record.failed:
            keep(b, said("its verification failed: kept for inspection"))
        elif not b.record.verified:
            keep(b, said("not verified yet"))
        else:
            recorded.append(b)
    _rules(recorded, rules, keep)
    _legal_floor(recorded, now, keep)
    _rails([b for b in backups if b.record is not None], now, keep)
    return [decisions[id(b)] for b in backups]


def _rules(verified: list[Listed], rules: KeepRules, keep) -> None:
    sets: dict[tuple, list[Listed]] = {}
    for b in verified:
        key = tuple((o.name, tuple(sorted(g.uid for g in o.groups)))
                    for o in b.record.organizations)
        sets.setdefault(key, []).append(b)
    for members in sets.values():
        newest_first = sorted(members, key=lambda b: b.created_at, reverse=True)
        keep(newest_first[0], said("the last verified backup of its groups"))
        for n, b in enumerate(newest_first[:rules.last], 1):
            keep(b, said("last {count} ({n})", count=rules.last, n=n))
        for name, bucket_of in PERIODS:
            wanted = getattr(rules, name)
            seen: set[tuple] = set()
            for b in newest_first:
                if len(seen) >= wanted:
                    break
                bucket = bucket_of(_day(b))
                if bucket not in seen:
                    seen.add(bucket)
                    keep(b, PERIOD_REASONS[name](_day(b)))


def _legal_floor(verified: list[Listed], now: datetime, keep) -> None:
    years: dict[tuple, list[tuple[Listed, bool]]] = {}
    facts: dict[tuple, tuple[str, str]] = {}
    for b in verified:
        for o in b.record.organizations:
            for g in o.groups:
                for c in g.companies:
                    for fy in c.fiscal_years:
                        key = (o.name, c.uid, fy.name, fy.end)
                        years.setdefault(key, []).append((b, fy.closed))
                        if c.name or key not in facts:
                            facts[key] = (c.name or c.uid, fy.name)
    for key, holders in years.items():
        end = date.fromisoformat(key[3])
        until = end.replace(year=end.year + LEGAL_YEARS) if not (
            end.month == 2 and end.day == 29) else date(end.year + LEGAL_YEARS, 2, 28)
        if now.date() > until:
            continue
        by_date = sorted(holders, key=lambda h: h[0].created_at)
        before = [b for b, _ in by_date if _day(b) <= end]
        chosen = [before[-1] if before else by_date[0][0]]
        closed = [b for b, is_closed in by_date if is_closed]
        if closed and closed[0] is not chosen[0]:
            chosen.append(closed[0])
        company, year = facts[key]
        for b in chosen:
            keep(b, said("legal floor: fiscal year {year} of {company}, until {until}",
                         year=year, company=company, until=until.isoformat()))


def _rails(recorded: list[Listed], now: datetime, keep) -> None:
    by_org: dict[str, list[Listed]] = {}
    for b in recorded:
        for name in b.organizations:
            by_org.setdefault(name, []).append(b)
    for name, members in by_org.items():
        newest = max(members, key=lambda b: b.created_at)
        future = [b for b in members if _moment(b.created_at) > now]
        if future:
            reason = said("a backup of {organization} is dated in the future ({when}): nothing "
                          "of it is pruned until the clock is checked", organization=name,
                          when=future[0].created_at)
        elif not newest.record.verified:
            reason = said("the newest backup of {organization} is not verified: nothing of it "
                          "is pruned until it is", organization=name)
        else:
            continue
        for b in members:
            keep(b, reason)
