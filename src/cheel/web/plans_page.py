"""The backup plans, as ``cheel plan list`` and ``cheel status`` show them: per plan what it
backs up, where, how it is encrypted (never a secret: a passphrase is only named by its
file, and a command that prints it is not shown at all) and kept, when it runs next and
what its last run did; "Lancer maintenant" runs it as a job whose page shows the report;
below, every organization against its plan. Plans are added and changed with the command
line only (the page says how)."""

from __future__ import annotations

import shlex
from datetime import datetime
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..errors import CheelError, Interrupted, Text
from ..plans.model import FAILED, OK, SKIPPED, Plan, RunReport
from ..plans.run import RunOptions, run_plan, select_organizations
from ..plans.schedule import DAILY_AT, next_run
from ..plans.status import UNPLANNED, fleet_status
from ..plans.store import last_reports, list_plans, load_plan
from ..progress import Progress
from ..store.catalog import Catalog, default_data_dir
from .i18n import N_, ORGANIZATIONS, error_view, fmt_datetime
from .render import lang_of, render
from .security import checked_form
from .wizard_state import redirect

KEEP_LABELS = (("last", N_("%(count)s dernière(s)")), ("daily", N_("%(count)s journalière(s)")),
               ("weekly", N_("%(count)s hebdomadaire(s)")),
               ("monthly", N_("%(count)s mensuelle(s)")), ("yearly", N_("%(count)s annuelle(s)")))
SCHEDULES = {"hourly": N_("toutes les heures"), "daily": N_("chaque jour à minuit"),
             "weekly": N_("chaque lundi à minuit"),
             "monthly": N_("le premier de chaque mois à minuit")}


def cli_prefix(catalog: Catalog) -> str:
    """``cheel``, with ``--data-dir`` when the UI serves another data folder than the
    command line would use by default."""
    if catalog.data_dir.resolve() == default_data_dir().resolve():
        return "cheel"
    return f"cheel --data-dir {shlex.quote(str(catalog.data_dir))}"


def short_key(key: str) -> str:
    return key if len(key) <= 24 else f"{key[:12]}…{key[-8:]}"


def encryption_view(plan: Plan) -> dict:
    """How the plan's backups are encrypted, without any secret: a passphrase's file is
    named (never read here); a command's words are not shown (they might hold one)."""
    encryption = plan.encryption
    if encryption.passphrase is not None:
        return {"kind": "passphrase", "file": encryption.passphrase.file,
                "command": bool(encryption.passphrase.command)}
    if encryption.recipients:
        return {"kind": "recipients", "keys": [short_key(k) for k in encryption.recipients],
                "identity_file": encryption.identity_file}
    return {"kind": "none"}


def schedule_view(plan: Plan) -> dict:
    """The schedule said in words where it has a common form, else as systemd reads it."""
    schedule = plan.schedule.strip()
    at = DAILY_AT.match(schedule)
    if schedule in SCHEDULES:
        return {"words": SCHEDULES[schedule], "params": {}}
    if at and int(at[1]) < 24 and int(at[2]) < 60:
        return {"words": N_("chaque jour à %(time)s"),
                "params": {"time": f"{int(at[1]):02d}:{at[2]}"}}
    return {"words": None, "expression": schedule}


def webhook_place(url: str) -> str:
    """Where a webhook posts, without its path or query (a token may hide there)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def dated(text: Text | str | None, lang: str) -> Text | str | None:
    """A sentence whose ``when`` is an ISO time, with that time as the page writes dates."""
    if not isinstance(text, Text) or not isinstance(text.params.get("when"), str):
        return text
    try:
        when = fmt_datetime(text.params["when"], lang)
    except ValueError:
        return text
    return Text(text.template, {**text.params, "when": when})


def report_view(report: RunReport) -> dict:
    """A run's report as the pages show it: counts, then each organization (failed ones
    first), its error as the core said it (the page translates it)."""
    order = {FAILED: 0, SKIPPED: 1, OK: 2}
    outcomes = [{"organization": o.organization, "status": o.status, "size": o.size,
                 "seconds": o.seconds, "verified": o.verified, "pruned": len(o.pruned),
                 "drilled": o.drilled, "file": o.file,
                 "error": o.error_said.text() if o.error_said else o.error}
                for o in sorted(report.outcomes, key=lambda o: (order.get(o.status, 3),
                                                                o.organization.casefold()))]
    counts = {status: sum(o["status"] == status for o in outcomes)
              for status in (OK, FAILED, SKIPPED)}
    return {"plan": report.plan, "started_at": report.started_at,
            "finished_at": report.finished_at, "seconds": report.seconds, "ok": report.ok,
            "outcomes": outcomes, "counts": counts, "stale": list(report.stale),
            "drills": report.drills, "notify_problems": notify_problems(report)}


def notify_problems(report: RunReport) -> list[Text | str]:
    """The notifications' problems as the core said them (the page translates them); an
    older report's, in English."""
    if len(report.notify_problems_said) == len(report.notify_problems):
        return [s.text() for s in report.notify_problems_said]
    return list(report.notify_problems)


