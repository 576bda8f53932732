"""``cheel ui``: the local web UI on 127.0.0.1, guarded by a per-run secret token."""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import webbrowser

import click

from ..errors import CheelError, UsageError
from .context import Ctx

HOST = "127.0.0.1"


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 (``port`` 0: a free port chosen by the system)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise CheelError(f"the port {port} is already in use",
                             hint="choose another with --port, or leave it out to pick a free one"
                             ) from None
        raise CheelError(f"cannot listen on {HOST}:{port}: {e.strerror}") from None
    sock.listen(128)
    return sock


def graphical_session() -> bool:
    """Whether opening a browser can show a window (not a text browser in this terminal)."""
    if os.environ.get("BROWSER"):
        return True  # the user said which browser to use
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@click.command("ui")
@click.option("--port", type=int, default=0, show_default="a free port",
              help="The port to listen on (127.0.0.1 only).")
@click.option("--no-browser", is_flag=True, help="Do not open the browser; just print the URL.")
@click.pass_obj
def ui(ctx: Ctx, port: int, no_browser: bool) -> None:
    """Open the local web UI (organizations, backup and restore wizards) in the browser."""
    import uvicorn

    from ..web.app import create_app
    from ..web.security import Secrets

    if not 0 <= port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    secrets_ = Secrets()
    app = create_app(ctx.catalog, secrets_)
    sock = bind(port)
    actual = sock.getsockname()[1]
    url = f"http://{HOST}:{actual}/?token={secrets_.token}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)

    def announce() -> None:
        click.echo(f"cheel ui is running at {url}")
        click.echo("Keep this address private (it carries the access token). "
                   "Press Ctrl+C to stop.")
        if no_browser:
            return
        if not graphical_session():
            click.echo("No graphical session here: open the address above in a browser.")
            return
        try:
            webbrowser.open(url)
        except Exception:  # no browser: the printed URL is enough
            pass

    def wait_started() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            announce()

    threading.Thread(target=wait_started, daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn stops cleanly on Ctrl+C, then re-raises it
        pass
    finally:
        sock.close()
    click.echo("cheel ui stopped.")
    running = app.state.jobs.running()
    if running:
        click.echo(f"Stopped; {len(running)} unfinished job(s) were abandoned "
                   "(no backup file gets its final name, restores roll back).", err=True)
