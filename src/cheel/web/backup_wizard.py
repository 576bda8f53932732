"""The backup wizard of the web UI: organizations → company groups → settings → end.

Its state is a :class:`wizard_state.BackupWizard`; each step's answers are checked by the
core (``plan_backup``) before the next step shows, and Terminer runs the backup as a job.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..backup import create_destination, plan_backup, run_backup
from ..destinations import is_url, open_destination
from ..errors import CheelError
from ..store.catalog import Catalog
from ..store.names import find_by_name, name_key
from .data import org_summaries, org_summary
from .i18n import N_, error_view, message
from .paths import EXAMPLE_FOLDER, absolute_path
from .render import render
from .security import checked_form
from .wizard_state import BACKUP_STEPS, BackupWizard, redirect, step_list, step_route


async def start(request: Request) -> Response:
    """A new wizard, started from the organization ``?org=`` names (if any)."""
    catalog: Catalog = request.app.state.catalog
    names = [e.name for e in catalog.list()]
    org = find_by_name(names, request.query_params.get("org"))
    wiz = BackupWizard(orgs=[org] if org else [])
    wiz.dest = request.app.state.last_dest or str(Path.home())  # absolute, as typed ones
    request.app.state.wizards.add(wiz)
    return redirect(f"/backup/{wiz.id}/organizations")


async def open_step(request: Request, wiz: BackupWizard, step: str) -> Response:
    """A step's page; the group step of several organizations leads on to the settings."""
    if step == "groups" and len(wiz.orgs) != 1:
        return redirect(f"/backup/{wiz.id}/settings")
    return await show_step(request, wiz, step)


async def show_step(request: Request, wiz: BackupWizard, step: str, error: dict | None = None,
                    status: int = 200, create_folder: bool = False,
                    notice: dict | None = None) -> Response:
    """The page of ``step``, with ``error`` shown on it (the end step plans the backup to
    show its summary, or the reason it cannot run); ``create_folder``: the settings step
    asks whether to create the destination folder, which does not exist."""
    catalog: Catalog = request.app.state.catalog
    ctx: dict = {"wiz": wiz, "step": step, "error": error, "create_folder": create_folder,
                 "notice": notice,
                 "steps": step_list(BACKUP_STEPS, step, wiz.skipped_steps()),
                 "first": step == "organizations", "last": step == "end",
                 "action": f"/backup/{wiz.id}/{step}"}
    if step == "organizations":
        ctx["orgs"] = await run_in_threadpool(org_summaries, catalog)
    elif step == "groups":
        try:
            entry = catalog.find(wiz.orgs[0])
        except CheelError as e:
            return await show_step(request, wiz, "organizations", error_view(e))
        org = await run_in_threadpool(org_summary, catalog, entry)
        ctx["org"] = org
        ctx["selected"] = wiz.selected_groups([g["uid"] for g in org["groups"]])
    elif step == "end" and error is None:
        try:
            plan = await run_in_threadpool(plan_backup, catalog, wiz.options(),
                                           wiz.now or datetime.now())
        except CheelError as e:
            ctx["error"] = error_view(e)
            ctx["blocked"] = True
        else:
            ctx["summary"] = plan.summary
            ctx["selections"] = [{"org": s.entry.name, "groups": s.groups}
                                 for s in plan.selections]
    elif step == "end":
        ctx["blocked"] = True
    return render(request, f"backup_{step}.html", status=status, **ctx)


