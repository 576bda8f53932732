"""Statements run on several PostgreSQL connections at once, as ``pg_restore --jobs`` runs
its post-data steps (keys and indexes) once the data is in.

Each step names the table locks its statement takes. Two steps whose locks conflict (by
PostgreSQL's own conflict table, for the modes used here) never run at the same time, so no
step ever waits on another's lock and no two can deadlock. The first step that fails stops
the others (their statements are cancelled) and its error is raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The lock modes of the statements used here (PostgreSQL, "Table-Level Lock Modes").
READ = "ACCESS SHARE"  # SELECT
ANALYZE = "SHARE UPDATE EXCLUSIVE"  # ANALYZE
INDEX = "SHARE"  # CREATE INDEX
FOREIGN_KEY = "SHARE ROW EXCLUSIVE"  # ALTER TABLE … ADD FOREIGN KEY, on both tables
ALTER = "ACCESS EXCLUSIVE"  # ALTER TABLE … ADD CONSTRAINT … USING INDEX

_CONFLICTS = {
    READ: {ALTER},
    ANALYZE: {ANALYZE, INDEX, FOREIGN_KEY, ALTER},
    INDEX: {ANALYZE, FOREIGN_KEY, ALTER},
    FOREIGN_KEY: {ANALYZE, INDEX, FOREIGN_KEY, ALTER},
    ALTER: {READ, ANALYZE, INDEX, FOREIGN_KEY, ALTER},
}


@dataclass(frozen=True)
class Step:
    """One statement (or a function of a connection) and the table locks it takes."""

    name: str
    run: Callable[[Any], None]
    locks: Mapping[str, str]
    after: frozenset[str] = field(default_factory=frozenset)

    def conflicts(self, other: "Step") -> bool:
        return any(other.locks.get(t) in _CONFLICTS[mode] for t, mode in self.locks.items())


def run_steps(first: Any, connect: Callable[[], Any], steps: Sequence[Step],
              connections: int = 2) -> None:
    """Run ``steps`` on ``first`` (a database with no open transaction) and on up to
    ``connections - 1`` more from ``connect()``, each step once its ``after`` steps are done.
    Steps are started in list order whenever they can be: put the long ones first."""
    names = {s.name for s in steps}
    unknown = {a for s in steps for a in s.after} - names
    if unknown or len(names) != len(steps):
        raise ValueError(f"steps with unknown or repeated names: {sorted(unknown) or names}")
    todo, running, done = list(steps), [], set()
    failed: list[BaseException] = []
    busy: dict[int, Any] = {}  # worker → its database while it runs a statement
    cond = threading.Condition()

    def stop_others(me: int) -> None:
        for w, db in busy.items():
            if w != me:
                db.cancel()

    def take() -> Step | None:
        with cond:
            while not failed and todo:
                step = next((s for s in todo if s.after <= done
                             and not any(s.conflicts(r) for r in running)), None)
                if step is not None:
                    todo.remove(step)
                    running.append(step)
                    return step
                if not running:  # cannot happen with names checked above; never hang
                    failed.append(RuntimeError("steps wait on each other: "
                                               + ", ".join(s.name for s in todo)))
                    cond.notify_all()
                    return None
                cond.wait()
            return None

    def work(w: int, db: Any) -> None:
        while (step := take()) is not None:
            with cond:
                busy[w] = db
            try:
                step.run(db)
            except BaseException as e:  # noqa: B036 - re-raised by the caller below
                with cond:
                    if not failed:
                        stop_others(w)
                    failed.append(e)
            finally:
                with cond:
                    busy.pop(w, None)
                    running.remove(step)
                    done.add(step.name)
                    cond.notify_all()

    helpers = [connect() for _ in range(min(connections, len(steps)) - 1)]
    threads = [threading.Thread(target=work, args=(i + 1, db), daemon=True,
                                name=f"cheel-step-{i + 1}") for i, db in enumerate(helpers)]
    try:
        for t in threads:
            t.start()
        try:
            work(0, first)
        except BaseException as e:  # e.g. Ctrl-C: the helpers' statements are cancelled
            with cond:
                failed.insert(0, e)
                stop_others(0)
                cond.notify_all()
        for t in threads:
            while t.is_alive():
                try:
                    t.join()
                except BaseException as e:
                    with cond:
                        failed.insert(0, e)
                        stop_others(0)
                        cond.notify_all()
    finally:
        for db in helpers:
            db.close()
    if failed:
        raise failed[0]
