"""``python -m bench [name ...]``: run the benches and print one table.

Each bench is a module with ``async def run() -> list[Row]``; add a module to ``BENCHES`` to
add its rows (a scheduler bench, say). Run from the repository root.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import platform
import sys

from bench.table import Row, render

BENCHES = (
    "turns",
    "privacy",
    "scheduler",
    "hardening",
    "safety",
    "postgres",
    "e2e_telegram",
    "e2e_discord",
    "reply_fanout",
)


async def main(names: list[str]) -> int:
    unknown = set(names) - set(BENCHES)
    if unknown:
        print(f"unknown bench(es): {', '.join(sorted(unknown))}; known: {', '.join(BENCHES)}")
        return 2
    rows: list[Row] = []
    for name in names or BENCHES:
        module = importlib.import_module(f"bench.{name}")
        rows.extend(await module.run())
    print(f"Threshold bench · Python {platform.python_version()} · {_cpus()} CPUs")
    print(render(rows))
    return 0  # a missed target is marked in the table; timing is noisy, so it fails nothing


def _cpus() -> str:
    return str(len(os.sched_getaffinity(0)))


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
