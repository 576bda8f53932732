"""The backups kept in a destination (a folder, s3://, sftp://), as ``cheel backups list``
shows them: date, organization, groups, size, encryption, last verification; and their
pruning by rules, as ``cheel backups prune``: a preview first (each file with the rules
that keep it, or "supprimer"), then the confirmed pruning of exactly what it showed (the
core refuses, deleting nothing, if it would now delete anything else)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..backups.listing import list_backups
from ..backups.prune import PruneOptions, PruneReport, prune
from ..backups.retention import KeepRules
from ..errors import CheelError, PreviewOutdated
from .i18n import N_, error_view, message
from .paths import EXAMPLE_FOLDER, location
from .render import render
from .security import checked_form

# the rules of the form, in the order of KeepRules, and what the form suggests at first
RULES = ("last", "daily", "weekly", "monthly", "yearly")
SUGGESTED = {"last": 0, "daily": 7, "weekly": 4, "monthly": 12, "yearly": 0}
MAX_RULE = 100_000
PREVIEW, PRUNE = "preview", "prune"


def rules_of(form) -> tuple[dict[str, str], KeepRules | None, dict | None]:
    """The rules as typed (to show them again), as the core's ``KeepRules`` (None when
    they cannot be), and what is wrong with them."""
    typed = {r: str(form.get(f"keep_{r}", "")).strip() for r in RULES}
    try:
        values = [int(typed[r] or 0) for r in RULES]
    except ValueError:
        values = [-1]
    if any(not 0 <= v <= MAX_RULE for v in values):
        return typed, None, message(N_("Veuillez indiquer pour chaque règle un nombre entier, "
                                       "0 ou plus."))
    if not any(values):
        return typed, None, message(N_("Veuillez indiquer au moins une règle supérieure à "
                                       "0 : sans règle, seules les sauvegardes gardées par la "
                                       "loi ou par prudence resteraient."))
    return typed, KeepRules(*values), None


def decision_rows(report: PruneReport) -> list[dict]:
    """Each backup, newest first, with the reasons that keep it (none: it goes)."""
    return [d.backup.as_dict() | {"name": d.backup.name, "reasons": d.reasons,
                                  "keep": d.keep}
            for d in reversed(report.decisions)]


async def backups_page(request: Request) -> Response:
    """GET ``?dest=``: the list of that destination's backups; POST: the pruning form's
    preview, or its confirmation."""
    form = await checked_form(request) if request.method == "POST" else request.query_params
    dest = str(form.get("dest", "")).strip()
    action = form.get("action") if request.method == "POST" else None
    ctx: dict = {"backups": None, "decisions": None, "pruned": None, "action": action,
                 "rules": {r: str(SUGGESTED[r]) for r in RULES}}
    place = location(dest) if dest else None
    if dest and place is None:
        ctx["error"] = message(N_("Veuillez indiquer le chemin complet du dossier, par "
                                  "exemple %(example)s."), example=EXAMPLE_FOLDER)
    elif dest and action in (PREVIEW, PRUNE):
        dest = place
        ctx["rules"], rules, ctx["error"] = rules_of(form)
        if rules is not None:
            await prune_step(ctx, PruneOptions(
                dest, rules, dry_run=action == PREVIEW,
                expected=form.getlist("delete") if action == PRUNE else None))
    elif dest:
        dest = place
        try:
            found = await run_in_threadpool(list_backups, dest)
        except CheelError as e:
            ctx["error"] = error_view(e)
        else:
            ctx["backups"] = [b.as_dict() | {"name": b.name} for b in reversed(found)]
    return render(request, "backups.html", dest=dest, **ctx)


async def prune_step(ctx: dict, options: PruneOptions) -> None:
    """Preview or prune into ``ctx``; a confirmation the core refused as outdated shows
    the new preview under its message."""
    try:
        report = await run_in_threadpool(prune, options)
    except PreviewOutdated as e:
        ctx["error"], ctx["action"] = error_view(e), PREVIEW
        options.dry_run, options.expected = True, None
        await prune_step(ctx, options)
        return
    except CheelError as e:
        ctx["error"] = error_view(e)
        return
    ctx["decisions"] = decision_rows(report)
    ctx["doomed"] = [d["name"] for d in ctx["decisions"] if not d["keep"]]
    if not report.dry_run:
        ctx["pruned"] = {"count": len(report.deleted), "freed": report.freed}
