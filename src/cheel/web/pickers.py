"""Server-side folder and file pickers: what a directory holds, for the picker dialog."""

from __future__ import annotations

import os
from pathlib import Path

from .paths import absolute_path, nearest_existing

MAX_ENTRIES = 2000


class PickerError(Exception):
    """A folder that cannot be listed; ``kind`` says why (for a translated message)."""

    def __init__(self, kind: str, path: str):
        super().__init__(f"{kind}: {path}")
        self.kind, self.path = kind, path


def start_dir(value: str | None) -> Path:
    """Where a picker opens: the field's folder, or its nearest existing parent (a file's
    folder, a folder not made yet); home when the field holds no absolute path."""
    path = absolute_path(value or "")
    return nearest_existing(path) if path is not None else Path.home()


def listing(path: str | None, mode: str = "dir", ext: str | None = None,
            hidden: bool = False) -> dict:
    """The folders (and in ``file`` mode the files ending in ``ext``, a comma-separated
    list of endings) of ``path``."""
    endings = tuple(e.strip().lower() for e in (ext or "").split(",") if e.strip())
    p = Path(path).expanduser() if path else start_dir(None)
    if not p.is_absolute():
        p = Path.home() / p
    p = Path(os.path.normpath(p))
    if not p.exists():
        raise PickerError("missing", str(p))
    if not p.is_dir():
        raise PickerError("not_dir", str(p))
    dirs: list[dict] = []
    files: list[dict] = []
    truncated = False
    try:
        with os.scandir(p) as it:
            for entry in it:
                if not hidden and entry.name.startswith("."):
                    continue
                if len(dirs) + len(files) >= MAX_ENTRIES:
                    truncated = True
                    break
                try:
                    if entry.is_dir():
                        dirs.append({"name": entry.name, "path": str(p / entry.name)})
                    elif mode == "file" and entry.is_file() and (
                            not endings or entry.name.lower().endswith(endings)):
                        files.append({"name": entry.name, "path": str(p / entry.name),
                                      "size": entry.stat().st_size})
                except OSError:
                    continue
    except PermissionError:
        raise PickerError("denied", str(p)) from None
    except OSError:
        raise PickerError("unreadable", str(p)) from None
    dirs.sort(key=lambda d: d["name"].casefold())
    files.sort(key=lambda f: f["name"].casefold())
    parent = str(p.parent) if p.parent != p else None
    return {"path": str(p), "parent": parent, "dirs": dirs, "files": files,
            "writable": os.access(p, os.W_OK), "truncated": truncated,
            "places": places()}


def places() -> list[dict]:
    """Shortcuts shown beside the list: home and a few usual folders that exist."""
    home = Path.home()
    out = [{"key": "home", "path": str(home)}]
    for key, name in (("documents", "Documents"), ("desktop", "Desktop")):
        if (home / name).is_dir():
            out.append({"key": key, "path": str(home / name)})
    out.append({"key": "root", "path": str(Path(home.anchor or "/"))})
    return out


def make_dir(parent: str, name: str) -> str:
    """Create the folder ``name`` in ``parent``; returns its path."""
    name = name.strip()
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise PickerError("bad_name", name)
    p = Path(parent)
    if not p.is_absolute() or not p.is_dir():
        raise PickerError("missing", parent)
    target = p / name
    try:
        target.mkdir()
    except FileExistsError:
        raise PickerError("exists", str(target)) from None
    except PermissionError:
        raise PickerError("denied", str(p)) from None
    except OSError:
        raise PickerError("unreadable", str(p)) from None
    return str(target)
