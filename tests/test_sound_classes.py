"""Issue 15, class by class: named mutations of a real backup, one or more for every class
the issue lists, each run through ``verify``, both dry runs and both restores exactly as the
property test runs its random ones (``sound_fixtures.Checker``). The property test draws from
the same mutations and many more; these make sure every class is tried on every run and
show, test by test, which classes a change fixes.

The first tests check the harness itself: taking a file apart and sealing it again changes
nothing, the independent reading of a file agrees with the database it was made from, and
an honest file passes every check.
"""

from __future__ import annotations

import base64
import copy

import pytest
from hypothesis import HealthCheck, given, settings

import sound_fixtures
from sound_fixtures import ACCEPT, REFUSE
from sound_fixtures import count_report, honest, module_kdf, sources  # noqa: F401 (fixtures)
from sound_property_support import MUTATIONS

BASES = ["plain", "multi", "encrypted"]


@pytest.fixture
def checker(sources, tmp_path):
    return sound_fixtures.Checker(sources, tmp_path / "work", "classes")


# -- the harness ---------------------------------------------------------------------------------
@pytest.mark.parametrize("base", BASES)
def test_take_apart_and_reseal_change_nothing(sources, honest, base):
    pw = sources.passwords[base]
    parts = honest[base]
    again = copy.deepcopy(parts)
    sound_fixtures.fix_counts(again)
    sound_fixtures.fix_ids(again)
    assert again.manifest == parts.manifest  # the fix-ups are true to an honest file
    assert again.index_rows == parts.index_rows
    data = sound_fixtures.reseal(parts, pw)
    assert sound_fixtures.read_members(data, pw) == \
        sound_fixtures.read_members(sources.files[base], pw)
    assert sound_fixtures.take_apart(data, pw) == parts


def test_file_groups_agree_with_the_source_database(sources):
    """The independent reading of a file gives what ``helpers.group_content`` gives of the
    organization it was made from."""
    source = sources.tmp / "source"
    for g in sound_fixtures.file_groups(sources.files["plain"], None):
        assert sound_fixtures.target_content(source, sound_fixtures.SOURCE, g.uid, False) == \
            g.content, g.name
    assert [g.key for g in sound_fixtures.file_groups(sources.files["multi"], None)] == ["g1", "g2"]
    assert sound_fixtures.file_groups(sources.files["multi"], None) == \
        sound_fixtures.file_groups(sources.files["plain"], None)


@pytest.mark.parametrize("base", BASES)
def test_honest_file_passes_every_check(sources, honest, checker, base):
    """The checks themselves hold for an honest file, as written and as resealed."""
    pw = sources.passwords[base]
    assert checker.check(sources.files[base], pw, ACCEPT) == []
    assert checker.check(sound_fixtures.reseal(honest[base], pw), pw, ACCEPT) == []


@pytest.mark.postgres
def test_honest_file_passes_every_check_on_postgres(sources, honest, tmp_path, pg_url,
                                                    pg_dbname):
    """The same on PostgreSQL: restored with --create --postgres and into EXISTING there."""
    template_db = pg_dbname("cheel_sound_tpl")
    sound_fixtures.make_pg_existing(tmp_path / "pg-template", pg_url, template_db)
    pg = sound_fixtures.PgTargets(pg_url, template_db, lambda: pg_dbname("cheel_sound"))
    checker = sound_fixtures.Checker(sources, tmp_path / "work", "classes", pg=pg,
                                     template=tmp_path / "pg-template")
    assert checker.check(sources.files["plain"], None, ACCEPT) == []
    assert checker.check(sound_fixtures.reseal(honest["encrypted"], sound_fixtures.PASSWORD),
                         sound_fixtures.PASSWORD, ACCEPT) == []


