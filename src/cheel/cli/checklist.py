"""A terminal checklist: numbers toggle items, ``a`` checks or unchecks all, Enter goes on."""

from __future__ import annotations

from collections.abc import Sequence

import click
from rich.console import Console


def checklist(console: Console, title: str, items: Sequence[str], checked: Sequence[bool],
              allow_back: bool = False) -> list[bool] | None:
    """Returns the checked flags, or None when the user goes back (``b``)."""
    state = list(checked)
    while True:
        console.print(f"\n[bold]{title}[/]")
        for i, (label, on) in enumerate(zip(items, state), start=1):
            console.print(f"  {i:>2}. [{'x' if on else ' '}] {label}", markup=False)
        keys = "numbers toggle (e.g. 1 3), a = all/none"
        if allow_back:
            keys += ", b = back"
        answer = click.prompt(f"{keys}, Enter = next", default="", show_default=False,
                              err=True).strip().lower()
        if answer == "":
            if not any(state):
                console.print("Check at least one.", style="red")
                continue
            return state
        if answer == "b" and allow_back:
            return None
        if answer == "a":
            state = [not all(state)] * len(state)
            continue
        for token in answer.replace(",", " ").split():
            if token.isdigit() and 1 <= int(token) <= len(state):
                state[int(token) - 1] = not state[int(token) - 1]
            else:
                console.print(f"'{token}' is not an item number.", style="red", markup=False)
