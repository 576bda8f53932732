"""A backup's page: what it holds (organizations, groups, companies, each company's fiscal
years) and a download of each export of it (issue 20): a year's journal, general ledger and
chart of accounts with balances, the whole journal, the group's contacts; CSV or xlsx.

Reached from the list of a destination's backups and from a verification's result. An
encrypted file asks its password or private key first (as the verify page does); the page
then keeps, for this run only, the file and what opens it (its file key, never the
password) under a random id that its download links carry. A download is the core's
``run_export`` into a private temporary folder, sent, then removed.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..archive.age import Unlocker
from ..errors import CheelError
from ..export import (ACCOUNTS, FORMATS, JOURNAL, LEDGER, CompanyContents, ExportOptions,
                      backup_contents, run_export)
from .i18n import N_, error_view, message
from .paths import EXAMPLE_FILE, location
from .render import render
from .security import checked_form
from .unlocking import NotOpened, lock_of, open_with
from .wizard_state import expired

WHAT_LABELS = {JOURNAL: N_("Journal"), LEDGER: N_("Grand livre"),
               ACCOUNTS: N_("Plan comptable et soldes")}
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class BackupView:
    """A backup opened on this page: the file, what opens it, what it holds."""

    file: str
    lock: str
    unlocker: Unlocker
    companies: list[CompanyContents]
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))


async def backup_page(request: Request) -> Response:
    """GET ``?file=``: the page (or the password or key it needs first); POST: that
    password or key."""
    if request.method == "POST":
        form = await checked_form(request)
        typed = str(form.get("file", "")).strip()
    else:
        form, typed = {}, request.query_params.get("file", "").strip()
    file = location(typed) if typed else None
    context = {"file": file or typed, "lock": "", "error": None, "view": None,
               "identity": str(form.get("identity", "")).strip()}
    if not typed:
        context["error"] = message(N_("Veuillez choisir le fichier de sauvegarde."))
    elif file is None:
        context["error"] = message(N_("Veuillez indiquer un chemin complet, par exemple "
                                      "%(example)s."), example=EXAMPLE_FILE)
    else:
        try:
            context["lock"], _ = await lock_of(file)
            if request.method == "POST" or not context["lock"]:
                unlocker, _ = await open_with(file, context["lock"], form)
                companies = await run_in_threadpool(backup_contents, file, unlocker)
                context["view"] = request.app.state.wizards.add(
                    BackupView(file, context["lock"], unlocker, companies))
        except NotOpened as e:
            context["error"] = e.view
        except CheelError as e:
            context["error"] = error_view(e)
    return render(request, "backup.html", labels=WHAT_LABELS, formats=FORMATS,
                  **context)


async def export_download(request: Request) -> Response:
    """GET ``/backups/view/{vid}/export?company=UID&what=…&format=…[&year=NAME]``: the
    file."""
    view = request.app.state.wizards.get(request.path_params["vid"], BackupView)
    if view is None:
        return expired(request)
    q = request.query_params
    folder = Path(tempfile.mkdtemp(prefix="cheel-download-"))
    try:
        options = ExportOptions(view.file, q.get("company", ""), q.get("what", JOURNAL),
                                q.get("format", "csv"), q.get("year") or None, str(folder))
        result = await run_in_threadpool(run_export, options, view.unlocker)
    except CheelError as e:
        shutil.rmtree(folder, ignore_errors=True)
        return render(request, "backup.html", labels=WHAT_LABELS,
                      formats=FORMATS, file=view.file, lock=view.lock, view=view,
                      identity="", error=error_view(e))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    path = Path(result.path)
    return FileResponse(path, filename=path.name, media_type=MEDIA[result.format],
                        background=BackgroundTask(shutil.rmtree, folder, True))