@settings(max_examples=600, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(mutation=MUTATIONS)
def test_every_drawn_mutation_applies_and_reseals(sources, honest, mutation):
    """The property's mutations apply to every base and give a sealed file (the harness
    never fails for its own reasons)."""
    for base in ("plain", "multi"):
        parts = honest[base]
        mutation.verdict(parts)
        data = sound_fixtures.reseal(sound_fixtures.mutate(parts, mutation), None)
        assert data[:4] == bytes.fromhex("28b52ffd")


def test_checker_sees_a_refused_honest_file_and_an_accepted_damaged_one(sources, honest,
                                                                          checker):
    """The checker can fail: an honest file declared "must refuse" and a damaged file
    declared "must accept" are both reported."""
    assert any("refuses this file" in p
               for p in checker.check(sources.files["plain"], None, REFUSE))
    damaged = sound_fixtures.reseal(sound_fixtures.mutate(
        honest["plain"], sound_fixtures.index_edit(
            "index misses the last member",
            lambda idx: {**idx, "members": idx["members"][:-1]})))
    assert any("accepts this file" in p for p in checker.check(damaged, None, ACCEPT))


# -- the classes of issue 15 ----------------------------------------------------------------------
def _cases() -> list[tuple[str, sound_fixtures.Mutation]]:
    S, R = sound_fixtures.set_value, sound_fixtures.set_ref
    return [
        # a foreign key to a row of another group
        ("fk-other-group", R("entry_lines", "account_id", "other")),
        ("fk-other-group", R("invoices", "contact_id", "other")),
        ("fk-other-group", R("contacts", "firm_id", "other", row=1)),
        ("fk-other-group", R("currencies", "group_id", "other")),
        ("fk-other-group", R("account_names", "account_id", "other")),
        ("fk-other-group", R("companies", "group_id", "other")),
        # a foreign key to nothing
        ("fk-missing", R("entry_lines", "account_id", "missing")),
        ("fk-missing", R("journal_entries", "created_by", "org-missing")),
        ("fk-missing", R("account_names", "language_id", "org-missing")),
        ("fk-missing", R("entry_lines", "account_id", "null")),
        # ids outside their declared range, duplicate ids
        ("id-range", sound_fixtures.renumber("accounts", "max+1000", fix=False, expect=REFUSE)),
        ("id-range", sound_fixtures.lie_ids("entry_lines", "lo+1", "hi", expect=REFUSE)),
        ("id-range", sound_fixtures.renumber("entry_lines", "dup", expect=REFUSE)),
        ("id-range", sound_fixtures.renumber("accounts", "other", expect=REFUSE)),
        ("id-range", sound_fixtures.renumber("accounts", 2 ** 63, expect=REFUSE)),
        # a lying id range up to 2^63 - 1, ids at the edges
        ("id-edge", sound_fixtures.lie_ids("entry_lines", 1, 2 ** 63 - 1)),
        ("id-edge", sound_fixtures.lie_ids("accounts", 1, 2 ** 62)),
        ("id-edge", sound_fixtures.renumber("entry_lines", 2 ** 63 - 1)),
        ("id-edge", sound_fixtures.renumber("accounts", 0)),
        ("id-edge", sound_fixtures.renumber("accounts", -5)),
        # the manifest's column types believed
        ("declared-type", sound_fixtures.retype("entry_lines", "debit", "binary")),
        ("declared-type", sound_fixtures.retype("entry_lines", "debit", "text")),
        ("declared-type", sound_fixtures.retype("accounts", "active", "int")),
        ("declared-type", sound_fixtures.retype("journal_entries", "date", "text")),
        ("declared-type", sound_fixtures.retype("documents", "content", "text")),
        # values out of their type
        ("value", S("fiscal_years", "closed", 7)),
        ("value", S("accounts", "active", 2)),
        ("value", S("journal_entries", "date", "2024-02-30")),
        ("value", S("journal_entries", "date", "2023-02-29", row=1)),
        ("value", S("invoices", "due_date", "2024-13-01")),
        ("value", S("fiscal_years", "start_date", "2024-1-1")),
        ("value", S("payments", "date", " 2024-01-01")),
        ("value", S("journal_entries", "created_at", "2024-01-01 24:00:00")),
        ("value", S("vat_codes", "rate", "NaN")),
        ("value", S("exchange_rates", "rate", "1e400")),
        ("value", S("vat_codes", "rate", "8.123")),
        ("value", S("vat_codes", "rate", "1234.00")),
        ("value", S("invoice_lines", "quantity", "Infinity")),
        ("value", S("invoices", "total", 2 ** 63)),
        ("value", S("invoices", "total", 10 ** 30)),
        ("value", S("articles", "price", -2 ** 63 - 1)),
        ("value", S("entry_lines", "debit", 194581)),
        ("value", S("journal_entries", "description", "a\x00b")),
        ("value", S("journal_entries", "description", "\ud800")),
        ("value", S("journal_entries", "description", "\x1b[2J\x1b[31mrot")),
        ("value", S("documents", "content", "!!!!")),
        ("value", S("users", "login", "ma\x00rie", scope="org")),
        # malformed or lying manifests
        ("manifest", sound_fixtures.deep_manifest("whole")),
        ("manifest", sound_fixtures.deep_manifest("unknown")),
        ("manifest", sound_fixtures.deep_manifest("organizations")),
        ("manifest", sound_fixtures.manifest_set(("organizations",), 5)),
        ("manifest", sound_fixtures.manifest_set(("organizations", 0, "groups"))),
        ("manifest", sound_fixtures.manifest_set(("organizations", 0, "groups", 0, "rows"))),
        ("manifest", sound_fixtures.manifest_set(("organizations", 0, "groups", 0, "companies"))),
        ("manifest", sound_fixtures.manifest_set(("tables", "@entry_lines", "columns"), "x")),
        ("manifest", sound_fixtures.manifest_set(("format_version",), True)),
        ("manifest", sound_fixtures.manifest_set(("schema_version",), 2)),
        ("manifest", sound_fixtures.manifest_set(("schema_version",), "1")),
        ("manifest", sound_fixtures.manifest_set(
            ("organizations", 0, "groups", 0, "rows", "entry_lines"), 10 ** 30)),
        ("manifest", sound_fixtures.manifest_set(
            ("organizations", 0, "groups", 0, "ids", "entry_lines"), [1, 10 ** 30])),
        ("manifest", sound_fixtures.manifest_set(("organizations", 0, "index"), 10 ** 30)),
        ("manifest", sound_fixtures.drop_column("accounts", "id")),
        ("manifest", sound_fixtures.drop_column("currencies", "group_id")),
        ("manifest", sound_fixtures.drop_column("entry_lines", "debit")),
        ("manifest", sound_fixtures.rename_column("entry_lines", "debit", "soll")),
        ("manifest", sound_fixtures.drop_table("accounts", REFUSE)),
        ("manifest", sound_fixtures.lie_count("group", "entry_lines", 1)),
        ("manifest", sound_fixtures.lie_count("org", "users", 1)),
        ("manifest", sound_fixtures.lie_count("index", "accounts", 1)),
        # malformed indexes
        ("index", sound_fixtures.index_edit(
            "index members are numbers",
            lambda idx: {**idx, "members": list(range(len(idx["members"])))})),
        ("index", sound_fixtures.index_edit("index is a JSON array", lambda idx: b"[]")),
        ("index", sound_fixtures.index_edit("index nested 100000 deep",
                                            lambda idx: sound_fixtures.deep())),
        ("index", sound_fixtures.index_edit("index entry size 10^30", lambda idx: {
            **idx, "members": [{**m, "size": 10 ** 30} if i == 3 else m
                               for i, m in enumerate(idx["members"])]})),
        ("index", sound_fixtures.index_edit("index entry without size", lambda idx: {
            **idx, "members": [{k: v for k, v in m.items() if k != "size"}
                               for m in idx["members"]]})),
        # chunks
        ("chunk", sound_fixtures.raw_chunk("nested 100000 deep", "entry_lines",
                                           lambda b: sound_fixtures.deep())),
        ("chunk", sound_fixtures.raw_chunk("a number with 5000 digits", "entry_lines",
                                           lambda b: b.replace(b"194580", b"9" * 5000, 1))),
        ("chunk", sound_fixtures.raw_chunk(
            "a lone \\udc00 escape", "contacts",
            lambda b: b.replace("Zürich".encode(), b"Z\\udc00rich", 1))),
        # the stream going on after the tar's end (the GiB case: the bounded-memory test)
        ("trailing", sound_fixtures.member_edit("1 MiB of zeros after the tar's end",
                                                lambda p: setattr(p, "tail", bytes(1 << 20)),
                                                REFUSE)),
        # names from a backup
        ("name", sound_fixtures.rename("group", "Zeile\nZwei")),
        ("name", sound_fixtures.rename("group", "Esc \x1b[2J")),
        ("name", sound_fixtures.rename("group", "Nul\x00")),
        ("name", sound_fixtures.rename("group", "x" * 10_000)),
        ("name", sound_fixtures.rename("group", "")),
        ("name", sound_fixtures.rename("company", "\u202eevil.pdf")),
        ("name", sound_fixtures.rename("company", "zero\u200bwidth", 1)),
        ("name", sound_fixtures.rename("group", "[/]")),
        ("name", sound_fixtures.rename("group", "[bold]Fett[/bold]", 1)),
        ("name", sound_fixtures.rename("company", "Zeile\nZwei", 2)),
        ("name", sound_fixtures.rename("company", "", 1)),
        ("name", sound_fixtures.rename("org", "Org\x1b]0;title\x07")),
        ("name", sound_fixtures.rename("org", "[/]")),
        ("name", sound_fixtures.reuid("company", "dup", expect=REFUSE)),
        # harmless: accepted and restored faithfully
        ("harmless", S("journal_entries", "description", "Zahlung erhalten — merci ✓", row=1,
                       expect=ACCEPT)),
        ("harmless", sound_fixtures.balanced_amount(0, 1234)),
        ("harmless", sound_fixtures.unknown_keys("top")),
        ("harmless", sound_fixtures.unknown_keys("group")),
        ("harmless", sound_fixtures.unknown_keys("column")),
        ("harmless", S("documents", "content", base64.b64encode(b"neu").decode(),
                       expect=ACCEPT)),
        ("harmless", sound_fixtures.rechunk("entry_lines", per_chunk=1)),
        ("harmless", sound_fixtures.duplicate_row("documents", 0, expect=ACCEPT)),
        ("harmless", sound_fixtures.drop_rows("payments", 0, expect=ACCEPT)),
    ]


CASES = _cases()


@pytest.mark.parametrize("cls,mutation", CASES,
                         ids=[f"{c}-{i:02d}-{m.label[:50]}" for i, (c, m) in enumerate(CASES)])
def test_class(sources, honest, checker, cls, mutation):
    parts = honest["plain"]
    expect = mutation.verdict(parts)
    data = sound_fixtures.reseal(sound_fixtures.mutate(parts, mutation))
    problems = checker.check(data, None, expect)
    assert not problems, f"{mutation!r}\n  " + "\n  ".join(problems)


ENCRYPTED = [next(c for c in CASES if c[0] == cls) for cls in
             ("fk-other-group", "declared-type", "value", "manifest", "name", "harmless")]


@pytest.mark.parametrize("cls,mutation", ENCRYPTED,
                         ids=[f"{c}-{m.label[:50]}" for c, m in ENCRYPTED])
def test_class_encrypted(sources, honest, checker, cls, mutation):
    """The same verdicts when the file is encrypted."""
    parts = honest["encrypted"]
    data = sound_fixtures.reseal(sound_fixtures.mutate(parts, mutation), sound_fixtures.PASSWORD)
    problems = checker.check(data, sound_fixtures.PASSWORD, mutation.verdict(parts))
    assert not problems, f"{mutation!r} (encrypted)\n  " + "\n  ".join(problems)


PER_CLASS = list({cls: (cls, m) for cls, m in reversed(CASES)}.values())


@pytest.mark.postgres
def test_every_class_on_postgres(sources, honest, tmp_path, pg_url, pg_dbname):
    """One mutation of every class, restored with --create --postgres and into an existing
    PostgreSQL organization (and verified, and both dry runs): the same verdicts."""
    template_db = pg_dbname("cheel_sound_tpl")
    sound_fixtures.make_pg_existing(tmp_path / "pg-template", pg_url, template_db)
    pg = sound_fixtures.PgTargets(pg_url, template_db, lambda: pg_dbname("cheel_sound"))
    checker = sound_fixtures.Checker(sources, tmp_path / "work", "classes", pg=pg,
                                     template=tmp_path / "pg-template")
    problems = []
    for cls, mutation in PER_CLASS:
        parts = honest["plain"]
        data = sound_fixtures.reseal(sound_fixtures.mutate(parts, mutation))
        problems += [f"{cls}: {mutation!r}: {p}"
                     for p in checker.check(data, None, mutation.verdict(parts))]
    assert len(PER_CLASS) == len({c for c, _ in CASES})
    assert not problems, "\n".join(problems)
