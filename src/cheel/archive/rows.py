"""Table chunks: each chunk is one JSON array of rows, each row a JSON array of values.

Values are typed by the manifest's column list: integers and 0/1 bools are JSON numbers;
text, decimals (exact, fixed scale), dates and timestamps are JSON strings; binary is a
base64 string; NULL is ``null``. No float ever appears.

Rows are encoded a batch at a time (one call into the C encoder per batch, or one JSON text
per row made by the database server), so no Python code runs per value on the hot path.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                           allow_nan=False).encode
# 1 MiB: a backup's peak memory is the chunks and units in flight. At 4 MiB a SQLite
# backup's peak grew +12 % from 1 M to 4 M lines (90 -> 101 MiB); at 1 MiB, with SQLite
# units of 8,000 rows, about +2 % (64 -> 65 MiB), at the same speed.
CHUNK_BYTES = 1024 * 1024


def _binary_to_text(types: Sequence[str]) -> Callable[[Sequence], Sequence] | None:
    """A function writing a row's binary values as base64 text, or None if it has none."""
    binary = [i for i, t in enumerate(types) if t == "binary"]
    if not binary:
        return None

    def convert(row: Sequence) -> list:
        out = list(row)
        for i in binary:
            v = out[i]
            if v is not None:
                out[i] = base64.b64encode(bytes(v)).decode("ascii")
        return out

    return convert


class ChunkBuilder:
    """Accumulates encoded rows and hands out chunks of about ``CHUNK_BYTES``.

    A chunk's size counts each row's JSON bytes plus one separator. A chunk is closed by the
    row that makes its size reach the limit, exactly as if rows were added one at a time,
    so a chunk is at most the limit plus one row, however rows arrive.
    """

    def __init__(self, types: Sequence[str], limit: int | None = None):
        self._convert = _binary_to_text(types)
        self._parts: list[bytes] = []  # comma-joined encoded rows, without the brackets
        self._rows = 0
        self._size = 0
        self._limit = CHUNK_BYTES if limit is None else limit

    def add(self, rows: Sequence[Sequence]) -> list[tuple[bytes, int]]:
        """Add rows of Python values; returns the chunks ``(data, rows)`` they completed."""
        if self._convert:
            rows = [self._convert(r) for r in rows]
        return self._add(rows, lambda batch: _ENCODE(batch)[1:-1].encode("utf-8"))

    def add_lines(self, lines: bytes) -> list[tuple[bytes, int]]:
        """Add rows the database encoded, one UTF-8 JSON array text per row, joined with
        newlines (``b"r1\\nr2…"``; JSON text never holds a raw newline).

        The cuts are found with ``bytes.find`` on the joined text, so no object is made per
        row: a row ending at offset ``q`` (its newline, or the end) fills the chunk begun at
        ``pos`` when ``q - pos + 1`` reaches the room left."""
        done: list[tuple[bytes, int]] = []
        pos, end = 0, len(lines)
        while pos < end:
            x = pos + (self._limit - self._size) - 1
            rest_fits = x > end  # the rest goes in without filling the chunk
            q = end if rest_fits else lines.find(b"\n", max(x, pos))
            q = end if q < 0 else q
            piece = lines[pos:q]
            self._push(piece.replace(b"\n", b","), piece.count(b"\n") + 1)
            if rest_fits:
                break
            done.append(self.take())
            pos = q + 1
        return done

    def _add(self, rows: Sequence, encode: Callable[[Sequence], bytes]
             ) -> list[tuple[bytes, int]]:
        done: list[tuple[bytes, int]] = []
        while rows:
            data = encode(rows)
            room = self._limit - self._size
            if len(data) + 1 < room:  # the whole batch fits without filling the chunk
                self._push(data, len(rows))
                break
            # The fewest leading rows that fill the chunk (one C encode per step).
            lo, hi = 1, len(rows)
            while lo < hi:
                mid = (lo + hi) // 2
                if len(encode(rows[:mid])) + 1 >= room:
                    hi = mid
                else:
                    lo = mid + 1
            self._push(encode(rows[:lo]) if lo < len(rows) else data, lo)
            done.append(self.take())
            rows = rows[lo:]
        return done

    def _push(self, data: bytes, n: int) -> None:
        self._parts.append(data)
        self._rows += n
        self._size += len(data) + 1

    @property
    def empty(self) -> bool:
        return not self._rows

    def take(self) -> tuple[bytes, int]:
        # The brackets on the end pieces: one join, not a second copy of the whole chunk.
        parts = self._parts
        parts[0] = b"[" + parts[0]
        parts[-1] = parts[-1] + b"]"
        data = b",".join(parts)
        rows = self._rows
        self._parts, self._rows, self._size = [], 0, 0
        return data, rows


