"""How well and how fast the safety check notices warning signs, on the labelled corpus.

The corpus is ``tests/dialogs/safety_corpus/``: ``tuning.toml`` (what the rules are written
from) and ``held_out.toml`` (never tuned on), a table per warning-sign category. A ``concern``
counts as found when the check notices it as its category's kind (crisis or abuse: what decides
that help is offered); a look-alike (``none``) that is noticed is a false positive. The figures
that matter are the held-out ones, per category. A held-out message that is also, word for word,
in the tuning part measures nothing new, so it is set aside (and counted).

The check is what the bot runs by default: the phrase rules and, when its package is installed,
the sentence model (``bot/reading``) for what they miss; the rules alone are shown beside it.
"""

from __future__ import annotations

import statistics
import time
import tomllib
from pathlib import Path

from bench.table import Row
from bot.reading import Reader, open_reader
from dialogs import load_script
from dialogs.safety import SafetyRules, assess, by_phrases

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "dialogs" / "safety_corpus"
RECALL_TARGET = 1.0
FALSE_POSITIVE_TARGET = 0.15
BUDGET_US = 1_000.0
MODEL_BUDGET_MS = 20.0
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


def _totals(scores: dict[str, tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    found, concerns, noticed, look_alikes = (sum(s[i] for s in scores.values()) for i in range(4))
    return found, concerns, noticed, look_alikes


def _per_message(messages: list[str], rules: SafetyRules, rounds: int) -> float:
    """Median µs per message of the phrase rules over the corpus, over ``rounds`` runs."""
    runs = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for message in messages:
            by_phrases(message, rules)
        runs.append((time.perf_counter() - t0) / len(messages) * 1e6)
    return statistics.median(runs)


def _reading(messages: list[str], reader: Reader) -> tuple[float, float]:
    """Median and 99th percentile, in ms, of the sentence model's read of one message (what
    each typed message the rules let pass costs, in a worker thread)."""
    times = []
    for message in messages:
        t0 = time.perf_counter()
        reader.read(message)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "—"


def _met(found: int, concerns: int, noticed: int, look_alikes: int) -> bool:
    return (not concerns or found / concerns >= RECALL_TARGET) and (
        not look_alikes or noticed / look_alikes <= FALSE_POSITIVE_TARGET
    )


async def run() -> list[Row]:
    rules = load_script().safety
    reader = open_reader("auto", rules)
    chosen = reader.beside(rules) if reader is not None else rules
    tuning = _load("tuning")
    held_out, dropped = _unseen(_load("held_out"), tuning)
    scores = _score(held_out, chosen)
    alone = _score(held_out, rules) if reader is not None else scores
    rows = []
    ids = [c.id for c in rules.categories]
    for category in ids + sorted(set(scores) - set(ids)):
        found, concerns, noticed, look_alikes = scores.get(category, (0, 0, 0, 0))
        rules_found = alone.get(category, (0,))[0]
        rows.append(
            Row(
                f"  held-out {category}: found (rules alone) · false positives",
                f"{_share(found, concerns)} ({rules_found}) · {_share(noticed, look_alikes)}",
                "100% · ≤ 15%",
                _met(found, concerns, noticed, look_alikes),
            )
        )
    found, concerns, noticed, look_alikes = _totals(scores)
    r_found, _, r_noticed, _ = _totals(alone)
    tuned = _totals(_score(tuning, chosen))
    messages = [
        m for part in (tuning, held_out) for t in part.values() for v in t.values() for m in v
    ]
    rules_us = _per_message(messages, rules, ROUNDS)
    head = [
        Row(
            "safety check",
            "phrase rules + sentence model" if reader else "phrase rules alone",
            "(the sentence model is not installed)" if reader is None else "—",
        ),
        Row(
            "safety check, held-out recall (all categories)",
            _share(found, concerns),
            "100%",
            concerns > 0 and found == concerns,
        ),
        Row(
            "safety check, held-out false positives",
            _share(noticed, look_alikes),
            "≤ 15%",
            look_alikes > 0 and noticed / look_alikes <= FALSE_POSITIVE_TARGET,
        ),
    ]
    if reader is not None:
        head += [
            Row(
                "  phrase rules alone: held-out recall · false positives",
                f"{_share(r_found, concerns)} · {_share(r_noticed, look_alikes)}",
            ),
        ]
    tail = [
        Row("  held-out messages also in tuning (set aside)", str(dropped)),
        Row(
            "safety check, tuning recall · false positives",
            f"{_share(tuned[0], tuned[1])} · {_share(tuned[2], tuned[3])}",
        ),
        Row(
            f"phrase rules per message ({len(messages):,} corpus messages)",
            f"{rules_us:.1f} µs",
            "< 1,000 µs",
            rules_us < BUDGET_US,
        ),
    ]
    if reader is not None:
        sample = messages[:: max(1, len(messages) // 400)]
        p50, p99 = _reading(sample, reader)
        long_p50, _ = _reading(["I can't sleep and I keep going over it. " * 250], reader)
        tail += [
            Row(
                f"sentence model per message read, p50 · p99 ({len(sample)} messages)",
                f"{p50:.1f} · {p99:.1f} ms",
                "< 20 ms",
                p99 < MODEL_BUDGET_MS,
            ),
            Row("  a 10,000-character message (read to the token budget)", f"{long_p50:.0f} ms"),
        ]
    return [*head, *rows, *tail]  # fmt: skip
