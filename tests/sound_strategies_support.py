"""What the soundness property (test_sound_property.py) draws, part one: hostile values per
column type (big and odd integers, booleans, texts with NUL, surrogates and escapes,
decimals, dates, timestamps, binaries) and the mutations that put them in a chunk's
column; foreign keys pointed elsewhere; ids changed, duplicated or moved out of their
declared ranges; names with control characters. The mutation classes that use them:
sound_property_support.py."""

from __future__ import annotations

import base64

from hypothesis import strategies as st

from cheel.store import schema

import sound_fixtures
from sound_fixtures import ACCEPT, EITHER, REFUSE


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
