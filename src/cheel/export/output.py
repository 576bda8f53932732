"""Where an export's file goes, and how it gets there: written under a hidden temporary name
beside its final one, flushed to disk, and only then given its final name, so that no
half-written file ever carries it. Books taken out of a backup (perhaps an encrypted one)
are private: the file is readable by its owner only (mode 0600), as a backup is. A file
named by the user (``--out FILE``) is replaced, as an output file is; a name of the
export's own (in the current folder, or in the folder ``--out`` names) never replaces
anything: ``-2``, ``-3``, … are added."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import NotFound, UsageError, said
from ..store.catalog import safe_name


@dataclass(frozen=True)
class Target:
    path: Path  # the final name (or its first choice, when ``replace`` is False)
    replace: bool


def default_name(company: str, year: str | None, what: str, fmt: str) -> str:
    """``<company>_<year>_<what>.<format>`` in lower-case ASCII (``all-years`` for a whole
    journal, nothing for contacts)."""
    parts = [safe_name(company)[:60]]
    if year is not None:
        parts.append(safe_name(year)[:30])
    return "_".join(parts + [what]) + f".{fmt}"


def target_of(out: str | None, name: str) -> Target:
    """The file ``out`` names: a file (replaced), a folder (``name`` in it) or nothing
    (``name`` in the current folder); its folder must exist."""
    if out is None:
        return Target(Path.cwd() / name, False)
    path = Path(out).expanduser()
    if path.is_dir():
        return Target(path / name, False)
    if str(out).endswith(os.sep):
        raise NotFound(said("the folder {path} does not exist", path=path))
    if not path.parent.is_dir():
        raise NotFound(said("the folder {path} does not exist", path=path.parent),
                       hint=said("create it first, or write the export elsewhere"))
    return Target(path, True)


class OutputFile:
    """The temporary file an export is written to; :meth:`publish` or :meth:`abandon`."""

    def __init__(self, target: Target):
        self.target = target
        final = target.path
        self.part = final.parent / f".{final.name}.{secrets.token_hex(4)}.part"
        try:
            fd = os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as e:
            raise UsageError(said("{path} cannot be written: {why}", path=final.parent,
                                  why=e.strerror or str(e))) from None
        self.raw: BinaryIO = os.fdopen(fd, "wb")

    def publish(self) -> Path:
        """Flush, then the final name; returns it."""
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()
        final = self.target.path
        if self.target.replace:
            os.replace(self.part, final)
        else:
            final = self._link_free_name(final)
        _sync_folder(final.parent)
        return final

    def _link_free_name(self, first: Path) -> Path:
        for n in range(1, 1000):
            final = first if n == 1 else first.with_name(f"{first.stem}-{n}{first.suffix}")
            try:
                os.link(self.part, final)  # never replaces: fails if the name is taken
            except FileExistsError:
                continue
            except OSError:  # no hard links here: renamed, if the name is free
                if final.exists():
                    continue
                os.rename(self.part, final)
                return final
            self.part.unlink()
            return final
        raise UsageError(said("too many files named {name} in {folder}", name=first.name,
                              folder=first.parent))

    def abandon(self) -> None:
        with contextlib.suppress(OSError):
            self.raw.close()
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
