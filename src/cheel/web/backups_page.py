"""The backups kept in a destination (a folder, s3://, sftp://), as ``cheel backups list``
shows them: date, organization, groups, size, encryption, last verification."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..backups.listing import list_backups
from ..destinations import is_url
from ..errors import CheelError
from .i18n import N_, error_view, message
from .paths import EXAMPLE_FOLDER, absolute_path
from .render import render


async def backups_page(request: Request) -> Response:
    """GET ``?dest=``: the form, and the list of that destination's backups."""
    dest = request.query_params.get("dest", "").strip()
    backups, error = None, None
    if dest:
        if not is_url(dest):
            path = absolute_path(dest)
            if path is None:
                error = message(N_("Veuillez indiquer le chemin complet du dossier, par "
                                   "exemple %(example)s."), example=EXAMPLE_FOLDER)
            else:
                dest = str(path)
        if error is None:
            try:
                found = await run_in_threadpool(list_backups, dest)
            except CheelError as e:
                error = error_view(e)
            else:
                backups = [b.as_dict() | {"name": b.name} for b in reversed(found)]
    return render(request, "backups.html", dest=dest, backups=backups, error=error)
