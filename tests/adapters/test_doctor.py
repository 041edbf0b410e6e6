"""``threshold doctor``: good and broken configurations, in-process and as the real command."""

from __future__ import annotations

import base64
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from adapters import doctor as doctor_module
from adapters.doctor import (
    discord_token_problem,
    doctor,
    telegram_token_problem,
)
from bot.migrate import Migration, applied, migrate
from bot.settings import Settings

SCRIPT = Path(sys.executable).with_name("threshold")
TELEGRAM = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
DISCORD = (
    base64.urlsafe_b64encode(b"1086543210987654321").decode().rstrip("=")
    + ".GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
)
SETTINGS = [name.upper() for name in Settings.model_fields]


# --------------------------------------------------------------------------------------------
# Shapes


@pytest.mark.parametrize(
    ("token", "complaint"),
    [
        (TELEGRAM, None),
        ("123456789:short", "does not look like a Telegram token"),
        ("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "has no ':'"),
        (f"{TELEGRAM[:20]} {TELEGRAM[20:]}", "spaces"),
        (f'"{TELEGRAM}"', "quotes"),
        ("bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "does not look like"),
    ],
)
def test_telegram_token_shape(token: str, complaint: str | None) -> None:
    found = telegram_token_problem(token)
    assert (found is None) if complaint is None else (complaint in (found or ""))
    assert token not in (found or "")


@pytest.mark.parametrize(
    ("token", "complaint"),
    [
        (DISCORD, None),
        (f"Bot {DISCORD}", "starts with 'Bot '"),
        ("just-a-client-secret-abcdefghijklmnop", "three parts"),
        ("a.b.c.d", "three parts"),
        ("bm90IGRpZ2l0cw.GhIjKl.abcdefghijklmnopqrstuvwxyz", "bot's id"),
        ("has+plus.GhIjKl.abcdef", "three parts"),
    ],
)
def test_discord_token_shape(token: str, complaint: str | None) -> None:
    found = discord_token_problem(token)
    assert (found is None) if complaint is None else (complaint in (found or ""))


@pytest.mark.parametrize(
    ("key", "good"),
    [
        (base64.urlsafe_b64encode(os.urandom(32)).decode(), True),
        (base64.urlsafe_b64encode(b"\xfb" * 32).decode().rstrip("="), True),
        (base64.urlsafe_b64encode(os.urandom(16)).decode(), False),
        ("not base64 at all!", False),
    ],
)
def test_encryption_key_shape(
    key: str, good: bool, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCRYPTION_KEY", key)
    _, text = report()
    line = line_about(text, "encryption")
    assert ("ENCRYPTION_KEY is well formed" in line) is good
    assert key not in text


# --------------------------------------------------------------------------------------------
# In-process: the report


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without .env and an environment without settings; returns the
    database path DATABASE_URL points at (not created)."""
    monkeypatch.chdir(tmp_path)
    for name in [*SETTINGS, "ENCRYPTION_KEY"]:
        monkeypatch.delenv(name, raising=False)
    database = tmp_path / "data" / "threshold.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    return database


def report() -> tuple[int, str]:
    out = io.StringIO()
    status = doctor(out=out)
    return status, out.getvalue()


def line_about(text: str, topic: str) -> str:
    lines = [line for line in text.splitlines() if f" {topic} " in line]
    assert lines, f"nothing about {topic}:\n{text}"
    return "\n".join(lines)


def test_a_good_configuration_passes(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", TELEGRAM)
    status, text = report()
    assert status == 0, text
    assert "PROBLEM" not in text
    assert line_about(text, "Telegram").lstrip().startswith("ok")
    assert "created, with its schema, at the first start" in line_about(text, "database")
    assert line_about(text, "time zones").lstrip().startswith("ok")
    assert text.rstrip().endswith("`threshold run` can start.")
    assert TELEGRAM not in text and TELEGRAM.split(":")[1] not in text


def test_a_migrated_database_is_up_to_date(place: Path) -> None:
    make_database(place)
    status, text = report()
    assert status == 0, text
    assert "schema is up to date" in line_about(text, "database")
    assert "No token is set" in text  # the terminal chat, said plainly


def test_pending_migrations_are_a_note_and_change_nothing(place: Path) -> None:
    make_database(place, migrations=[])  # the record of migrations, and none applied
    before = place.read_bytes()
    status, text = report()
    assert status == 0, text
    found = line_about(text, "database")
    assert found.lstrip().startswith("note") and "0001_init" in found
    assert place.read_bytes() == before
    assert stored(place, "SELECT count(*) FROM schema_migrations") == [(0,)]


def test_nothing_is_created_for_a_database_that_is_not_there(place: Path) -> None:
    report()
    assert not place.exists() and not place.parent.exists()


def make_database(path: Path, migrations: list[Migration] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        applied(db)
        migrate(db, migrations)
    finally:
        db.close()
    path.chmod(0o600)  # as Threshold creates it


def stored(path: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def broken_database(kind: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "a folder":
        path.mkdir()
    elif kind == "not sqlite":
        path.write_bytes(b"this is not an SQLite database at all" * 200)
    elif kind == "newer":
        make_database(path)
        db = sqlite3.connect(path)
        db.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2099-01-01')")
        db.commit()
        db.close()
    elif kind == "someone else's":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE invoices (id INTEGER)")
        db.commit()
        db.close()


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("a folder", "is a folder"),
        ("not sqlite", "not an SQLite database"),
        ("newer", "newer than this Threshold"),
        ("someone else's", "not made by Threshold"),
    ],
)
def test_a_broken_database_is_a_problem(place: Path, kind: str, said: str) -> None:
    broken_database(kind, place)
    status, text = report()
    assert status == 1, text
    found = line_about(text, "database")
    assert found.lstrip().startswith("PROBLEM") and said in found, text


def test_a_database_under_a_file_cannot_be_created(
    place: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'a-file' / 'sub' / 't.db'}")
    status, text = report()
    assert status == 1
    assert "is a file, not a folder" in line_about(text, "database")


def test_a_malformed_token_is_a_problem_and_is_never_shown(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456789:tooShortSecretValue")
    status, text = report()
    assert status == 1
    assert "TELEGRAM_TOKEN does not look like a Telegram token" in line_about(text, "Telegram")
    assert "tooShortSecretValue" not in text


def test_a_setting_that_cannot_be_read_is_a_problem(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://localhost/threshold")
    status, text = report()
    assert status == 1
    assert "DATABASE_URL" in line_about(text, "settings")


def test_a_malformed_encryption_key_is_a_problem(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCRYPTION_KEY", "too-short")
    status, _ = report()
    assert status == 1


def test_the_health_endpoint_is_reported(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTH_PORT", "8080")
    status, text = report()
    assert status == 0
    assert "127.0.0.1:8080" in line_about(text, "health")


def test_missing_time_zone_data_is_a_problem(place: Path, tmp_path: Path) -> None:
    import zoneinfo

    if importable("tzdata"):
        pytest.skip("the tzdata package supplies zones whatever the system has")
    empty = tmp_path / "no-zones"
    empty.mkdir()
    zoneinfo.reset_tzpath(to=[str(empty)])
    zoneinfo.ZoneInfo.clear_cache()
    try:
        status, text = report()
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache()
    assert status == 1
    assert "install the system's tzdata" in line_about(text, "time zones")


def importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_a_check_that_breaks_is_reported_not_raised(place: Path) -> None:
    def broken(settings: Settings) -> list[doctor_module.Finding]:
        raise RuntimeError("boom")

    out = io.StringIO()
    assert doctor(out=out, checks=[broken]) == 1
    assert "broken could not finish (RuntimeError: boom)" in out.getvalue()


# --------------------------------------------------------------------------------------------
# The real command


def run_doctor(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "doctor"],
        capture_output=True,
        env=env,
        cwd=cwd,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS and k != "ENCRYPTION_KEY"}
    clean["DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'threshold.db'}"
    return clean


def test_the_command_passes_a_good_configuration_from_dot_env(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / ".env").write_text(f"TELEGRAM_TOKEN={TELEGRAM}\nHEALTH_PORT=8080\n")
    done = run_doctor(env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(tmp_path / ".env") in done.stdout
    assert TELEGRAM not in done.stdout + done.stderr
    assert done.stderr == ""


def test_the_command_fails_a_broken_configuration_in_plain_words(
    tmp_path: Path, env: dict[str, str]
) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 500)
    env.update(TELEGRAM_TOKEN="oops", DATABASE_URL=f"sqlite:///{garbage}")
    done = run_doctor(env, tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    problems = [line for line in done.stdout.splitlines() if "PROBLEM" in line]
    assert len(problems) == 2, done.stdout
    assert "2 problem(s) found" in done.stdout


def test_the_command_finds_no_time_zones_where_there_are_none(
    tmp_path: Path, env: dict[str, str]
) -> None:
    if importable("tzdata"):
        pytest.skip("the tzdata package supplies zones whatever the system has")
    env["PYTHONTZPATH"] = str(tmp_path / "nowhere")
    done = run_doctor(env, tmp_path)
    assert done.returncode == 1
    assert "No time zone data found" in done.stdout


# --------------------------------------------------------------------------------------------
# What the doctor used to miss


async def sealed_database(path: Path, key: str) -> None:
    from bot.crypto import cipher_for
    from bot.ports.store import TurnWrite, UserKey
    from bot.sqlite.store import SqliteStore
    from dialogs.model import State

    async with SqliteStore(path, cipher=cipher_for(key)) as store:
        await store.save(UserKey("telegram", "1"), TurnWrite(State()), expected_version=0)


async def test_an_encrypted_database_without_its_key_is_a_problem(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.crypto import new_key

    key = new_key()
    await sealed_database(place, key)
    status, text = report()
    assert status == 1 and "encrypted, but ENCRYPTION_KEY is not set" in line_about(
        text, "encryption"
    )
    monkeypatch.setenv("ENCRYPTION_KEY", new_key())  # well formed, but another key
    status, text = report()
    assert status == 1 and "not the key this database was encrypted with" in text
    assert key not in text
    monkeypatch.setenv("ENCRYPTION_KEY", key)
    status, text = report()
    assert status == 0 and "opens the encrypted database" in line_about(text, "encryption")


def test_a_database_other_accounts_can_read_is_a_problem(place: Path) -> None:
    make_database(place)
    place.chmod(0o644)
    status, text = report()
    assert status == 1 and "chmod 600" in line_about(text, "database")


def test_every_bad_setting_is_reported_and_the_other_checks_still_run(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    monkeypatch.setenv("HEALTH_PORT", "99999")
    monkeypatch.setenv("SCHEDULER_TICK_SECONDS", "-1")
    monkeypatch.setenv("TELEGRAM_TOKEN", "no-colon-here")
    status, text = report()
    assert status == 1
    settings = line_about(text, "settings")
    for name in ("LOG_LEVEL", "HEALTH_PORT", "SCHEDULER_TICK_SECONDS"):
        assert name in settings
    assert "has no ':'" in line_about(text, "Telegram")  # checked even so
    assert "time zones available" in text


@pytest.mark.parametrize("url", ["http://bot.example.org/tg", "http://192.168.1.5/tg"])
def test_a_plain_http_webhook_url_is_a_problem(
    place: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", TELEGRAM)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", url)
    status, text = report()
    assert status == 1 and "https://" in line_about(text, "Telegram")


# --------------------------------------------------------------------------------------------
# PostgreSQL


async def test_a_postgresql_database_is_checked_without_being_changed(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from bot.crypto import cipher_for, new_key
    from bot.postgres.store import PostgresStore
    from tests.pg_testing import rows

    monkeypatch.setenv("DATABASE_URL", pg_url)
    status, text = await asyncio.to_thread(report)
    assert status == 0, text
    assert "schema migration(s) to apply" in line_about(text, "database")
    assert rows(pg_url, "SELECT count(*) FROM information_schema.tables"
                " WHERE table_schema = current_schema()") == [(0,)]  # fmt: skip
    key = new_key()
    async with PostgresStore(pg_url, cipher=cipher_for(key)):
        pass
    monkeypatch.setenv("ENCRYPTION_KEY", key)
    status, text = await asyncio.to_thread(report)
    assert status == 0, text
    assert "schema is up to date" in line_about(text, "database")
    assert "opens the encrypted database" in line_about(text, "encryption")
    monkeypatch.setenv("ENCRYPTION_KEY", new_key())
    status, text = await asyncio.to_thread(report)
    assert status == 1 and "not the key" in line_about(text, "encryption")


def test_a_postgresql_server_that_does_not_answer_is_a_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:hush@127.0.0.1:1/threshold")
    status, text = report()
    assert status == 1
    found = line_about(text, "database")
    assert "PROBLEM" in found and "postgresql://127.0.0.1:1/threshold does not answer" in found
    assert "hush" not in text
