"""Dependencies point one way: adapters → bot → dialogs.

``dialogs/`` is pure: the standard library only, and none of its I/O, concurrency or clock
modules. ``bot/`` never reaches for a platform library or an adapter. Checked by reading the
imports of every module, so a violation fails here before it shows up anywhere else.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

IO_MODULES = frozenset(
    {
        "asyncio",
        "socket",
        "ssl",
        "select",
        "selectors",
        "sqlite3",
        "dbm",
        "shelve",
        "threading",
        "multiprocessing",
        "concurrent",
        "subprocess",
        "signal",
        "http",
        "urllib",
        "email",
        "smtplib",
        "ftplib",
        "io",
        "os",
        "shutil",
        "tempfile",
        "pathlib",
        "glob",
        "logging",
        "random",
        "secrets",
        "time",
        "sched",
        "zoneinfo",
        "ctypes",
    }
)
"""Standard-library modules ``dialogs/`` must not use: I/O, concurrency, randomness, clocks.

``importlib.resources`` is allowed: content ships inside the package and is read at load time.
"""

LOADER_MAY_READ = {"dialogs/loading.py": frozenset({"zoneinfo"})}
"""The content loader reads, once, what ships with the package and the system's time zones
(their names, and the rules of the zones it can offer); ``step()`` never reads a file: finding
a zone by local time is datetime arithmetic on the rules loaded with the script."""

PLATFORM_MODULES = frozenset({"telegram", "discord", "adapters"})
DYNAMIC = "<dynamic import>"


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(source: str, package: str) -> list[tuple[int, str]]:
    """Every module a file of ``package`` imports, with its line; relative imports resolved."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call) and _called(node.func) in {"import_module", "__import__"}:
            found.append((node.lineno, DYNAMIC))
    return found


def imports_of(path: Path) -> list[tuple[int, str]]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    return imported(path.read_text(encoding="utf-8"), package)


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def top(name: str) -> str:
    return name.split(".", 1)[0]


def dialogs_may_not_import(name: str) -> str | None:
    """Why ``dialogs/`` may not import ``name``, or ``None`` when it may."""
    root = top(name)
    if root in {"__future__", "dialogs"}:
        return None
    if name == DYNAMIC:
        return "imports dynamically"
    if root not in sys.stdlib_module_names:
        return "is not in the standard library"
    if root in IO_MODULES:
        return "does I/O, concurrency, randomness or reads a clock"
    return None


def violations_in_dialogs() -> list[str]:
    bad = []
    for path in modules("dialogs"):
        allowed = LOADER_MAY_READ.get(path.relative_to(ROOT).as_posix(), frozenset())
        for line, name in imports_of(path):
            reason = dialogs_may_not_import(name)
            if reason is not None and top(name) not in allowed:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}, which {reason}")
    return bad


def violations_in_bot() -> list[str]:
    bad = []
    for path in modules("bot"):
        for line, name in imports_of(path):
            if top(name) in PLATFORM_MODULES:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return bad


def test_dialogs_import_only_pure_standard_library() -> None:
    assert modules("dialogs"), "dialogs/ has no modules to check"
    assert violations_in_dialogs() == [], (
        "dialogs/ is pure: anything that reads files, clocks or the network is handed in by bot/"
    )


def test_bot_never_imports_a_platform_or_an_adapter() -> None:
    assert modules("bot"), "bot/ has no modules to check"
    assert violations_in_bot() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import asyncio", ["asyncio"]),
        ("from sqlite3 import connect", ["sqlite3"]),
        ("import telegram.ext", ["telegram.ext"]),
        ("from . import model", ["dialogs"]),
        ("from .content import load", ["dialogs.content"]),
        ("from ..bot import store", ["bot"]),
        ("import importlib\nimportlib.import_module('socket')", ["importlib", DYNAMIC]),
        ("def f() -> None:\n    import discord", ["discord"]),
    ],
)
def test_the_scanner_finds_every_kind_of_import(source: str, expected: list[str]) -> None:
    assert [name for _, name in imported(source, "dialogs")] == expected


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("dataclasses", True),
        ("importlib.resources", True),
        ("tomllib", True),
        ("dialogs.model", True),
        ("asyncio", False),
        ("sqlite3", False),
        ("socket", False),
        ("time", False),
        ("pydantic", False),
        ("telegram", False),
    ],
)
def test_the_rule_for_dialogs(name: str, allowed: bool) -> None:
    assert (dialogs_may_not_import(name) is None) is allowed


NODE_TYPES = ("text", "choice", "multi", "rating", "days", "time", "timezone", "person",
              "finish", "effect", "care")  # fmt: skip


def test_node_types_are_compared_only_in_the_kind_table() -> None:
    """What a node type does is said once, in ``dialogs/nodekinds.py``: nowhere else is a node's
    type compared with a name ("multi", "text" …); code asks the node's kind instead."""
    import re

    quoted = "|".join(NODE_TYPES)
    compared = re.compile(
        rf"\.type\s*(?:==|!=|\bin\b|\bnot in\b)\s*(?:\(|\{{|frozenset|\")|\"(?:{quoted})\"\s*"
        r"(?:==|!=)\s*\w+\.type"
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("dialogs", "bot", "adapters")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "nodekinds.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if compared.search(line)
        and "message.type" not in line
        and "chat.type" not in line
        and "entity.type" not in line
    ]
    assert found == []
