"""Where every organization stands against its plans: its newest backup, newest verified,
newest drilled, and OK, STALE or FAILED — what a monitoring system asks (``cheel status``
exits non-zero when anything is not OK)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ..backups.listing import Listed, list_backups
from ..errors import CheelError, Text, printable, said
from ..store.catalog import Catalog
from ..store.names import name_key
from .model import FAILED, OK, STALE, Plan
from .run import select_organizations
from .store import last_reports, list_plans, load_plan

UNPLANNED = "unplanned"  # in no plan: nothing protects it (said, not counted as a failure)


@dataclass
class OrganizationStatus:
    organization: str
    plan: str | None
    state: str  # OK, STALE, FAILED or UNPLANNED
    newest: str | None = None  # creation times, ISO 8601 UTC
    newest_verified: str | None = None
    newest_drilled: str | None = None
    reason: str | None = None  # why it is not OK, in English
    reason_said: Text | str | None = None  # the same, for a translation (str: as it is)

    def fail(self, state: str, reason: Text | str | None) -> None:
        self.state, self.reason_said = state, reason
        self.reason = None if reason is None else printable(str(reason))

    def as_dict(self) -> dict:
        return {"organization": self.organization, "plan": self.plan, "state": self.state,
                "newest": self.newest, "newest_verified": self.newest_verified,
                "newest_drilled": self.newest_drilled, "reason": self.reason}


@dataclass
class FleetStatus:
    organizations: list[OrganizationStatus] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.state in (OK, UNPLANNED) for o in self.organizations)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "organizations": [o.as_dict() for o in self.organizations]}


def _last_drill(backup: Listed) -> str | None:
    return backup.record.last_drilled_at if backup.record else None


def plan_status(catalog: Catalog, plan: Plan, now: datetime) -> list[OrganizationStatus]:
    names = [e.name for e in select_organizations(catalog, plan)]
    try:
        backups = list_backups(plan.destination)
        unreachable = None
    except CheelError as e:
        backups, unreachable = [], e.text
    reports = last_reports(catalog, plan.name)
    last_outcome = {name_key(o.organization): o for o in reports[0].outcomes} \
        if reports else {}
    limit = (now - timedelta(hours=plan.stale_after_hours)).isoformat()
    found = []
    for name in names:
        mine = [b for b in backups if name_key(name) in map(name_key, b.organizations)]
        status = OrganizationStatus(name, plan.name, OK)
        status.newest = max((b.created_at for b in mine), default=None)
        verified = [b for b in mine if b.record and b.record.verified]
        status.newest_verified = max((b.created_at for b in verified), default=None)
        status.newest_drilled = max(filter(None, map(_last_drill, mine)), default=None)
        outcome = last_outcome.get(name_key(name))
        newest = max(mine, key=lambda b: b.created_at, default=None)
        if unreachable:
            status.fail(FAILED, unreachable)
        elif outcome is not None and outcome.status == FAILED:
            status.fail(FAILED, outcome.error_said.text() if outcome.error_said
                        else outcome.error)
        elif newest is not None and newest.record and newest.record.failed:
            status.fail(FAILED, said("the verification of {name} failed", name=newest.name))
        elif (status.newest_verified or "") < limit:
            status.fail(STALE, said("no verified backup since {when}",
                                    when=status.newest_verified)
                        if status.newest_verified else said("no verified backup"))
        found.append(status)
    return found


def fleet_status(catalog: Catalog, plan_name: str | None = None,
                 now: datetime | None = None) -> FleetStatus:
    """Every organization against every plan that covers it (or against ``plan_name``);
    without a plan name, the organizations no plan covers are listed as unplanned."""
    now = now or datetime.now(timezone.utc)
    plans = [load_plan(catalog, plan_name)] if plan_name else list_plans(catalog)
    fleet = FleetStatus()
    covered = set()
    for plan in plans:
        for status in plan_status(catalog, plan, now):
            covered.add(name_key(status.organization))
            fleet.organizations.append(status)
    if plan_name is None:
        for entry in catalog.list():
            if name_key(entry.name) not in covered:
                fleet.organizations.append(OrganizationStatus(entry.name, None, UNPLANNED))
    return fleet
