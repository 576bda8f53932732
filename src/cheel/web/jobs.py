"""Long work (backup, restore, verify) off the request thread, with progress the page can
poll and a cancel button.

Each job runs in its own thread; the registry is keyed by a random id and guarded by a
lock, so several jobs (two backups at once, say) run side by side. Cancelling asks: the
work stops at its next progress report (``errors.Interrupted`` raised from it), and unwinds
as any failure does, so nothing is left half done.
"""

from __future__ import annotations

import secrets
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import CheelError, Interrupted, said
from ..progress import ROWS, Progress

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
PREPARING = "preparing"  # nothing counted yet: databases opened, a password's key derived


@dataclass
class Job:
    id: str
    kind: str  # "backup" | "restore" | "verify"
    meta: dict = field(default_factory=dict)  # what the pages show beside the progress
    status: str = RUNNING
    phase: str = PREPARING
    done: int = 0
    total: int = 0
    cancelling: bool = False
    result: dict | None = None
    error: CheelError | None = None
    unexpected: str | None = None  # a bug: type and text, no traceback for the user
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)

    def progress(self, done: int, total: int, phase: str = ROWS) -> None:
        """The work's progress (see :mod:`cheel.progress`); stops it once cancelled."""
        with self._lock:
            self.done, self.total, self.phase = int(done), int(total), phase
            if self.cancelling:
                raise Interrupted(said("cancelled by the user"))

    def cancel(self) -> bool:
        """Ask the work to stop; False when it has already ended."""
        with self._lock:
            if self.status != RUNNING:
                return False
            self.cancelling = True
            return True

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the job to end; whether it has."""
        return self._ended.wait(timeout)

    def as_dict(self) -> dict:
        with self._lock:
            percent = 100 if self.status == DONE else (
                int(100 * self.done / self.total) if self.total else 0)
            return {"id": self.id, "kind": self.kind, "status": self.status,
                    "phase": self.phase, "cancelling": self.cancelling,
                    "done": self.done, "total": self.total, "percent": min(percent, 100),
                    "seconds": round((self.finished or time.monotonic()) - self.started, 1)}


class JobRegistry:
    def __init__(self, keep: int = 200):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.keep = keep

    def start(self, kind: str, work: Callable[[Progress], Any], meta: dict | None = None) -> Job:
        """Run ``work(progress)`` in a new thread; its return value (or ``.as_dict()``) is
        the job's result."""
        job = Job(secrets.token_urlsafe(9), kind, meta or {})
        with self._lock:
            self._jobs[job.id] = job
            self._trim()
        thread = threading.Thread(target=self._run, args=(job, work), daemon=True,
                                  name=f"cheel-{kind}-{job.id}")
        thread.start()
        return job

    def _run(self, job: Job, work: Callable[[Progress], Any]) -> None:
        try:
            result = work(job.progress)
            if hasattr(result, "as_dict"):
                result = result.as_dict()
        except CheelError as e:
            with job._lock:
                job.error = e
                job.status = CANCELLED if isinstance(e, Interrupted) and job.cancelling \
                    else FAILED
        except BaseException as e:  # a bug: shown as one sentence, logged in full
            traceback.print_exc()
            with job._lock:
                job.unexpected, job.status = f"{type(e).__name__}: {e}", FAILED
        else:
            with job._lock:
                job.result, job.status = result, DONE
        finally:
            with job._lock:
                job.finished = time.monotonic()
            job._ended.set()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.status == RUNNING]

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.status != RUNNING]
        for j in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[j.id]
