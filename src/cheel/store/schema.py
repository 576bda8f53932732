"""The logical schema of an organization database, declared once as data.

Every table states its scope (``org``, ``group`` or ``company``), the column through which it
reaches that scope (``via``), and its natural key: what identifies a row to a person,
whatever its id (an entry is its fiscal year and number, an account its number, a line its
entry and its position among the entry's lines). Backup and restore read these declarations;
nothing about scope or identity is hard-coded elsewhere.

A natural key names columns of the table; a foreign key among them stands for the natural
key of the row it points to (a line's entry is that entry's fiscal year and number, and the
fiscal year its company's uid and start date), never for its id. :data:`POSITION`, last,
stands for the row's rank by id among the rows whose other key columns are equal. Rows whose
keys are equal are told apart the same way, by their order of ids. Organization-level rows
are matched on restore by their natural key (a user by login); a diff matches every row by
it (:mod:`cheel.diff`). A reference to the group itself (``group_id``) is the scope, the
same for every row of a group.

Logical column types and how each engine stores them:

=========  ==========================  ====================
type       SQLite                      PostgreSQL
=========  ==========================  ====================
id         INTEGER PRIMARY KEY         BIGINT identity
int        INTEGER                     BIGINT
bool       INTEGER (0/1)               BOOLEAN
text       TEXT                        TEXT
decimal    TEXT (canonical decimal)    NUMERIC(p, s)
date       TEXT ``YYYY-MM-DD``         DATE
timestamp  TEXT ``YYYY-MM-DD HH:MM:SS`` TIMESTAMP (UTC)
binary     BLOB                        BYTEA
=========  ==========================  ====================

Money is ``int`` in minor units (centimes); rates are ``decimal``. Nothing is float.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 1
# Characters of a text value, unless its column says otherwise: far above what a person
# types, so that a backup always carries what an organization holds, yet bounded.
TEXT_LIMIT = 1_000_000
NAME, UID, LANGUAGE = "name", "uid", "language"  # rules a text column's values follow

ORG, GROUP, COMPANY = "org", "group", "company"
# In a natural key: the row's rank, by id, among the rows whose other key columns are equal.
POSITION = "#position"
GROUP_TABLE = "company_groups"
COMPANY_TABLE = "companies"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # id, int, bool, text, decimal, date, timestamp, binary
    nullable: bool = True
    ref: str | None = None  # referenced table (foreign key to its id)
    unique: bool = False
    secret: bool = False  # never leaves the database (not backed up)
    precision: tuple[int, int] | None = None  # decimal (precision, scale)
    max_length: int = 0  # text: the longest value a backup may carry (0: TEXT_LIMIT)
    max_abs: int = 0  # int: the largest magnitude a backup may carry (0: 64 bits)
    rule: str | None = None  # text: NAME (a typed name's rule), UID, LANGUAGE


@dataclass(frozen=True)
class Table:
    name: str
    scope: str
    columns: tuple[Column, ...]
    via: str | None = None  # foreign-key column leading towards the scope root
    natural_key: tuple[str, ...] = ()  # what identifies a row (see the module)
    uniques: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    new_uid_on_copy: tuple[str, ...] = ()  # columns that get a fresh uuid when copied

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def backup_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.secret]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def foreign_keys(self) -> list[Column]:
        return [c for c in self.columns if c.ref]


def _id() -> Column:
    return Column("id", "id", nullable=False)


def _fk(name: str, ref: str, nullable: bool = False) -> Column:
    return Column(name, "int", nullable=nullable, ref=ref)


def _c(name: str, type_: str, nullable: bool = True, **kw) -> Column:
    return Column(name, type_, nullable=nullable, **kw)


# Money is an int of minor units (centimes), at most 10^15 in magnitude (ten trillion
# francs): far beyond any SME's books, and small enough that SQLite's 64-bit SUM of an
# entry's lines cannot overflow before it has some 9,000 lines at the limit.
MONEY_LIMIT = 10**15


def _money(name: str, nullable: bool = False) -> Column:
    return Column(name, "int", nullable=nullable, max_abs=MONEY_LIMIT)


# Parents before children: this order is the backup order and the restore order.
TABLES: tuple[Table, ...] = (
    # -- organization level -------------------------------------------------------------
    Table("languages", ORG, (
        _id(), _c("code", "text", False, unique=True, rule=LANGUAGE),
        _c("position", "int", False),
    ), natural_key=("code",)),
    Table("users", ORG, (
        _id(), _c("login", "text", False, unique=True, rule=NAME), _c("name", "text", False),
        _c("role", "text", False), _c("password_hash", "text", secret=True),
    ), natural_key=("login",)),
    # -- group level --------------------------------------------------------------------
    Table("company_groups", GROUP, (
        _id(), _c("uid", "text", False, unique=True, rule=UID),
        _c("name", "text", False, unique=True, rule=NAME), _c("created_at", "timestamp", False),
    ), natural_key=("uid",), new_uid_on_copy=("uid",)),
    Table("currencies", GROUP, (
        _id(), _fk("group_id", GROUP_TABLE), _c("code", "text", False),
        _c("name", "text", False), _c("decimals", "int", False),
    ), via="group_id", natural_key=("group_id", "code"),
       uniques=(("group_id", "code"),)),
    Table("exchange_rates", GROUP, (
        _id(), _fk("currency_id", "currencies"), _c("valid_from", "date", False),
        _c("rate", "decimal", False, precision=(18, 6)),
    ), via="currency_id", natural_key=("currency_id", "valid_from")),
    Table("accounts", GROUP, (
        _id(), _fk("group_id", GROUP_TABLE), _c("number", "text", False),
        _c("kind", "text", False), _fk("currency_id", "currencies", nullable=True),
        _c("active", "bool", False),
    ), via="group_id", natural_key=("group_id", "number"),
       uniques=(("group_id", "number"),)),
    Table("account_names", GROUP, (
        _id(), _fk("account_id", "accounts"), _fk("language_id", "languages"),
        _c("name", "text", False),
    ), via="account_id", natural_key=("account_id", "language_id"),
       uniques=(("account_id", "language_id"),)),
    Table("vat_codes", GROUP, (
        _id(), _fk("group_id", GROUP_TABLE), _c("code", "text", False),
        _c("kind", "text", False), _c("rate", "decimal", False, precision=(5, 2)),
        _c("valid_from", "date", False), _c("valid_to", "date"),
        _fk("account_id", "accounts", nullable=True),
    ), via="group_id", natural_key=("group_id", "code", "valid_from")),
    Table("contacts", GROUP, (
        _id(), _fk("group_id", GROUP_TABLE), _c("kind", "text", False),
        _c("name", "text", False), _c("first_name", "text"),
        _fk("firm_id", "contacts", nullable=True), _c("language", "text"),
        _fk("created_by", "users", nullable=True), _c("created_at", "timestamp", False),
    ), via="group_id", natural_key=("group_id", "created_at", POSITION)),
    Table("addresses", GROUP, (
        _id(), _fk("contact_id", "contacts"), _c("kind", "text", False),
        _c("street", "text"), _c("postcode", "text", False), _c("city", "text", False),
        _c("country", "text", False),
    ), via="contact_id", natural_key=("contact_id", "kind", POSITION)),
    Table("communications", GROUP, (
        _id(), _fk("contact_id", "contacts"), _c("kind", "text", False),
        _c("value", "text", False),
    ), via="contact_id", natural_key=("contact_id", "kind", POSITION)),
    Table("articles", GROUP, (
        _id(), _fk("group_id", GROUP_TABLE), _c("code", "text", False),
        _c("unit", "text", False), _money("price"),
        _fk("vat_code_id", "vat_codes", nullable=True),
        _fk("account_id", "accounts", nullable=True),
    ), via="group_id", natural_key=("group_id", "code"),
       uniques=(("group_id", "code"),)),
    Table("article_names", GROUP, (
        _id(), _fk("article_id", "articles"), _fk("language_id", "languages"),
        _c("description", "text", False),
    ), via="article_id", natural_key=("article_id", "language_id"),
       uniques=(("article_id", "language_id"),)),
    # -- company level ------------------------------------------------------------------
    Table("companies", COMPANY, (
        _id(), _fk("group_id", GROUP_TABLE), _c("uid", "text", False, unique=True, rule=UID),
        _c("name", "text", False, rule=NAME), _c("legal_form", "text"), _c("ide_number", "text"),
        _c("vat_number", "text"), _fk("contact_id", "contacts", nullable=True),
        _c("created_at", "timestamp", False),
    ), via="group_id", natural_key=("uid",), new_uid_on_copy=("uid",)),
    Table("fiscal_years", COMPANY, (
        _id(), _fk("company_id", "companies"), _c("name", "text", False),
        _c("start_date", "date", False), _c("end_date", "date", False),
        _c("closed", "bool", False),
    ), via="company_id", natural_key=("company_id", "start_date")),
    Table("journal_entries", COMPANY, (
        _id(), _fk("company_id", "companies"), _fk("fiscal_year_id", "fiscal_years"),
        _c("number", "int", False), _c("date", "date", False), _c("reference", "text"),
        _c("description", "text", False), _c("journal", "text", False),
        _fk("created_by", "users", nullable=True), _c("created_at", "timestamp", False),
    ), via="company_id", natural_key=("fiscal_year_id", "number")),
    Table("entry_lines", COMPANY, (
        _id(), _fk("entry_id", "journal_entries"), _fk("account_id", "accounts"),
        _money("debit"), _money("credit"),
        _fk("vat_code_id", "vat_codes", nullable=True),
        _fk("currency_id", "currencies", nullable=True), _money("amount_fc", nullable=True),
        _c("rate", "decimal", precision=(18, 6)), _c("text", "text"),
    ), via="entry_id", natural_key=("entry_id", POSITION)),
    Table("invoices", COMPANY, (
        _id(), _fk("company_id", "companies"), _c("number", "text", False),
        _fk("contact_id", "contacts"), _c("date", "date", False),
        _c("due_date", "date", False), _fk("currency_id", "currencies"),
        _c("qr_reference", "text", False), _money("total"),
        _c("status", "text", False), _fk("entry_id", "journal_entries", nullable=True),
    ), via="company_id", natural_key=("company_id", "number"),
       uniques=(("company_id", "number"),)),
    Table("invoice_lines", COMPANY, (
        _id(), _fk("invoice_id", "invoices"), _fk("article_id", "articles", nullable=True),
        _c("description", "text", False), _c("quantity", "decimal", False, precision=(12, 3)),
        _money("unit_price"), _fk("vat_code_id", "vat_codes", nullable=True),
        _money("amount"),
    ), via="invoice_id", natural_key=("invoice_id", POSITION)),
    Table("payments", COMPANY, (
        _id(), _fk("invoice_id", "invoices"), _c("date", "date", False),
        _money("amount"), _fk("entry_id", "journal_entries", nullable=True),
    ), via="invoice_id", natural_key=("invoice_id", POSITION)),
    Table("documents", COMPANY, (
        _id(), _fk("company_id", "companies"), _fk("entry_id", "journal_entries", nullable=True),
        _c("filename", "text", False), _c("mime_type", "text", False),
        _c("content", "binary", False), _c("created_at", "timestamp", False),
    ), via="company_id", natural_key=("company_id", "filename", "created_at")),
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


@dataclass(frozen=True)
class Balanced:
    """Rows of ``table`` grouped by ``key`` must have equal ``debit`` and ``credit`` sums."""

    table: str
    key: str
    debit: str
    credit: str


BALANCED = Balanced("entry_lines", "entry_id", "debit", "credit")


def table(name: str) -> Table:
    return BY_NAME[name]


def org_tables() -> list[Table]:
    return [t for t in TABLES if t.scope == ORG]


def group_tables() -> list[Table]:
    """Tables whose rows belong to one company group (group and company scope)."""
    return [t for t in TABLES if t.scope in (GROUP, COMPANY)]


def scope_chain(t: Table) -> list[tuple[str, str]]:
    """The (column, referenced table) hops from ``t`` to ``company_groups``."""
    hops: list[tuple[str, str]] = []
    cur = t
    while cur.name != GROUP_TABLE:
        if cur.via is None:
            raise ValueError(f"table {cur.name} declares no scope path")
        ref = cur.column(cur.via).ref
        assert ref is not None
        hops.append((cur.via, ref))
        cur = BY_NAME[ref]
    return hops


def _check_natural_key(t: Table) -> None:
    """A natural key: columns of the table that are never NULL (a foreign key among them to
    a table declared before, or the group itself), :data:`POSITION` only last."""
    if not t.natural_key:
        raise AssertionError(f"table {t.name} needs a natural key")
    for i, name in enumerate(t.natural_key):
        if name == POSITION:
            if i != len(t.natural_key) - 1:
                raise AssertionError(f"{t.name}: the position ends a natural key")
            continue
        c = t.column(name)
        if c.nullable or c.type in ("binary", "decimal", "bool") or c.ref == t.name:
            raise AssertionError(f"{t.name}.{name} cannot be part of a natural key")


def _check() -> None:
    seen: set[str] = set()
    for t in TABLES:
        for c in t.foreign_keys:
            if c.ref != t.name and c.ref not in seen:
                raise AssertionError(f"{t.name}.{c.name} references {c.ref} declared later")
        _check_natural_key(t)
        if t.scope in (GROUP, COMPANY):
            scope_chain(t)
        seen.add(t.name)


_check()
