"""PostgreSQL server-level helpers: URLs without passwords, creating and dropping databases."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from ..errors import AlreadyExists, DatabaseUnreachable, said


PASSWORD_PARAMETERS = {"password", "sslpassword"}  # libpq's, in a URL's query or key=value


def redact_url(url: str) -> str:
    """The connection string without any password, fit for catalogs, logs and messages: no
    ``user:password@``, no ``password`` or ``sslpassword`` parameter (in any case); every
    other part (hosts, ports, ``sslmode``, ``passfile``…) as it was written. Read as libpq
    reads it: the credentials end at the first ``@`` before any ``/``, the parameters start
    at the first ``?`` after them (a password may hold ``#`` or ``?``)."""
    from urllib.parse import unquote

    if "://" not in url:  # libpq's key=value form: host=… password=…
        return _KEY_VALUE_PASSWORD.sub("", url).strip()
    scheme, _, rest = url.partition("://")
    credentials = re.match(r"[^@/]*@", rest)
    if credentials:
        user = credentials.group()[:-1].partition(":")[0]
        rest = (f"{user}@" if user else "") + rest[credentials.end():]
    address, question, query = rest.partition("?")
    if question:
        kept = [item for item in query.split("&")
                if unquote(item.partition("=")[0]).strip().lower() not in PASSWORD_PARAMETERS]
        address += ("?" + "&".join(kept)) if kept else ""
    return f"{scheme}://{address}"


# a password=… or sslpassword=… pair of a key=value connection string; its value is a word or
# a single-quoted string with backslash escapes
_KEY_VALUE_PASSWORD = re.compile(
    r"(?i)(?<![\w])(?:ssl)?password\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s']*)")


def with_database(url: str, dbname: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def database_name(url: str) -> str | None:
    from urllib.parse import urlsplit

    path = urlsplit(url).path.strip("/")
    return path or None


def first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


@contextlib.contextmanager
def _admin(url: str) -> Iterator[Any]:
    """A connection to the server's ``postgres`` database; failing to reach it is a
    DatabaseUnreachable."""
    import psycopg

    try:
        with psycopg.connect(with_database(url, "postgres"), autocommit=True,
                             connect_timeout=10) as conn:
            yield conn
    except psycopg.OperationalError as e:
        raise DatabaseUnreachable(
            said("cannot connect to PostgreSQL at {url}: {why}", url=redact_url(url),
                 why=first_line(e)),
            hint=said("check that the server runs and that the URL, PGPASSWORD or .pgpass "
                      "are right"),
        ) from e


def _refuse_taken(conn: Any, dbname: str) -> None:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
        raise _taken(dbname)


def pg_create_database(url: str, dbname: str) -> None:
    from psycopg import sql

    with _admin(url) as conn:
        _refuse_taken(conn, dbname)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def pg_drop_database(url: str, dbname: str) -> None:
    import psycopg
    from psycopg import sql

    admin = with_database(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(dbname)))


def pg_rename_database(url: str, old: str, new: str) -> None:
    import psycopg
    from psycopg import sql

    admin = with_database(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        try:
            conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(old), sql.Identifier(new)))
        except psycopg.errors.DuplicateDatabase:
            raise _taken(new) from None


def pg_check_free(url: str, dbname: str) -> None:
    """Raise AlreadyExists if the server has a database of that name."""
    with _admin(url) as conn:
        _refuse_taken(conn, dbname)


def _taken(dbname: str) -> AlreadyExists:
    return AlreadyExists(said("the PostgreSQL database {dbname} already exists", dbname=dbname),
                         hint=said("choose another organization name or database"))
