"""Table chunks: each chunk is one JSON array of rows, each row a JSON array of values.

Values are typed by the manifest's column list: integers and 0/1 bools are JSON numbers;
text, decimals (exact, fixed scale), dates and timestamps are JSON strings; binary is a
base64 string; NULL is ``null``. No float ever appears.

Rows are encoded a batch at a time (one call into the C encoder per batch, or one JSON text
per row made by the database server), so no Python code runs per value on the hot path.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
from collections.abc import Callable, Sequence

from ..errors import DamagedFile

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                           allow_nan=False).encode
CHUNK_BYTES = 4 * 1024 * 1024


def row_converter(types: Sequence[str], to_file: bool) -> Callable[[Sequence], Sequence] | None:
    """A function fixing the binary columns of a row, or None when nothing needs fixing."""
    binary = [i for i, t in enumerate(types) if t == "binary"]
    if not binary:
        return None

    def convert(row: Sequence) -> list:
        out = list(row)
        for i in binary:
            v = out[i]
            if v is not None:
                out[i] = (base64.b64encode(bytes(v)).decode("ascii") if to_file
                          else base64.b64decode(v, validate=True))
        return out

    return convert


class ChunkBuilder:
    """Accumulates encoded rows and hands out chunks of about ``CHUNK_BYTES``.

    A chunk's size counts each row's JSON bytes plus one separator. A chunk is closed by the
    row that makes its size reach the limit, exactly as if rows were added one at a time,
    so a chunk is at most the limit plus one row, however rows arrive.
    """

    def __init__(self, types: Sequence[str], limit: int | None = None):
        self._convert = row_converter(types, to_file=True)
        self._parts: list[bytes] = []  # comma-joined encoded rows, without the brackets
        self._rows = 0
        self._size = 0
        self._limit = CHUNK_BYTES if limit is None else limit

    def add(self, rows: Sequence[Sequence]) -> list[tuple[bytes, int]]:
        """Add rows of Python values; returns the chunks ``(data, rows)`` they completed."""
        if self._convert:
            rows = [self._convert(r) for r in rows]
        return self._add(rows, lambda batch: _ENCODE(batch)[1:-1].encode("utf-8"))

    def add_json(self, texts: Sequence[bytes]) -> list[tuple[bytes, int]]:
        """Add rows the database already encoded, one UTF-8 JSON array text per row."""
        done: list[tuple[bytes, int]] = []
        # Running sizes in C; a row's size counts one separator: size(i..j) = cum[j] - cum[i]
        # + (j - i). The first row to reach the room left ends the chunk.
        cum = list(itertools.accumulate(map(len, texts), initial=0))
        start, n = 0, len(texts)
        while start < n:
            room = self._limit - self._size
            base = cum[start] + start
            cut = bisect.bisect_left(range(start + 1, n + 1), room,
                                     key=lambda j: cum[j] + j - base) + start + 1
            if cut > n:
                self._push(b",".join(texts[start:]), n - start)
                break
            self._push(b",".join(texts[start:cut]), cut - start)
            done.append(self.take())
            start = cut
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
        data = b"[" + b",".join(self._parts) + b"]"
        rows = self._rows
        self._parts, self._rows, self._size = [], 0, 0
        return data, rows


def _no_float(text: str):
    raise ValueError(f"a float ({text}) where only exact values may appear")


def decode_chunk(data: bytes, types: Sequence[str], name: str) -> list[list]:
    """Rows of a chunk, binary columns decoded; :class:`DamagedFile` if it is malformed."""
    try:
        rows = json.loads(data, parse_float=_no_float, parse_constant=_no_float)
    except ValueError:
        raise DamagedFile(f'the chunk "{name}" is damaged (invalid JSON)') from None
    if not isinstance(rows, list):
        raise DamagedFile(f'the chunk "{name}" is damaged (not a list of rows)')
    # Shape checks in C loops (map), not per row in Python.
    if rows and (set(map(type, rows)) != {list} or set(map(len, rows)) != {len(types)}):
        raise DamagedFile(f'the chunk "{name}" is damaged (a row has the wrong shape)')
    convert = row_converter(types, to_file=False)
    if convert:
        try:
            rows = [convert(r) for r in rows]
        except (ValueError, TypeError):
            raise DamagedFile(f'the chunk "{name}" is damaged (bad binary value)') from None
    return rows
