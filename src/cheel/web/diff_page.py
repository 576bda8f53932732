"""Comparing a backup with an organization from the web UI (issue 20), as ``cheel diff
FILE --against ORG`` does: from the list of a destination's backups ("Comparer avec
l'organisation": the file, the organization, and what opens the file if it is encrypted),
and from the restore wizard's conflicts step ("Voir les différences": the file's group
against the group of the target it would replace). Either runs the core's diff as a job;
its page shows the result (:class:`DiffView`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..diff import DiffOptions, DiffReport, diff
from ..diff.accounting import replacing
from ..diff.report import GroupDiff, is_money, value_text
from .i18n import N_, fmt_chf, message
from .render import render
from .security import checked_form
from .unlocking import NotOpened, open_with, typed_file
from .wizard_state import RestoreWizard, expired, redirect

TABLES = {"company_groups": N_("Groupe"), "currencies": N_("Monnaies"),
          "exchange_rates": N_("Cours de change"), "accounts": N_("Comptes"),
          "account_names": N_("Noms des comptes"), "vat_codes": N_("Codes TVA"),
          "contacts": N_("Contacts"), "addresses": N_("Adresses"),
          "communications": N_("Moyens de communication"), "articles": N_("Articles"),
          "article_names": N_("Noms des articles"), "companies": N_("Société"),
          "fiscal_years": N_("Exercices"), "journal_entries": N_("Écritures"),
          "entry_lines": N_("Lignes d'écriture"), "invoices": N_("Factures"),
          "invoice_lines": N_("Lignes de facture"), "payments": N_("Paiements"),
          "documents": N_("Documents")}
PARTS = {"entry_lines": N_("ligne"), "invoice_lines": N_("ligne"), "payments": N_("paiement"),
         "addresses": N_("adresse"), "communications": N_("communication"),
         "account_names": N_("nom"), "article_names": N_("nom"), "exchange_rates": N_("cours")}
KINDS = {"added": N_("Ajout"), "removed": N_("Suppression"), "changed": N_("Modification")}
FIELDS = {"name": N_("nom"), "first_name": N_("prénom"), "kind": N_("genre"),
          "language": N_("langue"), "created_by": N_("créé par"), "created_at": N_("créé le"),
          "firm_id": N_("entreprise"), "description": N_("libellé"), "date": N_("date"),
          "reference": N_("pièce"), "journal": N_("journal"), "number": N_("numéro"),
          "account_id": N_("compte"), "debit": N_("débit"), "credit": N_("crédit"),
          "vat_code_id": N_("code TVA"), "currency_id": N_("monnaie"),
          "amount_fc": N_("montant en monnaie étrangère"), "rate": N_("taux"),
          "text": N_("texte"), "code": N_("code"), "valid_from": N_("valable dès"),
          "valid_to": N_("valable jusqu'au"), "decimals": N_("décimales"),
          "active": N_("actif"), "unit": N_("unité"), "price": N_("prix"),
          "street": N_("rue"), "postcode": N_("NPA"), "city": N_("localité"),
          "country": N_("pays"), "value": N_("valeur"), "legal_form": N_("forme juridique"),
          "ide_number": N_("numéro IDE"), "vat_number": N_("numéro TVA"),
          "contact_id": N_("contact"), "start_date": N_("début"), "end_date": N_("fin"),
          "closed": N_("clôturé"), "due_date": N_("échéance"),
          "qr_reference": N_("référence QR"), "total": N_("total"), "status": N_("état"),
          "entry_id": N_("écriture"), "article_id": N_("article"), "quantity": N_("quantité"),
          "unit_price": N_("prix unitaire"), "amount": N_("montant"),
          "filename": N_("fichier"), "mime_type": N_("type"), "content": N_("contenu"),
          "company_id": N_("société"), "fiscal_year_id": N_("exercice"),
          "invoice_id": N_("facture"), "language_id": N_("langue")}


class DiffView:
    """A diff's result as its page shows it: the report, what replacing each group would
    lose (the wizard's view), and values in the page's language."""

    def __init__(self, report: DiffReport, wizard: bool = False):
        self.report = report
        since = str(report.before.get("created_at", ""))[:10]
        self.sentences = {g.uid: replacing(g, since) for g in report.groups} if wizard else {}
        self.tables, self.parts, self.kinds, self.fields = TABLES, PARTS, KINDS, FIELDS

    @staticmethod
    def value(table: str, name: str, value: object, lang: str) -> str:
        if isinstance(value, int) and is_money(table, name):
            return fmt_chf(value, lang)
        return value_text(table, name, value, lambda cents: fmt_chf(cents, lang))

    @staticmethod
    def years(group: GroupDiff, company) -> list[tuple[str, str, list]]:
        """A company's listed entry changes by fiscal year: (start, name, changes)."""
        entries = company.tables.get("journal_entries")
        found: dict[str, list] = {}
        for change in entries.changes if entries else []:
            found.setdefault(change.key["fiscal_year_id"][1], []).append(change)
        return [(start, company.fiscal_years.get(start, start), found[start])
                for start in sorted(found)]

    @staticmethod
    def amount(change) -> int:
        """An entry's amount: the sum of its lines' debits (those it gained or lost)."""
        return sum(p.values.get("debit") or 0 for p in change.parts.get("entry_lines", []))


def _start(request: Request, file: str, org: str, unlocker, groups: list[str],
           meta: dict, wizard: bool = False) -> Response:
    options = DiffOptions(file, against=org, groups=groups)
    job = request.app.state.jobs.start(
        "diff", lambda progress: DiffView(diff(request.app.state.catalog, options, unlocker,
                                               progress), wizard),
        meta={"file": file, "organization": org, **meta})
    return redirect(f"/jobs/{job.id}")


async def diff_page(request: Request) -> Response:
    """GET ``?file=&org=``: the form; POST: open the file (its password or key) and start
    the comparison."""
    catalog = request.app.state.catalog
    orgs = [e.name for e in catalog.list()]
    if request.method == "POST":
        form = await checked_form(request)
    else:
        form = request.query_params
    file, org = str(form.get("file", "")).strip(), str(form.get("org", "")).strip()
    if org not in orgs:
        org = orgs[0] if orgs else ""
    file, lock, error = await typed_file(file)
    if request.method == "POST" and error is None:
        if not file:
            error = message(N_("Veuillez choisir le fichier de sauvegarde."))
        elif not org:
            error = message(N_("Veuillez choisir une organisation."))
        else:
            try:
                unlocker, _ = await open_with(file, lock, form)
            except NotOpened as e:
                error = e.view
            else:
                return _start(request, file, org, unlocker, [], {"back": form.get("back")})
    return render(request, "diff.html", file=file, org=org, orgs=orgs, lock=lock, error=error,
                  back=str(form.get("back", "")), identity=str(form.get("identity", "")).strip())


async def restore_diff(request: Request) -> Response:
    """``/restore/{wid}/diff/{uid}``: the file's group against the target's group of the
    same uid, that the wizard would replace."""
    wiz = request.app.state.wizards.get(request.path_params["wid"], RestoreWizard)
    if wiz is None:
        return expired(request)
    uid = request.path_params["uid"]
    if not wiz.file or wiz.mode != "existing" or uid not in {c["uid"] for c in wiz.conflicts}:
        return redirect(f"/restore/{wiz.id}/conflicts")
    return _start(request, wiz.file, wiz.into, wiz.unlocker, [uid],
                  {"back": f"/restore/{wiz.id}/conflicts", "wizard": wiz.id}, wizard=True)
