"""Cancelling work through its progress (issue 21): whatever the progress raises unwinds the
backup or the restore as any failure does, and leaves nothing half done; the restore says
when it checks what it loaded (the phase its progress reports)."""

from __future__ import annotations

import pytest

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.demo import DemoOptions, create_demo
from cheel.errors import Interrupted, said
from cheel.progress import CHECKS, ROWS
from cheel.restore import RestoreOptions, run_restore

from helpers import fingerprint

SOURCE = "Demo SA"


class Stop:
    """A progress that records what it hears and cancels the work at the ``at``-th report
    of ``phase`` (as the web UI's Annuler does, from the job's own progress)."""

    def __init__(self, phase: str | None = None, at: int = 1):
        self.phase, self.at, self.heard = phase, at, []

    def __call__(self, done: int, total: int, phase: str = ROWS) -> None:
        self.heard.append((phase, done, total))
        if self.phase is not None and sum(1 for p, _, _ in self.heard if p == self.phase) \
                == self.at:
            raise Interrupted(said("cancelled by the user"))


@pytest.fixture
def demo(catalog):
    create_demo(catalog, DemoOptions(name=SOURCE, entries=400))
    return catalog


@pytest.fixture
def backup_file(demo, tmp_path):
    out = tmp_path / "made"
    out.mkdir()
    return run_backup(demo, plan_backup(demo, BackupOptions([SOURCE], out))).path


def test_a_cancelled_backup_leaves_no_file(demo, dest):
    stop = Stop(ROWS, at=3)  # after two chunks are written
    with pytest.raises(Interrupted):
        run_backup(demo, plan_backup(demo, BackupOptions([SOURCE], dest, password="pw",
                                                         log2n=10)), stop)
    assert list(dest.iterdir()) == []  # neither the file nor its .part
    assert len(stop.heard) == 3


def test_a_restore_says_when_it_checks(demo, backup_file):
    heard = Stop()
    run_restore(demo, RestoreOptions(backup_file, SOURCE, on_conflict="copy"), None, heard)
    phases = [p for p, _, _ in heard.heard]
    assert phases[0] == ROWS and CHECKS in phases
    assert phases.index(CHECKS) > max(i for i, p in enumerate(phases) if p == ROWS)
    done, total = heard.heard[-1][1:]
    assert heard.heard[-1][0] == CHECKS and done == total > 0


@pytest.mark.parametrize("phase", [ROWS, CHECKS])
def test_a_cancelled_restore_into_an_organization_leaves_it_as_it_was(demo, backup_file,
                                                                       phase):
    before = fingerprint(demo, SOURCE)
    with pytest.raises(Interrupted):
        run_restore(demo, RestoreOptions(backup_file, SOURCE, on_conflict="copy"), None,
                    Stop(phase, at=2))
    assert fingerprint(demo, SOURCE) == before


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
@pytest.mark.parametrize("phase", [ROWS, CHECKS])
def test_a_cancelled_restore_into_a_new_organization_makes_none(demo, backup_file, engine,
                                                                phase, request):
    postgres = None
    if engine == "postgres":
        postgres = request.getfixturevalue("pg_url")
        left = request.getfixturevalue("temporary_databases")
    files = sorted(p.name for p in demo.data_dir.iterdir() if p.suffix == ".sqlite")
    with pytest.raises(Interrupted):
        run_restore(demo, RestoreOptions(backup_file, "Copie SA", create=True,
                                         postgres=postgres), None, Stop(phase, at=1))
    assert not demo.exists("Copie SA")
    assert sorted(p.name for p in demo.data_dir.iterdir() if p.suffix == ".sqlite") == files
    if engine == "postgres":
        assert left.made and left() == set()
