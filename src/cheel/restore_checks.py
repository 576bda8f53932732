"""What must hold in the target once a restore's rows are in: each check one query (or a
few) that raises IntegrityError with a plain sentence if it does not."""

from __future__ import annotations

from collections.abc import Callable

from .errors import IntegrityError
from .restore_plan import GroupPlan
from .store import schema as S
from .store.engines import Database
from .store.scope import count_sql, scoped_from


def keys_check(table: str, fks: list[S.Column], lo: int, hi: int,
               inside: dict[str, tuple[int, int]]) -> Callable[[Database], None]:
    """One pass over the restored rows for all of the table's foreign keys: each points to
    a row that exists and, for the keys named in ``inside``, lies in that id range (the
    rows restored with it)."""
    joins = " ".join(f"LEFT JOIN {c.ref} p{i} ON p{i}.id = c.{c.name}" for i, c in enumerate(fks))

    def bad(i: int, c: S.Column) -> str:
        outside = (f" OR c.{c.name} NOT BETWEEN {int(inside[c.name][0])} AND "
                   f"{int(inside[c.name][1])}" if c.name in inside else "")
        return f"c.{c.name} IS NOT NULL AND (p{i}.id IS NULL{outside})"

    counts = ", ".join(f"SUM(CASE WHEN {bad(i, c)} THEN 1 ELSE 0 END)" for i, c in enumerate(fks))

    def run(db: Database) -> None:
        bad = db.execute(f"SELECT {counts} FROM {table} c {joins} WHERE c.id BETWEEN ? AND ?",
                         (lo, hi)).fetchone()
        for c, n in zip(fks, bad):
            if n:
                raise IntegrityError(f"{n} restored {table} rows point to {c.ref} rows "
                                     "that are missing or not restored with them; nothing "
                                     "was restored", cause="keys")
    return run


def balance_check(table: str, lo: int, hi: int) -> Callable[[Database], None]:
    """Every restored journal entry balances. The key's index is walked over the restored
    parents' range: no sort, flat memory."""
    b = S.BALANCED

    def run(db: Database) -> None:
        bad = db.scalar(f"SELECT count(*) FROM (SELECT {b.key} FROM {table} WHERE {b.key} "
                        f"BETWEEN ? AND ? GROUP BY {b.key} "
                        f"HAVING SUM({b.debit}) <> SUM({b.credit})) x", (lo, hi))
        if bad:
            raise IntegrityError(f"{bad} restored journal entries do not balance; "
                                 "nothing was restored", cause="balance")
    return run


def count_check(t: S.Table, gids: dict[int, GroupPlan], bulk: bool
                 ) -> Callable[[Database], None]:
    """Each restored group holds as many rows of ``t`` as the backup says."""

    def run(db: Database) -> None:
        if bulk:
            # A new database holds the restored groups only: one pass per table counts
            # every group's rows (and would show rows attached to no restored group).
            frm, grp = scoped_from(t)
            counts = {int(g): int(n) for g, n in
                      db.query(f"SELECT {grp}, count(*) FROM {frm} GROUP BY {grp}")}
            stray = set(counts) - set(gids)
            if stray:
                raise IntegrityError(f"{sum(counts[g] for g in stray)} restored {t.name} "
                                     "rows belong to no restored group; nothing was restored")
        else:
            counts = {gid: int(db.scalar(count_sql(t), (gid,))) for gid in gids}
        for gid, plan in gids.items():
            n = counts.get(gid, 0)
            if n != plan.rows.get(t.name, 0):
                raise IntegrityError(
                    f'the restored group "{plan.target_name}" has {n} {t.name} rows, '
                    f"the backup {plan.rows.get(t.name, 0)}; nothing was restored")
    return run
