"""The journal of one demo company: entries, invoices, payments and documents."""

from __future__ import annotations

import heapq
import random
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from ..progress import Progress
from . import data
from .pdf import one_page_pdf
from .common import (DAYS, YEARS, Group, Writer, add_days, to_chf, money_text,
                     month_index, net_of_gross, quantity_text, rate_text, stamp_on, swiss_date,
                     vat_of_net, qr_reference, slug)

BATCH = 10_000  # entry lines per bulk insert
RECURRING_FROM = 800  # lines a company needs for monthly rent, wages and quarterly VAT
LAST_DAY = "2025-12-31"  # the demo's "today": unpaid invoices due before it are overdue



# -- the journal of one company --------------------------------------------------------------
# Entry kinds and their weights by company profile.
PROFILES = {
    "holding": {"sale": 22, "dividend": 5, "loan_interest": 6, "purchase": 16, "split": 8,
                "expense": 8, "transfer": 6, "fx": 4},
    "services": {"sale": 34, "purchase": 18, "split": 8, "expense": 6, "transfer": 4, "fx": 3},
    "realestate": {"sale": 14, "rent_income": 34, "purchase": 20, "split": 6, "expense": 6,
                   "transfer": 4, "fx": 1},
    "bakery": {"cash_sale": 36, "sale": 18, "purchase": 22, "split": 6, "expense": 5,
               "transfer": 10},
    "workshop": {"sale": 34, "purchase": 24, "split": 8, "expense": 6, "transfer": 4, "fx": 4},
}
PROFILE_ARTICLES = {
    "holding": ("MGMT", "MGMT", "CONS-SR", "PROJ"),
    "services": ("CONS-SR", "CONS-JR", "PROJ", "IT-SUP", "IT-LIC", "FID", "SAL", "FORM",
                 "DEPL", "HEB", "SALLE", "PAP", "CAFE"),
    "realestate": ("GER", "CONC", "NET", "ETAT", "SALLE"),
}
QUANTITY = {  # unit → (low, high, step) in thousandths
    "h": (500, 16000, 250), "pce": (1000, 24000, 1000), "mois": (1000, 3000, 1000),
    "km": (10000, 400000, 1000), "jour": (1000, 3000, 500), "nuit": (1000, 5000, 1000),
    "kg": (5000, 50000, 500), "m": (500, 40000, 250), "m2": (1000, 20000, 500),
}
MISC_EXPENSES = (("6500", "Matériel de bureau", "Büromaterial"),
                 ("6513", "Frais de port", "Porti"),
                 ("6640", "Billets de train", "Bahnbillette"),
                 ("6660", "Repas d'affaires", "Geschäftsessen"),
                 ("5820", "Frais effectifs", "Spesen"),
                 ("6700", "Divers", "Diverses"),
                 ("6510", "Abonnement mobile", "Mobile-Abo"))
BANK_EXPENSES = (("6940", 500, 8000, "bank_fees"), ("6900", 5000, 200000, "interest"),
                 ("6300", 30000, 500000, "insurance"))


