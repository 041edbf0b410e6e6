"""``make lint``'s dependency audit: ``pip-audit`` over ``requirements.lock``, offline-tolerant.

A dependency with a known vulnerability fails the lint (exit 1). An advisory database that
cannot be reached (no network, a registry mirror that has no vulnerability API, so every
package comes back "not found") is a warning, not a failure: CI must not go red because a
service it does not run is away. Run from the repository root: ``python -m tools.audit``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOCK = Path("requirements.lock")


def decide(returncode: int, stdout: str, stderr: str) -> tuple[int, str]:
    """``(exit status, what to say)`` for one run of ``pip-audit --format json``."""
    try:
        report = json.loads(stdout)
        dependencies = report["dependencies"]
    except (ValueError, KeyError, TypeError):
        reason = (stderr.strip().splitlines() or ["no output"])[-1]
        if returncode == 0:
            return 0, "pip-audit: nothing to report."
        return 0, f"pip-audit: WARNING the advisories could not be checked ({reason[:200]})."
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d['version']}: "
            + ", ".join(
                f"{v['id']} (fixed in {', '.join(v.get('fix_versions') or ['?'])})"
                for v in d["vulns"]
            )
            for d in vulnerable
        ]
        return 1, "pip-audit: known vulnerabilities in the locked dependencies:\n" + "\n".join(
            lines
        )
    audited = [d for d in dependencies if "skip_reason" not in d]
    if dependencies and not audited:
        return 0, (
            "pip-audit: WARNING the advisory database could not be reached (every package "
            "came back unknown); nothing was checked."
        )
    return 0, f"pip-audit: {len(audited)} locked packages, no known vulnerabilities."


def _advisories(vulns: list[dict[str, object]]) -> str:
    return ", ".join(
        f"{v['id']} (fixed in {', '.join(str(f) for f in v.get('fix_versions') or ['?'])})"  # type: ignore[attr-defined]
        for v in vulns
    )


def main() -> int:
    command = [
        sys.executable, "-m", "pip_audit", "--requirement", str(LOCK), "--disable-pip",
        "--format", "json", "--progress-spinner", "off",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        print("pip-audit: WARNING the advisory database did not answer in time; skipped.")
        return 0
    status, message = decide(done.returncode, done.stdout, done.stderr)
    print(message)
    return status


if __name__ == "__main__":
    sys.exit(main())
