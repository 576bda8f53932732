"""Table chunks: JSON Lines, one row per line, one JSON array of values per row.

Values are typed by the manifest's column list: integers and 0/1 bools are JSON numbers;
text, decimals (exact, fixed scale), dates and timestamps are JSON strings; binary is a
base64 string; NULL is ``null``. No float ever appears.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Sequence

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

    A chunk is closed as soon as its size (rows and their newlines, in bytes) reaches the
    limit, so a chunk is at most the limit plus one row, however many rows one ``add`` gets.
    """

    def __init__(self, types: Sequence[str], limit: int | None = None):
        self._convert = row_converter(types, to_file=True)
        self._parts: list[bytes] = []
        self._size = 0
        self._limit = CHUNK_BYTES if limit is None else limit

    def add(self, rows: Sequence[Sequence]) -> list[tuple[bytes, int]]:
        """Add rows; returns the chunks ``(data, rows)`` they completed (often none)."""
        done: list[tuple[bytes, int]] = []
        if not rows:
            return done
        encoded: Iterable[Sequence] = map(self._convert, rows) if self._convert else rows
        parts, size, limit = self._parts, self._size, self._limit
        for text in map(_ENCODE, encoded):
            line = text.encode("utf-8")
            parts.append(line)
            size += len(line) + 1
            if size >= limit:
                done.append(self.take())
                parts, size = self._parts, 0
        self._size = size
        return done

    @property
    def empty(self) -> bool:
        return not self._parts

    def take(self) -> tuple[bytes, int]:
        data = b"\n".join(self._parts) + b"\n"
        rows = len(self._parts)
        self._parts, self._size = [], 0
        return data, rows


def decode_chunk(data: bytes, types: Sequence[str], name: str) -> list[list]:
    """Rows of a chunk, binary columns decoded; :class:`DamagedFile` if it is malformed."""
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise DamagedFile(f'the chunk "{name}" is damaged (no final newline)')
    # JSON strings never hold a raw newline, so lines can be joined into one array.
    try:
        rows = json.loads(b"[" + data[:-1].replace(b"\n", b",") + b"]")
    except ValueError:
        raise DamagedFile(f'the chunk "{name}" is damaged (invalid JSON)') from None
    width = len(types)
    convert = row_converter(types, to_file=False)
    try:
        for r in rows:
            if not isinstance(r, list) or len(r) != width:
                raise DamagedFile(f'the chunk "{name}" is damaged (a row has the wrong shape)')
        if convert:
            rows = [convert(r) for r in rows]
    except (ValueError, TypeError):
        raise DamagedFile(f'the chunk "{name}" is damaged (bad binary value)') from None
    return rows
