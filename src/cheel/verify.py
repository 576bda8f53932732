"""Inspect (the manifest) and verify (every byte, every rule) a backup file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from .archive.age import Unlocker
from .archive.manifest import Manifest
from .archive.reader import BackupReader
from .backups import record
from .destinations import is_url, open_location, size_of
from .destinations.base import HashingReader
from .errors import DamagedFile
from .soundness import SoundReader, check_manifest
from .progress import Progress

# What opens an encrypted file: an Unlocker (one per operation), a password, or a
# zero-argument callable returning one (asked only if the file is encrypted).
Unlock = Unlocker | Callable[[], str | None] | str | None


def unlocker_of(unlock: Unlock) -> Unlocker:
    return unlock if isinstance(unlock, Unlocker) else Unlocker(unlock)


@dataclass
class BackupInfo:
    """What ``inspect`` tells of a file: its manifest, size, and whether it is encrypted."""

    file: str
    size: int
    encrypted: bool
    manifest: Manifest

    def as_dict(self) -> dict:
        out = msgspec.to_builtins(self.manifest)
        out.update(encrypted=self.encrypted, file=self.file, size=self.size)
        return out


def inspect_backup(path: Path | str, unlock: Unlock = None) -> BackupInfo:
    """The manifest, checked, plus the file's size; no table data is read."""
    with open_location(path) as f:
        reader = BackupReader(f, unlocker_of(unlock))
        manifest = reader.read_manifest()
        check_manifest(manifest, rows=False)
        return BackupInfo(str(path if is_url(path) else Path(path)), size_of(path),
                          reader.encrypted, manifest)


@dataclass
class VerifyResult:
    path: str
    encrypted: bool
    members: int
    rows: int
    seconds: float
    recorded: bool = False  # the verification is written in the backup's record

    def as_dict(self) -> dict:
        return {"path": self.path, "ok": True, "encrypted": self.encrypted,
                "members": self.members, "rows": self.rows, "seconds": round(self.seconds, 3),
                "recorded": self.recorded}


def verify_backup(path: Path | str, unlock: Unlock = None,
                  progress: Progress | None = None) -> VerifyResult:
    """Read everything and check every rule of a sound file (:mod:`cheel.soundness`);
    raises if anything is off. A file this accepts is one a restore accepts."""
    started = time.monotonic()
    try:
        with HashingReader(open_location(path)) as f:
            reader = BackupReader(f, unlocker_of(unlock))
            sound = SoundReader(reader, whole_file_rules=True)
            total = sound.manifest.total_rows
            if progress:
                progress(0, total)
            for _ in sound:
                if progress:
                    progress(sound.rows, total)
            digest = f.digest()  # every byte was read: nothing follows the seal
    except DamagedFile as e:  # the file's verdict (not a missing password, not a Ctrl-C)
        record.add_verification(str(path), False, type(e).__name__)
        raise
    result = VerifyResult(str(path), reader.encrypted, sound.chunks, sound.rows,
                          time.monotonic() - started)
    result.recorded = record.add_verification(str(path), True, digest=digest)
    return result
