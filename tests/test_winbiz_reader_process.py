"""The WinBIZ import reads its entries in a second process (cheel.winbiz.reader_process):
what the child refuses reaches the parent whole, a child that fails is said and changes
nothing, and an interrupted import leaves no process behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cheel.errors import Interrupted, SourceRefused
from cheel.store import organizations
from cheel.winbiz import ImportOptions, run_import
from cheel.winbiz.chart import read_chart
from cheel.winbiz.entries import YearTotals, entries_of, year_plan
from cheel.winbiz.reader_process import EntryReader, Job, ReaderFailed
from cheel.winbiz.source import opened_source

from helpers import fingerprint
from winbiz_fixtures import hostile_variants, write_company

ORG = "Fiduciaire Lecture SA"
ENTRY_REFUSALS = ["date_feb30", "amount_letters", "split_unbalanced", "summary_mismatch",
                  "account_not_in_chart", "number_reappears", "csv_date_feb30"]


def readers_of_this_process() -> list[int]:
    """The pids of the reading processes this test process started and that still run."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = next(int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("PPid:"))
        if parent == os.getpid() and b"cheel.winbiz.reader_process" in command:
            found.append(int(entry.name))
    return found


def refusal_in_this_process(source: Path):
    """What the entries of ``source`` refuse when read here, without the child."""
    with opened_source(source) as opened:
        chart = read_chart(opened.years)
        ids = {number: n for n, number in enumerate(chart.accounts, 1)}
        with pytest.raises(SourceRefused) as refused:
            for year in opened.years:
                for _ in entries_of(year, year_plan(year), chart, ids, YearTotals()):
                    pass
    return refused.value


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    cases = {c.id: c for c in hostile_variants(tmp_path_factory.mktemp("hostile"))}
    return [cases[name] for name in ENTRY_REFUSALS]


def test_what_the_reader_refuses_reaches_the_import_whole(catalog, hostile):
    organizations.create_organization(catalog, ORG, ["fr", "de"])
    before = fingerprint(catalog, ORG)
    for case in hostile:
        here = refusal_in_this_process(case.path)
        with pytest.raises(SourceRefused) as through_child:
            run_import(catalog, ImportOptions(case.path, ORG, company="Hostile AG"))
        # the same sentence, and the same template and parameters for the translations
        assert through_child.value.message == here.message, case.id
        assert through_child.value.text.template == here.text.template, case.id
        assert through_child.value.text.render() == here.text.render(), case.id
        assert through_child.value.exit_code == 4
        assert fingerprint(catalog, ORG) == before, case.id
    assert readers_of_this_process() == []


class NotImportableThere:
    """The child cannot unpickle this: the tests' folder is not on its path."""


def test_a_reader_that_fails_is_said_with_what_it_printed(tmp_path):
    with EntryReader(Job([], [], NotImportableThere(), {})) as reader:  # type: ignore[arg-type]
        with pytest.raises(ReaderFailed) as failed:
            reader.finish()
    assert "ended early (exit 1)" in str(failed.value)
    # the child's own last words
    assert "No module named 'test_winbiz_reader_process'" in str(failed.value)
    assert readers_of_this_process() == []


def test_a_job_that_cannot_be_sent_leaves_no_reader_behind():
    class Local:  # a class local to a function cannot be pickled at all
        pass

    with pytest.raises(AttributeError):
        EntryReader(Job([], [], Local(), {}))  # type: ignore[arg-type]
    assert readers_of_this_process() == []


def test_an_interrupted_import_ends_its_reader_and_changes_nothing(catalog, tmp_path):
    expected = write_company(tmp_path / "src", years=(2023, 2024), lines=40_000, seed=3)
    folder = next((tmp_path / "src" / "DAT").iterdir())
    organizations.create_organization(catalog, ORG, ["fr"])
    before = fingerprint(catalog, ORG)
    seen = []

    def progress(done, total, phase=None):
        seen.append(done)
        if done > 0:  # the first batch is written: the user cancels
            raise Interrupted("cancelled")

    with pytest.raises(Interrupted):
        run_import(catalog, ImportOptions(folder, ORG), progress)
    assert max(seen) < expected.lines  # stopped part-way: the child still had lines to send
    assert readers_of_this_process() == []
    assert fingerprint(catalog, ORG) == before
    report = run_import(catalog, ImportOptions(folder, ORG))  # and the next import works
    assert report.lines == expected.lines
