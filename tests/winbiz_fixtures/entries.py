"""The kinds of entries a Swiss SME books (sales and purchases with VAT at the rates before
and from 2024, payments, wages as split entries, foreign currency rows, reversals with
negative amounts, depreciation, closing), each a template drawing its amounts."""

from __future__ import annotations

from datetime import date

from cheel.demo import data as demo_data

from .ledger import Ledger
from .rows import Row, cents_text


class SwissEntries(Ledger):
    """The entry templates: each books one entry on a day and returns its rows (None when
    the year's chart lacks an account it needs)."""

    def opening(self, first: bool) -> list[Row]:
        """The opening entry (journal o) on the first day: the first year's balances made
        up, later years' carried forward from the balance sheet accounts, the difference
        on 2970 (retained earnings)."""
        day = self.fy.start
        if first:
            rng = self.rng
            seed = {"1000": self.amount(800, 4000), "1010": self.amount(5000, 40000),
                    "1020": self.amount(60000, 300000), "1021": self.amount(8000, 40000),
                    "1100": self.amount(20000, 120000), "1200": self.amount(5000, 30000),
                    "1510": self.amount(15000, 60000), "1520": self.amount(8000, 35000),
                    "1530": self.amount(20000, 70000),
                    "2000": -self.amount(15000, 60000), "2200": -self.amount(4000, 15000),
                    "2800": -100_000_00, "2950": -rng.choice((20_000_00, 50_000_00))}
        else:
            seed = {a: b for a, b in sorted(self.balances.items())
                    if a[0] in "12" and a not in ("2970", "2979") and b}
        self.balances = {}
        seed["2970"] = -sum(seed.values())
        details = [(a, "D", b) if b > 0 else (a, "C", -b)
                   for a, b in sorted(seed.items()) if b]
        return self.split("o", day, self.piece("OUV", day),
                          f"Bilan d'ouverture au {day:%d.%m.%Y}", details)

    def sale(self, day: date) -> list[Row]:
        return (self.sale_split if self.rng.random() < 0.5 else self.sale_pairs)(day)

    def _sale_data(self, day: date):
        rng = self.rng
        _code, unit, price, kind, account, fr = rng.choice(self.articles)[:6]
        qty = rng.randint(1, 40) if price < 50000 else rng.randint(1, 4)
        net = price * qty
        rate = self.vat_rate(kind, day)
        customer = rng.choice(self.customers)
        piece = self.piece("V", day)
        style = rng.randrange(4)
        if style == 0:
            label = f"Facture {piece} {customer}, {fr} {qty} {unit}"
        elif style == 1:
            label = f"Facture {piece} « {customer} » – {fr}"
        else:
            label = f"Facture {piece} {customer}"
        return account, net, rate, self.vat(net, rate), piece, label[:100].rstrip()

    def sale_split(self, day: date) -> list[Row]:
        """A sales invoice as a split entry: 1100 debited with the total, the revenue and
        the output VAT (2200) credited."""
        account, net, _rate, vat, piece, label = self._sale_data(day)
        return self.split("v", day, piece, label,
                          [("1100", "D", net + vat), (account, "C", net), ("2200", "C", vat)])

    def sale_pairs(self, day: date) -> list[Row]:
        """A sales invoice as two two-account rows: net to revenue, VAT to 2200."""
        account, net, rate, vat, piece, label = self._sale_data(day)
        return self.pairs("v", day, piece, label,
                          [("1100", account, net, "", 0, 0, rate, vat),
                           ("1100", "2200", vat, "", 0, 0, rate, 0)])

    def credit_note(self, day: date) -> list[Row]:
        """A credit note: a sales invoice with negative amounts (moving the other way)."""
        account, net, rate, vat, piece, label = self._sale_data(day)
        net, vat = -(net // 4 // 5 * 5 or 5), -self.vat(net // 4 // 5 * 5 or 5, rate)
        label = ("Note de crédit" + label[7:])[:100].rstrip()
        return self.pairs("v", day, piece, label,
                          [("1100", account, net, "", 0, 0, rate, vat),
                           ("1100", "2200", vat, "", 0, 0, rate, 0)])

    def accommodation(self, day: date) -> list[Row]:
        """Accommodation billed at the special rate (3.7 % / 3.8 %)."""
        rng = self.rng
        nights = rng.randint(1, 6)
        net = nights * 14000
        rate = self.vat_rate("H", day)
        piece = self.piece("V", day)
        customer = rng.choice(self.customers)
        label = f"Facture {piece} {customer}, hébergement {nights} nuit(s)"[:100].rstrip()
        return self.split("v", day, piece, label,
                          [("1100", "D", net + self.vat(net, rate)), ("3400", "C", net),
                           ("2200", "C", self.vat(net, rate))])

    def cash_sales(self, day: date) -> list[Row]:
        """The day's cash sales at the reduced rate (2.5 % / 2.6 %) and the normal rate."""
        reduced = self.amount(80, 900)
        normal = self.amount(20, 300)
        vr = self.vat(reduced, self.vat_rate("R", day))
        vn = self.vat(normal, self.vat_rate("N", day))
        return self.split("v", day, self.piece("CA", day),
                          f"Ventes au comptant du {day:%d.%m.%Y} (café, fournitures)",
                          [("1000", "D", reduced + normal + vr + vn), ("3200", "C", reduced),
                           ("3400", "C", normal), ("2200", "C", vr + vn)])

    def settled(self, account: str, share_lo: float, share_hi: float, lo: float,
                hi: float) -> int:
        """A payment settling a share of what the account holds (debit balance of an asset,
        credit balance of a liability), else an amount between lo and hi CHF."""
        held = self.balances.get(account, 0) * (1 if account[0] == "1" else -1)
        amount = int(max(held, 0) * self.rng.uniform(share_lo, share_hi)) // 5 * 5
        return amount if amount >= 500 else self.amount(lo, hi)

    def customer_payment(self, day: date) -> list[Row]:
        rng = self.rng
        bank = "1020" if rng.random() < 0.8 else "1010"
        piece = f"V{day.year % 100:02d}-{rng.randint(1, max(1, self.pieces.get('V', 1))):04d}"
        return self.pairs("d", day, piece,
                          f"Paiement facture {piece} {rng.choice(self.customers)}"[:100],
                          [(bank, "1100", self.settled("1100", 0.02, 0.08, 100, 5000))])

    def _purchase_data(self, day: date):
        rng = self.rng
        account, kind, lo, hi, fr, names = rng.choice(self.suppliers)
        net = self.amount(lo, hi)
        rate = self.vat_rate(kind, day) if kind else 0
        piece = self.piece("A", day)
        label = f"{rng.choice(names)}: {fr.lower()}"[:100].rstrip()
        return account, net, rate, self.vat(net, rate) if rate else 0, piece, label

    def purchase(self, day: date) -> list[Row]:
        return (self.purchase_split if self.rng.random() < 0.5 else self.purchase_pairs)(day)

    def purchase_split(self, day: date) -> list[Row]:
        """A supplier invoice as a split entry: expense and input VAT (1170) debited, 2000
        credited with the total."""
        account, net, _rate, vat, piece, label = self._purchase_data(day)
        details = [(account, "D", net)] + ([("1170", "D", vat)] if vat else [])
        return self.split("a", day, piece, label, details + [("2000", "C", net + vat)])

    def purchase_pairs(self, day: date) -> list[Row]:
        """A supplier invoice as two-account rows."""
        account, net, rate, vat, piece, label = self._purchase_data(day)
        pairs = [(account, "2000", net, "", 0, 0, rate, vat)]
        if vat:
            pairs.append(("1170", "2000", vat, "", 0, 0, rate, 0))
        return self.pairs("a", day, piece, label, pairs)

    def supplier_payment(self, day: date) -> list[Row]:
        rng = self.rng
        name = rng.choice(rng.choice(self.suppliers)[5])
        return self.pairs("d", day, self.piece("P", day),
                          f"Paiement fournisseur {name}"[:100],
                          [("2000", "1020", self.settled("2000", 0.05, 0.15, 50, 3000))])

    def wages(self, day: date) -> list[Row]:
        """A monthly salary as a split entry: gross on 5000, employee contributions, source
        tax sometimes, expenses, the net salary paid from the bank."""
        rng = self.rng
        employee = rng.choice(self.employees)
        gross = self.amount(4200, 11800)
        avs = (gross * 53 + 500) // 1000  # AVS/AI/APG 5.3 %
        ac = (gross * 11 + 500) // 1000  # AC 1.1 %
        lpp = (gross * rng.randint(35, 75) + 500) // 1000
        details = [("5000", "D", gross)]
        expenses = rng.choice((0, 0, 15000, 25000))
        if expenses:
            details.append(("5830", "D", expenses))
        details += [("2270", "C", avs + ac), ("2270", "C", lpp)]
        source = (gross * 8 + 50) // 100 if rng.random() < 0.2 else 0
        if source:
            details.append(("2279", "C", source))
        details.append(("1020", "C", gross + expenses - avs - ac - lpp - source))
        month = demo_data.MONTHS["fr"][day.month - 1]
        return self.split("s", day, self.piece("S", day),
                          f"Salaire {month} {day.year} – {employee}", details)

    def employer_charges(self, day: date) -> list[Row]:
        """The employer's social contributions of the month, a split entry."""
        base = self.amount(20000, 60000)
        avs = (base * 64 + 500) // 1000
        lpp = (base * 60 + 500) // 1000
        laa = (base * 8 + 500) // 1000
        month = demo_data.MONTHS["fr"][day.month - 1]
        return self.split("s", day, self.piece("S", day),
                          f"Charges sociales part patronale {month} {day.year}",
                          [("5700", "D", avs), ("5720", "D", lpp), ("5730", "D", laa),
                           ("2270", "C", avs + lpp + laa)])

    def social_payment(self, day: date) -> list[Row]:
        return self.pairs("d", day, self.piece("P", day),
                          "Paiement AVS / caisse de compensation",
                          [("2270", "1020", self.settled("2270", 0.4, 0.8, 1000, 8000))])

    def rent(self, day: date) -> list[Row]:
        rng = self.rng
        label = (f"Loyer bureaux; charges \"PPE\" comprises {day:%m.%Y}" if rng.random() < 0.3
                 else f"Loyer des locaux {demo_data.MONTHS['fr'][day.month - 1]} {day.year}")
        return self.pairs("d", day, self.piece("P", day), label,
                          [("6000", "1020", rng.choice((3200_00, 3450_00, 4100_00)))])

    def membership(self, day: date) -> list[Row]:
        """A yearly membership fee (6520)."""
        piece = self.piece("P", day)
        return self.pairs("d", day, piece,
                          f"Cotisation {day.year} « Gewerbe- und Händlerverein Köniz », "
                          f"reçu n° {piece[-4:]}", [("6520", "1020", 45000)])

    def business_meal(self, day: date) -> list[Row]:
        """A business meal (6660) on account."""
        return self.pairs("a", day, self.piece("A", day),
                          "Repas d'affaires à Genève – Brasserie « Crème & Bœuf »",
                          [("6660", "2000", self.amount(80, 400))])

    def bank_fees(self, day: date) -> list[Row]:
        return self.pairs("d", day, "", "Frais bancaires et de tenue de compte",
                          [("6940", "1020", self.amount(2, 80))])

    def transfer(self, day: date) -> list[Row]:
        if self.rng.random() < 0.5:
            return self.pairs("d", day, "", "Virement du compte postal à la banque",
                              [("1020", "1010", self.settled("1010", 0.4, 0.8, 500, 5000))])
        return self.pairs("d", day, "", "Versement de la caisse à la banque",
                          [("1020", "1000", self.settled("1000", 0.5, 0.8, 100, 1000))])

    def _fx(self, currency: str, day: date, lo: float, hi: float) -> tuple[int, int, int]:
        fc = self.amount(lo, hi)
        rate = self.fx_rate(currency, day)
        return (fc * rate + 500_000) // 1_000_000, rate, fc

    def eur_invoice(self, day: date) -> list[Row]:
        """An export invoice in EUR (no VAT): 1100 / 3400 with the currency's amount."""
        name = self.rng.choice(self.foreign)[0]
        chf, rate, fc = self._fx("EUR", day, 400, 25000)
        piece = self.piece("V", day)
        return self.pairs("v", day, piece, f"Facture {piece} {name} {cents_text(fc)} €",
                          [("1100", "3400", chf, "EUR", rate, fc)])

    def eur_payment(self, day: date) -> list[Row]:
        """A customer's payment received on the EUR account."""
        name = self.rng.choice(self.foreign)[0]
        chf, rate, fc = self._fx("EUR", day, 400, 25000)
        return self.pairs("d", day, "", f"Encaissement {name} {cents_text(fc)} €",
                          [("1021", "1100", chf, "EUR", rate, fc)])

    def eur_to_chf(self, day: date) -> list[Row]:
        """EUR changed into CHF: a share of the EUR account moved to the bank."""
        rate = self.fx_rate("EUR", day)
        chf = self.settled("1021", 0.3, 0.6, 500, 5000)
        fc = chf * 1_000_000 // rate
        chf = (fc * rate + 500_000) // 1_000_000
        return self.pairs("d", day, "", f"Change EUR {cents_text(fc)} € en CHF",
                          [("1020", "1021", chf, "EUR", rate, fc)])

    def eur_batch_payment(self, day: date) -> list[Row]:
        """Two EUR suppliers paid at once: a split entry whose credit row carries the
        currency."""
        chf, rate, fc = self._fx("EUR", day, 500, 8000)
        first = chf // 3 // 5 * 5 or 5
        return self.split("d", day, self.piece("P", day),
                          f"Paiement groupé fournisseurs EUR {cents_text(fc)} €",
                          [("2000", "D", first), ("2000", "D", chf - first),
                           ("1021", "C", chf, "EUR", rate, fc)])

    def usd_purchase(self, day: date) -> list[Row] | None:
        """A software licence billed in USD."""
        if "1022" not in self.chart:
            return None
        rng = self.rng
        name = rng.choice([n for n, c in demo_data.FOREIGN_SUPPLIERS if c == "USD"])
        chf, rate, fc = self._fx("USD", day, 50, 3000)
        return self.pairs("a", day, self.piece("A", day),
                          f"{name}: licence logicielle USD {cents_text(fc)}",
                          [("6570", "2000", chf, "USD", rate, fc)])

    def usd_payment(self, day: date) -> list[Row] | None:
        if "1022" not in self.chart:
            return None
        chf, rate, fc = self._fx("USD", day, 50, 3000)
        return self.pairs("d", day, "", f"Paiement Northwind Software Inc. USD {cents_text(fc)}",
                          [("2000", "1022", chf, "USD", rate, fc)])

    def buy_usd(self, day: date) -> list[Row] | None:
        if "1022" not in self.chart:
            return None
        chf, rate, fc = self._fx("USD", day, 200, 2500)
        return self.pairs("d", day, "", "Achat de devises USD",
                          [("1022", "1020", chf, "USD", rate, fc)])

    def exchange_difference(self, day: date) -> list[Row]:
        if self.rng.random() < 0.5:
            return self.pairs("d", day, "", "Différence de change EUR",
                              [("3806", "1021", self.amount(1, 300))])
        return self.pairs("d", day, "", "Différence de change EUR",
                          [("1021", "3806", self.amount(1, 300))])

    def reversal(self, day: date) -> list[Row] | None:
        return (self.reversal_negative if self.rng.random() < 0.5 else self.reversal_swap)(day)

    def reversal_negative(self, day: date) -> list[Row] | None:
        """A reversal (journal x) as the same accounts with a negative amount."""
        if not self.reversible:
            return None
        r = self.reversible.popleft()
        return self.pairs("x", day, r.piece, f"Extourne: {r.label}"[:100].rstrip(),
                          [(r.debit, r.credit, -r.amount)])

    def reversal_swap(self, day: date) -> list[Row] | None:
        """A reversal (journal x) as the accounts swapped."""
        if not self.reversible:
            return None
        r = self.reversible.pop()
        return self.pairs("x", day, r.piece, f"Annulation: {r.label}"[:100].rstrip(),
                          [(r.credit, r.debit, r.amount)])

    def asset_purchase(self, day: date) -> list[Row]:
        """An investment (journal m): IT equipment with input VAT on investments (1171)."""
        net = self.amount(1500, 12000)
        vat = self.vat(net, self.vat_rate("N", day))
        return self.split("m", day, self.piece("A", day),
                          "Informatique Clerc Sàrl: serveur et postes de travail",
                          [("1520", "D", net), ("1171", "D", vat), ("2000", "C", net + vat)])

    def inventory(self, day: date) -> list[Row]:
        """The change in merchandise stock (journal i)."""
        if self.rng.random() < 0.5:
            return self.pairs("i", day, self.piece("INV", day), "Variation des stocks",
                              [("1200", "4208", self.amount(200, 8000))])
        return self.pairs("i", day, self.piece("INV", day), "Variation des stocks",
                          [("4208", "1200", self.amount(200, 8000))])

    def vat_statement(self, day: date) -> list[Row] | None:
        """The quarter's VAT statement (split): output VAT (2200) against input VAT (1170,
        1171), the difference on 2201."""
        out, inp, inv = (self.balances.get(a, 0) for a in ("2200", "1170", "1171"))
        details = []
        if out < 0:
            details.append(("2200", "D", -out))
        if inp > 0:
            details.append(("1170", "C", inp))
        if inv > 0:
            details.append(("1171", "C", inv))
        net = sum(d[2] if d[1] == "D" else -d[2] for d in details)
        if net:
            details.append(("2201", "C", net) if net > 0 else ("2201", "D", -net))
        if len(details) < 2:
            return None
        return self.split("d", day, self.piece("TVA", day),
                          f"Décompte TVA au {day:%d.%m.%Y}", details)

    def depreciation(self, day: date) -> list[Row] | None:
        """Depreciation of the fixed assets (journal m), one row per asset."""
        pairs = []
        for account, rate in (("1510", 10), ("1520", 25), ("1530", 20)):
            balance = self.balances.get(account, 0)
            amount = balance * rate // 100 // 5 * 5
            if amount > 0:
                pairs.append(("6800", account, amount))
        if not pairs:
            return None
        return self.pairs("m", day, self.piece("AM", day), "Amortissements de l'exercice",
                          pairs)

    def closing(self, day: date) -> list[Row]:
        """The year's result (journal b): 9200 against 2979."""
        result = -sum(b for a, b in self.balances.items() if a[0] in "345678")
        if result >= 0:
            pair = ("9200", "2979", result or 5)
        else:
            pair = ("2979", "9200", -result)
        return self.pairs("b", day, self.piece("B", day), "Bénéfice / perte de l'exercice",
                          [pair])
