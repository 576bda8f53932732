"""The bookkeeping of one company, generated entry by entry: the year's mix of entries
(weighted templates, each kind at least once), the quarters' VAT statements and payments,
the year-end entries."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from cheel.demo import data as demo_data

from .entries import SwissEntries
from .rows import Row
from .rules import FiscalYear


class Books(SwissEntries):
    """The bookkeeping of one company, generated entry by entry (a list of rows each)."""

    def __init__(self, seed: int):
        super().__init__(seed)
        rng = self.rng
        self.customers = self._firms(48)
        self.foreign = list(demo_data.FOREIGN_FIRMS)
        self.suppliers = [(acct, vat, lo, hi, fr, names)
                          for acct, vat, lo, hi, fr, _de, names
                          in demo_data.PURCHASES["services"]]
        self.articles = list(demo_data.ARTICLES["Groupe Helvetia"])
        self.employees = [f"{rng.choice(demo_data.FIRST_NAMES[lang])} "
                          f"{rng.choice(demo_data.LAST_NAMES[lang])}"
                          for lang in ("fr", "fr", "de", "fr", "it", "de", "fr")]
        templates = [
            (self.sale, 20), (self.customer_payment, 14), (self.purchase, 17),
            (self.supplier_payment, 11), (self.wages, 2.5), (self.employer_charges, 1),
            (self.social_payment, 1.5), (self.rent, 2.5), (self.bank_fees, 3),
            (self.transfer, 3), (self.cash_sales, 3), (self.accommodation, 1),
            (self.eur_invoice, 2), (self.eur_payment, 2), (self.usd_purchase, 1),
            (self.usd_payment, 1), (self.buy_usd, 1), (self.eur_batch_payment, 1),
            (self.eur_to_chf, 0.6),
            (self.credit_note, 1), (self.reversal, 2), (self.asset_purchase, 0.7),
            (self.exchange_difference, 0.8), (self.inventory, 0.5),
        ]
        self.templates = [t for t, _ in templates]
        self.cumulative = []
        total = 0.0
        for _, w in templates:
            total += w
            self.cumulative.append(total)
        self.total_weight = total

    def _firms(self, count: int) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(count):
            lang = rng.choice(("fr", "fr", "fr", "de", "de", "it"))
            pattern = rng.choice(demo_data.FIRM_PATTERNS[lang])
            city = rng.choice(demo_data.CITIES[lang])[1]
            out.append(pattern.format(L=rng.choice(demo_data.LAST_NAMES[lang]), C=city))
        return out

    # -- one fiscal year --------------------------------------------------------------------
    def year(self, fy: FiscalYear, chart: set[str], budget: int,
             first: bool) -> Iterator[list[Row]]:
        """The entries of one fiscal year, about budget lines, in stored order, deleted rows
        included (the writer leaves them out when asked to)."""
        self.start_year(fy, chart, budget)
        self.quarter = (fy.start.year, (fy.start.month - 1) // 3)
        yield self.opening(first)
        forced = [self.sale_pairs, self.stale, self.purchase_split, self.purchase_pairs,
                  self.sale_split, self.customer_payment, self.supplier_payment, self.rent,
                  self.wages, self.employer_charges, self.eur_invoice, self.eur_payment,
                  self.usd_purchase, self.eur_batch_payment, self.reversal_negative,
                  self.reversal_swap, self.credit_note, self.asset_purchase,
                  self.accommodation, self.cash_sales, self.membership, self.business_meal]
        reserve = 24
        for template in forced:
            yield from self._dated(template)
        rng = self.rng
        while self.done < self.budget - reserve:
            k = bisect.bisect(self.cumulative, rng.random() * self.total_weight)
            yield from self._dated(self.templates[min(k, len(self.templates) - 1)])
            if rng.random() < 0.015:
                yield self.stale(self.today())
        end = fy.end
        statement = self.vat_statement(end)
        if statement:
            yield statement
        yield self.inventory(end)
        depreciation = self.depreciation(end)
        if depreciation:
            yield depreciation
        yield self.closing(end)

    def _dated(self, template: Callable) -> Iterator[list[Row]]:
        day = self.today()
        quarter = (day.year, (day.month - 1) // 3)
        if quarter != self.quarter:
            year, month_after = self.quarter[0], self.quarter[1] * 3 + 4
            if month_after > 12:
                year, month_after = year + 1, month_after - 12
            self.quarter = quarter
            statement = self.vat_statement(date(year, month_after, 1) - timedelta(1))
            if statement:
                yield statement
            due = -self.balances.get("2201", 0)
            if due > 0:
                yield self.pairs("d", day, self.piece("P", day),
                                 "Paiement TVA à l'Administration fédérale des contributions",
                                 [("2201", "1020", due)])
        rows = template(day)
        if rows:
            yield rows
