"""Finding the first of many regular expressions that matches, quickly: pure, standard library.

The safety rules are several hundred regular expressions, all matched where a word begins. One
expression of them all would try every one at every word. :class:`PhraseIndex` instead reads each
expression once, when the content loads, for the words a match of it can begin with ("tried",
"try", "attempted" …), and at each word of a message tries only the expressions that can begin
with that word, in their order. The answer is the same as one expression's: the leftmost match,
and at one place the first expression, in order, that matches there.

The reading (:func:`first_words`) knows groups, alternatives, character classes, escapes,
assertions and quantifiers; an expression it cannot read, or one that could begin anywhere, is
tried at every word. It never leaves out a word an expression can begin with.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Characters a word is made of (the boundary the rules are matched at), and every character a
# message can hold once it is in its one spelling (anything else has become a space).
WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789*'")
ALPHABET = WORD_CHARS | frozenset('"\u201c\u201d\u00ab\u00bb.,!?;:\n ')
# A word begins where no word character (nor an apostrophe inside a word, "o'|clock") comes
# before, and ends where none comes after; an apostrophe that opens or closes a quote ("'I want
# to die'") is not part of the word beside it.
_START = r"(?<![a-z0-9*])(?<![a-z0-9*]')"
_END = r"(?![a-z0-9*])(?!'[a-z0-9*])"
_PLACES = re.compile(_START)
_WORD = re.compile(r"(?:[a-z0-9*]+(?:'[a-z0-9*]+)*)?")
_QUANTIFIER = re.compile(r"(?:([?*+])|\{(\d*)(?:(,)(\d*))?\})[?+]?")
_LOOKS = ("(?=", "(?!", "(?<=", "(?<!")
_LIMIT = 5_000  # words an expression may begin with before it counts as "anywhere"

# A reading is a set of (the first word so far, state): OPEN (the word may go on), DONE (the
# word ended) or ANY (the word begins with these letters and may go on with any).
OPEN, DONE, ANY = 0, 1, 2
_Reading = set[tuple[str, int]]


class _Unread(Exception):
    """A construct the reading does not know, or too many words."""


def bounded(expression: str) -> str:
    """``expression`` matched only where a word begins and ends."""
    return rf"{_START}(?:{expression}){_END}"


def branches(expression: str) -> list[str]:
    """``expression`` split at its top-level ``|`` (whole, when it cannot be read)."""
    cuts, i = [], 0
    try:
        while True:
            _, i = _branch(expression, i, False)
            if i == len(expression):
                break
            if expression[i] != "|":
                return [expression]
            cuts.append(i)
            i += 1
    except (_Unread, IndexError, ValueError, re.error):
        return [expression]
    bounds = [-1, *cuts, len(expression)]
    return [expression[a + 1 : b] for a, b in itertools.pairwise(bounds)]


def first_words(expression: str) -> set[tuple[str, bool]] | None:
    """The words a match can begin with, as (word, ``True`` when it is only how the word
    begins); ``None`` when it could begin anywhere or cannot be read."""
    try:
        reading, end = _branches(expression, 0, True)
    except (_Unread, IndexError, ValueError, re.error):
        return None
    if end != len(expression) or any(word == "" for word, _ in reading):
        return None
    return {(word, state == ANY) for word, state in reading}


@dataclass(frozen=True)
class PhraseIndex:
    """Expressions, compiled one by one, and which of them can begin with which word."""

    expressions: tuple[re.Pattern[str], ...] = ()
    by_word: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    by_start: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    start_sizes: tuple[int, ...] = ()
    anywhere: tuple[int, ...] = ()

    @classmethod
    def build(cls, expressions: Sequence[str]) -> PhraseIndex:
        """Index ``expressions``, each matched only where a word begins and ends; raises
        :class:`re.error` for one that does not compile."""
        compiled = tuple(re.compile(bounded(e)) for e in expressions)
        words: dict[str, list[int]] = {}
        starts: dict[str, list[int]] = {}
        anywhere: list[int] = []
        for n, expression in enumerate(expressions):
            found = first_words(expression)
            if found is None:
                anywhere.append(n)
                continue
            for word, only_start in found:
                (starts if only_start else words).setdefault(word, []).append(n)
        by_start = {w: tuple(ns) for w, ns in starts.items()}
        sizes = tuple(sorted({len(w) for w in starts}))
        by_word = {
            w: tuple(sorted({*ns, *_beginning(by_start, sizes, w), *anywhere}))
            for w, ns in words.items()
        }
        return cls(compiled, by_word, by_start, sizes, tuple(anywhere))

    def search(self, text: str, pos: int = 0) -> tuple[int, re.Match[str]] | None:
        """The leftmost match at or after ``pos`` and the number of its expression (the first in
        order when several match there), or ``None``."""
        for place in _PLACES.finditer(text, pos):
            found = self.match(text, place.start())
            if found is not None:
                return found
        return None

    def match(self, text: str, at: int) -> tuple[int, re.Match[str]] | None:
        """The first expression, in order, that matches at ``at``, and its match."""
        word = _WORD.match(text, at)
        spelled = word.group() if word is not None else ""
        candidates = self.by_word.get(spelled)
        if candidates is None:
            beginning = _beginning(self.by_start, self.start_sizes, spelled)
            candidates = tuple(sorted({*beginning, *self.anywhere})) if beginning else self.anywhere
        for n in candidates:
            found = self.expressions[n].match(text, at)
            if found is not None:
                return n, found
        return None


def _beginning(
    by_start: Mapping[str, tuple[int, ...]], sizes: Sequence[int], word: str
) -> list[int]:
    """The expressions that can begin with any word that begins like ``word``."""
    return [n for size in sizes if size <= len(word) for n in by_start.get(word[:size], ())]


def _branches(p: str, i: int, read: bool) -> tuple[_Reading, int]:
    reading: _Reading = set()
    while True:
        more, i = _branch(p, i, read)
        reading |= more
        if i < len(p) and p[i] == "|":
            i += 1
            continue
        return reading, i


def _branch(p: str, i: int, read: bool) -> tuple[_Reading, int]:
    reading: _Reading = {("", OPEN)}
    while i < len(p) and p[i] not in "|)":
        open_ = read and any(state == OPEN for _, state in reading)
        more, i = _item(p, i, open_)
        if open_:
            reading = _then(reading, more)
    return reading, i


def _item(p: str, i: int, read: bool) -> tuple[_Reading, int]:
    char = p[i]
    empty: _Reading = {("", OPEN)}
    if char == "(":
        look = next((a for a in _LOOKS if p.startswith(a, i)), None)
        if look is not None:  # an assertion takes no character
            _, end = _branches(p, i + len(look), False)
            return empty, end + 1
        if p.startswith("(?:", i):
            inner = i + 3
        elif p.startswith("(?P<", i):
            inner = p.index(">", i) + 1
        elif p.startswith("(?", i):
            raise _Unread(p[i : i + 3])
        else:
            inner = i + 1
        reading, end = _branches(p, inner, read)
        if p[end] != ")":
            raise _Unread(p[end])
        i = end + 1
    elif char == "[":
        end = p.index("]", i + 2 if p.startswith(("[]", "[^]"), i) else i + 1)
        reading, i = _chars(p[i : end + 1], read), end + 1
    elif char == "\\":
        if p[i + 1] in "bBAZ":
            return empty, i + 2
        if p[i + 1].isdigit():
            raise _Unread(p[i : i + 2])
        size = {"u": 6, "x": 4, "U": 10}.get(p[i + 1], 2)
        reading, i = _chars(p[i : i + size], read), i + size
    elif char in "^$":
        return empty, i + 1
    elif char == ".":
        reading, i = _chars(".", read), i + 1
    else:
        reading, i = ({(char, OPEN)} if char in WORD_CHARS else {("", DONE)}), i + 1
    quantifier = _QUANTIFIER.match(p, i)
    if quantifier is not None:
        i = quantifier.end()
        if read:
            reading = _repeat(reading, *_bounds(quantifier))
    return reading, i


def _chars(expression: str, read: bool) -> _Reading:
    """The reading of one character that ``expression`` (a class, an escape, ".") matches."""
    if not read:
        return set()
    if expression not in _CHAR_CACHE:
        pattern = re.compile(expression)
        _CHAR_CACHE[expression] = frozenset(
            (c, OPEN) if c in WORD_CHARS else ("", DONE) for c in ALPHABET if pattern.fullmatch(c)
        )
    return set(_CHAR_CACHE[expression])


_CHAR_CACHE: dict[str, frozenset[tuple[str, int]]] = {}


def _bounds(quantifier: re.Match[str]) -> tuple[int, int | None]:
    symbol, low, comma, high = quantifier.groups()
    if symbol is not None:
        return {"?": (0, 1), "*": (0, None), "+": (1, None)}[symbol]
    if comma is None:
        return int(low), int(low)
    return int(low or 0), int(high) if high else None


def _then(reading: _Reading, more: _Reading) -> _Reading:
    out: _Reading = set()
    for word, state in reading:
        if state != OPEN:
            out.add((word, state))
        else:
            out.update((word + next_, next_state) for next_, next_state in more)
    if len(out) > _LIMIT:
        raise _Unread("too many words")
    return out


def _repeat(reading: _Reading, low: int, high: int | None) -> _Reading:
    if high is None and any(state == OPEN and word for word, state in reading):
        return {("", ANY)}  # letters repeated without end: any word from here
    out: _Reading = set()
    current: _Reading = {("", OPEN)}
    for count in range(high if high is not None else low + 1 + 1):
        if count >= low:
            out |= current
        current = _then(current, reading)
    return out | current
