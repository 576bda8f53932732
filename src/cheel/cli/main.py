"""The ``cheel`` command: global options, and the one place that turns errors into exit codes."""

from __future__ import annotations

import sys
import traceback

import click

from .. import __version__
from ..errors import CheelError, Interrupted
from ..store.catalog import Catalog
from .context import Ctx


# Commands are imported when used, so that a script's `cheel verify` does not pay for the
# web server's or the demo generator's imports.
COMMANDS = {
    "org": ("org", "org"), "group": ("org", "group"), "company": ("org", "company"),
    "demo": ("demo", "demo"), "backup": ("backup", "backup"),
    "inspect": ("inspect", "inspect_cmd"), "verify": ("inspect", "verify_cmd"),
    "restore": ("restore", "restore"), "import": ("imports", "import_group"),
    "recover": ("recover", "recover"),
    "backups": ("backups", "backups_group"), "keygen": ("keys", "keygen"), "ui": ("ui", "ui"),
    "plan": ("plans", "plan_group"), "status": ("status", "status_cmd"),
    "drill": ("drill", "drill"), "export": ("export", "export"), "diff": ("diff", "diff_cmd"),
}


class CheelGroup(click.Group):
    """Maps every :class:`CheelError` to one sentence on stderr and its exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        import importlib

        module, attr = COMMANDS[name]
        return getattr(importlib.import_module(f"cheel.cli.{module}"), attr)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CheelError as e:
            _report(ctx, e)
        except KeyboardInterrupt:
            _report(ctx, Interrupted("interrupted; nothing was changed"))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as e:  # a bug: still one sentence unless --debug
            debug = isinstance(ctx.obj, Ctx) and ctx.obj.debug
            if debug:
                raise
            click.echo(f"Error: unexpected failure: {type(e).__name__}: {e}", err=True)
            click.echo("Hint: run again with --debug for details.", err=True)
            ctx.exit(1)


def _report(ctx: click.Context, e: CheelError) -> None:
    debug = isinstance(ctx.obj, Ctx) and ctx.obj.debug
    if debug:
        traceback.print_exc()
    message = e.message[:1].upper() + e.message[1:]
    if not message.endswith((".", "?", "!")):
        message += "."
    click.echo(f"Error: {message}", err=True)
    if e.hint:
        click.echo(f"Hint: {e.hint}", err=True)
    ctx.exit(e.exit_code)


@click.group(cls=CheelGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="CHEEL_DATA_DIR",
              help="Where the catalog and SQLite organizations live (env CHEEL_DATA_DIR).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(__version__, prog_name="cheel")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, debug: bool) -> None:
    """Organizations, company groups and companies, with backup and restore."""
    ctx.obj = Ctx(catalog=Catalog(data_dir), debug=debug)


def main() -> None:
    try:
        cli.main(prog_name="cheel")
    except KeyboardInterrupt:
        click.echo("Error: Interrupted.", err=True)
        sys.exit(130)
