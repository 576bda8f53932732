"""The merge of two sides' keyed rows of one table, both in key order: what was added,
removed or changed.

Rows of equal keys are paired in their order (a line is its entry and its position among
the entry's lines): the k-th row of a key on one side with the k-th on the other. Where
the two sides agree, they are compared a slice at a time (a list comparison, in C), and
only where they differ row by row; so the time goes to reading rows, not to comparing
them, and memory holds a batch of each side (and the rows of one key, an entry's lines).
"""

from __future__ import annotations

import heapq
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
SLICE = 512  # rows compared at once while the sides agree


class Event(NamedTuple):
    """A difference: a row only ``after`` (added), only ``before`` (removed), or on both
    sides with other values (changed). ``position``: its rank among rows of its key (1…)."""

    kind: str
    key: tuple
    before: tuple | None
    after: tuple | None
    position: int


class _Side:
    """One side's rows, a batch at a time, with where the current row stands in its key."""

    def __init__(self, batches: Iterable[list], width: int,
                 counted: Callable[[int], None] | None):
        self._batches = iter(batches)
        self.width = width
        self.rows: list = []
        self.i = 0
        self._done = False
        self._counted = counted
        self._tail: tuple | None = None  # key of the previous batch's last rows, and how
        self._tail_run = 0  # many of them (with the batches before) had it

    def ready(self) -> bool:
        """True when a current row exists (fetching the next batch if needed)."""
        while self.i >= len(self.rows):
            if self._done:
                return False
            batch = next(self._batches, None)
            if batch is None:
                self._done = True
                return False
            if self.rows:
                self._remember_tail()
            self.rows, self.i = batch, 0
            if self._counted:
                self._counted(len(batch))
        return True

    def _remember_tail(self) -> None:
        w, rows = self.width, self.rows
        last = rows[-1][:w]
        run = 1
        while run < len(rows) and rows[-run - 1][:w] == last:
            run += 1
        if run == len(rows) and last == self._tail:
            run += self._tail_run
        self._tail, self._tail_run = last, run

    def key(self) -> tuple:
        return self.rows[self.i][:self.width]

    def position(self) -> int:
        """The current row's rank among the rows of its key (1, 2, …)."""
        w, rows, key = self.width, self.rows, self.key()
        j = self.i
        while j > 0 and rows[j - 1][:w] == key:
            j -= 1
        return self.i - j + 1 + (self._tail_run if j == 0 and key == self._tail else 0)

    def take_run(self, key: tuple) -> list:
        """The current row and those after it of the same key."""
        out = []
        while self.ready() and self.rows[self.i][:self.width] == key:
            j = self.i
            rows, w = self.rows, self.width
            while j < len(rows) and rows[j][:w] == key:
                j += 1
            out.extend(rows[self.i:j])
            self.i = j
        return out

    def rest(self) -> Iterator[tuple[tuple, list, int]]:
        """What is left, run by run: (key, rows, position of the first)."""
        while self.ready():
            key, pos = self.key(), self.position()
            yield key, self.take_run(key), pos


def merge(before: Iterable[list], after: Iterable[list], width: int,
          counted: Callable[[int], None] | None = None) -> Iterator[Event]:
    """The differences between two tables' keyed rows (batches of tuples in key order,
    each key its first ``width`` values). ``counted`` is told how many rows of ``before``
    each batch brings (progress)."""
    a, b = _Side(before, width, counted), _Side(after, width, None)
    while True:
        if not a.ready():
            for key, rows, pos in b.rest():
                yield from (Event(ADDED, key, None, r, pos + k) for k, r in enumerate(rows))
            return
        if not b.ready():
            for key, rows, pos in a.rest():
                yield from (Event(REMOVED, key, r, None, pos + k) for k, r in enumerate(rows))
            return
        n = min(len(a.rows) - a.i, len(b.rows) - b.i, SLICE)
        left, right = a.rows[a.i:a.i + n], b.rows[b.i:b.i + n]
        if left == right:
            a.i += n
            b.i += n
            continue
        skip = next(itertools.compress(itertools.count(), map(operator.ne, left, right)))
        a.i += skip
        b.i += skip
        yield from _differing(a, b)


def _differing(a: _Side, b: _Side) -> Iterator[Event]:
    """The rows at which the two sides differ: the current key's rows of both, or of the
    one whose key comes first."""
    ka, kb = a.key(), b.key()
    if ka < kb:
        pos = a.position()
        yield from (Event(REMOVED, ka, r, None, pos + k) for k, r in enumerate(a.take_run(ka)))
    elif kb < ka:
        pos = b.position()
        yield from (Event(ADDED, kb, None, r, pos + k) for k, r in enumerate(b.take_run(kb)))
    else:
        pos = a.position()
        left, right = a.take_run(ka), b.take_run(kb)
        for k, (x, y) in enumerate(zip(left, right)):
            if x != y:
                yield Event(CHANGED, ka, x, y, pos + k)
        n = min(len(left), len(right))
        yield from (Event(REMOVED, ka, r, None, pos + n + k) for k, r in enumerate(left[n:]))
        yield from (Event(ADDED, ka, None, r, pos + n + k) for k, r in enumerate(right[n:]))


def by_whole(whole: Iterator[Event], parts: dict[str, Iterator[Event]], width: int,
             positional: bool = False
             ) -> Iterator[tuple[tuple, Event | None, dict[str, list[Event]]]]:
    """The events of a table and of its parts (an entry's lines) together, by the whole's
    key (``width`` values, which begin every part's key; ``positional``: and the whole's
    position, which follows them there): ``(key, the whole's event or None, {part: its
    events})``, in key order."""
    if positional:
        whole = (e._replace(key=e.key + (e.position,)) for e in whole)
        width += 1
    streams = [_tagged(whole, width, 0, "")]
    streams += [_tagged(events, width, i, name)
                for i, (name, events) in enumerate(parts.items(), start=1)]
    merged = heapq.merge(*streams, key=operator.itemgetter(0, 1))
    for key, items in itertools.groupby(merged, key=operator.itemgetter(0)):
        own: Event | None = None
        found: dict[str, list[Event]] = {}
        for _, i, name, event in items:
            if i == 0:
                own = event
            else:
                found.setdefault(name, []).append(event)
        yield key, own, found


def _tagged(events: Iterator[Event], width: int, i: int, name: str
            ) -> Iterator[tuple[tuple, int, str, Event]]:
    return ((e.key[:width], i, name, e) for e in events)
