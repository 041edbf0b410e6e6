"""Settings from the environment and .env, and the plain errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Settings, load_settings

VARS = ("DATABASE_URL", "TELEGRAM_TOKEN", "DISCORD_TOKEN", "LOG_LEVEL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_nothing_configured() -> None:
    settings = load_settings()
    assert settings.sqlite_path == Path("data/threshold.db")
    assert settings.telegram_token is None and settings.discord_token is None
    assert settings.log_level == "INFO"


def test_absolute_database_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////var/lib/threshold/t.db")
    assert load_settings().sqlite_path == Path("/var/lib/threshold/t.db")


def test_relative_database_path_is_relative_to_the_working_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///state/bot.db")
    path = load_settings().sqlite_path
    assert not path.is_absolute() and path == Path("state/bot.db")


@pytest.mark.parametrize(
    "url", ["mysql://db/threshold", "postgresql://", "sqlite://relative.db", "sqlite:///", "x.db"]
)
def test_other_database_urls_are_refused_plainly(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "DATABASE_URL" in message and "sqlite:///" in message and "postgresql://" in message


@pytest.mark.parametrize("url", ["postgresql://bot@db:5432/threshold", "postgres://db/threshold"])
def test_a_postgresql_url_is_accepted_and_is_no_file(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    settings = load_settings()
    assert settings.uses_postgres and settings.database_url == url
    with pytest.raises(ConfigError, match="PostgreSQL"):
        settings.sqlite_path  # noqa: B018 (a command that works on the file says so)


def test_tokens_are_secrets_and_empty_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    settings = load_settings()
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings) and "123:abc" not in str(settings)
    assert settings.discord_token is None


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=xyz\nLOG_LEVEL=debug\nSOMETHING_ELSE=1\n")
    settings = load_settings()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "xyz"
    assert settings.log_level == "DEBUG" and settings.log_level_number == 10


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    assert load_settings().log_level == "WARNING"


def test_unknown_log_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load_settings()


def test_settings_can_be_built_directly() -> None:
    assert Settings(database_url="sqlite:////tmp/x.db").sqlite_path == Path("/tmp/x.db")


SCHEDULER_SETTINGS = {
    "SCHEDULER_TICK_SECONDS": 1.0,
    "MANTRA_GRACE_SECONDS": 3600,
    "REMINDER_GRACE_SECONDS": 86400,
    "TELEGRAM_SEND_RATE": 25,
    "TELEGRAM_CHAT_SEND_RATE": 1,
    "DISCORD_SEND_RATE": 40,
    "DISCORD_CHAT_SEND_RATE": 1,
    "DELIVERY_LOG_DAYS": 90,
}


def test_scheduler_settings_have_their_defaults_and_are_listed_in_env_example() -> None:
    settings = load_settings()
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for name, default in SCHEDULER_SETTINGS.items():
        assert getattr(settings, name.lower()) == default
        assert f"\n{name}={default:g}\n" in example, name


@pytest.mark.parametrize("name", ["TELEGRAM_SEND_RATE", "SCHEDULER_TICK_SECONDS"])
def test_a_rate_or_tick_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(ConfigError, match=name):
        load_settings()


@pytest.mark.parametrize(
    ("count", "ids", "shards"),
    [("4", "0,2-3", (4, (0, 2, 3))), ("2", None, (2, (0, 1))), ("3", " 1 ", (3, (1,)))],
)
def test_discord_shards_are_read_as_count_and_ids(
    monkeypatch: pytest.MonkeyPatch, count: str, ids: str | None, shards: object
) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", count)
    if ids is not None:
        monkeypatch.setenv("DISCORD_SHARD_IDS", ids)
    assert load_settings(_env_file=None).discord_shards == shards


@pytest.mark.parametrize(
    ("count", "ids", "said"),
    [
        (None, "0", "needs DISCORD_SHARD_COUNT"),
        ("2", "2", "from 0 to 1"),
        ("2", "0,0", "different shards"),
        ("2", "one", "must look like"),
        ("2", "1-", "must look like"),
        ("0", None, "DISCORD_SHARD_COUNT"),
    ],
)
def test_discord_shard_settings_that_do_not_fit_are_refused_plainly(
    monkeypatch: pytest.MonkeyPatch, count: str | None, ids: str, said: str
) -> None:
    if count is not None:
        monkeypatch.setenv("DISCORD_SHARD_COUNT", count)
    if ids is not None:
        monkeypatch.setenv("DISCORD_SHARD_IDS", ids)
    with pytest.raises(ConfigError, match=said):
        load_settings(_env_file=None)
