"""How well and how fast the safety check notices warning signs, on the labelled corpus.

The corpus is ``tests/dialogs/safety_corpus/``: ``tuning.toml`` (what the rules are written
from) and ``held_out.toml`` (never tuned on), a table per warning-sign category. A ``concern``
counts as found when the check notices it as its category's kind (crisis or abuse: what decides
that help is offered); a look-alike (``none``) that is noticed is a false positive. The figures
that matter are the held-out ones, per category. A held-out message that is also, word for word,
in the tuning part measures nothing new, so it is set aside (and counted).
"""

from __future__ import annotations

import statistics
import time
import tomllib
from pathlib import Path

from bench.table import Row
from dialogs import load_script
from dialogs.safety import SafetyRules, assess

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "dialogs" / "safety_corpus"
RECALL_TARGET = 1.0
FALSE_POSITIVE_TARGET = 0.15
BUDGET_US = 1_000.0
ROUNDS = 5

Corpus = dict[str, dict[str, list[str]]]


def _load(name: str) -> Corpus:
    data: Corpus = tomllib.loads((CORPUS / f"{name}.toml").read_text("utf-8"))
    return data


def _key(message: str) -> str:
    return " ".join(message.casefold().split())


def _unseen(held_out: Corpus, tuning: Corpus) -> tuple[Corpus, int]:
    seen = {_key(m) for table in tuning.values() for ms in table.values() for m in ms}
    kept: Corpus = {}
    dropped = 0
    for category, table in held_out.items():
        kept[category] = {}
        for label, messages in table.items():
            fresh = [m for m in messages if _key(m) not in seen]
            dropped += len(messages) - len(fresh)
            kept[category][label] = fresh
    return kept, dropped


def _score(corpus: Corpus, rules: SafetyRules) -> dict[str, tuple[int, int, int, int]]:
    """Per category: (found, concerns, noticed look-alikes, look-alikes)."""
    kinds = {c.id: c.kind for c in rules.categories}
    scores = {}
    for category, table in corpus.items():
        concerns, look_alikes = table.get("concern", []), table.get("none", [])
        found = 0
        for message in concerns:
            finding = assess(message, rules)
            found += finding is not None and finding.kind == kinds.get(category)
        noticed = sum(assess(m, rules) is not None for m in look_alikes)
        scores[category] = (found, len(concerns), noticed, len(look_alikes))
    return scores


def _us_per_message(messages: list[str], rules: SafetyRules) -> float:
    runs = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for message in messages:
            assess(message, rules)
        runs.append((time.perf_counter() - t0) / len(messages) * 1e6)
    return statistics.median(runs)


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "—"


async def run() -> list[Row]:
    rules = load_script().safety
    tuning = _load("tuning")
    held_out, dropped = _unseen(_load("held_out"), tuning)
    scores = _score(held_out, rules)
    rows = []
    ids = [c.id for c in rules.categories]
    for category in ids + sorted(set(scores) - set(ids)):
        found, concerns, noticed, look_alikes = scores.get(category, (0, 0, 0, 0))
        met = (not concerns or found / concerns >= RECALL_TARGET) and (
            not look_alikes or noticed / look_alikes <= FALSE_POSITIVE_TARGET
        )
        rows.append(
            Row(
                f"  held-out {category}: found · false positives",
                f"{_share(found, concerns)} · {_share(noticed, look_alikes)}",
                "100% · ≤ 15%",
                met,
            )
        )
    found, concerns, noticed, look_alikes = (sum(s[i] for s in scores.values()) for i in range(4))
    tuned = [sum(s[i] for s in _score(tuning, rules).values()) for i in range(4)]
    messages = [
        m for part in (tuning, held_out) for t in part.values() for v in t.values() for m in v
    ]
    us = _us_per_message(messages, rules)
    return [
        Row("safety check, held-out recall (all categories)", _share(found, concerns), "100%",
            concerns > 0 and found == concerns),
        Row("safety check, held-out false positives", _share(noticed, look_alikes), "≤ 15%",
            look_alikes > 0 and noticed / look_alikes <= FALSE_POSITIVE_TARGET),
        *rows,
        Row("  held-out messages also in tuning (set aside)", str(dropped)),
        Row("safety check, tuning recall · false positives",
            f"{_share(tuned[0], tuned[1])} · {_share(tuned[2], tuned[3])}"),
        Row(f"safety check per message ({len(messages):,} corpus messages)", f"{us:.1f} µs",
            "< 1,000 µs", us < BUDGET_US),
    ]  # fmt: skip
