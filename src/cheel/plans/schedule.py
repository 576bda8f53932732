"""A plan driven by the system's scheduler, not by a daemon of ours: a systemd user timer
(``~/.config/systemd/user/cheel-plan-NAME.{service,timer}``), or a crontab line where
systemd does not run. What is installed runs ``cheel --data-dir DATA plan run NAME``."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import CheelError, UsageError, said
from ..store.catalog import Catalog
from .model import Plan

# The schedules a crontab line can say; systemd's OnCalendar takes any of its own
CRON_FORMS = {"hourly": "0 * * * *", "daily": "0 0 * * *", "weekly": "0 0 * * 1",
              "monthly": "0 0 1 * *"}
DAILY_AT = re.compile(r"^\*-\*-\* (\d{1,2}):(\d{2})(?::00)?$")
CRON_MARK = "# cheel plan "  # ends each line cheel writes, so that it can replace it


@dataclass
class Installed:
    kind: str  # "systemd" or "cron"
    files: dict[str, str]  # path → content (systemd), or {"crontab": the line}
    done: bool  # False with --print: shown, not installed


def cheel_command(catalog: Catalog, plan: Plan) -> list[str]:
    """The command the scheduler runs: this cheel, this data folder, this plan."""
    beside = Path(sys.executable).parent / "cheel"  # this interpreter's own (its venv's)
    executable = str(beside) if beside.is_file() else shutil.which("cheel") or \
        str(Path(sys.argv[0]).resolve())
    return [executable, "--data-dir", str(catalog.data_dir.resolve()), "plan", "run",
            plan.name]


def systemd_units(catalog: Catalog, plan: Plan) -> dict[str, str]:
    unit = f"cheel-plan-{plan.name}"
    folder = Path(os.environ.get("XDG_CONFIG_HOME", "~/.config")).expanduser() / \
        "systemd" / "user"
    command = " ".join(shlex.quote(part) for part in cheel_command(catalog, plan))
    service = (f"[Unit]\nDescription=cheel backup plan {plan.name}\n\n"
               f"[Service]\nType=oneshot\nExecStart={command}\nNice=10\n"
               "IOSchedulingClass=idle\n")
    timer = (f"[Unit]\nDescription=cheel backup plan {plan.name}, {plan.schedule}\n\n"
             f"[Timer]\nOnCalendar={plan.schedule}\nPersistent=true\n"
             "RandomizedDelaySec=5min\n\n[Install]\nWantedBy=timers.target\n")
    return {str(folder / f"{unit}.service"): service, str(folder / f"{unit}.timer"): timer}


def cron_line(catalog: Catalog, plan: Plan) -> str:
    schedule = CRON_FORMS.get(plan.schedule.strip())
    if schedule is None and (match := DAILY_AT.match(plan.schedule.strip())):
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            schedule = f"{minute} {hour} * * *"
    if schedule is None:
        raise UsageError(said("the schedule {schedule} cannot be written as a crontab line",
                              schedule=plan.schedule),
                         hint=said("use hourly, daily, weekly, monthly or \"*-*-* HH:MM\", "
                                   "or a machine with systemd"))
    command = " ".join(shlex.quote(part) for part in cheel_command(catalog, plan))
    return f"{schedule} {command} {CRON_MARK}{plan.name}"


def has_systemd() -> bool:
    return Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None


def install(catalog: Catalog, plan: Plan, *, show_only: bool = False,
            kind: str | None = None) -> Installed:
    """Install the plan's schedule (``kind``: systemd or cron; by default systemd where it
    runs), or with ``show_only`` only say what would be installed."""
    kind = kind or ("systemd" if has_systemd() else "cron")
    if kind == "systemd":
        files = systemd_units(catalog, plan)
        if not show_only:
            for path, text in files.items():
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                tmp = Path(path).with_suffix(".tmp")
                tmp.write_text(text)
                tmp.replace(path)
            timer = Path(next(p for p in files if p.endswith(".timer"))).name
            _run(["systemctl", "--user", "daemon-reload"])
            _run(["systemctl", "--user", "enable", "--now", timer])
        return Installed(kind, files, not show_only)
    line = cron_line(catalog, plan)
    if not show_only:
        current = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
        kept = [old for old in current.stdout.splitlines()
                if not old.endswith(f"{CRON_MARK}{plan.name}")] if current.returncode == 0 \
            else []
        _run(["crontab", "-"], "\n".join([*kept, line]) + "\n")
    return Installed(kind, {"crontab": line}, not show_only)


def _run(argv: list[str], stdin: str | None = None) -> None:
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CheelError(said("{command} could not run: {why}", command=" ".join(argv[:3]),
                              why=type(e).__name__)) from None
    if done.returncode != 0:
        raise CheelError(said("{command} failed: {why}", command=" ".join(argv[:3]),
                              why=(done.stderr.strip() or f"exit {done.returncode}")[:200]))


def next_run(plan: Plan, now: datetime) -> datetime | None:
    """When the schedule fires next after ``now`` (local time of ``now``), for the forms a
    crontab can say too; None for other systemd expressions (systemd says it then)."""
    schedule = plan.schedule.strip()
    start = now.replace(second=0, microsecond=0)
    if schedule == "hourly":
        return start.replace(minute=0) + timedelta(hours=1)
    midnight = start.replace(hour=0, minute=0)
    if schedule == "daily":
        return midnight + timedelta(days=1)
    if schedule == "weekly":
        return midnight + timedelta(days=7 - midnight.weekday())
    if schedule == "monthly":
        return (midnight.replace(day=1) + timedelta(days=32)).replace(day=1)
    match = DAILY_AT.match(schedule)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        at = midnight.replace(hour=int(match[1]), minute=int(match[2]))
        return at if at > now else at + timedelta(days=1)
    return None
