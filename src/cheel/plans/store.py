"""Where plans and their runs' reports are kept: in the data folder, readable by its owner
only (``plans/NAME.json``, ``plans/runs/NAME/STARTED.json``), written under a temporary
name and renamed."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import msgspec

from ..archive.age.x25519 import BadKey, X25519Recipient
from ..destinations import open_destination
from ..errors import AlreadyExists, NotFound, UsageError, said
from ..store.catalog import Catalog, private_file
from .model import Plan, RunReport, decode_plan, decode_report, encode

PLAN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
REPORTS_KEPT = 100  # per plan: the newest reports; older ones are deleted


def plans_dir(catalog: Catalog) -> Path:
    return catalog.data_dir / "plans"


def _plan_path(catalog: Catalog, name: str) -> Path:
    if not PLAN_NAME.match(name):
        raise UsageError(said("a plan's name is made of letters, digits, dots, dashes and "
                              "underscores (64 at most), not {name}", name=name[:80]))
    return plans_dir(catalog) / f"{name}.json"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with private_file(tmp) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def check_plan(plan: Plan) -> None:
    """Refuse a plan that cannot run, before it is saved (not at 2 a.m.)."""
    _plan_path(Catalog("."), plan.name)
    open_destination(plan.destination)  # its form only: no connection is made
    encryption = plan.encryption
    if encryption.passphrase and encryption.recipients:
        from ..backup.plan import both_password_and_recipients

        raise both_password_and_recipients()
    for key in encryption.recipients:
        try:
            X25519Recipient.parse(key)
        except BadKey as e:
            raise UsageError(said("{key} is not an age public key: {why}", key=key[:80],
                                  why=str(e))) from None
    for value in (plan.keep.last, plan.keep.daily, plan.keep.weekly, plan.keep.monthly,
                  plan.keep.yearly, plan.drill_every_days):
        if value < 0:
            raise UsageError(said("--keep-… and --drill-every count from 0 up"))
    if plan.stale_after_hours < 1:
        raise UsageError(said("--stale-after is 1 hour at least"))
    if not plan.schedule.strip() or any(c in plan.schedule for c in "\n\r\0"):
        raise UsageError(said("a plan's schedule is one line, such as daily or "
                              "\"*-*-* 02:30\""))
    webhook = plan.notify.webhook
    if webhook and bool(webhook.url) == bool(webhook.url_secret):
        raise UsageError(said("a webhook has an address, or a file or command that gives it; "
                              "one of them"))
    if plan.notify.email and not plan.notify.email.to:
        raise UsageError(said("an e-mail notification needs at least one address"))


def save_plan(catalog: Catalog, plan: Plan, replace: bool = False) -> Path:
    check_plan(plan)
    path = _plan_path(catalog, plan.name)
    if path.exists() and not replace:
        raise AlreadyExists(said('a plan named "{name}" already exists', name=plan.name),
                            hint=said("remove it first, or add it again with --replace"))
    catalog.ensure_data_dir()
    _write(path, encode(plan))
    return path


def load_plan(catalog: Catalog, name: str) -> Plan:
    path = _plan_path(catalog, name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        known = ", ".join(p.name for p in list_plans(catalog))
        raise NotFound(said('there is no plan named "{name}"', name=name),
                       hint=said("known plans: {known}", known=known) if known else
                       said("there are no plans yet")) from None
    try:
        return decode_plan(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise UsageError(said("the plan {path} cannot be read: {why}", path=path,
                              why=str(e)[:200])) from None


def list_plans(catalog: Catalog) -> list[Plan]:
    folder = plans_dir(catalog)
    if not folder.is_dir():
        return []
    return [load_plan(catalog, p.stem) for p in sorted(folder.glob("*.json"))
            if PLAN_NAME.match(p.stem)]


def remove_plan(catalog: Catalog, name: str) -> None:
    load_plan(catalog, name)  # a clear error when there is none
    _plan_path(catalog, name).unlink()


def _runs_dir(catalog: Catalog, name: str) -> Path:
    return plans_dir(catalog) / "runs" / _plan_path(catalog, name).stem


def save_report(catalog: Catalog, report: RunReport, text: str | None = None) -> Path:
    """Keep the run's report (JSON), and with ``text`` the same for people (``.txt``)."""
    folder = _runs_dir(catalog, report.plan)
    stamp = report.started_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    # two runs may start within a second: the nanoseconds keep them apart, in order
    path = folder / f"{stamp}.{time.time_ns() % 10**9:09d}.json"
    _write(path, encode(report))
    if text is not None:
        _write(path.with_suffix(".txt"), text.encode("utf-8"))
    for old in sorted(folder.glob("*.json"))[:-REPORTS_KEPT]:
        old.unlink(missing_ok=True)
        old.with_suffix(".txt").unlink(missing_ok=True)
    return path


def last_reports(catalog: Catalog, name: str, count: int = 1) -> list[RunReport]:
    """The newest ``count`` reports of the plan, newest first (unreadable ones skipped)."""
    folder = _runs_dir(catalog, name)
    found = []
    for path in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
        try:
            found.append(decode_report(path.read_bytes()))
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            continue
        if len(found) == count:
            break
    return found
