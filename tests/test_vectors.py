"""The committed .cheelbackup test vectors: each file meets the outcome its sidecar states.

``tests/vectors/<version>/vectors.json`` lists every case: the file, the password (or none),
the expected outcome (``ok`` or the name of a :mod:`cheel.errors` class), the exit code of
``cheel verify`` and, for ok vectors, the rows it must hold. Format 1 files are kept as
released; ``make_vectors.py`` regenerates the format 2 ones. A restore reaches the same
verdict as verify for every one of them (tests/test_restore.py restores the ok ones).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cheel import __version__
from cheel import errors
from cheel.archive.age import Unlocker
from cheel.archive.reader import BackupReader
from cheel.cli.main import cli
from cheel.restore import RestoreOptions, run_restore
from cheel.soundness import SoundReader
from cheel.store import organizations
from cheel.verify import inspect_backup, verify_backup

from helpers import fingerprint
from vectors_support import SETS, VECTORS, cases, load_script, spec

CASES = cases()
OK = [c for c in CASES if c["expect"] == "ok"]
REFUSED = [c for c in CASES if c["expect"] != "ok"]


def read_chunks(path, password: str | None) -> dict[tuple[int, str, str], list[list]]:
    """Every row of a backup, by (organization index, scope key, table), in file order."""
    out: dict[tuple[int, str, str], list[list]] = {}
    with open(path, "rb") as f:
        for chunk in SoundReader(BackupReader(f, Unlocker(password))):
            out.setdefault((chunk.org, chunk.scope, chunk.table), []).extend(chunk.rows)
    return out


@pytest.mark.parametrize("version", SETS)
def test_every_case_has_its_file_and_every_file_a_case(version):
    files = {p.name for p in (VECTORS / version).glob("*.cheelbackup")}
    listed = {c["file"] for c in spec(version)["vectors"]}
    assert listed == files
    names = [c["name"] for c in spec(version)["vectors"]]
    assert len(set(names)) == len(names)
    assert f"{version}-ok-encrypted.cheelbackup" in files
    outcomes = {c["expect"] for c in spec(version)["vectors"]}
    assert {"ok", "WrongPassword", "PasswordNeeded", "DamagedFile", "NotABackup",
            "UnsupportedVersion"} <= outcomes


def test_ok_vectors_are_small():
    # Format 2's frame per member weighs on files of a few rows (each tiny member compressed
    # alone): 24 KiB, where format 1's single frame needed 16.
    for c in OK:
        assert c["path"].stat().st_size < 24 * 1024, c["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_vector(case):
    path = case["path"]
    if case["expect"] == "ok":
        result = verify_backup(path, case["password"])
        assert result.rows == sum(case["rows"].values())
        assert result.encrypted is case["encrypted"]
        manifest = inspect_backup(path, case["password"]).manifest
        assert {k: v for k, v in manifest.rows.items() if v} == case["rows"]
        assert [g.name for o in manifest.organizations for g in o.groups] == case["groups"]
        got: dict[str, int] = {}
        for (_, _, table), rows in read_chunks(path, case["password"]).items():
            got[table] = got.get(table, 0) + len(rows)
        assert {k: v for k, v in got.items() if v} == case["rows"]
        return
    expected = getattr(errors, case["expect"])
    with pytest.raises(errors.CheelError) as info:
        verify_backup(path, case["password"])
    e = info.value
    assert type(e) is expected, f"{type(e).__name__}: {e.message}"
    assert e.exit_code == case["exit_code"]
    if "match" in case:
        assert case["match"] in e.message
    if case["password"]:
        assert case["password"] not in e.message


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_vector_through_cli(case, tmp_path, monkeypatch):
    """``cheel verify`` gives the stated exit code and one plain sentence, no traceback."""
    monkeypatch.delenv("CHEEL_PASSWORD", raising=False)
    env = {"CHEEL_PASSWORD": case["password"]} if case["password"] else {}
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "verify",
                                      str(case["path"])], env=env)
    assert result.exit_code == case["exit_code"], result.output
    assert "Traceback" not in result.output
    if case["expect"] == "ok":
        assert result.output.startswith("OK: ")
    else:
        assert result.stderr.startswith("Error: ")
        assert len(result.stderr.strip().splitlines()) <= 2  # a sentence, maybe a hint
    if case["password"]:
        assert case["password"] not in result.output


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """An organization holding a group, to restore the refused vectors into."""
    from cheel.store.catalog import Catalog

    catalog = Catalog(tmp_path_factory.mktemp("vectors") / "data")
    organizations.create_organization(catalog, "Cible SA", ["fr", "de"])
    with organizations.opened(catalog, "Cible SA") as (_, db):
        organizations.create_company(db, "Cible SA", new_group="Groupe Cible")
    return catalog


@pytest.mark.parametrize("case", REFUSED, ids=[c["id"] for c in REFUSED])
def test_restore_refuses_what_verify_refuses(case, target):
    """A restore, into an existing organization as into a new one, and its dry run, refuse
    every refused vector exactly as verify does, and change nothing."""
    expected = getattr(errors, case["expect"])
    before = fingerprint(target, "Cible SA")
    for options in (RestoreOptions(case["path"], "Cible SA", on_conflict="copy"),
                    RestoreOptions(case["path"], "Cible SA", on_conflict="copy", dry_run=True),
                    RestoreOptions(case["path"], "Nouvelle SA", create=True)):
        with pytest.raises(errors.CheelError) as info:
            run_restore(target, options, case["password"])
        assert type(info.value) is expected, f"{type(info.value).__name__}: {info.value}"
        if "match" in case:
            assert case["match"] in info.value.message
    assert fingerprint(target, "Cible SA") == before
    assert [e.name for e in target.list()] == ["Cible SA"]


@pytest.mark.parametrize("version", SETS)
def test_encrypted_vector_content(version):
    """<version>-ok-encrypted holds what the restore tests rely on."""
    path = VECTORS / version / f"{version}-ok-encrypted.cheelbackup"
    password = spec(version)["password"]
    info = inspect_backup(path, password)
    manifest = info.manifest
    assert info.encrypted is True
    (org,) = manifest.organizations
    assert [len(g.companies) for g in org.groups] == [2, 1]
    data = read_chunks(path, password)

    def column(table: str, name: str, scope: str = "g1") -> list:
        cols = [c.name for t in manifest.tables if t.name == table for c in t.columns]
        return [r[cols.index(name)] for r in data[(0, scope, table)]]

    sample = load_script("sample")
    assert sorted(column("documents", "content"), key=len) == [b"", sample.PDF,
                                                               sample.ALL_BYTES]
    assert column("exchange_rates", "rate") == ["0.950000", "0.962345"]
    assert column("vat_codes", "rate") == ["8.10", "7.70", "2.60"]
    assert column("vat_codes", "valid_to") == [None, "2023-12-31", None]
    assert column("invoice_lines", "quantity") == ["10.000", "-0.250", "1.000"]
    assert "2024-02-29" in column("journal_entries", "date")
    assert column("fiscal_years", "closed") == [1, 0, 0]
    assert sorted(column("users", "login", "org")) == ["admin", "marie"]
    users = [t for t in manifest.tables if t.name == "users"][0]
    assert "password_hash" not in [c.name for c in users.columns]  # secrets stay home
    lines = data[(0, "g1", "entry_lines")]
    assert sum(r[3] for r in lines) == sum(r[4] for r in lines)


def test_vectors_regenerate_identically(tmp_path):
    """make_vectors.py is deterministic: it rebuilds the committed format 2 files byte for
    byte. Only meaningful for the cheel version that made them; older vectors are kept."""
    made_by = inspect_backup(VECTORS / "v2" / "v2-ok-plain.cheelbackup").manifest.cheel_version
    if made_by != __version__:
        pytest.skip(f"the vectors were made by cheel {made_by}; they stay as fixtures")
    load_script("make_vectors").make(tmp_path)
    for p in sorted((VECTORS / "v2").glob("*.cheelbackup")) + [VECTORS / "v2" / "vectors.json"]:
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), (
            f"{p.name} no longer regenerates identically: the format or the writer changed; "
            "if that is intended, update docs/FORMAT.md and think about old backups")
