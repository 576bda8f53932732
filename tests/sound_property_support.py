"""What the soundness property (test_sound_property.py, test_sound_classes.py) draws, part
two: the mutation classes of a backup (manifest, column types, counts, index, chunks,
members, and harmless changes a restore must accept), ``CLASSES`` by name, ``MUTATIONS``
drawn from them and the ``BASES`` they are applied to. The values, foreign keys, ids and
names they draw: sound_strategies_support.py."""

from __future__ import annotations

import base64
import dataclasses
import json

from hypothesis import strategies as st

from cheel.store import schema

import sound_fixtures
from sound_fixtures import ACCEPT, EITHER, REFUSE
from sound_strategies_support import (GROUP_TABLES, fk_mutations, id_mutations,
                                      name_mutations, value_mutations)


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
