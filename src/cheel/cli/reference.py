"""The command-line reference, docs/CLI.md, written from the click commands themselves.

``python -m cheel.cli.reference > docs/CLI.md`` regenerates it; tests/test_cli_reference.py
fails when the committed file differs, so the reference cannot drift from the code. Every
command and subcommand, in the order ``cheel --help`` lists them: its usage line, its
docstring, and every option with its help, its default and its environment variable, all
read through click's own introspection (contexts, ``get_usage``, ``params``).
"""

from __future__ import annotations

import inspect
import sys

import click

from .main import cli

WIDTH = 80  # the usage lines are wrapped as on an 80-column terminal, whatever this one is
REGENERATE = "python -m cheel.cli.reference > docs/CLI.md"


def reference() -> str:
    """The whole reference as Markdown."""
    root = click.Context(cli, info_name="cheel", terminal_width=WIDTH, **cli.context_settings)
    lines = ["# The cheel command line", "",
             f"Generated from the commands' own definitions by `{REGENERATE}`;",
             "do not edit it by hand (a test fails when it differs from the code).", ""]
    lines += contents(root, depth=0)
    lines.append("")
    lines += section(root, level=2)
    return "\n".join(lines).rstrip() + "\n"


def subcommands(ctx: click.Context) -> list[click.Context]:
    """The contexts of a group's commands, in the order its help lists them."""
    group = ctx.command
    if not isinstance(group, click.Group):
        return []
    found = (group.get_command(ctx, name) for name in group.list_commands(ctx))
    return [click.Context(command, info_name=command.name, parent=ctx,
                          **command.context_settings)
            for command in found if command is not None and not command.hidden]


def contents(ctx: click.Context, depth: int) -> list[str]:
    """A nested list of links, one per command, with its one-line summary."""
    lines = []
    for child in subcommands(ctx):
        summary = child.command.get_short_help_str(limit=200)
        lines.append(f"{'  ' * depth}- [{child.command_path}](#{anchor(child.command_path)}): "
                     f"{summary}")
        lines += contents(child, depth + 1)
    return lines


def anchor(title: str) -> str:
    """The anchor GitHub gives a heading of plain words."""
    return title.lower().replace(" ", "-")


def section(ctx: click.Context, level: int) -> list[str]:
    """One command's heading, usage, docstring and options, then its subcommands'."""
    command = ctx.command
    lines = [f"{'#' * level} {ctx.command_path}", "", "```", command.get_usage(ctx), "```", ""]
    if command.help:
        lines += [inspect.cleandoc(command.help.split("\f")[0]), ""]
    options = [option_line(param, ctx) for param in command.get_params(ctx)
               if isinstance(param, click.Option) and not param.hidden]
    if options:
        lines += ["Options:", "", *options, ""]
    for child in subcommands(ctx):
        lines += section(child, min(level + 1, 4))
    return lines


def option_line(option: click.Option, ctx: click.Context) -> str:
    """``- `--name METAVAR`: help. Default: `value`. Environment: `VAR`.``"""
    names, _ = option.get_help_record(ctx) or (", ".join(option.opts), "")
    line = f"- `{names}`: {option.help or ''}".rstrip()
    default = default_text(option)
    if default is not None:
        line += f" Default: `{default}`."
    if option.envvar:
        line += f" Environment: `{option.envvar}`."
    return line


def default_text(option: click.Option) -> str | None:
    """The default as a user would type it; None for a plain flag or where there is none."""
    if isinstance(option.show_default, str):
        return option.show_default  # the command says it in words ("a free port")
    value = option.to_info_dict()["default"]  # as click presents it (None when unset)
    if option.is_flag and not option.secondary_opts and not value:
        return None
    if value is None or value == () or callable(value):
        return None
    return str(value)


def main() -> None:
    sys.stdout.buffer.write(reference().encode("utf-8"))


if __name__ == "__main__":
    main()
