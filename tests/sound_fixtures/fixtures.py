"""The pytest fixtures shared by the sound-file test modules (import them there): the
honest files and their parts, scrypt memoized for a whole module (``fast_kdf``:
``cheel.archive.age.scrypt.scrypt_kdf``, adapt here when it changes), the count of mutated
files tried said at the end of the session."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import pytest

from cheel.archive.age import scrypt

from .checker import TRIED
from .parts import Parts, take_apart
from .sample_files import Sources, make_sources


@contextlib.contextmanager
def fast_kdf() -> Iterator[None]:
    """conftest's ``fast_kdf`` for a whole module: scrypt memoized, everything else real."""
    original = scrypt.scrypt_kdf
    scrypt.scrypt_kdf = functools.lru_cache(maxsize=64)(original)
    try:
        yield
    finally:
        scrypt.scrypt_kdf = original


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Sources:
    return make_sources(tmp_path_factory.mktemp("sound-sources"))


@pytest.fixture(scope="module")
def honest(sources) -> dict[str, Parts]:
    return {k: take_apart(v, sources.passwords[k]) for k, v in sources.files.items()}


@pytest.fixture(scope="module", autouse=True)
def module_kdf():
    with fast_kdf():
        yield


@pytest.fixture(scope="module", autouse=True)
def count_report(request):
    """Say how many mutated files were tried, at the end of the session."""
    pm = request.config.pluginmanager
    if not pm.has_plugin("sound-file-count"):
        pm.register(_CountReport(), "sound-file-count")
    yield


class _CountReport:
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if TRIED:
            total = sum(TRIED.values())
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(TRIED.items()))
            terminalreporter.write_line(f"sound files: {total} mutated files tried ({detail})")
