"""Paths typed into the web UI: absolute only, shown as they will be used.

``cheel ui`` may have been started from any folder; a relative path would be resolved
against that folder, which the user of the page cannot see. So a typed path must be
absolute (``~`` is the user's home folder), and is shown normalized.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..destinations import is_url

# What examples of a full path show.
EXAMPLE_FOLDER = str(Path.home() / "Documents")
EXAMPLE_FILE = str(Path.home() / "Documents" / "demo-sa_20261205-120000.cheelbackup")
EXAMPLE_KEY = str(Path.home() / "Documents" / "cheel-key.txt")


def absolute_path(typed: str) -> Path | None:
    """``typed`` as an absolute, normalized path (``~`` expanded), or None if relative."""
    text = os.path.expanduser(typed.strip())
    if not text or not os.path.isabs(text):
        return None
    return Path(os.path.normpath(text))


def location(typed: str) -> str | None:
    """A place typed for a backup or a destination: an address (``s3://``, ``sftp://``)
    as given, else the absolute path it names; None for a relative path."""
    typed = typed.strip()
    if is_url(typed):
        return typed
    path = absolute_path(typed)
    return str(path) if path is not None else None


def nearest_existing(path: Path) -> Path:
    """The folder itself if it exists, else its nearest existing parent."""
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path(path.anchor or "/")