class Journal:
    def __init__(self, w: Writer, rng: random.Random, g: Group, company_id: int, spec: tuple,
                 fiscal_years: dict[int, int], target: int, users: dict[str, int],
                 writers: list[int], sisters: list[tuple[int, str]],
                 progress: Progress | None, done_before: int,
                 total: int):
        self.w, self.rng, self.g, self.cid = w, rng, g, company_id
        self.name, self.lang, self.profile = spec[1], spec[3], spec[7]
        self.company_street, self.company_city = spec[4], f"{spec[5]} {spec[6]}"
        self.fy = {str(y): fid for y, fid in fiscal_years.items()}
        self.target = target
        self.accountant = users[spec[9]]
        self.user_ids = writers
        self.progress, self.done_before, self.total = progress, done_before, total
        self.T = data.TEXTS["de" if self.lang == "de" else "fr"]
        self.months = data.MONTHS["de" if self.lang == "de" else "fr"]
        self.acc = g.accounts
        self.done = 0
        self.numbers = {y: 0 for y in self.fy}
        self.invoice_numbers = {y: 0 for y in self.fy}
        self.entry_id = w.id("journal_entries")
        self.line_id = w.id("entry_lines")
        self.heap: list[tuple] = []
        self.heap_seq = 0
        self.vat_out: dict[int, int] = {}
        self.vat_in: dict[int, int] = {}
        self.entries = w.buf["journal_entries"]
        self.lines = w.buf["entry_lines"]
        self.invoices_made = 0
        self.receipts: set[str] = set()
        self.docs_target = max(3, min(40, target // 2500))
        self.docs_step = max(1, target // (12 * self.docs_target))
        self.docs_made = 0

        weights = PROFILES[self.profile]
        self.kinds = [getattr(self, "_" + k) for k in weights]
        self.cum = list(accumulate(weights.values()))
        codes = PROFILE_ARTICLES.get(self.profile) or tuple(g.articles)
        self.sale_articles = [(code, *g.articles[code]) for code in codes]
        self.customers = g.customers
        self.sisters = sisters if self.profile == "holding" else []
        self.purchases = data.PURCHASES[self.profile]
        # recurring entries (rent, wages, quarterly VAT) once the journal is big enough
        self.recurring = target >= RECURRING_FROM
        nemp = max(1, min(25, target // 15000))
        elang = "de" if self.lang == "de" else "fr"
        self.employees = [(f"{rng.choice(data.FIRST_NAMES[elang])} "
                           f"{rng.choice(data.LAST_NAMES[elang])}",
                           rng.randint(45, 110) * 10000) for _ in range(nemp)]
        self.rent = rng.randint(18, 90) * 10000
        self.rent_month = 0
        self.wage_month = 0

    # -- writing -------------------------------------------------------------------------
    def entry(self, day: str, journal: str, description: str, reference: str | None,
              lines: list[tuple]) -> int:
        rng = self.rng
        eid = self.entry_id
        self.entry_id = eid + 1
        year = day[:4]
        number = self.numbers[year] + 1
        self.numbers[year] = number
        user = self.accountant if rng.random() < 0.85 else rng.choice(self.user_ids)
        self.entries.append((eid, self.cid, self.fy[year], number, day, reference, description,
                             journal, user, stamp_on(day, rng)))
        lid = self.line_id
        append = self.lines.append
        for line in lines:
            append((lid, eid, *line))
            lid += 1
        self.line_id = lid
        self.done += len(lines)
        if len(self.lines) >= BATCH:
            self.flush()
        return eid

    def flush(self) -> None:
        self.w.flush()
        if self.progress:
            self.progress(self.done_before + self.done, self.total)

    def fits(self, size: int) -> bool:
        left = self.target - self.done - size
        return left == 0 or left >= 2

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> None:
        rng, target, nb = self.rng, self.target, len(DAYS)
        cum, kinds, top = self.cum, self.kinds, self.cum[-1]
        heap = self.heap
        while self.done < target:
            day = DAYS[self.done * nb // target]
            if self.recurring:
                self._recurring(day)
            while heap and heap[0][0] <= day:
                item = heapq.heappop(heap)
                item[2](day, *item[3])
            left = target - self.done
            if left <= 0:
                break
            if left <= 7:
                self._split(day, left if left <= 5 else 3)
                continue
            kinds[bisect_right(cum, rng.random() * top)](day)
        for item in heap:  # never paid within the three years
            item[2](None, *item[3])
        heap.clear()
        self.w.next["journal_entries"] = self.entry_id
        self.w.next["entry_lines"] = self.line_id

    def later(self, day: str, action: Callable, *args) -> None:
        self.heap_seq += 1
        heapq.heappush(self.heap, (day, self.heap_seq, action, args))

    # -- recurring entries ------------------------------------------------------------------
    def _recurring(self, day: str) -> None:
        month = month_index(day)
        T = self.T
        while self.rent_month <= month:
            m = self.rent_month
            label = f"{self.months[m % 12]} {YEARS[0] + m // 12}"
            if m % 3 == 0 and m > 0:
                self._vat_settlement(day, m // 3 - 1)
            if self.fits(2):
                self.entry(day, "bank", f"{T['rent']} {label}", None, [
                    (self.acc["6000"], self.rent, 0, None, None, None, None, None),
                    (self.acc["1020"], 0, self.rent, None, None, None, None, None)])
            self.rent_month += 1
        while self.wage_month < month or (self.wage_month == month and day[8:] >= "25"):
            m = self.wage_month
            label = f"{self.months[m % 12]} {YEARS[0] + m // 12}"
            for name, gross in self.employees:
                if not self.fits(4):
                    break
                employee = vat_of_net(gross, 1240)  # AVS/AI/APG/AC, LPP, AANP
                employer = vat_of_net(gross, 1450)
                self.entry(day, "payroll", f"{T['wages']} {label} – {name}", None, [
                    (self.acc["5000"], gross, 0, None, None, None, None, T["gross"]),
                    (self.acc["5700"], employer, 0, None, None, None, None, T["employer"]),
                    (self.acc["2270"], 0, employee + employer, None, None, None, None,
                     T["social"]),
                    (self.acc["1020"], 0, gross - employee, None, None, None, None, T["net"])])
            self.wage_month += 1

    def _vat_settlement(self, day: str, quarter: int) -> None:
        out, inp = self.vat_out.pop(quarter, 0), self.vat_in.pop(quarter, 0)
        lines = []
        if out:
            lines.append((self.acc["2200"], out, 0, None, None, None, None, None))
        if inp:
            lines.append((self.acc["1170"], 0, inp, None, None, None, None, None))
        if out != inp:
            diff = out - inp
            lines.append((self.acc["1020"], max(-diff, 0), max(diff, 0), None, None, None,
                          None, None))
        if len(lines) >= 2 and self.fits(len(lines)):
            label = f"{self.T['vat']} {self.T['vat_quarter']}{quarter % 4 + 1} " \
                    f"{YEARS[0] + quarter // 4}"
            self.entry(day, "general", label, None, lines)

    # -- sales -----------------------------------------------------------------------------
    def _customer(self) -> tuple[int, str, bool]:
        rng = self.rng
        if self.g.foreign and not self.sisters and rng.random() < 0.03:
            cid, name = rng.choice(self.g.foreign)
            return cid, name, True
        if self.sisters:
            cid, name = rng.choice(self.sisters)
            return cid, name, False
        cid, name = rng.choice(self.customers)
        return cid, name, False

    def _sale(self, day: str) -> None:
        rng, g, T = self.rng, self.g, self.T
        contact, cname, foreign = self._customer()
        currency = "EUR" if foreign else "CHF"
        period = 0 if day < data.VAT_NEW_FROM else 1
        micro = g.rates["EUR"][month_index(day)] if foreign else 0
        items = []
        combos: dict[tuple[int, int], int] = {}
        rates: dict[int, int] = {}
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            code, art, unit, price, cls, account, texts = rng.choice(self.sale_articles)
            low, high, step = QUANTITY[unit]
            if unit == "pce" and price >= 1500:
                qty = rng.choice((1000, 1000, 1000, 2000, 3000))
            else:
                qty = rng.randrange(low, high + 1, step)
                if self.profile == "bakery" and unit == "pce":
                    qty *= 5
            vat_id, rate = (g.exempt_vat, 0) if foreign else g.vat[("output", cls, period)]
            key = (account, vat_id)
            if key not in combos and len(combos) == (1 if foreign else 2):
                continue
            amount = (qty * price + 500) // 1000
            combos[key] = combos.get(key, 0) + amount
            rates[vat_id] = rate
            items.append((art, texts.get(self.lang, texts["fr"]), quantity_text(qty), price, vat_id,
                          amount))
        nets: dict[int, int] = {}  # VAT is computed per rate on the invoice's net total
        for (_account, vat_id), net in combos.items():
            nets[vat_id] = nets.get(vat_id, 0) + net
        vats = {vat_id: vat_of_net(net, rates[vat_id]) for vat_id, net in nets.items()}
        total = sum(combos.values()) + sum(vats.values())
        size = 1 + len(combos) + sum(1 for v in vats.values() if v)
        if not self.fits(size):
            self._split(day, 2)
            return

        year = day[:4]
        seq = self.invoice_numbers[year] + 1
        self.invoice_numbers[year] = seq
        number = f"{year}-{seq:06d}"
        description = f"{T['invoice']} {number} – {cname}"
        if foreign:
            rate_s = rate_text(micro)
            credits = [(account, 0, to_chf(net, micro), vat_id, g.currencies["EUR"],
                        net, rate_s, None) for (account, vat_id), net in combos.items()]
            chf_total = sum(c[2] for c in credits)
            lines = [(self.acc["1100"], chf_total, 0, None, g.currencies["EUR"], total, rate_s,
                      None), *credits]
        else:
            chf_total = total
            lines = [(self.acc["1100"], total, 0, None, None, None, None, None)]
            lines += [(account, 0, net, vat_id, None, None, None, None)
                      for (account, vat_id), net in combos.items()]
            lines += [(self.acc["2200"], 0, v, vat_id, None, None, None, None)
                      for vat_id, v in vats.items() if v]
            quarter = month_index(day) // 3
            self.vat_out[quarter] = self.vat_out.get(quarter, 0) + sum(vats.values())
        eid = self.entry(day, "sales", description, number, lines)

        w = self.w
        inv = w.id("invoices")
        for art, text, qty, price, vat_id, amount in items:
            w.add("invoice_lines", (w.id("invoice_lines"), inv, art, text, qty, price, vat_id,
                                    amount))
        qr = qr_reference(f"{self.cid:04d}{contact:08d}{year}{seq:010d}")
        due = add_days(day, 30)
        row = (inv, self.cid, number, contact, day, due, g.currencies[currency], qr, total)
        self.invoices_made += 1
        if self.docs_made < self.docs_target and (self.invoices_made - 1) % self.docs_step == 0:
            self._document(eid, day, f"facture-{number}.pdf" if self.lang != "de"
                           else f"rechnung-{number}.pdf", [
                               f"{T['document']} {number}", self.name, self.company_street,
                               self.company_city, "", f"{T['customer']}: {cname}",
                               f"{T['date']}: {swiss_date(day)}",
                               f"{T['due']}: {swiss_date(due)}",
                               f"{T['total']}: {currency} {money_text(total)}",
                               f"{T['reference']}: {qr}"])
            self.docs_made += 1
        if rng.random() < 0.92:
            pay_day = add_days(day, rng.randint(5, 60))
            if pay_day <= LAST_DAY:
                self.later(pay_day, self._payment, row, eid, cname, chf_total, micro)
                return
        self._payment(None, row, eid, cname, chf_total, micro)

    def _payment(self, day: str | None, row: tuple, sale_entry: int, cname: str,
                 chf_sale: int, micro_sale: int) -> None:
        w, g, T = self.w, self.g, self.T
        inv, _cid, number, _contact, _date, due, currency_id, _qr, total = row
        if day is not None:
            foreign = currency_id != g.currencies["CHF"]
            if foreign:
                micro = g.rates["EUR"][month_index(day)]
                chf_pay = to_chf(total, micro)
                eur = g.currencies["EUR"]
                lines = [(self.acc["1021"], chf_pay, 0, None, eur, total, rate_text(micro), None),
                         (self.acc["1100"], 0, chf_sale, None, eur, total,
                          rate_text(micro_sale), None)]
                diff = chf_pay - chf_sale
                if diff:
                    lines.append((self.acc["3806"], max(-diff, 0), max(diff, 0), None, None,
                                  None, None, T["fx_diff"]))
            else:
                bank = self.acc["1010"] if self.rng.random() < 0.25 else self.acc["1020"]
                lines = [(bank, total, 0, None, None, None, None, None),
                         (self.acc["1100"], 0, total, None, None, None, None, None)]
            if self.fits(len(lines)):
                eid = self.entry(day, "bank", f"{T['payment']} {number} – {cname}", number,
                                 lines)
                w.add("payments", (w.id("payments"), inv, day, total, eid))
                w.add("invoices", (*row, "paid", sale_entry))
                return
        w.add("invoices", (*row, "overdue" if due < LAST_DAY else "open", sale_entry))

    def _cash_sale(self, day: str) -> None:
        rng, g = self.rng, self.g
        period = 0 if day < data.VAT_NEW_FROM else 1
        parts = [("R", rng.randint(30_000, 250_000))]
        if rng.random() < 0.6:
            parts.append(("N", rng.randint(2_000, 30_000)))
        lines, vat_sum = [], 0
        for cls, gross in parts:
            vat_id, rate = g.vat[("output", cls, period)]
            net = net_of_gross(gross, rate)
            lines.append((self.acc["3200"], 0, net, vat_id, None, None, None, None))
            lines.append((self.acc["2200"], 0, gross - net, vat_id, None, None, None, None))
            vat_sum += gross - net
        total = sum(gross for _, gross in parts)
        lines.insert(0, (self.acc["1000"], total, 0, None, None, None, None, None))
        if not self.fits(len(lines)):
            self._split(day, 2)
            return
        quarter = month_index(day) // 3
        self.vat_out[quarter] = self.vat_out.get(quarter, 0) + vat_sum
        self.entry(day, "cash", f"{self.T['cash_sale']} {swiss_date(day)}", None,
                   lines)

    def _rent_income(self, day: str) -> None:
        rng = self.rng
        cid, tenant = rng.choice(self.customers)
        amount = rng.randint(240, 900) * 500
        label = f"{self.months[int(day[5:7]) - 1]} {day[:4]}"
        self.entry(day, "bank", f"{self.T['rent_income']} {label} – {tenant}", None, [
            (self.acc["1020"], amount, 0, None, None, None, None, None),
            (self.acc["7500"], 0, amount, None, None, None, None, self.T["tenant"])])

    def _dividend(self, day: str) -> None:
        gross = self.rng.randint(100, 2000) * 10000
        tax = gross * 35 // 100
        self.entry(day, "bank", self.T["dividend"], None, [
            (self.acc["1020"], gross - tax, 0, None, None, None, None, None),
            (self.acc["1176"], tax, 0, None, None, None, None, None),
            (self.acc["6950"], 0, gross, None, None, None, None, None)])

    def _loan_interest(self, day: str) -> None:
        amount = self.rng.randint(500, 20000) * 100
        self.entry(day, "bank", self.T["interest"], None, [
            (self.acc["1020"], amount, 0, None, None, None, None, None),
            (self.acc["6950"], 0, amount, None, None, None, None, None)])

    # -- purchases and expenses ----------------------------------------------------------------
    def _purchase(self, day: str) -> None:
        rng, g, T = self.rng, self.g, self.T
        account, cls, low, high, text_fr, text_de, suppliers = rng.choice(self.purchases)
        text = text_de if self.lang == "de" else text_fr
        supplier = rng.choice(suppliers)
        gross = rng.randint(low * 100, high * 100)
        direct = rng.random() < 0.35
        credit = self.acc["1020"] if direct else self.acc["2000"]
        if cls:
            vat_id, rate = g.vat[("input", cls, 0 if day < data.VAT_NEW_FROM else 1)]
            net = net_of_gross(gross, rate)
            lines = [(self.acc[account], net, 0, vat_id, None, None, None, text),
                     (self.acc["1170"], gross - net, 0, vat_id, None, None, None, None),
                     (credit, 0, gross, None, None, None, None, None)]
            quarter = month_index(day) // 3
            self.vat_in[quarter] = self.vat_in.get(quarter, 0) + gross - net
        else:
            lines = [(self.acc[account], gross, 0, None, None, None, None, text),
                     (credit, 0, gross, None, None, None, None, None)]
        reference = f"{rng.randint(10000, 999999)}"
        eid = self.entry(day, "purchases", f"{T['purchase']} {supplier} – {text}", reference,
                         lines)
        if day[:4] not in self.receipts:
            self.receipts.add(day[:4])
            self._document(eid, day, f"{slug(T['receipt'])}-{day[:4]}-{reference}.pdf", [
                f"{T['receipt']} {reference}", supplier, "", f"{T['date']}: {swiss_date(day)}",
                text,
                f"{T['total']}: CHF {money_text(gross)}", f"{self.name}, {self.company_city}"])
        if not direct:
            pay_day = add_days(day, rng.randint(10, 45))
            if pay_day <= LAST_DAY:
                self.later(pay_day, self._supplier_payment, supplier, reference, gross)

    def _supplier_payment(self, day: str | None, supplier: str, reference: str,
                          amount: int) -> None:
        if day is None or not self.fits(2):
            return
        self.entry(day, "bank", f"{self.T['supplier_payment']} {supplier}", reference, [
            (self.acc["2000"], amount, 0, None, None, None, None, None),
            (self.acc["1020"], 0, amount, None, None, None, None, None)])

    def _expense(self, day: str) -> None:
        account, low, high, key = self.rng.choice(BANK_EXPENSES)
        amount = self.rng.randint(low, high)
        self.entry(day, "bank", self.T[key], None, [
            (self.acc[account], amount, 0, None, None, None, None, None),
            (self.acc["1020"], 0, amount, None, None, None, None, None)])

    def _transfer(self, day: str) -> None:
        rng, T = self.rng, self.T
        if self.profile == "bakery" or rng.random() < 0.3:
            amount = rng.randint(50, 800) * 1000
            debit, credit, text = "1020", "1000", T["cash_deposit"]
        else:
            amount = rng.randint(10, 500) * 10000
            debit, credit = ("1010", "1020") if rng.random() < 0.5 else ("1020", "1010")
            text = T["transfer"]
        self.entry(day, "bank", text, None, [
            (self.acc[debit], amount, 0, None, None, None, None, None),
            (self.acc[credit], 0, amount, None, None, None, None, None)])

    def _split(self, day: str, n: int | None = None) -> None:
        """A card or petty-cash statement split over several expense accounts."""
        rng = self.rng
        n = n or rng.choice((3, 3, 4, 5))
        lines, total = [], 0
        for _ in range(n - 1):
            account, fr, de = rng.choice(MISC_EXPENSES)
            amount = rng.randint(500, 40000)
            total += amount
            lines.append((self.acc[account], amount, 0, None, None, None, None,
                          de if self.lang == "de" else fr))
        lines.append((self.acc["1020"], 0, total, None, None, None, None, None))
        self.entry(day, "general", self.T["misc"], None, lines)

    def _fx(self, day: str) -> None:
        rng, g, T = self.rng, self.g, self.T
        supplier, currency = rng.choice(data.FOREIGN_SUPPLIERS)
        micro = g.rates[currency][month_index(day)]
        fc = rng.randint(100, 8000) * 100
        chf = to_chf(fc, micro)
        if currency == "USD":
            account = "6570"
        else:
            account = "4000" if self.profile == "workshop" else "4200"
        self.entry(day, "purchases", f"{T['fx']} {currency} – {supplier}", None, [
            (self.acc[account], chf, 0, None, None, None, None, supplier),
            (self.acc["1021" if currency == "EUR" else "1022"], 0, chf, None,
             g.currencies[currency], fc, rate_text(micro), None)])

    # -- documents -------------------------------------------------------------------------
    def _document(self, entry_id: int, day: str, filename: str, lines: list[str]) -> None:
        w = self.w
        w.add("documents", (w.id("documents"), self.cid, entry_id, filename, "application/pdf",
                            one_page_pdf(lines, title=lines[0]), stamp_on(day, self.rng)))
