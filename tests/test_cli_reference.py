"""docs/CLI.md is what the click commands say about themselves: regenerated here and compared."""

from __future__ import annotations

import difflib
from pathlib import Path

from cheel.cli.reference import REGENERATE, reference

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "CLI.md"


def test_cli_reference_is_up_to_date():
    fresh = reference()
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    diff = "".join(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                        "docs/CLI.md (committed)", "docs/CLI.md (from the code)"))
    assert fresh == committed, (
        f"docs/CLI.md differs from the commands; regenerate it with\n"
        f"    PYTHONPATH=src .venv/bin/{REGENERATE}\nand commit it.\n{diff}")


def test_cli_reference_names_every_command_and_option():
    """The reference walks the whole tree: each command's heading, and each option's name."""
    import click

    from cheel.cli.main import cli

    text = reference()

    def walk(command: click.Command, ctx: click.Context) -> None:
        assert f" {ctx.command_path}\n" in text, ctx.command_path
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(f"`{name}" in text or f", {name}`" in text for name in param.opts), \
                    (ctx.command_path, param.opts)
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                walk(sub, click.Context(sub, info_name=name, parent=ctx))

    walk(cli, click.Context(cli, info_name="cheel"))