async def answer_step(request: Request, wiz: BackupWizard, step: str) -> Response:
    """Keep a step's answers and go where ``nav`` says, or show the step again with why not."""
    catalog: Catalog = request.app.state.catalog
    form = await checked_form(request)
    nav = form.get("nav", "next")
    base = f"/backup/{wiz.id}"

    async def fail(err: dict) -> Response:
        return await show_step(request, wiz, step, err)

    if step == "organizations":
        known = [e.name for e in catalog.list()]
        chosen = {name_key(str(n)) for n in form.getlist("org")}
        wiz.orgs = [n for n in known if name_key(n) in chosen]
        if nav != "next":
            return redirect(f"{base}/organizations")
        if not wiz.orgs:
            return await fail(message(N_("Veuillez sélectionner au moins une organisation.")))
        return redirect(f"{base}/groups" if len(wiz.orgs) == 1 else f"{base}/settings")

    if step == "groups":
        if len(wiz.orgs) == 1 and form.get("groups_present"):
            wiz.groups[wiz.orgs[0]] = list(form.getlist("group"))
        if nav == "back":
            return redirect(f"{base}/organizations")
        if len(wiz.orgs) == 1 and wiz.groups.get(wiz.orgs[0]) == []:
            return await fail(message(
                N_("Veuillez sélectionner au moins un groupe de sociétés.")))
        return redirect(f"{base}/settings")

    if step == "settings":
        typed_dest = str(form.get("dest", "")).strip()
        remote = is_url(typed_dest)  # s3:// or sftp://: no folder to resolve or create
        dest = None if remote else absolute_path(typed_dest)
        wiz.dest = str(dest) if dest is not None else typed_dest
        # A password is never written back into a page: empty fields keep the one given.
        password, confirm = str(form.get("password", "")), str(form.get("confirm", ""))
        if form.get("no_password"):
            wiz.password = wiz.confirm = ""
        elif password or confirm:
            wiz.password, wiz.confirm = password, confirm
        if nav == "back":
            return redirect(f"{base}/groups" if len(wiz.orgs) == 1 else f"{base}/organizations")
        if not typed_dest:
            return await fail(message(N_("Veuillez choisir le dossier de destination.")))
        if nav == "test":  # "Tester la destination": can a file be written there?
            try:
                await run_in_threadpool(lambda: open_destination(
                    typed_dest if remote else dest or typed_dest).check())
            except CheelError as e:
                return await fail(error_view(e))
            return await show_step(request, wiz, step, notice=message(
                N_("La destination est utilisable : un fichier a pu y être écrit puis "
                   "effacé.")))
        if dest is None and not remote:
            return await fail(message(N_("Veuillez indiquer le chemin complet du dossier, par "
                                         "exemple %(example)s."), example=EXAMPLE_FOLDER))
        if wiz.password != wiz.confirm:
            wiz.password = wiz.confirm = ""
            return await fail(message(N_("Les deux mots de passe ne sont pas identiques.")))
        if dest is not None and not dest.exists():
            if form.get("create_dest") != "1":
                return await show_step(request, wiz, step, create_folder=True)
            try:
                await run_in_threadpool(create_destination, dest)
            except CheelError as e:
                return await fail(error_view(e))
        wiz.now = datetime.now()
        try:
            await run_in_threadpool(plan_backup, catalog, wiz.options(), wiz.now)
        except CheelError as e:
            return await fail(error_view(e))
        request.app.state.last_dest = wiz.dest
        return redirect(f"{base}/end")

    # end
    if nav == "back":
        return redirect(f"{base}/settings")
    if nav != "finish":
        return redirect(f"{base}/end")
    if wiz.password != wiz.confirm:
        return await show_step(request, wiz, "settings", message(
            N_("Les deux mots de passe ne sont pas identiques.")))
    if wiz.starting:
        return redirect(f"{base}/end")
    wiz.starting = True
    try:
        plan = await run_in_threadpool(plan_backup, catalog, wiz.options(),
                                       wiz.now or datetime.now())
    except CheelError as e:
        return await fail(error_view(e))
    finally:
        wiz.starting = False
    job = request.app.state.jobs.start(
        "backup", lambda progress: run_backup(catalog, plan, progress),
        meta={"wizard": wiz.id, "summary": plan.summary,
              "skipped": sorted(wiz.skipped_steps())})
    wiz.job = job.id
    wiz.password = wiz.confirm = ""  # the plan holds it for the job; the wizard forgets it
    return redirect(f"/jobs/{job.id}")


step_page = step_route(BackupWizard, BACKUP_STEPS, answer_step, open_step)
