"""The chart of accounts written to plan.dbf: the Swiss SME chart of ``cheel.demo.chart``
with its grouping accounts (classes and headings), an account opened in the second year, and
deleted records holding stale names."""

from __future__ import annotations

from cheel.demo.chart import CHART

# Grouping accounts of the Swiss SME chart (classes and headings), French names.
GROUPING_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("1", "Actifs"),
    ("10", "Actifs circulants"),
    ("100", "Trésorerie et titres"),
    ("110", "Créances"),
    ("120", "Stocks et prestations non facturées"),
    ("130", "Actifs de régularisation"),
    ("14", "Actifs immobilisés"),
    ("140", "Immobilisations financières"),
    ("150", "Immobilisations corporelles meubles"),
    ("160", "Immobilisations corporelles immeubles"),
    ("170", "Immobilisations incorporelles"),
    ("180", "Capital non libéré"),
    ("2", "Passifs"),
    ("20", "Capitaux étrangers à court terme"),
    ("200", "Dettes à court terme résultant d'achats et de prestations"),
    ("210", "Dettes à court terme rémunérées"),
    ("220", "Autres dettes à court terme"),
    ("230", "Passifs de régularisation et provisions à court terme"),
    ("24", "Capitaux étrangers à long terme"),
    ("240", "Dettes à long terme rémunérées"),
    ("250", "Autres dettes à long terme"),
    ("260", "Provisions à long terme"),
    ("28", "Capitaux propres"),
    ("280", "Capital social"),
    ("290", "Réserves et bénéfice reporté"),
    ("3", "Chiffre d'affaires résultant des ventes et des prestations de services"),
    ("4", "Charges de matériel, de marchandises et de prestations de tiers"),
    ("5", "Charges de personnel"),
    ("6", "Autres charges d'exploitation, amortissements et résultat financier"),
    ("7", "Résultat des activités annexes d'exploitation"),
    ("8", "Résultats extraordinaires et hors exploitation, impôts"),
    ("9", "Clôture"),
)
# Opened during the second fiscal year (absent from the first year's chart when there are
# several years): the USD bank account.
LATE_ACCOUNTS = ("1022",)
# Deleted plan.dbf records (skipped by the import), stored after the account of the key: a
# stale second name for an existing number, and a number no fiscal year has.
DELETED_PLAN_RECORDS = {"1000": ("1000", "Caisse (ancienne désignation)"),
                        "1090": ("1095", "Compte d'attente supprimé")}
NOT_IN_CHART = "1234"  # an account number no fiscal year's chart has


def year_chart(index: int, count: int) -> list[tuple[str, str, str, str, str]]:
    """The plan.dbf rows of the index-th of count fiscal years, in WinBIZ's order (by number
    as text, headings before their accounts): (class, number, fr, de, it, en)."""
    rows = [(n[0], n, fr, "", "", "") for n, fr in GROUPING_ACCOUNTS]
    for number, _kind, fr, de, it, en in CHART:
        if index == 0 and count > 1 and number in LATE_ACCOUNTS:
            continue
        rows.append((number[0], number, fr, de, it, en))
    rows.sort(key=lambda r: r[1])
    return rows


def plan_values(row) -> tuple:
    classe, number, fr, de, it, en = row
    currency = {"1021": "EUR", "1022": "USD"}.get(number, "")
    vat = {"2200": "TVA-V", "1170": "TVA-A", "1171": "TVA-I"}.get(number, "")
    return (classe, number, fr, de, it, en, currency, vat, "0.00", "0.00", "F", "", "")
