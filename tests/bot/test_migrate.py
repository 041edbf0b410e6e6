"""Numbered migrations on a plain sqlite3 connection."""

from __future__ import annotations

import sqlite3

import pytest

from bot.errors import MigrationError
from bot.migrate import Migration, applied, migrate, shipped, statements


def memory() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", isolation_level=None)


def test_shipped_migrations_are_numbered_from_one_each_number_once() -> None:
    found = shipped()
    versions = [m.version for m in found]
    assert versions[0] == 1 and versions == sorted(set(versions))
    assert found[0].name == "init"


def test_statements_keep_semicolons_inside_strings_and_drop_comments_only() -> None:
    sql = (
        "-- a comment; with a semicolon\nCREATE TABLE t (x TEXT DEFAULT ';');\n\n"
        "INSERT INTO t VALUES ('a;b');\n-- the end\n"
    )
    assert statements(sql) == [
        "-- a comment; with a semicolon\nCREATE TABLE t (x TEXT DEFAULT ';');",
        "INSERT INTO t VALUES ('a;b');",
    ]


def test_migrating_twice_applies_each_file_once() -> None:
    conn = memory()
    every = [m.version for m in shipped()]
    assert migrate(conn) == every
    assert migrate(conn) == []
    assert applied(conn) == every


def test_broken_migration_is_rolled_back_and_not_recorded() -> None:
    conn = memory()
    broken = [
        Migration(1, "one", "CREATE TABLE a (x); CREATE TABLE b (y);"),
        Migration(2, "two", "CREATE TABLE c (z); CREATE TABLEE oops;"),
    ]
    with pytest.raises(MigrationError, match="0002_two"):
        migrate(conn, broken)
    assert applied(conn) == [1]
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "c" not in names and {"a", "b"} <= names


def test_database_with_an_unknown_version_is_refused() -> None:
    conn = memory()
    migrate(conn)
    conn.execute("INSERT INTO schema_migrations VALUES (7, 'later', 'x')")
    with pytest.raises(MigrationError, match="newer than this Threshold"):
        migrate(conn)


def test_unfinished_statement_is_an_error() -> None:
    with pytest.raises(MigrationError):
        statements("CREATE TABLE t (x")
