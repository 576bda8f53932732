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
    """Accumulates encoded rows and hands out chunks of about ``CHUNK_BYTES``."""

    def __init__(self, types: Sequence[str], limit: int = CHUNK_BYTES):
        self._convert = row_converter(types, to_file=True)
        self._parts: list[str] = []
        self._size = 0
        self._rows = 0
        self._limit = limit

    def add(self, rows: Sequence[Sequence]) -> None:
        if not rows:
            return
        encoded: Iterable[Sequence] = map(self._convert, rows) if self._convert else rows
        text = "\n".join(map(_ENCODE, encoded))
        self._parts.append(text)
        self._size += len(text)
        self._rows += len(rows)

    @property
    def full(self) -> bool:
        return self._size >= self._limit

    @property
    def empty(self) -> bool:
        return self._rows == 0

    def take(self) -> tuple[bytes, int]:
        data = ("\n".join(self._parts) + "\n").encode("utf-8")
        rows = self._rows
        self._parts, self._size, self._rows = [], 0, 0
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
