"""Languages of the web UI: French (the source language of the templates), German, English.

Every visible text goes through gettext: templates call ``_()`` (Jinja2's i18n extension with
``gettext.translation`` catalogs compiled from ``locale/*/LC_MESSAGES/messages.po``), Python
code marks texts with :func:`N_` and the templates translate them.

The core's errors are English sentences made with ``errors.said(template, **params)``; the
``errors`` domain (``locale/*/LC_MESSAGES/errors.po``, English msgids) translates their
templates, and the ``said`` filter fills in the parameters, so a whole message, hint
included, is in the page's language while the command line stays English.
"""

from __future__ import annotations

import gettext
from decimal import Decimal
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import errors
from ..store import names

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
TEMPLATE_DIR = HERE / "templates"
DOMAIN = "messages"
ERRORS_DOMAIN = "errors"  # the core's said() sentences; msgids are English
COOKIE = "cheel_lang"
DEFAULT = "fr"
SOURCE = "fr"  # msgids are French
LANGUAGES = {"fr": "Français", "de": "Deutsch", "en": "English"}
LOCALES = {"fr": "fr_CH", "de": "de_CH", "en": "en_CH"}
ORGANIZATIONS = "organizations"  # a job's phase: done and total count organizations


def N_(text: str) -> str:
    """Marks a text for extraction; the templates translate it."""
    return text


def language_from_cookies(cookies: dict[str, str]) -> str:
    lang = cookies.get(COOKIE, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def gettext_for(lang: str):
    return translations(lang).gettext


# -- formatting ---------------------------------------------------------------------------
def fmt_number(value: int | float | None, lang: str) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=LOCALES[lang])


SIZE_UNITS = (N_("o"), N_("Ko"), N_("Mo"), N_("Go"), N_("To"))