def plan_view(catalog: Catalog, plan: Plan, now: datetime) -> dict:
    reports = last_reports(catalog, plan.name)
    notify = plan.notify
    return {
        "name": plan.name, "organizations": list(plan.organizations), "pattern": plan.pattern,
        "groups": list(plan.groups), "destination": plan.destination,
        "encryption": encryption_view(plan),
        "keep": [(label, getattr(plan.keep, key)) for key, label in KEEP_LABELS
                 if getattr(plan.keep, key)],
        "schedule": schedule_view(plan), "next_run": next_run(plan, now),
        "stale_after_hours": plan.stale_after_hours, "drill_every_days": plan.drill_every_days,
        "emails": list(notify.email.to) if notify.email else [],
        # an address read from a secret is never shown, not even its host
        "webhook": (webhook_place(notify.webhook.url) if notify.webhook.url else "•••")
        if notify.webhook else None,
        "notify_success": notify.on_success,
        "last": report_view(reports[0]) if reports else None}


def overview(catalog: Catalog, now: datetime, lang: str) -> dict:
    """Every plan and the fleet's status, or the error that keeps them from being read."""
    try:
        plans = [plan_view(catalog, plan, now) for plan in list_plans(catalog)]
        fleet = fleet_status(catalog, None, now)
    except CheelError as e:
        return {"plans": [], "fleet": [], "error": error_view(e)}
    rows = [{"state": o.state, "organization": o.organization, "plan": o.plan,
             "newest": o.newest, "newest_verified": o.newest_verified,
             "newest_drilled": o.newest_drilled, "reason": dated(o.reason_said, lang)}
            for o in fleet.organizations]
    return {"plans": plans, "fleet": rows, "error": None,
            "fleet_ok": fleet.ok, "unplanned": sum(r["state"] == UNPLANNED for r in rows)}


def running_runs(request: Request) -> dict[str, str]:
    """The plans this UI is running now: plan name → its job's id."""
    return {job.meta["plan"]: job.id for job in request.app.state.jobs.running()
            if job.kind == "plan"}


async def plans_page(request: Request) -> Response:
    catalog: Catalog = request.app.state.catalog
    lang = lang_of(request)
    view = await run_in_threadpool(overview, catalog, datetime.now().astimezone(), lang)
    return render(request, "plans.html", **view, running=running_runs(request),
                  cli=cli_prefix(catalog))


def plan_work(catalog: Catalog, plan: Plan, total: int):
    """The job's work: the plan run once, each organization's end counted as progress."""
    def work(progress: Progress) -> dict:
        ended = 0
        progress(0, total, ORGANIZATIONS)

        def told(_outcome) -> None:
            nonlocal ended
            ended += 1
            try:
                progress(ended, total, ORGANIZATIONS)
            except Interrupted:  # a run is not cancelled halfway (the page offers no button)
                pass

        return report_view(run_plan(catalog, RunOptions(plan), told))
    return work


async def run_now(request: Request) -> Response:
    """Lancer maintenant: the plan run as a job (or the job already running it)."""
    catalog: Catalog = request.app.state.catalog
    form = await checked_form(request)
    name = str(form.get("plan", ""))
    running = running_runs(request)
    if name in running:
        return redirect(f"/jobs/{running[name]}")
    def chosen() -> tuple[Plan, int]:
        plan = load_plan(catalog, name)
        return plan, len(select_organizations(catalog, plan))

    try:
        plan, total = await run_in_threadpool(chosen)
    except CheelError as e:
        view = await run_in_threadpool(overview, catalog, datetime.now().astimezone(),
                                       lang_of(request))
        view["error"] = error_view(e)
        return render(request, "plans.html", **view, running=running,
                      cli=cli_prefix(catalog))
    job = request.app.state.jobs.start("plan", plan_work(catalog, plan, total),
                                       meta={"plan": plan.name, "organizations": total})
    return redirect(f"/jobs/{job.id}")
