"""The layout inside ``bot/`` and how adapters meet the core, checked by reading the source.

* ``bot/`` sub-packages import in the allowed directions: ``ports/`` only ``dialogs`` (and the
  error tree and key pseudonyms it names in its types); the stores (``sqlite/``, ``memory/``,
  ``postgres/``) never the scheduler, the fan-out, the service or the core; ``schedule/`` never
  a store, only the ports.
* Adapters that serve people (the terminal, Telegram, Discord, the health endpoint) reach the
  core only through its verbs (:class:`bot.core.Core`), import from ``bot`` only its face
  (core, ports, settings, errors, logs), and carry no English sentence of their own: what they
  show comes from ``dialogs/content/``. The host's tools (``cli.py``, ``doctor/``) speak to the
  host in English and may open the database file themselves (key rotation, checks).
* No module is longer than a reviewer reads in one sitting.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.test_architecture import ROOT, imports_of, modules

STORES = ("bot.sqlite", "bot.memory", "bot.postgres")
NEVER_FROM_A_STORE = ("bot.schedule.scheduler", "bot.schedule.fanout", "bot.core",
                      "bot.conversations", "bot.effects")  # fmt: skip
PORTS_MAY_IMPORT = ("dialogs", "bot.ports", "bot.errors", "bot.pseudonyms")
SCHEDULE_MAY_NOT_IMPORT = (*STORES, "bot.core", "bot.conversations")

HOST_TOOLS = ("adapters/cli.py", "adapters/doctor/", "adapters/health.py")
"""Spoken to the person hosting the bot, in English (``threshold doctor``, ``threshold
healthcheck``), and allowed to open the database file."""
NOT_FOR_PEOPLE = {
    ("adapters/discord/__init__.py", "Discord refused DISCORD_TOKEN"): "the host's ConfigError",
    ("adapters/telegram/runner.py", "Telegram refused TELEGRAM_TOKEN"): "the host's ConfigError",
    ("adapters/discord/client.py", "to server "): "a log line's piece",
    ("adapters/discord/client.py", "mark unreachable"): "what failed, in a log line",
    ("adapters/discord/client.py", "write button"): "what failed, in a log line",
    ("adapters/telegram/sender.py", "message is not modified"): "Telegram's error text, matched",
}
"""English in person-facing adapters that no person reads, and why."""
FACE = ("bot.core", "bot.ports", "bot.settings", "bot.errors", "bot.logs", "bot.pseudonyms",
        "bot.metrics")  # fmt: skip
"""What person-facing adapters may import from ``bot`` (``bot.metrics`` for its content type)."""
CORE_VERBS = frozenset(
    {"conversations", "settings", "say", "menu", "zone_aliases", "serving", "serving_platforms",
     "unreachable", "sent", "inbox", "health", "watch_platforms", "metrics_text", "before_stop",
     "send_budget"}
)  # fmt: skip
"""Everything an adapter may touch on the core (``before_stop``: the lifecycle's hook list)."""
MAX_LINES = 420

_SENTENCE = re.compile(r"[A-Za-z]{2,}[ ,'’][A-Za-z]+.*[A-Za-z]")
_HOST_CALLS = frozenset(
    {"debug", "info", "warning", "error", "exception", "critical", "add_argument"}
)
"""Calls whose text is for the host's log or terminal, not for the person."""


def named(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def person_facing() -> list[Path]:
    return [p for p in modules("adapters") if not rel(p).startswith(HOST_TOOLS)]


def bad_imports(
    package: str, allowed: tuple[str, ...] = (), banned: tuple[str, ...] = ()
) -> list[str]:
    bad = []
    for path in modules(package):
        for line, name in imports_of(path):
            project = named(name, ("bot", "adapters", "dialogs"))
            if allowed and project and not named(name, allowed):
                bad.append(f"{rel(path)}:{line} imports {name}")
            if named(name, banned):
                bad.append(f"{rel(path)}:{line} imports {name}")
    return bad


def test_ports_import_only_dialogs_and_the_types_they_name() -> None:
    assert bad_imports("bot/ports", allowed=PORTS_MAY_IMPORT) == []


@pytest.mark.parametrize("store", [s.replace(".", "/") for s in STORES])
def test_a_store_never_imports_the_scheduler_the_service_or_the_core(store: str) -> None:
    if not (ROOT / store).is_dir():
        pytest.skip(f"{store} is not in this checkout")
    others = tuple(s for s in STORES if s.replace(".", "/") != store and s != "bot.sqlite")
    assert bad_imports(store, banned=(*NEVER_FROM_A_STORE, *others, "adapters")) == []


def test_the_scheduler_reaches_the_data_only_through_the_ports() -> None:
    assert bad_imports("bot/schedule", banned=(*SCHEDULE_MAY_NOT_IMPORT, "adapters")) == []


def test_person_facing_adapters_import_only_the_cores_face() -> None:
    bad = []
    for path in person_facing():
        for line, name in imports_of(path):
            if named(name, ("bot",)) and not named(name, FACE):
                bad.append(f"{rel(path)}:{line} imports {name}")
    assert bad == []


def core_uses(source: str) -> list[tuple[int, str]]:
    """``core.<name>`` (or ``self.core`` / ``self._core``) attributes used in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if (isinstance(owner, ast.Name) and owner.id == "core") or (
            isinstance(owner, ast.Attribute)
            and owner.attr in {"core", "_core"}
            and isinstance(owner.value, ast.Name)
            and owner.value.id == "self"
        ):
            found.append((node.lineno, node.attr))
    return sorted(found)


def test_the_scanner_sees_each_way_an_adapter_holds_the_core() -> None:
    source = "core.store.load(k)\nself.core.metrics.x\nself._core.script.say('k')\nother.store"
    assert core_uses(source) == [(1, "store"), (2, "metrics"), (3, "script")]


def test_adapters_reach_the_core_only_through_its_verbs() -> None:
    bad = []
    for path in modules("adapters"):
        for line, name in core_uses(path.read_text(encoding="utf-8")):
            if name not in CORE_VERBS:
                bad.append(f"{rel(path)}:{line} uses core.{name}")
    assert bad == []


def sentences(source: str) -> list[tuple[int, str]]:
    """String literals that read as words to a person: not docstrings, not log lines, not
    exception messages (for the host), not format pieces of one word."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # docstrings and bare strings
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _HOST_CALLS or name.endswith(("Error", "Failed", "Exit")):
                skip.update(id(part) for part in ast.walk(node))
        if isinstance(node, ast.Raise) and node.exc is not None:
            skip.update(id(part) for part in ast.walk(node.exc))
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and _SENTENCE.search(node.value)
        and len(node.value.split()) >= 2
    )


def test_the_sentence_finder_tells_words_to_a_person_from_the_rest() -> None:
    source = '''"""A docstring, long and English."""
logger.info("telegram: serving as %s by %s", a, b)
raise ConfigError("Set the token again.")
APOLOGY = "Sorry, something went wrong."
KIND = "sticker"
'''
    assert sentences(source) == [(4, "Sorry, something went wrong.")]


def test_person_facing_adapters_carry_no_english_sentences() -> None:
    found = [
        f"{rel(path)}:{line}: {text[:60]!r}"
        for path in person_facing()
        for line, text in sentences(path.read_text(encoding="utf-8"))
        if not any(rel(path) == where and text.startswith(start) for where, start in NOT_FOR_PEOPLE)
    ]
    assert found == [], "move these into dialogs/content/ and ask the core for them"


def test_no_module_is_longer_than_one_sitting() -> None:
    long = [
        f"{rel(path)}: {lines} lines"
        for package in ("dialogs", "bot", "adapters")
        for path in modules(package)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []
