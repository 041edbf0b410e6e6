"""The dependency audit's verdicts, on what pip-audit prints in each case: a vulnerability fails
the lint, an unreachable advisory database only warns, and the lock it audits pins every
dependency with hashes at or above the floors the project needs."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from tools.audit import decide

ROOT = Path(__file__).resolve().parents[1]


def report(*dependencies: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_vulnerability_fails_the_lint() -> None:
    found = report(
        {"name": "aiohttp", "version": "3.9.0", "vulns": [
            {"id": "GHSA-xxxx", "fix_versions": ["3.13.4"], "description": "…"}]},
        {"name": "yarl", "version": "1.9.0", "vulns": []},
    )  # fmt: skip
    status, message = decide(1, found, "")
    assert status == 1 and "aiohttp 3.9.0" in message and "3.13.4" in message


def test_an_unreachable_advisory_database_is_a_warning() -> None:
    status, message = decide(1, "", "requests.exceptions.ConnectionError: Failed to resolve")
    assert status == 0 and "WARNING" in message and "ConnectionError" in message


def test_every_package_unknown_to_the_mirror_is_a_warning_not_a_pass() -> None:
    skipped = report(
        {"name": "aiohttp", "version": "3.14.5", "skip_reason": "Dependency not found on PyPI"},
        {"name": "yarl", "version": "1.25.1", "skip_reason": "Dependency not found on PyPI"},
    )
    status, message = decide(0, skipped, "")
    assert status == 0 and "WARNING" in message and "nothing was checked" in message


def test_a_clean_audit_passes() -> None:
    clean = report({"name": "aiohttp", "version": "3.14.5", "vulns": []})
    assert decide(0, clean, "") == (0, "pip-audit: 1 locked packages, no known vulnerabilities.")


def locked() -> dict[str, tuple[str, list[str]]]:
    """Package → (pinned version, hashes), from requirements.lock."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    found: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[a-z0-9])", text):
        match = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", block)
        if match:
            name = match[1].lower().replace("_", "-")
            found[name] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return found


def test_the_lock_pins_every_dependency_with_hashes_inside_the_declared_ranges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = locked()
    assert pins and all(hashes for _, hashes in pins.values()), "every pin has its hashes"
    for line in project["dependencies"]:
        wanted = Requirement(line)
        name = wanted.name.lower().replace("_", "-").replace(".", "-")
        version, _ = pins[name]
        assert wanted.specifier.contains(version), f"{name} {version} is outside {wanted}"
    assert "setuptools" in pins  # the build backend too: nothing is fetched without a hash


def test_the_floors_are_past_the_known_advisories() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors = {Requirement(d).name: Requirement(d).specifier for d in project["dependencies"]}
    assert not floors["aiohttp"].contains("3.13.3") and floors["aiohttp"].contains("3.13.4")
    assert not floors["cryptography"].contains("44.0.0")
    assert floors["cryptography"].contains("44.0.1")
