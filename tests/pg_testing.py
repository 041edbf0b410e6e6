"""A PostgreSQL server for the tests: the one on 127.0.0.1:5432, or a throw-away one.

Each test gets a schema of its own on the server (dropped after it), so tests never see each
other's rows, locks or notifications. The server is found once per session: the URL in
``THRESHOLD_TEST_POSTGRES`` if set, else ``postgresql://postgres@127.0.0.1:5432/test`` or the
same as the current user (trust auth, as CI's machine has it). If neither answers and
PostgreSQL's binaries are installed (``pg_ctl``; not as root, which ``initdb`` refuses),
pytest-postgresql starts a throw-away server in a temporary folder. With none of these, every
PostgreSQL test is skipped with one line saying why.
"""

from __future__ import annotations

import getpass
import glob
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from bot.postgres.support import with_schema

ENV = "THRESHOLD_TEST_POSTGRES"


def _candidates() -> list[str]:
    if os.environ.get(ENV):
        return [os.environ[ENV]]
    users = ["postgres", getpass.getuser()]
    return [f"postgresql://{user}@127.0.0.1:5432/test" for user in dict.fromkeys(users)]


def _answers(url: str) -> str | None:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def _pg_ctl() -> str | None:
    found = shutil.which("pg_ctl") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)), None
    )
    return found


@contextmanager
def server() -> Iterator[tuple[str | None, str]]:
    """``(url, "")`` of a server that answers, or ``(None, why not)``."""
    reasons = []
    for url in _candidates():
        problem = _answers(url)
        if problem is None:
            yield url, ""
            return
        reasons.append(problem)
    pg_ctl = _pg_ctl()
    if pg_ctl is None or os.geteuid() == 0:
        why = "no pg_ctl found" if pg_ctl is None else "initdb refuses to run as root"
        yield (
            None,
            (
                f"PostgreSQL tests skipped: no server at 127.0.0.1:5432 ({reasons[-1]}) and no "
                f"throw-away one ({why}); set {ENV} to a server's URL."
            ),
        )
        return
    from pytest_postgresql.executor import PostgreSQLExecutor

    with tempfile.TemporaryDirectory(prefix="threshold-pg-") as folder:
        executor = PostgreSQLExecutor(
            executable=pg_ctl,
            host="127.0.0.1",
            port=_free_port(),
            datadir=os.path.join(folder, "data"),
            unixsocketdir=folder,
            logfile=os.path.join(folder, "log"),
            startparams="-w",
            dbname="test",
            user=getpass.getuser(),
            password="",
            options="",
        )
        with executor:
            executor.wait_for_postgres()
            base = f"postgresql://{getpass.getuser()}@127.0.0.1:{executor.port}/postgres"
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute("CREATE DATABASE test")
            yield base.rsplit("/", 1)[0] + "/test", ""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL whose search path is a new, empty schema; the schema is dropped afterwards."""
    schema = "t_" + secrets.token_hex(6)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def rows(url: str, query: str, *args: object) -> list[tuple[object, ...]]:
    """Run ``query`` (``?`` or ``%s`` placeholders) on the schema of ``url``; its rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query.replace("?", "%s"), args)
        return cur.fetchall() if cur.description else []
