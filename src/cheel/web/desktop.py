"""Showing a folder in the file manager of the machine ``cheel ui`` runs on.

The web UI listens on 127.0.0.1 only, so its user sits at this machine: "Ouvrir le dossier"
asks the desktop's own opener (``xdg-open`` on Linux, ``open`` on macOS, the shell on
Windows) to show the folder. Without one (a server without a desktop) the button is not
offered.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def opener() -> list[str] | None:
    """The command that shows a folder, or None when this machine has none."""
    if sys.platform == "win32":
        return ["explorer"]
    name = "open" if sys.platform == "darwin" else "xdg-open"
    found = shutil.which(name)
    return [found] if found else None


def reveal(folder: Path) -> bool:
    """Show ``folder`` in the file manager; whether an opener was started. The opener runs
    detached: its window outlives the request, and its output is not ours to show."""
    command = opener()
    if command is None or not folder.is_dir():
        return False
    subprocess.Popen([*command, os.fspath(folder)], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    return True
