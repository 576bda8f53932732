"""The committed .cheelbackup test vectors: each file meets the outcome its sidecar states.

``tests/vectors/vectors.json`` lists every case: the file, the password (or none), the
expected outcome (``ok`` or the name of a :mod:`cheel.errors` class), the exit code of
``cheel verify`` and, for ok vectors, the rows it must hold. ``make_vectors.py`` regenerates
them; the files themselves are fixtures of format version 1 and must keep verifying.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cheel import __version__
from cheel import errors
from cheel.archive.container import ContainerReader
from cheel.cli.main import cli
from cheel.verify import ChunkStream, inspect_backup, verify_backup

VECTORS = Path(__file__).parent / "vectors"
SPEC = json.loads((VECTORS / "vectors.json").read_text("utf-8"))
CASES = SPEC["vectors"]
OK = [c for c in CASES if c["expect"] == "ok"]


def _make_vectors():
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_chunks(path: Path, password: str | None) -> dict[tuple[int, str, str], list[list]]:
    """Every row of a backup, by (organization index, scope key, table), in file order."""
    out: dict[tuple[int, str, str], list[list]] = {}
    with open(path, "rb") as f:
        for chunk in ChunkStream(ContainerReader(f, password)):
            out.setdefault((chunk.org, chunk.scope, chunk.table), []).extend(chunk.rows)
    return out


def test_every_case_has_its_file_and_every_file_a_case():
    files = {p.name for p in VECTORS.glob("*.cheelbackup")}
    listed = {c["file"] for c in CASES}
    assert listed == files
    assert len({c["name"] for c in CASES}) == len(CASES)
    assert "v1-ok-encrypted.cheelbackup" in files
    outcomes = {c["expect"] for c in CASES}
    assert {"ok", "WrongPassword", "PasswordNeeded", "DamagedFile", "NotABackup",
            "UnsupportedVersion"} <= outcomes


def test_ok_vectors_are_small():
    for c in OK:
        assert (VECTORS / c["file"]).stat().st_size < 16 * 1024, c["file"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case):
    path = VECTORS / case["file"]
    if case["expect"] == "ok":
        result = verify_backup(path, case["password"])
        assert result.rows == sum(case["rows"].values())
        assert result.encrypted is case["encrypted"]
        manifest = inspect_backup(path, case["password"])
        assert {k: v for k, v in manifest["rows"].items() if v} == case["rows"]
        assert [g["name"] for o in manifest["organizations"] for g in o["groups"]] == \
            case["groups"]
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


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector_through_cli(case, tmp_path, monkeypatch):
    """``cheel verify`` gives the stated exit code and one plain sentence, no traceback."""
    monkeypatch.delenv("CHEEL_PASSWORD", raising=False)
    env = {"CHEEL_PASSWORD": case["password"]} if case["password"] else {}
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "verify",
                                      str(VECTORS / case["file"])], env=env)
    assert result.exit_code == case["exit_code"], result.output
    assert "Traceback" not in result.output
    if case["expect"] == "ok":
        assert result.output.startswith("OK: ")
    else:
        assert result.stderr.startswith("Error: ")
    if case["password"]:
        assert case["password"] not in result.output


def test_restore_refuses_a_newer_schema():
    from cheel.restore import check_compatible

    for c in CASES:
        if c.get("restore") == "UnsupportedVersion":
            with pytest.raises(errors.UnsupportedVersion):
                check_compatible(inspect_backup(VECTORS / c["file"], c["password"]))


def test_encrypted_vector_content():
    """v1-ok-encrypted holds what the restore tests rely on."""
    path = VECTORS / "v1-ok-encrypted.cheelbackup"
    manifest = inspect_backup(path, SPEC["password"])
    assert manifest["encrypted"] is True
    (org,) = manifest["organizations"]
    assert [len(g["companies"]) for g in org["groups"]] == [2, 1]
    data = read_chunks(path, SPEC["password"])

    def column(table: str, name: str, scope: str = "g1") -> list:
        cols = [c["name"] for t in manifest["tables"] if t["name"] == table
                for c in t["columns"]]
        return [r[cols.index(name)] for r in data[(0, scope, table)]]

    mv = _make_vectors()
    assert sorted(column("documents", "content"), key=len) == [b"", mv.PDF, mv.ALL_BYTES]
    assert column("exchange_rates", "rate") == ["0.950000", "0.962345"]
    assert column("vat_codes", "rate") == ["8.10", "7.70", "2.60"]
    assert column("vat_codes", "valid_to") == [None, "2023-12-31", None]
    assert column("invoice_lines", "quantity") == ["10.000", "-0.250", "1.000"]
    assert "2024-02-29" in column("journal_entries", "date")
    assert column("fiscal_years", "closed") == [1, 0, 0]
    assert sorted(column("users", "login", "org")) == ["admin", "marie"]
    users = [t for t in manifest["tables"] if t["name"] == "users"][0]
    assert "password_hash" not in [c["name"] for c in users["columns"]]  # secrets stay home
    lines = data[(0, "g1", "entry_lines")]
    assert sum(r[3] for r in lines) == sum(r[4] for r in lines)


def test_vectors_regenerate_identically(tmp_path):
    """make_vectors.py is deterministic: it rebuilds the committed files byte for byte.

    Only meaningful for the cheel version that made them; older vectors are kept as they are.
    """
    made_by = inspect_backup(VECTORS / "v1-ok-plain.cheelbackup")["cheel_version"]
    if made_by != __version__:
        pytest.skip(f"the vectors were made by cheel {made_by}; they stay as fixtures")
    _make_vectors().make(tmp_path)
    for p in sorted(VECTORS.glob("*.cheelbackup")) + [VECTORS / "vectors.json"]:
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), (
            f"{p.name} no longer regenerates identically: the format or the writer changed; "
            "if that is intended, update docs/FORMAT.md and think about old backups")
