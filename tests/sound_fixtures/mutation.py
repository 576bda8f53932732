"""A mutation: one self-consistent change to a backup (index, checksums and seal are
recomputed by ``parts.reseal``), with what a sound reader must do with it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from .parts import Parts
from .verdicts import EITHER


@dataclass(frozen=True)
class Mutation:
    """One self-consistent change to a backup (index, checksums and seal are recomputed by
    ``reseal``), with what a sound reader must do with it."""

    cls: str
    label: str
    apply: Callable[[Parts], None] = field(compare=False)
    expect: str | Callable[[Parts], str] = EITHER  # or decided on the honest parts

    def __repr__(self) -> str:
        expect = self.expect if isinstance(self.expect, str) else "judged on the file"
        return f"<{self.cls}: {self.label} → {expect}>"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))

    def verdict(self, honest: Parts) -> str:
        return self.expect if isinstance(self.expect, str) else self.expect(honest)


def mutate(parts: Parts, m: Mutation) -> Parts:
    p = copy.deepcopy(parts)
    m.apply(p)
    return p


def pick(seq: list, i: int):
    assert seq, "nothing to pick from"
    return seq[i % len(seq)]
