"""The restore wizard of the web UI: target → file → password → groups → conflicts → summary.

Its state is a :class:`wizard_state.RestoreWizard`; the file is read (``inspect_backup``) and
the restore planned (``plan_restore``) as the steps go, and Terminer runs it as a job. The
file is a path or an address (s3://, sftp://), read where it is, streaming, as ``cheel
restore`` reads it; the password step asks for its password, or for the identity file of a
private key when it is encrypted for public keys (``unlocking``).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..errors import AlreadyExists, CheelError, said
from ..restore import SKIP, plan_restore, run_restore
from ..store.catalog import Catalog, check_name
from ..store.engines import POSTGRES, SQLITE
from ..verify import verify_backup
from .i18n import N_, error_view, message
from .jobs import CANCELLED, DONE, RUNNING
from .paths import EXAMPLE_FILE, location
from .render import render
from .security import checked_form
from .unlocking import IDENTITY, PASSWORD, NotOpened, lock_of, open_with
from .wizard_state import (ACTIONS, DECISIONS, DEFAULT_DECISION, RESTORE_STEPS, RestoreWizard,
                           expired, redirect, step_list, step_route)

CHECK_WAIT = 1.0  # seconds a request waits for a file's check (most files take less)


async def start(request: Request) -> Response:
    """A new wizard, into the organization ``?into=`` names (else the first one)."""
    catalog: Catalog = request.app.state.catalog
    names = [e.name for e in catalog.list()]
    wiz = RestoreWizard()
    into = request.query_params.get("into")
    if into in names:
        wiz.into = into
    elif names:
        wiz.into = names[0]
    if not names:
        wiz.mode = "new"
    request.app.state.wizards.add(wiz)
    return redirect(f"/restore/{wiz.id}/target")


async def open_step(request: Request, wiz: RestoreWizard, step: str) -> Response:
    """A step's page; a step that cannot be shown yet leads back to the first one that needs
    an answer, and a step with nothing to ask (no password, no conflict) leads on."""
    need_file = step in ("password", "groups", "conflicts", "summary") and not wiz.file
    need_manifest = step in ("groups", "conflicts", "summary") and wiz.manifest is None
    if need_file:
        return redirect(f"/restore/{wiz.id}/file")
    if need_manifest:
        return redirect(f"/restore/{wiz.id}/{'password' if wiz.encrypted else 'file'}")
    if step in ("groups", "conflicts", "summary") and not wiz.checked:
        return redirect(f"/restore/{wiz.id}/check" if wiz.check_job else
                        f"/restore/{wiz.id}/{'password' if wiz.encrypted else 'file'}")
    if step == "password" and not wiz.encrypted:
        return redirect(f"/restore/{wiz.id}/{'groups' if wiz.manifest else 'file'}")
    if step == "conflicts" and not wiz.conflicts:
        return redirect(f"/restore/{wiz.id}/{'summary' if wiz.groups else 'groups'}")
    return await show_step(request, wiz, step)


async def show_step(request: Request, wiz: RestoreWizard, step: str,
                    error: dict | None = None, status: int = 200) -> Response:
    """The page of ``step``, with ``error`` shown on it (the summary step plans the restore
    to show what it will do, or the reason it cannot run)."""
    catalog: Catalog = request.app.state.catalog
    ctx: dict = {"wiz": wiz, "step": step, "error": error,
                 "steps": step_list(wiz.steps(), step, wiz.skipped_steps()),
                 "first": step == "target", "last": step == "summary",
                 "action": f"/restore/{wiz.id}/{step}", "actions": ACTIONS,
                 "decisions": DECISIONS, "default_decision": DEFAULT_DECISION}
    if step == "target":
        ctx["orgs"] = [e.name for e in catalog.list()]
    elif step == "groups":
        keys = wiz.all_keys()
        ctx["selected"] = keys if wiz.groups is None else wiz.groups
    elif step == "summary" and error is None:
        try:
            _, plans = await run_in_threadpool(
                plan_restore, catalog, wiz.options(), wiz.unlocker)
        except CheelError as e:
            ctx["error"] = error_view(e)
            ctx["blocked"] = True
        else:
            ctx["plans"] = plans
            if not any(g.restored for g in plans):
                ctx["error"] = message(N_("Tous les groupes de sociétés sont ignorés : rien ne "
                                          "serait restauré. Revenez en arrière pour en choisir "
                                          "au moins un à restaurer."))
                ctx["blocked"] = True
    elif step == "summary":
        ctx["blocked"] = True
    return render(request, f"restore_{step}.html", status=status, **ctx)


async def answer_step(request: Request, wiz: RestoreWizard, step: str) -> Response:
    """Keep a step's answers and go where ``nav`` says, or show the step again with why not."""
    catalog: Catalog = request.app.state.catalog
    form = await checked_form(request)
    nav = form.get("nav", "next")
    base = f"/restore/{wiz.id}"

    async def fail(err: dict) -> Response:
        return await show_step(request, wiz, step, err)

    def after_file() -> str:
        return f"{base}/password" if wiz.encrypted else f"{base}/groups"

    if step == "target":
        old = (wiz.mode, wiz.into, wiz.new_name)
        wiz.mode = "new" if form.get("mode") == "new" else "existing"
        wiz.into = str(form.get("into", wiz.into))
        wiz.new_name = str(form.get("new_name", "")).strip()
        wiz.engine = POSTGRES if form.get("engine") == POSTGRES else SQLITE
        wiz.pg_url = str(form.get("pg_url", "")).strip()
        if (wiz.mode, wiz.into, wiz.new_name) != old:
            wiz.conflicts, wiz.decisions = [], {}
        if nav != "next":
            return redirect(f"{base}/target")
        try:
            if wiz.mode == "existing":
                if not wiz.into:
                    return await fail(message(N_("Veuillez choisir une organisation.")))
                catalog.find(wiz.into)
            else:
                wiz.new_name = check_name(wiz.new_name)
                if catalog.exists(wiz.new_name):
                    raise AlreadyExists(
                        said('an organization named "{name}" already exists', name=wiz.new_name),
                        hint=said("choose another name, or restore into that organization"))
                if wiz.engine == POSTGRES and not wiz.pg_url:
                    return await fail(message(
                        N_("Veuillez indiquer l'adresse du serveur PostgreSQL.")))
        except CheelError as e:
            return await fail(error_view(e))
        return redirect(f"{base}/file")

    if step == "file":
        typed = str(form.get("file", "")).strip()
        place = location(typed)  # an address as given, a path made absolute
        path = place if place is not None else typed
        if path != wiz.file:
            wiz.file, wiz.lock, wiz.unlocker, wiz.info = path, "", None, None
            wiz.groups, wiz.conflicts, wiz.decisions = None, [], {}
            wiz.check_job, wiz.checked = None, False
        if nav == "back":
            return redirect(f"{base}/target")
        if not wiz.file:
            return await fail(message(N_("Veuillez choisir le fichier de sauvegarde.")))
        if place is None:
            return await fail(message(N_("Veuillez indiquer un chemin complet, par exemple "
                                         "%(example)s."), example=EXAMPLE_FILE))
        if wiz.manifest is not None:
            return redirect(after_file()) if wiz.encrypted or wiz.checked else \
                await start_check(request, wiz)
        try:
            wiz.lock, wiz.info = await lock_of(wiz.file)
        except CheelError as e:
            return await fail(error_view(e))
        return redirect(after_file()) if wiz.encrypted else await start_check(request, wiz)

    if step == "password":
        if nav == "back":
            return redirect(f"{base}/file")
        if not wiz.encrypted:
            return redirect(f"{base}/groups")
        typed = str(form.get(wiz.lock, ""))  # the field is named as what opens the file
        # an empty password, or the same identity file, keeps what was already checked
        kept = not typed if wiz.lock == PASSWORD else typed.strip() == wiz.identity
        if wiz.lock == IDENTITY:
            wiz.identity = typed.strip()
        if kept and wiz.manifest is not None:
            return redirect(f"{base}/groups") if wiz.checked else \
                await start_check(request, wiz)
        try:
            unlocker, info = await open_with(wiz.file, wiz.lock, form)
        except NotOpened as e:
            if e.tried:
                wiz.info, wiz.unlocker = None, None
            return await fail(e.view)
        if wiz.manifest is None or info.manifest.created_at != wiz.manifest.created_at:
            wiz.groups, wiz.conflicts, wiz.decisions = None, [], {}
        wiz.info, wiz.unlocker = info, unlocker
        return await start_check(request, wiz)

    if step == "groups":
        if form.get("groups_present"):
            chosen = set(form.getlist("group"))
            wiz.groups = [k for k in wiz.all_keys() if k in chosen]
        if nav == "back":
            return redirect(f"{base}/password" if wiz.encrypted else f"{base}/file")
        if not wiz.groups and wiz.groups is not None:
            return await fail(message(
                N_("Veuillez sélectionner au moins un groupe de sociétés.")))
        if wiz.groups is None:
            wiz.groups = wiz.all_keys()
        if wiz.mode == "new":  # a new organization holds nothing to conflict with
            wiz.conflicts, wiz.decisions = [], {}
            return redirect(f"{base}/summary")
        # the groups that already exist in the target come back as "skip" under this policy
        try:
            _, plans = await run_in_threadpool(
                plan_restore, catalog, wiz.options(SKIP, {}), wiz.unlocker)
        except CheelError as e:
            return await fail(error_view(e))
        wiz.conflicts = [{"uid": g.uid, "name": g.name, "source_org": g.source_org,
                          "existing": g.target_name,
                          "companies": [c.name for c in g.companies]}
                         for g in plans if g.action == SKIP]
        wiz.decisions = {c["uid"]: wiz.decisions.get(c["uid"], DEFAULT_DECISION)
                         for c in wiz.conflicts}
        return redirect(f"{base}/conflicts" if wiz.conflicts else f"{base}/summary")

    if step == "conflicts":
        for c in wiz.conflicts:
            choice = form.get(f"decision-{c['uid']}")
            if choice in DECISIONS:
                wiz.decisions[c["uid"]] = str(choice)
        if nav == "back":
            return redirect(f"{base}/groups")
        return redirect(f"{base}/summary")

    # summary
    if nav == "back":
        return redirect(f"{base}/conflicts" if wiz.conflicts else f"{base}/groups")
    if nav != "finish":
        return redirect(f"{base}/summary")
    try:
        options = wiz.options()
        _, plans = await run_in_threadpool(plan_restore, catalog, options, wiz.unlocker)
    except CheelError as e:
        return await fail(error_view(e))
    if not any(g.restored for g in plans):  # the summary says so and offers no Terminer
        return redirect(f"{base}/summary")
    unlocker = wiz.unlocker
    # run_restore plans again (the summary just did) and its errors show on the job's page
    job = request.app.state.jobs.start(
        "restore", lambda progress: run_restore(catalog, options, unlocker, progress),
        meta={"wizard": wiz.id, "target": wiz.target, "created": wiz.mode == "new",
              "file": wiz.file, "skipped": sorted(wiz.skipped_steps())})
    wiz.job = job.id
    return redirect(f"/jobs/{job.id}")


