"""cheel run in this process (``run_cli``: ``cheel.cli.main.cli``, adapt here when it
changes) and in a child process with its peak memory (``run_cheel_child``)."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from cheel.cli.main import cli


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    crash: str | None  # an exception that escaped the command (a traceback), if any

    @property
    def first_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[0] if lines else ""


def run_cli(data_dir: Path, *args: str, password: str | None = None) -> CliResult:
    """``cheel --data-dir DATA_DIR ARGS…`` in this process, no terminal."""
    # Wide enough that Rich never wraps a name: what is printed can be looked for.
    env = {"CHEEL_PASSWORD": password, "CHEEL_DATA_DIR": None, "COLUMNS": "3000"}
    r = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], env=env)
    crash = None
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        import traceback

        crash = "".join(traceback.format_exception(*r.exc_info))[-3000:]
    return CliResult(r.exit_code, r.stdout, r.stderr, crash)


@dataclass
class ChildRun:
    code: int | None  # None: killed after the timeout
    stdout: str
    stderr: str
    max_rss_mib: float
    seconds: float


def run_cheel_child(args: list[str], timeout: float, address_limit: int | None = None
                    ) -> ChildRun:
    """``cheel ARGS`` in a child process; its peak RSS as the child itself reads it at exit
    (``VmHWM``: the peak of its own memory only; ``os.wait4``'s figure also counts the
    pages of this test process that the fork copied, 200 MiB and more late in a run), else
    from ``os.wait4``. Killed (code None) after ``timeout`` seconds; ``address_limit``
    (bytes) caps its address space so that a reader gone wrong fails instead of taking the
    machine's memory."""
    code = HIGH_WATER + "from cheel.cli.main import main; main()"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(sys.modules["cheel"].__file__)
                                                        .parent.parent),
                                                    env.get("PYTHONPATH")) if p)
    env.pop("CHEEL_PASSWORD", None)

    def limit() -> None:
        if address_limit:
            resource.setrlimit(resource.RLIMIT_AS, (address_limit, address_limit))

    with open(os.devnull, "rb") as stdin, \
            _temp_file() as out, _temp_file() as err:
        started = time.monotonic()
        high_water = tempfile.NamedTemporaryFile(delete=False)
        high_water.close()
        env["CHEEL_TEST_HIGH_WATER"] = high_water.name
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdin=stdin, stdout=out,
                                stderr=err, env=env, preexec_fn=limit)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        said = Path(high_water.name).read_text().strip()
        os.unlink(high_water.name)
        peak_kib = int(said) if said.isdigit() else usage.ru_maxrss
        return ChildRun(None if killed.is_set() else proc.returncode,
                        out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"),
                        peak_kib / 1024, seconds)


# Run first in the child: at exit, it writes its own peak resident memory (KiB).
HIGH_WATER = """import atexit, os
def _high_water():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            with open(os.environ["CHEEL_TEST_HIGH_WATER"], "w") as f:
                f.write(line.split()[1])
atexit.register(_high_water)
"""


@contextlib.contextmanager
def _temp_file():
    import tempfile

    with tempfile.TemporaryFile() as f:
        yield f
