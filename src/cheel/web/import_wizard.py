"""The WinBIZ import wizard of the web UI (*Fichier → Nouveau → Nouvelle société avec import
de données*): source → what was found (fiscal years) → organization and group → summary →
progress → report.

Its state is a :class:`wizard_state.ImportWizard`; the source is read (``inspect_source``)
as soon as it is chosen, and Terminer runs the import as a job.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..errors import AlreadyExists, CheelError, UsageError, said
from ..store import organizations
from ..store.catalog import Catalog
from ..store.names import find_by_name, name_problem, normalized
from ..winbiz import inspect_source, run_import
from .data import groups_of
from .i18n import N_, error_view, message
from .paths import EXAMPLE_FOLDER, absolute_path
from .render import render
from .security import checked_form
from .wizard_state import IMPORT_STEPS, ImportWizard, redirect, step_list, step_route


async def start(request: Request) -> Response:
    """A new wizard, into the organization ``?into=`` names (else the first one)."""
    catalog: Catalog = request.app.state.catalog
    names = [e.name for e in catalog.list()]
    wiz = ImportWizard()
    wiz.into = find_by_name(names, request.query_params.get("into")) or \
        (names[0] if names else "")
    request.app.state.wizards.add(wiz)
    return redirect(f"/import/{wiz.id}/source")


async def open_step(request: Request, wiz: ImportWizard, step: str) -> Response:
    """A step's page; a step that cannot be shown yet leads to the source step."""
    if step != "source" and wiz.info is None:
        return redirect(f"/import/{wiz.id}/source")
    return await show_step(request, wiz, step)


async def show_step(request: Request, wiz: ImportWizard, step: str, error: dict | None = None
                    ) -> Response:
    catalog: Catalog = request.app.state.catalog
    orgs = [e.name for e in catalog.list()]
    ctx: dict = {"wiz": wiz, "step": step, "error": error,
                 "steps": step_list(IMPORT_STEPS, step, wiz.skipped_steps()),
                 "first": step == "source", "last": step == "summary",
                 "action": f"/import/{wiz.id}/{step}", "orgs": orgs}
    if step == "found":
        ctx["selected"] = wiz.chosen_years()
    elif step == "target":
        ctx["groups"] = await run_in_threadpool(groups_of, catalog, wiz.into) \
            if wiz.into else []
    elif step == "summary":
        if not orgs:
            ctx["blocked"] = True
        ctx["years"] = [y for y in wiz.info.years if y.name in wiz.chosen_years()]
        if wiz.share == "yes":
            ctx["group_label"] = next((g["name"] for g in await run_in_threadpool(
                groups_of, catalog, wiz.into) if g["uid"] == wiz.group), wiz.group)
    return render(request, f"import_{step}.html", **ctx)


async def answer_step(request: Request, wiz: ImportWizard, step: str) -> Response:
    """Keep a step's answers and go where ``nav`` says, or show the step again with why not."""
    catalog: Catalog = request.app.state.catalog
    form = await checked_form(request)
    nav = form.get("nav", "next")
    base = f"/import/{wiz.id}"

    async def fail(err: dict) -> Response:
        return await show_step(request, wiz, step, err)

    if step == "source":
        typed = str(form.get("source", "")).strip()
        full = absolute_path(typed)
        path = str(full) if full is not None else typed
        if path != wiz.source:
            wiz.source, wiz.info, wiz.years = path, None, None
        if nav != "next":
            return redirect(f"{base}/source")
        if not typed:
            return await fail(message(N_("Veuillez choisir le dossier ou le fichier WinBIZ.")))
        if full is None:
            return await fail(message(N_("Veuillez indiquer un chemin complet, par exemple "
                                         "%(example)s."), example=EXAMPLE_FOLDER))
        if wiz.info is None:
            try:
                wiz.info = await run_in_threadpool(inspect_source, path)
            except CheelError as e:
                return await fail(error_view(e))
            wiz.company = wiz.info.company or ""
            if not wiz.group_name_edited:
                wiz.group_name = wiz.company
        return redirect(f"{base}/found")

    if step == "found":
        if form.get("years_present"):
            chosen = set(form.getlist("year"))
            wiz.years = [y.name for y in wiz.info.years if y.name in chosen]
        if nav == "back":
            return redirect(f"{base}/source")
        if not wiz.chosen_years():
            return await fail(message(N_("Veuillez choisir au moins un exercice.")))
        return redirect(f"{base}/target")

    if step == "target":
        wiz.into = str(form.get("org", wiz.into))
        wiz.company = normalized(str(form.get("company", wiz.company)))
        wiz.share = "yes" if form.get("share") == "yes" else "no"
        wiz.group = str(form.get("group", ""))
        wiz.group_name = str(form.get("group_name", wiz.group_name)).strip()
        wiz.group_name_edited = str(form.get("group_name_edited", ""))
        if nav == "back":
            return redirect(f"{base}/found")
        try:
            entry = catalog.find(wiz.into)
        except CheelError as e:
            return await fail(error_view(e))
        wiz.into = entry.name
        problem = name_problem(wiz.company, "company")
        if problem is None and wiz.share != "yes":
            problem = name_problem(wiz.group_name or wiz.company, "group")
        if problem is not None:
            return await fail(error_view(UsageError(problem)))
        if wiz.share == "yes" and not wiz.group:
            return await fail(message(N_("Veuillez choisir le groupe de sociétés à rejoindre.")))
        try:
            await run_in_threadpool(_check, catalog, wiz)
        except CheelError as e:
            return await fail(error_view(e))
        return redirect(f"{base}/summary")

    # summary
    if nav == "back":
        return redirect(f"{base}/target")
    if nav != "finish" or wiz.starting:
        return redirect(f"{base}/summary")
    wiz.starting = True
    options = wiz.options()
    job = request.app.state.jobs.start(
        "import", lambda progress: run_import(catalog, options, progress),
        meta={"wizard": wiz.id, "target": wiz.into, "company": wiz.company})
    wiz.job = job.id
    return redirect(f"/jobs/{job.id}")


def _check(catalog: Catalog, wiz: ImportWizard) -> None:
    """The cheap checks before the summary: the company's name is free in the organization,
    the group exists. (The source's own checks run with the import, all or nothing.)"""
    with organizations.opened(catalog, wiz.into) as (_, db):
        groups = organizations.list_groups(db)
        taken = {normalized(c.name).casefold() for g in groups for c in g.companies}
        if wiz.company.casefold() in taken:
            raise AlreadyExists(said('a company named "{name}" already exists',
                                     name=wiz.company))
        if wiz.share == "yes":
            organizations.find_group(db, wiz.group)


step_page = step_route(ImportWizard, IMPORT_STEPS, answer_step, open_step)