async def start_check(request: Request, wiz: RestoreWizard) -> Response:
    """Read the whole file through every rule of a sound file (as verify does) before the
    groups are shown; a small file is done before the page answers."""
    unlocker = wiz.unlocker
    job = request.app.state.jobs.start(
        "verify", lambda progress: verify_backup(wiz.file, unlocker, progress),
        meta={"file": wiz.file, "wizard": wiz.id})
    wiz.check_job, wiz.checked = job.id, False
    job.wait(CHECK_WAIT)
    return await check_page(request, wiz)


async def check_page(request: Request, wiz: RestoreWizard | None = None) -> Response:
    """``/restore/{wid}/check``: the file's check as it runs (GET), cancelled (POST); once
    done, the groups step, or the file step saying why the file cannot be restored."""
    if wiz is None:
        wiz = request.app.state.wizards.get(request.path_params["wid"], RestoreWizard)
        if wiz is None:
            return expired(request)
    base = f"/restore/{wiz.id}"
    if wiz.job:
        return redirect(f"/jobs/{wiz.job}")
    job = request.app.state.jobs.get(wiz.check_job) if wiz.check_job else None
    if job is None:
        return redirect(f"{base}/{'password' if wiz.encrypted else 'file'}")
    if request.method == "POST" and request.url.path.endswith("/check"):
        await checked_form(request)
        job.cancel()
        job.wait(CHECK_WAIT)
    state = job.as_dict()
    if state["status"] == DONE:
        wiz.checked = True
        return redirect(f"{base}/groups")
    if state["status"] == RUNNING:
        step = "password" if wiz.encrypted else "file"
        return render(request, "restore_check.html", wiz=wiz, step=step, state=state,
                      job=job, steps=step_list(wiz.steps(), step, wiz.skipped_steps()))
    wiz.check_job = None
    if state["status"] == CANCELLED:
        error = message(N_("La vérification du fichier a été annulée."))
    else:
        wiz.info, wiz.unlocker = None, None  # a file that cannot be restored goes no further
        error = error_view(job.error) if job.error else message(N_("L'opération a échoué."))
    return await show_step(request, wiz, "file", error)


step_page = step_route(RestoreWizard, RESTORE_STEPS, answer_step, open_step)