def fmt_size(n: int | float | None, lang: str) -> str:
    if n is None:
        return ""
    _ = gettext_for(lang)
    value, unit = float(n), 0
    while value >= 1024 and unit < len(SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    number = format_decimal(value, format="#,##0" if unit == 0 else "#,##0.0",
                            locale=LOCALES[lang])
    return f"{number}\u00a0{_(SIZE_UNITS[unit])}"


def fmt_datetime(value: str | datetime | None, lang: str) -> str:
    if not value:
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    if dt.tzinfo is not None:
        dt = dt.astimezone()
    return format_datetime(dt, "dd.MM.yyyy HH:mm", locale=LOCALES[lang])


def fmt_date(value: str | None, lang: str) -> str:
    """An ISO date as the Swiss write it (dd.mm.yyyy)."""
    if not value:
        return ""
    return format_date(date.fromisoformat(value), "dd.MM.yyyy", locale=LOCALES[lang])


def fmt_chf(cents: int | None, lang: str) -> str:
    """Centimes as francs: 1’234.50."""
    if cents is None:
        return ""
    return format_decimal(Decimal(cents).scaleb(-2), format="#,##0.00", locale=LOCALES[lang])


def fmt_seconds(value: float | None, lang: str) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.0", locale=LOCALES[lang]) + "\u00a0s"


# -- a job's progress, as its page says it --------------------------------------------------
def progress_line(state: dict, lang: str) -> str:
    """What a running job is doing, from its ``as_dict()``: preparing (nothing counted yet),
    rows done of the total, the restore's checks, or cancelling."""
    _ = gettext_for(lang)
    if state.get("cancelling"):
        return _("Annulation…")
    if state.get("phase") == "checks":
        return _("Contrôle des données restaurées avant de les enregistrer…")
    if state.get("phase") == "preparing" or not state.get("total"):
        return _("Préparation…")
    if state.get("phase") == ORGANIZATIONS:
        return _("%(done)s organisation(s) sur %(total)s traitée(s)") % {
            "done": fmt_number(state["done"], lang), "total": fmt_number(state["total"], lang)}
    return _("%(percent)s %% · %(done)s / %(total)s enregistrements") % {
        "percent": state["percent"], "done": fmt_number(state["done"], lang),
        "total": fmt_number(state["total"], lang)}


# -- errors of the core, in the user's language --------------------------------------------
ERROR_TITLES: list[tuple[type[errors.CheelError], str]] = [
    (errors.PasswordNeeded, N_("Cette sauvegarde est protégée par un mot de passe.")),
    (errors.WrongPassword, N_("Le mot de passe est incorrect. Veuillez réessayer.")),
    (errors.KeyNeeded, N_("Cette sauvegarde est chiffrée pour des clés publiques.")),
    (errors.WrongKey, N_("Aucune des clés privées données n'ouvre cette sauvegarde.")),
    (errors.NotABackup, N_("Ce fichier n'est pas une sauvegarde Cheel.")),
    (errors.UnsupportedVersion,
     N_("Cette sauvegarde vient d'une version de Cheel plus récente ou inconnue.")),
    (errors.DamagedFile, N_("La sauvegarde est endommagée ou incomplète.")),
    (errors.DestinationError, N_("Le dossier de destination ne peut pas être utilisé.")),
    (errors.PreviewOutdated,
     N_("L'aperçu n'est plus à jour ; rien n'a été supprimé.")),
    (errors.RestoreConflict,
     N_("Des groupes de la sauvegarde existent déjà dans l'organisation cible.")),
    (errors.AlreadyExists, N_("Ce nom est déjà utilisé.")),
    (errors.NotFound, N_("Élément introuvable.")),
    (errors.OrganizationBusy, N_("L'organisation est en cours d'utilisation.")),
    (errors.DatabaseUnreachable, N_("La base de données est inaccessible.")),
    (errors.DiskFull, N_("Le disque est plein ; rien n'a été modifié.")),
    (errors.DiskError, N_("Une erreur du disque a interrompu l'opération ; rien n'a été modifié.")),
    (errors.SourceRefused, N_("Les données WinBIZ ne peuvent pas être importées.")),
    (errors.ImportConflict,
     N_("Le plan comptable importé contredit celui du groupe ; rien n'a été importé.")),
    (errors.IntegrityError,
     N_("Les données restaurées n'ont pas passé les contrôles ; rien n'a été modifié.")),
    (errors.PasswordError, N_("Le mot de passe ne peut pas être utilisé.")),
    (errors.Interrupted, N_("L'opération a été interrompue ; rien n'a été modifié.")),
    (errors.UsageError, N_("Cette saisie ne convient pas.")),
    (errors.CheelError, N_("L'opération a échoué.")),
]


def error_view(e: errors.CheelError) -> dict:
    """A core error as the pages show it: a translated headline, then the core's sentence and
    hint, which the templates say in the page's language (the ``said`` filter)."""
    title = next(t for cls, t in ERROR_TITLES if isinstance(e, cls))
    return {"title": title, "params": {}, "detail": e.text, "hint": e.hint_text,
            "kind": type(e).__name__}


@lru_cache(maxsize=None)
def error_translations(lang: str) -> gettext.NullTranslations:
    """The core's sentences (English msgids, ``said()`` templates) in ``lang``."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(ERRORS_DOMAIN, LOCALE_DIR, languages=[lang])


def say(text: errors.Text | str | None, lang: str) -> str:
    """A sentence of the core in ``lang``: translated, filled in, made printable, with a
    capital and a full stop. A plain str (an unexpected failure's own text) is kept as is."""
    if text is None:
        return ""
    if isinstance(text, errors.Text):
        text = text.render(error_translations(lang).gettext)
    return errors.sentence(text)


def message(text: str, **params) -> dict:
    """A UI message (a French msgid marked with N_) with its parameters."""
    return {"title": text, "params": params, "detail": None, "hint": None, "kind": "ui"}


# -- templates ----------------------------------------------------------------------------
@lru_cache(maxsize=None)
def environment(lang: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR),
                      autoescape=select_autoescape(["html"], default_for_string=True),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.globals.update(lang=lang, languages=LANGUAGES, name_max=names.MAX_LENGTH)
    env.filters.update(
        number=lambda v: fmt_number(v, lang), size=lambda v: fmt_size(v, lang),
        datetime=lambda v: fmt_datetime(v, lang), seconds=lambda v: fmt_seconds(v, lang),
        said=lambda v: say(v, lang), progress=lambda v: progress_line(v, lang),
        date=lambda v: fmt_date(v, lang), chf=lambda v: fmt_chf(v, lang))
    return env
