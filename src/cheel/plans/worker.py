"""What a plan's run does for one organization, in a worker process: back it up, verify the
new file (the verification written in its record), apply the plan's retention to it.

Every failure becomes the organization's outcome (its error's class and sentence), never an
exception: one organization's trouble does not stop the others.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from dataclasses import dataclass

from ..errors import CheelError, said
from ..store.catalog import Catalog
from ..store.locks import lock_path
from .model import FAILED, OK, SKIPPED, Outcome, Plan


@dataclass(frozen=True)
class WorkerJob:
    data_dir: str
    plan: Plan
    organization: str
    passphrase: str | None  # read once by the run; reaches the worker through its pipe
    log2n: int


@contextlib.contextmanager
def run_lock(catalog: Catalog, name: str):
    """The organization's run lock, taken without waiting: True when this run holds it,
    False when another run is on the organization (runs never overlap on one)."""
    path = lock_path(catalog, name, prefix="run-")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def back_up_organization(job: WorkerJob) -> Outcome:
    catalog = Catalog(job.data_dir)
    started = time.monotonic()
    outcome = Outcome(job.organization, OK)
    try:
        with run_lock(catalog, job.organization) as held:
            if not held:
                outcome.status = SKIPPED
                outcome.say(said("another run is backing it up"))
                return outcome
            _work(catalog, job, outcome)
    except CheelError as e:
        outcome.status, outcome.error_code = FAILED, type(e).__name__
        outcome.say(e.text)
    except Exception as e:  # noqa: BLE001 - an unexpected failure is this organization's
        outcome.status, outcome.error_code = FAILED, type(e).__name__
        outcome.error = f"unexpected failure: {type(e).__name__}: {e}"[:300]
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome


def _work(catalog: Catalog, job: WorkerJob, outcome: Outcome) -> None:
    from ..archive.age.key_files import read_identity_files
    from ..archive.age.unlock import Unlocker
    from ..backup import BackupOptions, plan_backup, run_backup
    from ..backup.plan import own_file_prefix
    from ..backups.prune import PruneOptions, prune
    from ..backups.retention import KeepRules
    from ..verify import verify_backup

    plan, encryption = job.plan, job.plan.encryption
    options = BackupOptions(organizations=[job.organization], dest=plan.destination,
                            groups=list(plan.groups), password=job.passphrase,
                            recipients=list(encryption.recipients), log2n=job.log2n,
                            readers=1)
    result = run_backup(catalog, plan_backup(catalog, options))
    outcome.file, outcome.size = str(result.path), result.size
    if encryption.recipients and not encryption.identity_file:
        outcome.say(said("not verified: the plan holds no private key (verify it with "
                         "cheel verify --identity where the key is)"))
    else:
        identities = read_identity_files([encryption.identity_file]) \
            if encryption.identity_file else []
        verify_backup(result.path, Unlocker(job.passphrase, identities=identities))
        outcome.verified = True
    if plan.keep.any:
        keep = plan.keep
        report = prune(PruneOptions(plan.destination, KeepRules(
            keep.last, keep.daily, keep.weekly, keep.monthly, keep.yearly),
            organization=job.organization, prefix=own_file_prefix(job.organization)))
        outcome.pruned = report.deleted
