"""Issue 15, the property: a backup mutated self-consistently (index, checksums and seal
recomputed, so every integrity check passes) is either restored faithfully or refused in
one sentence, and ``verify``, ``restore --dry-run`` and ``restore`` say the same of it.

For each mutated file (``sound_fixtures.Checker.check``): ``verify``, ``restore --dry-run
--create``, ``restore --create``, ``restore --dry-run`` and ``restore --on-conflict copy``
into EXISTING (an organization holding the same groups and its own rows), each on a fresh
copy of the targets:

- every exit code is 0, 3 or 4, never 1, never a traceback; a refusal is one sentence
  (``Error: …`` and at most a ``Hint: …``);
- the five verdicts are the same (verify 0 ⇔ dry run 0 ⇔ restore 0);
- refused: the new organization is not listed and left nothing behind, EXISTING is
  unchanged (fingerprint);
- accepted: every restored group holds exactly what the file says (read without cheel:
  ``sound_fixtures.file_groups``), EXISTING's own groups are unchanged;
- and where the issue says what a sound reader does (``Mutation.expect``): refused (exit 4)
  or accepted.

Mutations, by class (strategies below; ``test_sound_classes.py`` tries named cases of every
class on every run): chunk values per column type; ids; declared id ranges; foreign keys;
names (and uids); manifest keys, types and shapes; the manifest's declared column types;
columns and tables; row counts; the closing index; chunk bytes; members and rows;
harmless changes that must be accepted.

Runs on SQLite (``CHEEL_PROPERTY_EXAMPLES`` mutated files, default 1500: 1¼ to 1¾ minutes here)
and on PostgreSQL (``CHEEL_PROPERTY_PG_EXAMPLES``, default 60: about a minute; skipped
without a server), derandomized so that CI tries the same files every run.
``CHEEL_PROPERTY_SURVEY=1`` tries every example without stopping at the first failure and
fails at the end with the problems, by class (no shrinking); ``CHEEL_PROPERTY_SURVEY=FILE``
also writes every failure to FILE. The number of mutated files tried is printed at the end
of the session.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cheel.store import schema

import sound_fixtures
from sound_fixtures import ACCEPT, EITHER, REFUSE
from sound_fixtures import count_report, honest, module_kdf, sources  # noqa: F401 (fixtures)

EXAMPLES = int(os.environ.get("CHEEL_PROPERTY_EXAMPLES", "1500"))
PG_EXAMPLES = int(os.environ.get("CHEEL_PROPERTY_PG_EXAMPLES", "60"))
SURVEY = os.environ.get("CHEEL_PROPERTY_SURVEY", "")  # "1", or a file to write every failure to


# -- values -------------------------------------------------------------------------------------
BIG = st.one_of(st.integers(min_value=2 ** 63, max_value=2 ** 200),
                st.integers(min_value=-2 ** 200, max_value=-2 ** 63 - 1))
ODD = st.sampled_from([1.5, 1000.0, -0.0, "12", True, False, None, [1], {"a": 1}])
INTS = st.one_of(st.sampled_from([2 ** 63, -2 ** 63 - 1, 2 ** 64, 10 ** 30, 2 ** 63 - 1,
                                  -2 ** 63, 0, -1]), BIG, ODD,
                 st.integers(sound_fixtures.INT64_MIN, sound_fixtures.INT64_MAX))
BOOLS = st.one_of(st.sampled_from([2, 7, -1, 1.0, True, "1", None, 0, 1, 2 ** 64]),
                  st.integers(-3, 9))
TEXT_EDGES = ["a\x00b", "\x00", "\ud800", "x\udfffy", "\x1b[31mrot\x1b[0m", "\x07", "\x7f",
              "\x85", "\u202eevil", "zero\u200bwidth", "Zeile 1\r\nZeile 2", "x" * 100_000,
              "", "Ünïcödé ✓ 😀", "[/]", 5, 1.5, None, True, ["x"], {"a": "b"}]
TEXTS = st.one_of(st.sampled_from(TEXT_EDGES), st.text(max_size=30),
                  st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Zs"]),
                          min_size=1, max_size=5))
DECIMAL_EDGES = ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e400", "1E5",
                 "8.123", "0.1234567", "1.0001", "1234.00", "1000000000000.000",
                 "123456789012345.000000", "", " 8.10", "8.10 ", "8,10", "0x10", "١٢.٣٤",
                 "1_000.00", "--1", ".5", "+8.10", "-0.00", "8.1", "08.10", 8.1, 8, None,
                 "8.10", "3.80", "0.951234", "9.500"]
DECIMALS = st.one_of(
    st.sampled_from(DECIMAL_EDGES),
    st.builds(lambda sign, whole, frac: f"{sign}{whole}.{frac}", st.sampled_from(["", "-"]),
              st.integers(0, 10 ** 16).map(str), st.text("0123456789", max_size=8)),
    st.decimals(allow_nan=True, allow_infinity=True).map(str))
DATE_EDGES = ["2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-1-1",
              " 2024-01-01", "2024-01-01 ", "2024-01-01T00:00:00", "20240101", "", "0000-01-01",
              "10000-01-01", "2024-06-31", "२०२४-०१-०१", "2024‐01‐01", "2024-02-29", 20240101,
              None]
DATES = st.one_of(st.sampled_from(DATE_EDGES),
                  st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 10000),
                            st.integers(0, 13), st.integers(0, 32)))
STAMP_EDGES = ["2024-01-01 24:00:00", "2024-01-01 23:60:00", "2024-01-01 12:00:60",
               "2024-02-30 10:00:00", "2024-01-01T12:00:00", "2024-01-01 12:00",
               "2024-01-01 12:00:00+02:00", "2024-01-01 12:00:00.5", "2024-01-01", "",
               "2024-01-01  12:00:00", "2024-01-02 08:00:59", None, 1704067200]
STAMPS = st.one_of(st.sampled_from(STAMP_EDGES),
                   st.builds(lambda d, h, mi, s: f"{d} {h:02d}:{mi:02d}:{s:02d}",
                             st.sampled_from(["2024-01-01", "2024-02-29", "2023-02-29"]),
                             st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)))
BINARIES = st.one_of(st.sampled_from(["!!!!", "AAA", "AAAA\n", "AB==", "A===", "", "====",
                                      123, None, "QUJD", "QUJD\u00e9"]),
                     st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
                     st.text("ABCab+/=!-_", max_size=9))
BY_TYPE = {"int": INTS, "bool": BOOLS, "text": TEXTS, "decimal": DECIMALS, "date": DATES,
           "timestamp": STAMPS, "binary": BINARIES}


def _value_targets() -> list[tuple[str, str, str, str]]:
    """(scope, table, column, type) of every plain value column: no id, no foreign key, no
    group or company name or uid (the name class changes those consistently)."""
    out = []
    for t in schema.TABLES:
        for c in t.backup_columns:
            if c.type == "id" or c.ref:
                continue
            if t.name in (schema.GROUP_TABLE, schema.COMPANY_TABLE) and c.name in ("uid", "name"):
                continue
            out.append(("org" if t.scope == schema.ORG else "g1", t.name, c.name, c.type))
    return sorted(out, key=lambda x: x[0] == "org")  # group columns first (drawn most)


VALUE_TARGETS = _value_targets()
FK_TARGETS = [(t.name, c.name, schema.table(c.ref).scope == schema.ORG)
              for t in schema.group_tables() for c in t.foreign_keys]


@st.composite
def value_mutations(draw):
    scope, table, column, typ = draw(st.sampled_from(VALUE_TARGETS))
    value = draw(BY_TYPE[typ])
    return sound_fixtures.set_value(table, column, value, row=draw(st.integers(0, 20)), scope=scope)


@st.composite
def fk_mutations(draw):
    table, column, to_org = draw(st.sampled_from(FK_TARGETS))
    to = draw(st.sampled_from(["org-missing", "org-other", "null"] if to_org
                              else ["other", "missing", "null", "same"]))
    return sound_fixtures.set_ref(table, column, to, row=draw(st.integers(0, 20)))


GROUP_TABLES = [t.name for t in schema.group_tables()]


def _id_expect(table: str, new_id, row: int, refs: bool, fix: bool):
    """What a sound reader does with a row renumbered so."""

    def judge(p: sound_fixtures.Parts) -> str:
        scope = "org" if table in ("users", "languages") else "g1"
        ids = p.ids(table, scope)
        old = sound_fixtures.pick(ids, row)
        if new_id in ("dup", "other") or isinstance(new_id, bool) or \
                not isinstance(new_id, (int, str)) or \
                (isinstance(new_id, str) and not new_id.startswith("max+")):
            return REFUSE
        if isinstance(new_id, int) and \
                not sound_fixtures.INT64_MIN <= new_id <= sound_fixtures.INT64_MAX:
            return REFUSE
        referenced = any(x[ci] == old for t, ci in sound_fixtures.references(p, table)
                         for x in p.rows(t, scope if scope != "org" else None))
        if referenced and not refs:
            return REFUSE
        value = max(ids) + int(new_id[4:]) if isinstance(new_id, str) else new_id
        if not fix and scope != "org" and not min(ids) <= value <= max(ids):
            return REFUSE  # outside the declared range
        if isinstance(new_id, str) and (fix or scope == "org"):
            return ACCEPT  # a fresh id above the others, everything consistent
        return EITHER

    return judge


@st.composite
def id_mutations(draw):
    kind = draw(st.sampled_from(["renumber", "renumber", "swap", "range"]))
    if kind == "swap":
        return sound_fixtures.swap_rows(draw(st.sampled_from(GROUP_TABLES)), 0,
                                        draw(st.integers(1, 5)))
    if kind == "range":
        table = draw(st.sampled_from(GROUP_TABLES))
        lo, hi, expect = draw(st.sampled_from([
            (1, 2 ** 62, EITHER), (1, 2 ** 63 - 1, EITHER), (-2 ** 63, 2 ** 63 - 1, EITHER),
            ("lo+1", "hi", None), ("lo", "hi-1", None), (1, 10 ** 30, REFUSE),
            ("hi", "lo", None), (0, "hi", EITHER), ("lo", 2 ** 63, REFUSE),
            ("lo", "x", REFUSE), (1.5, "hi", REFUSE), (None, "hi", REFUSE)]))

        def judge(p: sound_fixtures.Parts, lo=lo, hi=hi) -> str:
            true = p.group("g1")["ids"][table]
            if true[0] == true[1]:
                return EITHER  # one row: lo+1 > hi, a range of nothing, either is sound
            return REFUSE

        return sound_fixtures.lie_ids(table, lo, hi, expect=expect or judge)
    table = draw(st.sampled_from(GROUP_TABLES + ["users"]))
    new_id = draw(st.sampled_from(["dup", "other", "max+1", "max+1000", 0, -1, -2 ** 63,
                                   2 ** 62, 2 ** 63 - 1, 2 ** 63, 2 ** 64, 1.5, "7", None]))
    if table == "users" and new_id == "other":
        new_id = "dup"
    row, refs, fix = draw(st.integers(0, 10)), draw(st.booleans()), draw(st.booleans())
    scope = "org" if table == "users" else "g1"
    m = sound_fixtures.renumber(table, new_id, row=row, scope=scope, refs=refs,
                                fix=fix and scope != "org", expect=EITHER)
    expect = _id_expect(table, new_id, row, refs, fix)
    sort = isinstance(new_id, str) and new_id.startswith("max+")

    def apply(p: sound_fixtures.Parts, m=m) -> None:
        m.apply(p)
        if sort and scope != "org":
            sound_fixtures.sort_by_id(p, table, scope)  # a writer writes rows in id order

    return sound_fixtures.Mutation("id", m.label, apply, expect)


NAME_EDGES = ["Zeile\nZwei", "Esc \x1b[2J", "Nul\x00", "Tab\there", "\x7f", "\x9b31m",
              "x" * 10_000, "x" * 101, "y" * 100, "", "   ", "\u202eevil.pdf",
              "zero\u200bwidth", "[/]", "[bold]Fett[/bold]", "[link=file:///etc/passwd]k[/link]",
              "Gruppe ⟨Ä⟩ 😀", " Muster ", "\ud800", "Solo Sàrl", "Muster AG", 5, None]


@st.composite
def name_mutations(draw):
    what = draw(st.sampled_from(["group", "company", "org"]))
    kind = draw(st.sampled_from(["name", "name", "name", "uid"]))
    index = draw(st.integers(0, 2))
    if kind == "uid" and what != "org":
        uid, expect = draw(st.sampled_from([("dup", EITHER if what == "group" else REFUSE),
                                            ("", EITHER), ("nicht-eine-uuid", EITHER),
                                            ("x\ny", EITHER), (5, REFUSE), (None, REFUSE)]))
        return sound_fixtures.reuid(what, uid, index, expect)
    name = draw(st.one_of(st.sampled_from(NAME_EDGES), st.text(max_size=120)))
    m = sound_fixtures.rename(what, name, index)
    verdict = m.expect

    def judge(p: sound_fixtures.Parts) -> str:
        org = p.manifest["organizations"][0]
        others = [g["name"] for g in org["groups"]] if what == "group" else \
            [c["name"] for g in org["groups"] for c in g["companies"]] if what == "company" \
            else []
        if verdict == ACCEPT and isinstance(name, str) and \
                name.casefold() in [o.casefold() for o in others]:
            return EITHER  # the same name as another one of the file: renamed, or refused
        return verdict

    return sound_fixtures.Mutation("name", m.label, m.apply, judge)


def _manifest_list() -> list[sound_fixtures.Mutation]:
    """Every manifest mutation the property draws from (deletions, wrong types, numbers,
    nesting, versions, shapes)."""
    g = ("organizations", 0, "groups", 0)
    structural = [("format",), ("format_version",), ("schema_version",), ("tables",),
                  ("organizations",), ("organizations", 0, "index"), g[:3],
                  ("organizations", 0, "org_rows"), g + ("key",), g + ("uid",),
                  g + ("companies",), g + ("rows",), g + ("ids",),
                  g + ("companies", 0, "uid"), ("tables", "@entry_lines", "columns"),
                  ("tables", "@entry_lines", "name"),
                  ("tables", "@entry_lines", "columns", "@debit", "name"),
                  ("tables", "@entry_lines", "columns", "@debit", "type")]
    descriptive = [("cheel_version",), ("created_at",), ("encrypted",), ("rows",),
                   ("organizations", 0, "engine"), ("organizations", 0, "schema_version"),
                   ("organizations", 0, "languages"), ("tables", "@entry_lines", "scope"),
                   ("tables", "@entry_lines", "columns", "@debit", "nullable"),
                   ("tables", "@users", "natural_key"),
                   ("tables", "@company_groups", "new_uid_on_copy"),
                   ("tables", "@entry_lines", "columns", "@account_id", "ref"),
                   ("tables", "@entry_lines", "columns", "@rate", "scale")]
    wrong = [None, True, 5, 1.5, "x", [], {}, 10 ** 30, -1]
    out = []
    for path in structural:
        out.append(sound_fixtures.manifest_set(path, expect=REFUSE))
        out += [sound_fixtures.manifest_set(path, v, expect=REFUSE) for v in wrong]
    for path in descriptive:
        out.append(sound_fixtures.manifest_set(path, expect=EITHER))
        out += [sound_fixtures.manifest_set(path, v, expect=EITHER) for v in wrong]
    for v in ("cheel-backup ", "Cheel-Backup", None):
        out.append(sound_fixtures.manifest_set(("format",), v, expect=REFUSE))
    for v in (2, 0, -1, 10 ** 30, "1", 1.0, True, 1e30):
        out.append(sound_fixtures.manifest_set(("format_version",), v, expect=REFUSE))
    for v in (2, 10 ** 30, "1", 1.0, True, None, -1):
        out.append(sound_fixtures.manifest_set(("schema_version",), v, expect=REFUSE))
    out.append(sound_fixtures.manifest_set(("schema_version",), 0, expect=EITHER))
    out.append(sound_fixtures.manifest_set(("encrypted",), True, expect=EITHER))
    out.append(sound_fixtures.manifest_set(("organizations", 0, "index"), 1, expect=REFUSE))
    out.append(sound_fixtures.manifest_set(("organizations", 0, "index"), 10 ** 30,
                                           expect=REFUSE))
    out.append(sound_fixtures.manifest_set(g + ("key",), "g2", expect=REFUSE))
    out.append(sound_fixtures.manifest_set(g + ("rows", "entry_lines"), 10 ** 30, expect=REFUSE,
                                           cls="count"))
    out.append(sound_fixtures.manifest_set(g + ("ids", "entry_lines"), [1, 10 ** 30],
                                           expect=REFUSE, cls="id-range"))
    out.append(sound_fixtures.manifest_set(g + ("ids", "entry_lines"), [1], expect=REFUSE,
                                           cls="id-range"))
    out.append(sound_fixtures.manifest_set(g + ("ids", "entry_lines"), "1-20", expect=REFUSE,
                                           cls="id-range"))
    out.append(sound_fixtures.manifest_set(g + ("ids", "entry_lines"), expect=REFUSE,
                                           cls="id-range"))
    out.append(sound_fixtures.manifest_set(("organizations", 0, "groups", 1, "ids", "payments"),
                                           [1, 5], expect=EITHER, cls="id-range"))
    out.append(sound_fixtures.manifest_set(("organizations", 0, "languages"), ["xx"],
                                           expect=EITHER))
    out.append(sound_fixtures.manifest_set(("organizations", 0, "languages"), [],
                                           expect=EITHER))
    for where in ("whole", "unknown", "organizations", "tables"):
        out.append(sound_fixtures.deep_manifest(where))
    out.append(sound_fixtures.deep_manifest("unknown", depth=500, expect=EITHER))
    out.append(sound_fixtures.manifest_edit("manifest is a JSON array", _raw_manifest(b"[]"),
                                            REFUSE))
    out.append(sound_fixtures.manifest_edit("manifest is a JSON string",
                                            _raw_manifest(b'"cheel-backup"'), REFUSE))
    out.append(sound_fixtures.manifest_edit("manifest cut short", lambda p: p.raw.__setitem__(
        "manifest.json", p.manifest_bytes()[:-2]), REFUSE))
    out.append(sound_fixtures.manifest_edit(
        "manifest with a byte-order mark", lambda p: p.raw.__setitem__(
            "manifest.json", b"\xef\xbb\xbf" + p.manifest_bytes()), EITHER))
    out.append(sound_fixtures.manifest_edit("manifest not UTF-8", lambda p: p.raw.__setitem__(
        "manifest.json", p.manifest_bytes().replace("Sàrl".encode(), b"S\xe0rl")), REFUSE))
    out.append(sound_fixtures.manifest_edit("manifest with a NaN literal under an unknown key",
                                            lambda p: p.raw.__setitem__(
                                                "manifest.json",
                                                p.manifest_bytes()[:-1] + b', "zz": NaN}'),
                                            EITHER))
    out.append(sound_fixtures.manifest_edit("groups listed in the other order", _swap_groups,
                                            EITHER))
    out.append(sound_fixtures.manifest_edit("group g2 renamed g3 (its members too)", _rekey_g2,
                                            EITHER))
    out.append(sound_fixtures.manifest_edit("organization index 1 (its members too)",
                                            _reindex_org, EITHER))
    out.append(sound_fixtures.manifest_edit("group g1 listed twice (as g3, without members)",
                                            _duplicate_group, REFUSE))
    out.append(sound_fixtures.manifest_edit("unknown table added to the table list",
                                            _unknown_table, EITHER))
    out.append(sound_fixtures.manifest_edit("entry_lines listed twice in the table list",
                                            _twice_table, EITHER))
    out.append(sound_fixtures.manifest_edit("two tables swapped in the list (members renumbered)",
                                            _swap_tables, EITHER))
    return out


def _raw_manifest(data: bytes):
    return lambda p: p.raw.__setitem__("manifest.json", data)


def _swap_groups(p: sound_fixtures.Parts) -> None:
    groups = p.manifest["organizations"][0]["groups"]
    groups.reverse()


def _rekey_g2(p: sound_fixtures.Parts) -> None:
    p.group("g2")["key"] = "g3"
    sound_fixtures.rename_members(p, lambda n: n.replace("/g2/", "/g3/"))


def _reindex_org(p: sound_fixtures.Parts) -> None:
    p.manifest["organizations"][0]["index"] = 1
    sound_fixtures.rename_members(p, lambda n: n.replace("data/0/", "data/1/"))


def _duplicate_group(p: sound_fixtures.Parts) -> None:
    import copy

    g = copy.deepcopy(p.group("g1"))
    g["key"] = "g3"
    p.manifest["organizations"][0]["groups"].append(g)


def _unknown_table(p: sound_fixtures.Parts) -> None:
    p.manifest["tables"].append({"name": "zz_future", "scope": "group", "columns": [
        {"name": "id", "type": "id", "nullable": False}]})


def _twice_table(p: sound_fixtures.Parts) -> None:
    import copy

    p.manifest["tables"].append(copy.deepcopy(p.table("entry_lines")))


def _swap_tables(p: sound_fixtures.Parts) -> None:
    names = [t["name"] for t in p.tables()]
    i, j = names.index("payments"), names.index("documents")
    p.manifest["tables"][i], p.manifest["tables"][j] = p.manifest["tables"][j], \
        p.manifest["tables"][i]
    sound_fixtures.renumber_members(p, lambda t, seq: j if seq == i else i if seq == j else seq)
    sound_fixtures.reorder(p)


MANIFEST = _manifest_list()

TYPE_CHANGES = [("entry_lines", "debit", "binary"), ("entry_lines", "debit", "text"),
                ("entry_lines", "debit", "decimal"), ("journal_entries", "date", "text"),
                ("documents", "content", "text"), ("exchange_rates", "rate", "text"),
                ("accounts", "active", "int"), ("invoices", "total", "bool"),
                ("contacts", "created_at", "date"), ("entry_lines", "account_id", "text"),
                ("entry_lines", "id", "text"), ("entry_lines", "text", "binary"),
                ("invoice_lines", "quantity", "int"), ("entry_lines", "debit", "float"),
                ("entry_lines", "debit", 5), ("vat_codes", "valid_to", "timestamp")]


def _type_list() -> list[sound_fixtures.Mutation]:
    out = [sound_fixtures.retype(t, c, new) for t, c, new in TYPE_CHANGES]
    out += [sound_fixtures.retype(t, c, new, convert=False) for t, c, new in TYPE_CHANGES[:4]]

    def nullable_lie(p: sound_fixtures.Parts) -> None:
        column = sound_fixtures.at(p.manifest, ("tables", "@entry_lines", "columns", "@debit"))
        column["nullable"] = True
        p.rows("entry_lines")[0][p.col("entry_lines", "debit")] = None

    out.append(sound_fixtures.Mutation("manifest-type",
                                       "entry_lines.debit declared nullable, one null",
                                       nullable_lie, REFUSE))

    def not_null(p: sound_fixtures.Parts) -> None:
        column = sound_fixtures.at(p.manifest, ("tables", "@invoices", "columns", "@entry_id"))
        column["nullable"] = False

    out.append(sound_fixtures.Mutation("manifest-type", "invoices.entry_id declared not nullable",
                                       not_null, EITHER))

    def scale(p: sound_fixtures.Parts) -> None:
        column = sound_fixtures.at(p.manifest, ("tables", "@exchange_rates", "columns", "@rate"))
        column["scale"] = 2

    out.append(sound_fixtures.Mutation("manifest-type", "exchange_rates.rate declared scale 2",
                                       scale, EITHER))

    def ref(p: sound_fixtures.Parts) -> None:
        column = sound_fixtures.at(p.manifest,
                                   ("tables", "@entry_lines", "columns", "@account_id"))
        column["ref"] = "contacts"

    out.append(sound_fixtures.Mutation("manifest-type",
                                       "entry_lines.account_id declared a contacts key",
                                       ref, EITHER))
    out += [sound_fixtures.drop_column("entry_lines", "text", EITHER),
            sound_fixtures.drop_column("contacts", "created_by", EITHER),
            sound_fixtures.drop_column("entry_lines", "debit", REFUSE),
            sound_fixtures.drop_column("currencies", "group_id", REFUSE),
            sound_fixtures.drop_column("accounts", "id", REFUSE),
            sound_fixtures.drop_column("documents", "content", REFUSE),
            sound_fixtures.drop_column("journal_entries", "company_id", REFUSE),
            sound_fixtures.rename_column("entry_lines", "debit", "soll"),
            sound_fixtures.rename_column("accounts", "id", "ID"),
            sound_fixtures.swap_columns("entry_lines", "debit", "credit"),
            sound_fixtures.swap_columns("entry_lines", "text", "rate"),
            sound_fixtures.drop_table("documents", EITHER),
            sound_fixtures.drop_table("payments", EITHER),
            sound_fixtures.drop_table("accounts", REFUSE),
            sound_fixtures.drop_table("currencies", REFUSE),
            sound_fixtures.drop_table("users", REFUSE)]
    return out


TYPES = _type_list()


@st.composite
def count_mutations(draw):
    where = draw(st.sampled_from(["group", "group", "org", "index", "top"]))
    tables = [t for t in GROUP_TABLES] if where in ("group", "index") else \
        ["users", "languages"] if where == "org" else GROUP_TABLES + ["users"]
    table = draw(st.sampled_from(tables))
    delta = draw(st.sampled_from([1, -1, 10 ** 30, "3", 1.5, None, 2 ** 63]))
    return sound_fixtures.lie_count(where, table, delta,
                                    expect=EITHER if where == "top" else REFUSE)


def _index_list() -> list[sound_fixtures.Mutation]:
    def members(fn):
        def edit(idx):
            idx["members"] = fn(idx["members"])
            return idx
        return edit

    def entry(i, **kw):
        def edit(idx):
            e = idx["members"][i]
            for k, v in kw.items():
                if v is sound_fixtures.MISSING:
                    del e[k]
                else:
                    e[k] = v
            return idx
        return edit

    E = sound_fixtures.index_edit
    return [
        E("index is not JSON", lambda idx: b"not json {"),
        E("index is a JSON array", lambda idx: b"[]"),
        E("index is an empty object", lambda idx: b"{}"),
        E("index members is an object", members(lambda ms: {"a": 1})),
        E("index members are numbers", members(lambda ms: list(range(len(ms))))),
        E("index members are strings", members(lambda ms: [m["name"] for m in ms])),
        E("index entry without size", entry(3, size=sound_fixtures.MISSING)),
        E("index entry without sha256", entry(3, sha256=sound_fixtures.MISSING)),
        E("index entry without name", entry(3, name=sound_fixtures.MISSING)),
        E("index entry size as a string", lambda idx: entry(3, size=str(
            idx["members"][3]["size"]))(idx)),
        E("index entry size 10^30", entry(3, size=10 ** 30)),
        E("index entry size -1", entry(3, size=-1)),
        E("index entry sha256 in capitals", lambda idx: entry(3, sha256=idx["members"][3][
            "sha256"].upper())(idx), EITHER),
        E("index entry sha256 null", entry(3, sha256=None)),
        E("index chunk rows 10^30", entry(3, rows=10 ** 30)),
        E("index chunk rows as a string", lambda idx: entry(3, rows=str(
            idx["members"][3]["rows"]))(idx)),
        E("index chunk rows missing", entry(3, rows=sound_fixtures.MISSING)),
        E("index chunk rows 2^64", entry(3, rows=2 ** 64)),
        E("index manifest entry with rows 0", entry(0, rows=0), EITHER),
        E("index entry with an unknown key", entry(3, zz="x"), EITHER),
        E("index with an unknown key", lambda idx: {**idx, "zz": [1, 2]}, EITHER),
        E("index format misnamed", lambda idx: {**idx, "format": "x"}, EITHER),
        E("index lists a member that is not there", members(lambda ms: ms + [
            {"name": "data/0/g2/020-documents-000000.json", "size": 2, "sha256": "0" * 64,
             "rows": 0}])),
        E("index misses the last member", members(lambda ms: ms[:-1])),
        E("index lists members in reverse", members(lambda ms: ms[::-1])),
        E("index lists a member twice", members(lambda ms: ms[:4] + ms[3:])),
        E("index nested 100000 deep", lambda idx: sound_fixtures.deep()),
        E("index members nested 100000 deep",
          lambda idx: b'{"format": "cheel-backup", "format_version": 1, "members": '
          + sound_fixtures.deep() + b"}"),
        E("index with 100000 empty members", members(lambda ms: [{}] * 100_000)),
    ]


INDEX = _index_list()


def _chunk_list() -> list[sound_fixtures.Mutation]:
    R = sound_fixtures.raw_chunk
    return [
        R("cut short", "entry_lines", lambda b: b[:-1]),
        R("garbage after the array", "entry_lines", lambda b: b + b" x"),
        R("a newline after the array", "entry_lines", lambda b: b + b"\n", EITHER),
        R("a byte-order mark", "entry_lines", lambda b: b"\xef\xbb\xbf" + b, EITHER),
        R("pretty-printed JSON", "entry_lines",
          lambda b: json.dumps(json.loads(b), indent=2).encode(), ACCEPT),
        R("a JSON object", "entry_lines", lambda b: b'{"rows": ' + b + b"}"),
        R("JSON null", "entry_lines", lambda b: b"null"),
        R("nested 100000 deep", "entry_lines", lambda b: sound_fixtures.deep()),
        R("a row nested 100000 deep", "entry_lines",
          lambda b: b[:-1] + b"," + sound_fixtures.deep() + b"]"),
        R("a NaN literal", "entry_lines", lambda b: b.replace(b"194580", b"NaN", 1)),
        R("an Infinity literal", "entry_lines", lambda b: b.replace(b"194580", b"Infinity", 1)),
        R("a number 1e400", "entry_lines", lambda b: b.replace(b"194580", b"1e400", 1)),
        R("a number 194580.0", "entry_lines", lambda b: b.replace(b"194580", b"194580.0", 1)),
        R("a number with 5000 digits", "entry_lines",
          lambda b: b.replace(b"194580", b"9" * 5000, 1)),
        R("not UTF-8", "contacts", lambda b: b.replace("Zürich".encode(), b"Z\xfcrich", 1)),
        R("a UTF-8 encoded surrogate", "contacts",
          lambda b: b.replace("Zürich".encode(), b"Z\xed\xa0\x80rich", 1)),
        R("a \\u0000 escape in a text", "contacts",
          lambda b: b.replace("Zürich".encode(), b"Z\\u0000rich", 1)),
        R("a lone \\udc00 escape in a text", "contacts",
          lambda b: b.replace("Zürich".encode(), b"Z\\udc00rich", 1)),
        R("rows that are objects", "currencies",
          lambda b: json.dumps([{"id": r[0]} for r in json.loads(b)]).encode()),
    ]


CHUNKS = _chunk_list()


def _member_list() -> list[sound_fixtures.Mutation]:
    def extra(name, rows, n=None):
        def apply(p: sound_fixtures.Parts) -> None:
            p.chunks[name] = rows(p) if callable(rows) else rows
            p.index_rows[name] = n if n is not None else len(p.chunks[name])
            sound_fixtures.reorder(p)
        return apply

    M = sound_fixtures.member_edit
    out = [
        M("a chunk of a table the manifest does not list",
          extra("data/0/g1/021-secrets-000000.json", []), REFUSE),
        M("a chunk of an undeclared group g9",
          extra("data/0/g9/005-accounts-000000.json", lambda p: p.rows("accounts", "g2")),
          REFUSE),
        M("a chunk of an undeclared organization 1",
          extra("data/1/org/001-users-000000.json", lambda p: p.rows("users", "org")), REFUSE),
        M("an empty extra chunk after the last entry_lines chunk",
          lambda p: extra(sound_fixtures.next_chunk(p, "entry_lines"), [])(p), EITHER),
        M("an extra org chunk of users holding hans",
          lambda p: extra(sound_fixtures.next_chunk(p, "users", "org"),
                          [[999, "hans", "Hans", "viewer"]])(p), EITHER),
    ]
    for tail, expect in [(bytes(512), EITHER), (bytes(10240), EITHER),
                         (bytes(1 << 20), REFUSE), (b"x", REFUSE), (bytes(10239) + b"x", REFUSE)]:
        out.append(M(f"{len(tail)} bytes ({'zeros' if not any(tail) else 'not all zero'}) "
                     "after the tar's end, in the zstd frame",
                     lambda p, tail=tail: setattr(p, "tail", tail), expect))
    for table, expect in [("documents", ACCEPT), ("payments", ACCEPT),
                          ("communications", ACCEPT), ("exchange_rates", ACCEPT),
                          ("article_names", ACCEPT), ("journal_entries", REFUSE),
                          ("entry_lines", REFUSE), ("accounts", REFUSE),
                          ("company_groups", REFUSE), ("companies", REFUSE)]:
        out.append(sound_fixtures.drop_rows(table, 0, expect=expect))
    for table, expect in [("documents", ACCEPT), ("communications", ACCEPT),
                          ("addresses", ACCEPT), ("fiscal_years", ACCEPT),
                          ("contacts", ACCEPT), ("journal_entries", ACCEPT),
                          ("entry_lines", REFUSE), ("accounts", REFUSE),
                          ("currencies", REFUSE), ("account_names", REFUSE),
                          ("company_groups", REFUSE), ("companies", REFUSE),
                          ("invoices", REFUSE)]:
        out.append(sound_fixtures.duplicate_row(table, 0, expect=expect))
    return out


MEMBERS = _member_list()


def _harmless_list() -> list[sound_fixtures.Mutation]:
    H = "harmless"
    return [
        sound_fixtures.set_value("journal_entries", "description", "Zahlung erhalten — merci ✓",
                                 1, expect=ACCEPT, cls=H),
        sound_fixtures.set_value("entry_lines", "text", "neuer Text\tmit Tab", 2, expect=ACCEPT,
                                 cls=H),
        sound_fixtures.balanced_amount(0, 1234), sound_fixtures.balanced_amount(2, -4812),
        sound_fixtures.balanced_amount(4, 10 ** 12),
        sound_fixtures.unknown_keys("top"), sound_fixtures.unknown_keys("org"),
        sound_fixtures.unknown_keys("group"), sound_fixtures.unknown_keys("company"),
        sound_fixtures.unknown_keys("table"), sound_fixtures.unknown_keys("column"),
        sound_fixtures.set_value("accounts", "active", 0, 0, expect=ACCEPT, cls=H),
        sound_fixtures.set_value("fiscal_years", "closed", 1, 1, expect=ACCEPT, cls=H),
        sound_fixtures.set_value("journal_entries", "date", "2024-03-16", 1, expect=ACCEPT, cls=H),
        sound_fixtures.set_value("vat_codes", "rate", "3.80", 0, expect=ACCEPT, cls=H),
        sound_fixtures.set_value("exchange_rates", "rate", "0.951234", 0, expect=ACCEPT, cls=H),
        sound_fixtures.set_value("invoice_lines", "quantity", "9.500", 0, expect=ACCEPT, cls=H),
        sound_fixtures.set_value("documents", "content",
                                 base64.b64encode(b"neuer Inhalt \x00\xff").decode(), 0,
                                 expect=ACCEPT, cls=H),
        sound_fixtures.set_value("documents", "content", "", 1, expect=ACCEPT, cls=H),
        sound_fixtures.set_ref("journal_entries", "created_by", "org-other", 0),
        sound_fixtures.set_ref("journal_entries", "created_by", "null", 0),
        sound_fixtures.set_ref("contacts", "firm_id", "null", 1),
        sound_fixtures.set_value("contacts", "first_name", None, 1, expect=ACCEPT, cls=H),
        sound_fixtures.set_value("invoices", "total", schema.MONEY_LIMIT, 0, expect=ACCEPT,
                                 cls=H),
        sound_fixtures.rename("group", "Neue Gruppe Ä", 0),
        sound_fixtures.rename("company", "Neue Firma GmbH", 1),
        sound_fixtures.rename("group", "[/]", 1),
        sound_fixtures.rename("org", "[bold]Quelle[/bold] AG"),
        sound_fixtures.rechunk("entry_lines", per_chunk=1),
        sound_fixtures.rechunk("entry_lines", per_chunk=0),
        sound_fixtures.drop_rows("documents", 1, expect=ACCEPT),
        sound_fixtures.duplicate_row("communications", 0, expect=ACCEPT),
    ]


HARMLESS = [dataclasses.replace(m, cls="harmless") for m in _harmless_list()]

CLASSES = {
    "value": value_mutations(),
    "fk": fk_mutations(),
    "id": id_mutations(),
    "name": name_mutations(),
    "manifest": st.sampled_from(MANIFEST),
    "manifest-type": st.sampled_from(TYPES),
    "count": count_mutations(),
    "index": st.sampled_from(INDEX),
    "chunk-bytes": st.sampled_from(CHUNKS),
    "member": st.sampled_from(MEMBERS),
    "harmless": st.sampled_from(HARMLESS),
}
MUTATIONS = st.sampled_from(list(CLASSES)).flatmap(lambda c: CLASSES[c])
BASES = st.sampled_from(["plain", "plain", "multi", "encrypted"])


# -- the tests ------------------------------------------------------------------------------------
def _run_property(sources, honest, checker: sound_fixtures.Checker, examples: int,
                  label: str) -> None:
    failures: dict[str, list[str]] = defaultdict(list)
    distinct: set[tuple[str, str]] = set()
    per_class: dict[str, int] = defaultdict(int)

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              print_blob=False, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                       HealthCheck.too_slow,
                                                       HealthCheck.data_too_large,
                                                       HealthCheck.filter_too_much])
    @given(base=BASES, mutation=MUTATIONS)
    def prop(base, mutation):
        parts = honest[base]
        password = sources.passwords[base]
        data = sound_fixtures.reseal(sound_fixtures.mutate(parts, mutation), password)
        expect = mutation.verdict(parts)
        distinct.add((base, mutation.label))
        per_class[mutation.cls] += 1
        problems = checker.check(data, password, expect)
        if problems:
            text = f"{mutation!r} on the {base} file (a sound reader: {expect})\n  " + \
                "\n  ".join(problems)
            if SURVEY:
                failures[mutation.cls].append(text)
                return
            raise AssertionError(text)

    prop()
    print(f"\n{label}: {checker.n} mutated files tried, {len(distinct)} distinct; by class: "
          + ", ".join(f"{c} {n}" for c, n in sorted(per_class.items())))
    if failures and SURVEY not in ("", "1"):
        with open(SURVEY, "w", encoding="utf-8") as f:
            for cls, items in sorted(failures.items()):
                f.write("".join(f"[{cls}] {t}\n" for t in items))
    if failures:
        lines = [f"{sum(map(len, failures.values()))} of {checker.n} mutated files are not "
                 f"handled as a sound reader would:"]
        for cls, items in sorted(failures.items()):
            lines.append(f"[{cls}] {len(items)} of {per_class[cls]} files, e.g.:")
            lines += ["  " + t.replace("\n", "\n  ") for t in items[:3]]
        raise AssertionError("\n".join(lines))


def test_mutated_backups_are_refused_or_restored_faithfully(sources, honest, tmp_path):
    checker = sound_fixtures.Checker(sources, tmp_path / "work", "sqlite")
    _run_property(sources, honest, checker, EXAMPLES, "SQLite")


@pytest.mark.postgres
def test_mutated_backups_on_postgres(sources, honest, tmp_path, pg_url, pg_dbname):
    template_db = pg_dbname("cheel_sound_tpl")
    template = tmp_path / "pg-template"
    sound_fixtures.make_pg_existing(template, pg_url, template_db)
    pg = sound_fixtures.PgTargets(pg_url, template_db, lambda: pg_dbname("cheel_sound"))
    checker = sound_fixtures.Checker(sources, tmp_path / "work", "postgres", pg=pg,
                                     template=template)
    _run_property(sources, honest, checker, PG_EXAMPLES, "PostgreSQL")


# -- bounded memory -------------------------------------------------------------------------------
ZEROS_AFTER_END = 4 << 30  # GiBs of zeros after the tar's end blocks, compressed to ~140 KB
OVER_LIMIT = 250 << 20  # a chunk member of zeros above the member limit (96 MiB)
UNDER_LIMIT = (96 << 20) - 4096  # … and just under it: read whole, then refused
MAX_RSS_MIB = 200
CHILD_TIMEOUT = 180  # seconds: a reader that hangs fails the test instead of blocking CI
ADDRESS_LIMIT = 3 << 30  # a reader gone wrong fails in the child, not on the CI machine


@pytest.mark.parametrize("kind", ["format-1-zeros-after-end", "format-1-bomb-over-limit",
                                  "format-1-bomb-under-limit", "format-2-bomb-over-limit",
                                  "format-2-bomb-under-limit"])
def test_hostile_stream_is_refused_in_bounded_memory(sources, tmp_path, kind):
    """Self-consistent files whose zstd stream goes on for GiBs of zeros after the tar's
    end blocks, or that hold a chunk of zeros (listed in the index with its true size and
    SHA-256) above or just under the member limit, laid out as format 1 or 2: ``cheel
    verify`` in a child process says exit 4 in one sentence, with a peak RSS under
    200 MiB."""
    path = tmp_path / f"{kind}.cheelbackup"
    honest = sources.files["plain"]
    if kind == "format-1-zeros-after-end":
        sound_fixtures.trailing_zeros_file(path, honest, ZEROS_AFTER_END)
    else:
        size = OVER_LIMIT if kind.endswith("over-limit") else UNDER_LIMIT
        sound_fixtures.bomb_file(path, honest, size, version=int(kind.split("-")[1]))
    assert path.stat().st_size < 1 << 20  # a small file: the cost is the reader's
    sound_fixtures.TRIED["memory"] += 1
    run = sound_fixtures.run_cheel_child(
        ["--data-dir", str(tmp_path / "data"), "verify", str(path)],
        timeout=CHILD_TIMEOUT, address_limit=ADDRESS_LIMIT)
    said = run.stderr.strip()[:300]
    problems = []
    if run.code is None:
        problems.append(f"cheel verify still ran after {CHILD_TIMEOUT} s (killed)")
    elif run.code != 4:
        problems.append(f"exit {run.code}: {said!r}")
    elif sound_fixtures.one_sentence(run.stderr):
        problems.append(f"stderr has {sound_fixtures.one_sentence(run.stderr)}")
    if run.max_rss_mib >= MAX_RSS_MIB:
        problems.append(f"peak RSS {run.max_rss_mib:.0f} MiB (bound {MAX_RSS_MIB} MiB)")
    assert not problems, f"{kind}: " + "; ".join(problems) + f" ({run.seconds:.1f} s)"
