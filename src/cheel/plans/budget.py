"""How many organizations of one PostgreSQL server a run may back up at once: never more
than the connections the server has free (``max_connections`` less the ones reserved for
superusers and those in use, less a margin for its other clients)."""

from __future__ import annotations

from urllib.parse import urlsplit

from ..store.catalog import OrgEntry

CONNECTIONS_PER_BACKUP = 1  # a backup reads its snapshot over one connection
MARGIN = 3  # connections left to the server's other clients (and to psql in an emergency)
LOCAL = "local"  # SQLite organizations: files of this machine, no connection to count


def server_of(entry: OrgEntry) -> str:
    """The server an organization lives on: host and port of its PostgreSQL URL."""
    if entry.engine != "postgres":
        return LOCAL
    parts = urlsplit(entry.location)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


def server_budgets(entries: list[OrgEntry]) -> dict[str, int]:
    """Per PostgreSQL server of ``entries``, how many backups may run on it at once (1 at
    least: a server that cannot be asked gets one, and its backup will say what is wrong)."""
    import psycopg

    budgets: dict[str, int] = {}
    for entry in entries:
        server = server_of(entry)
        if server == LOCAL or server in budgets:
            continue
        try:
            with psycopg.connect(entry.location, connect_timeout=10) as connection:
                row = connection.execute(
                    "SELECT current_setting('max_connections')::int"
                    " - current_setting('superuser_reserved_connections')::int"
                    " - (SELECT count(*) FROM pg_stat_activity)").fetchone()
            free = int(row[0]) if row else 0
        except psycopg.Error:
            free = 0
        budgets[server] = max(1, (free - MARGIN) // CONNECTIONS_PER_BACKUP)
    return budgets
