"""What a drill compares: rows per table and each account's debits and credits, as the file
declares them and as the restored organization holds them.

The file's side is taken in one streaming pass (:func:`tally_file`): the manifest's row
counts, the natural keys of the organization-level rows (restored by matching them, so
counted by key), and each account's debit and credit totals summed from the journal lines
as their chunks go by, only the tables that need it decoded; memory grows with the number
of accounts, never with the lines. The restored side is a few SQL queries
(:func:`measure`). Amounts are integers of minor units, compared exactly (as Decimal,
whatever the engine returns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..account_sums import add_lines
from ..archive.age import Unlocker
from ..archive.reader import BackupReader
from ..archive.values import decode_rows
from ..destinations import open_location, size_of
from ..destinations.base import HashingReader
from ..errors import Text, said
from ..progress import FIGURES, Progress
from ..restore import GroupPlan
from ..soundness import SPECS
from ..store import schema
from ..store.engines import Database

ACCOUNTS, LINES = "accounts", schema.BALANCED.table
_ORG_TABLES = {t.name for t in schema.org_tables()}
_DECODED = _ORG_TABLES | {ACCOUNTS, LINES}
_COLUMNS = {name: schema.table(name).column_names for name in _DECODED}

AccountKey = tuple[str, str]  # (the uid of its group in the throwaway, its number)


@dataclass
class Figures:
    """Rows per table, the organization-level rows' natural keys, and (debits, credits)
    per account, on one side of the comparison."""

    rows: dict[str, int] = field(default_factory=dict)
    keys: dict[str, set[tuple]] = field(default_factory=dict)
    accounts: dict[AccountKey, tuple[Decimal, Decimal]] = field(default_factory=dict)


@dataclass
class Tally:
    """The file's figures, and the size and SHA-256 of the bytes they were read from."""

    figures: Figures
    digest: tuple[int, str]


def tally_file(file: Path | str, unlocker: Unlocker, groups: list[GroupPlan],
               progress: Progress | None = None) -> Tally:
    """Read the file's figures in one pass; ``groups``: the restore's plans, which say the
    uid each group of the file has in the throwaway."""
    target = {(g.org_index, g.key): g.target_uid for g in groups if g.restored}
    keys: dict[str, set[tuple]] = {t: set() for t in _ORG_TABLES}
    key_columns = {t: [_COLUMNS[t].index(k) for k in schema.table(t).natural_key]
                   for t in _ORG_TABLES}
    accounts: dict[tuple[int, int], AccountKey] = {}  # (organization, id) in the file
    sums: dict[int, dict[int, list[int]]] = {}  # organization → account id → [debit, credit]
    i_id, i_number = _COLUMNS[ACCOUNTS].index("id"), _COLUMNS[ACCOUNTS].index("number")
    i_account, i_debit, i_credit = (_COLUMNS[LINES].index(c)
                                    for c in ("account_id", "debit", "credit"))
    size = size_of(file) if progress else 0
    with HashingReader(open_location(file)) as f:
        reader = BackupReader(f, unlocker)
        for chunk in reader.chunks():
            where = chunk.where
            if where.table in _DECODED and (where.scope == "org" or
                                            (where.org, where.scope) in target):
                rows = decode_rows(chunk.data, SPECS[where.table], chunk.name)
                if where.table in keys:
                    picked = key_columns[where.table]
                    keys[where.table].update(tuple(r[i] for i in picked) for r in rows)
                elif where.table == ACCOUNTS:
                    uid = target[(where.org, where.scope)]
                    for r in rows:
                        accounts[(where.org, r[i_id])] = (uid, r[i_number])
                else:
                    add_lines(sums.setdefault(where.org, {}), rows, i_account, i_debit,
                              i_credit)
            if progress:  # in bytes: the rows of the chunks not decoded are not counted
                progress(f.size, size, FIGURES)
        digest = f.digest()
    figures = Figures(keys=keys)
    for g in groups:
        if g.restored:
            for table, n in g.rows.items():
                figures.rows[table] = figures.rows.get(table, 0) + n
    for t in _ORG_TABLES:
        figures.rows[t] = len(keys[t])
    for (org, account), key in accounts.items():
        debit, credit = sums.get(org, {}).get(account, (0, 0))
        figures.accounts[key] = (Decimal(debit), Decimal(credit))
    return Tally(figures, digest)


