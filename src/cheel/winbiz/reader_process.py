"""The fiscal years' entries read and rebuilt in a second process, while this one writes.

An import spends half its time reading WinBIZ's tables (cutting records, parsing dates and
amounts, rebuilding entries) and half writing them; one Python process does one at a time.
The reading runs here in a child (a Python running :func:`main`), which sends
the checked entries back in batches; the parent writes them as they come, so the two
halves overlap on two cores (bench/winbiz.py, 1,000,000 lines on SQLite: 6.0 s → 5.5 s,
the restore of the same data 4.0 to 4.5 s).

Parent → child, on its standard input: one pickle, the job (the fiscal years' tables, their
scans, the chart and the ids of its accounts). Child → parent, on its standard output, a
sequence of pickles: ``("entries", [Entry, …])`` about every :data:`BATCH_LINES` lines,
``("year", name, YearTotals)`` at the end of each fiscal year, ``("refused", error class,
Text, hint)`` when the source is refused, ``("done",)`` last. Both ends are this program: the
pickles carry plain values read from the source, never code. The pipe holds at most a batch
or two: the child waits while the parent writes, so memory stays flat whatever the size.

The child ignores Ctrl-C (the parent, interrupted, ends it) and prints nothing: a failure
of its own reaches the parent as the end of its output without ``done``, with what it wrote
on its standard error.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from .. import errors
from .chart import Chart
from .entries import Entry, YearScan, YearTotals, entries_of
from .source import YearSource

BATCH_LINES = 5000  # lines sent at once: a pickle of about 300 kB


@dataclass
class Job:
    years: list[YearSource]
    scans: list[YearScan]
    chart: Chart
    account_ids: dict[str, int]


class ReaderFailed(Exception):
    """The reading process ended without finishing (a fault of cheel, not of the source)."""


class EntryReader:
    """The child process reading a job's fiscal years, and the parent's side of the pipe.

    Use as a context manager; :meth:`entries` gives one fiscal year's entries, in the
    order of the job's years, and then its totals are in :attr:`totals`."""

    def __init__(self, job: Job):
        self.job = job
        self.totals: dict[str, YearTotals] = {}
        self._done = False
        self._stderr = tempfile.TemporaryFile()
        self._child = subprocess.Popen(
            [sys.executable, "-c", f"import {__name__} as child, sys; sys.exit(child.main())"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr)
        try:
            pickle.dump(job, self._child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._child.stdin.close()
        except BrokenPipeError:
            pass  # the child ended at once: what it said is read below
        except BaseException:  # the job could not be sent: the child must not wait for it
            self.close()
            raise

    def __enter__(self) -> EntryReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """End the child (at once if its entries are no longer wanted)."""
        if self._child.poll() is None and not self._done:
            self._child.kill()
        self._child.wait()
        if not self._child.stdin.closed:
            try:
                self._child.stdin.close()
            except BrokenPipeError:
                pass
        self._child.stdout.close()
        self._stderr.close()

    def entries(self, year: str) -> Iterator[Entry]:
        """The entries of the fiscal year ``year``, as the child rebuilt and checked them."""
        while True:
            message = self._receive()
            kind = message[0]
            if kind == "entries":
                yield from message[1]
            elif kind == "year":
                if message[1] != year:
                    raise ReaderFailed(f"the reader sent the fiscal year {message[1]} "
                                       f"for {year}")
                self.totals[year] = message[2]
                return
            elif kind == "refused":
                _, name, text, hint = message
                error = getattr(errors, name, None)
                if not (isinstance(error, type) and issubclass(error, errors.CheelError)):
                    raise ReaderFailed(f"the reader sent an unknown error {name!r}")
                raise error(text, hint=hint)
            else:
                raise ReaderFailed(f"the reader sent {kind!r} before the end of {year}")

    def finish(self) -> None:
        """Read the child's last word and let it end."""
        message = self._receive()
        if message != ("done",):
            raise ReaderFailed(f"the reader sent {message[0]!r} after the last fiscal year")
        self._done = True

    def _receive(self) -> tuple:
        try:
            return pickle.load(self._child.stdout)
        except (EOFError, pickle.UnpicklingError):
            self._child.wait()
            self._stderr.seek(0)
            printed = self._stderr.read().decode(errors="replace").strip().splitlines()
            # its last line names the failure; the whole traceback is not for the user
            raise ReaderFailed("the reading process ended early (exit "
                               f"{self._child.returncode})"
                               + (f": {printed[-1][:500]}" if printed else "")) from None


def _serve(job: Job, out) -> None:
    """The child's work: every fiscal year's entries, in batches, then its totals."""
    def dump(message: tuple) -> None:  # a pickle of its own, as the parent reads it
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        for year, scan in zip(job.years, job.scans):
            totals = YearTotals()
            batch: list[Entry] = []
            lines = 0
            for entry in entries_of(year, scan, job.chart, job.account_ids, totals):
                batch.append(entry)
                lines += len(entry.lines)
                if lines >= BATCH_LINES:
                    dump(("entries", batch))
                    batch, lines = [], 0
            if batch:
                dump(("entries", batch))
            dump(("year", year.name, totals))
    except errors.CheelError as e:
        dump(("refused", type(e).__name__, e.text, e.hint_text))
        return
    dump(("done",))


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    gc.disable()  # millions of short-lived tuples, no cycles (see cheel.bulk)
    job = pickle.load(sys.stdin.buffer)
    # The pipe to the parent is kept for the pickles alone: whatever else would print on
    # the standard output goes to the standard error.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _serve(job, out)
        out.flush()
    except BrokenPipeError:  # the parent no longer reads: it has stopped
        return 0
    return 0
