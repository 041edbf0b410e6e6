"""The packaged content files, parsed as :func:`dialogs.loading.build_script` takes them, for
tests that break one part of the real content and check what the loader says.

Each call returns a fresh deep copy, so a test may change it freely. The safety rules are left
out unless asked for: compiling them takes about a second, and only tests of what they refuse
need them (without them the loader uses empty rules, which notice nothing).
"""

from __future__ import annotations

import copy
import tomllib
import zoneinfo
from functools import cache
from importlib import resources
from typing import Any

ZONES = frozenset(zoneinfo.available_timezones())
SAFETY_FILE = "safety.toml"


@cache
def _parsed() -> dict[str, dict[str, Any]]:
    return {
        entry.name: tomllib.loads(entry.read_text(encoding="utf-8"))
        for entry in resources.files("dialogs.content").iterdir()
        if entry.name.endswith(".toml")
    }


def content_documents(*, safety: bool = False) -> dict[str, dict[str, Any]]:
    """Every ``dialogs/content/*.toml`` by file name (``safety.toml`` only with ``safety``)."""
    parsed = _parsed()
    return copy.deepcopy({k: v for k, v in parsed.items() if safety or k != SAFETY_FILE})


def node_of(documents: dict[str, dict[str, Any]], node_id: str) -> dict[str, Any]:
    """The raw table of ``node_id`` in whichever file defines it."""
    for doc in documents.values():
        for node in doc.get("node", ()):
            if node["id"] == node_id:
                return node  # type: ignore[no-any-return]
    raise KeyError(node_id)