def measure(db: Database, expected: Figures) -> Figures:
    """The restored organization's figures: rows per table (for organization-level tables,
    the rows whose natural key the file holds), debits and credits per account."""
    found = Figures()
    for t in schema.TABLES:
        if t.name in _ORG_TABLES:
            held = {tuple(r) for r in db.query(f"SELECT {', '.join(t.natural_key)} FROM {t.name}")}
            found.keys[t.name] = held & expected.keys.get(t.name, set())
            found.rows[t.name] = len(found.keys[t.name])
        else:
            found.rows[t.name] = int(db.scalar(f"SELECT count(*) FROM {t.name}"))
    # The lines summed per account first, in one pass over them (joined line by line to
    # their accounts, SQLite would look each one up: four times slower).
    for uid, number, debit, credit in db.query(
            f"SELECT g.uid, a.number, COALESCE(s.debit, 0), COALESCE(s.credit, 0) "
            f"FROM {ACCOUNTS} a JOIN {schema.GROUP_TABLE} g ON g.id = a.group_id "
            f"LEFT JOIN (SELECT account_id, SUM(debit) AS debit, SUM(credit) AS credit "
            f"FROM {LINES} GROUP BY account_id) s ON s.account_id = a.id"):
        found.accounts[(uid, number)] = (Decimal(debit), Decimal(credit))
    return found


Amounts = tuple[Decimal, Decimal]  # an account's (debit, credit), in minor units
NO_ACCOUNT = "no such account"  # what the JSON says for an account one side does not hold


@dataclass
class Difference:
    """One figure that differs: a table's rows, or an account's debits and credits, as the
    file declares them (``expected``) and as the restored organization holds them
    (``found``). :attr:`text` says it (translatable), :meth:`as_dict` gives it to JSON."""

    kind: str  # "rows" or "balance"
    what: str  # the table, or the account's number
    expected: int | Amounts | None  # rows, or (debit, credit); None: no such account
    found: int | Amounts | None
    group: str = ""  # the account's group's name (kind "balance")

    @property
    def account(self) -> Text:
        return said('{number} of the group "{group}"', number=self.what, group=self.group)

    @property
    def text(self) -> Text:
        if self.kind == "rows":
            return said("{table}: {found} rows restored, {expected} in the backup",
                        table=self.what, found=self.found, expected=self.expected)
        if self.found is None:
            return said("account {account}: not restored, {expected} in the backup",
                        account=self.account, expected=_amounts(self.expected))
        if self.expected is None:
            return said("account {account}: {found} restored, not in the backup",
                        account=self.account, found=_amounts(self.found))
        return said("account {account}: {found} restored, {expected} in the backup",
                    account=self.account, found=_amounts(self.found),
                    expected=_amounts(self.expected))

    def as_dict(self) -> dict:
        if self.kind == "rows":
            return {"kind": self.kind, "what": self.what, "expected": str(self.expected),
                    "found": str(self.found)}
        sides = {side: NO_ACCOUNT if pair is None else str(_amounts(pair))
                 for side, pair in (("expected", self.expected), ("found", self.found))}
        return {"kind": self.kind, "what": str(self.account), **sides}


def compare(expected: Figures, found: Figures, group_names: dict[str, str]
            ) -> list[Difference]:
    """Every figure of ``expected`` that ``found`` does not match, and every account
    ``found`` holds that the file does not."""
    out: list[Difference] = []
    for t in schema.TABLES:
        want, got = expected.rows.get(t.name, 0), found.rows.get(t.name, 0)
        if want != got:
            out.append(Difference("rows", t.name, want, got))
    for key in sorted(expected.accounts.keys() | found.accounts.keys()):
        want_pair = expected.accounts.get(key)
        got_pair = found.accounts.get(key)
        if want_pair != got_pair:
            uid, number = key
            out.append(Difference("balance", number, want_pair, got_pair,
                                  group_names.get(uid, uid)))
    return out


def _amounts(pair: Amounts) -> Text:
    debit, credit = pair
    return said("debit {debit}, credit {credit}, balance {balance}", debit=_francs(debit),
                credit=_francs(credit), balance=_francs(debit - credit))


def _francs(minor: Decimal) -> str:
    return f"{minor.scaleb(-2):.2f}"
