"""Noticing words that suggest self-harm, suicide or abuse: pure functions over content data.

:func:`assess` reads one message and returns a :class:`Finding` (its ``kind``, ``"crisis"`` or
``"abuse"``, and the warning-sign ``category`` it belongs to) or ``None``; :func:`concern` is the
same answer as just the kind. The rules are regular expressions in
``dialogs/content/safety.toml``, each under a category (the published warning signs: 988
Lifeline / AFSP, the Columbia screener, and the forms of domestic abuse). This module only knows
how to read a message carefully:

* **One spelling.** The message is lower-cased, its apostrophes straightened, contractions
  spelled out ("dont", "don't" → "do not", "im" → "i am"), chat shorthand and common
  misspellings replaced ("wanna" → "want to", "kms" → "kill myself"), fillers dropped ("just",
  "really", "honestly"), letters typed three times or more kept once, and a word one typo away
  from a listed word ("suicdal", "myslef") read as that word. Rules are written against that
  one spelling, so each phrase is written once.
* **Clauses.** The text is split at sentence ends and at "but", "though", "however" …, so a
  denial in one clause never hides what the next one says ("he never hit me, but he threatens
  me" is a concern).
* **Negation.** A phrase is set aside when a negation ("not", "never", "no" …) stands at most
  ``negation_window`` words before it in the same clause, with no comma, no "and"/"because"
  and no new subject ("nobody cares i want to die") between, unless the negation belongs to
  something else ("I don't know, …", "I can't stop thinking about …"). For abuse, a clause that
  goes on with "anymore" still counts ("he doesn't hit me anymore").
* **Look-alikes.** A rule may name words that, near the phrase (in the same clause and the
  same comma-separated part, at most ``unless_window`` words either side), make it something
  else ("unless": "I cut myself shaving", "I gave away my old books"); a reason given after a
  comma never hides the phrase ("I can't take it anymore, I failed my exam").
* **Quoted speech.** Words in quotation marks count: people quote their own thoughts and other
  people's threats. Only a quote named as a song, film, book and the like is set aside; and a
  first-person crisis phrase quoted from someone else ("he said 'I'll kill myself if you
  leave'") is read as a threat to the person (abuse, ``threat_category``).
* **Overlaps.** A phrase inside a longer phrase of another category belongs to the longer one
  ("she threatens suicide" is her threat, not the person's crisis).

* **Frames.** A joke, a story, study or work about it, a past that is over (``frames``): what
  the phrases notice there stands unless the second reader is all but sure it is no concern
  (``SafetyRules.clear``); an unframed message is never cleared.

It is biased toward offering help. What the phrases miss, a second reader (the bot's sentence
model, ``SafetyRules.reader``) may notice. ``make bench`` reports the held-out figures of the
corpus in ``tests/dialogs/safety_corpus/``; patterns are looked up by the word they can begin
with (:mod:`dialogs.phrase_index`): tens of microseconds a message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dialogs.phrase_index import PhraseIndex

Concern = Literal["crisis", "abuse"]
KINDS: tuple[Concern, ...] = ("crisis", "abuse")

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_QUOTES = re.compile(
    r"\"[^\"]*\"|\u201c[^\u201d]*\u201d|\u00ab[^\u00bb]*\u00bb"
    r"|(?<![a-z0-9])'(?:[^']|(?<=[a-z])'(?=[a-z]))+'(?![a-z0-9])"
)
_WORD = re.compile(r"[a-z0-9*]+(?:'[a-z]+)?")
_HYPHEN = re.compile(r"(?<=[a-z])[-_/]+(?=[a-z])")
_JUNK = re.compile(r"[^a-z0-9*'\"\u201c\u201d\u00ab\u00bb.,!?;:\n ]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_NOT = re.compile(r"(?<![a-z0-9*])([a-z]+)n't(?![a-z])")
_POSSESSIVE = re.compile(r"(?<=[a-z])'s(?![a-z])")
_ANSWERED = re.compile(r"\s*\?+\s*([a-z]+)")
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True)
class Category:
    """One published warning sign, and which kind of concern it is."""

    id: str
    kind: Concern
    about: str = ""


@dataclass(frozen=True)
class Finding:
    """What :func:`assess` noticed in one message.

    ``kind`` and ``category`` are the most pressing concern (crisis before abuse, then the
    order of the categories in the content); ``categories`` lists every category noticed, the
    most pressing first, so ``categories[0] == category``.
    """

    kind: Concern
    category: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One rule of the content: its category and the look-alike words that set it aside."""

    category: Category
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class SafetyRules:
    """The content's rules, compiled. Empty rules notice nothing."""

    categories: tuple[Category, ...] = ()
    rules: tuple[Rule, ...] = ()
    phrases: PhraseIndex = field(default_factory=PhraseIndex)
    """Every rule's patterns, in the content's order; pattern ``n`` is of rule
    ``rules[phrase_rule[n]]``."""
    phrase_rule: tuple[int, ...] = ()
    spellings: Mapping[str, str] = field(default_factory=dict)
    spelling_pattern: re.Pattern[str] | None = None
    typo_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each listed word and each of its one-letter deletions → the listed words."""
    typo_min: int = 6
    typo_keep: frozenset[str] = frozenset()
    """Real words never read as a typo of a listed word."""
    negations: frozenset[str] = frozenset()
    negation_window: int = 4
    scope_enders: frozenset[str] = frozenset()
    negation_breaks: frozenset[str] = frozenset()
    un_negators: tuple[str, ...] = ()
    unless_window: int = 6
    media: frozenset[str] = frozenset()
    reporting: re.Pattern[str] | None = None
    threat_category: Category | None = None
    clause_breaks: re.Pattern[str] = re.compile(r"[.!?;:\n]+")
    frames: re.Pattern[str] | None = None
    """A joke, a story, study or work about it, a past that is over: a message in one of these
    frames that the phrases notice may still be cleared by :attr:`clear`."""
    earnest: re.Pattern[str] | None = None
    """Words that undo a frame: the person says they mean it."""
    reader: Callable[[str], Finding | None] | None = field(default=None, compare=False)
    """Asked only when the phrases notice nothing; ``None``: the phrases alone."""
    clear: Callable[[str], bool] | None = field(default=None, compare=False)
    """Whether the second reader is all but sure a message is no concern; asked only for a
    framed message the phrases noticed. ``None``: the phrases always stand."""


def normalize(text: str) -> str:
    """Lower case, straight apostrophes, single spaces."""
    return " ".join(text.casefold().translate(_APOSTROPHES).split())


def canonical(text: str, rules: SafetyRules) -> str:
    """The one spelling the rules are written against (see the module docstring)."""
    clean = _HYPHEN.sub(" ", normalize(text))
    clean = _REPEATS.sub(r"\1", _JUNK.sub(" ", clean))
    if rules.spelling_pattern is not None:
        clean = rules.spelling_pattern.sub(lambda m: rules.spellings[m.group()], clean)
    clean = _POSSESSIVE.sub("s", _NOT.sub(r"\1 not", clean))
    if rules.typo_words:
        clean = _WORD.sub(lambda m: _typo(m.group(), rules), clean)
    return _SPACES.sub(" ", clean).strip()


def assess(text: str, rules: SafetyRules, *, second_look: bool = True) -> Finding | None:
    """What one message suggests, or ``None``: the phrases, then the reader (if any, and
    ``second_look``). What the phrases notice in a framed message (:func:`framed`: "im gonna
    die lol", "my character jumps off a bridge") stands unless the reader is all but sure it
    is no concern (``clear``)."""
    finding = by_phrases(text, rules)
    if not second_look:
        return finding
    if finding is None:
        return rules.reader(text) if rules.reader is not None else None
    if rules.clear is not None and framed(text, rules) and rules.clear(text):
        return None
    return finding


def framed(text: str, rules: SafetyRules) -> bool:
    """Whether ``text`` is told as a joke, a story, study or work, or a past that is over
    (``frames`` in the content; matched on the text in lower case, straight apostrophes), and
    the person does not say they mean it (``earnest``: "kms lol i mean it this time")."""
    if rules.frames is None:
        return False
    clean = normalize(text)
    if rules.frames.search(clean) is None:
        return False
    return rules.earnest is None or rules.earnest.search(clean) is None


def by_phrases(text: str, rules: SafetyRules) -> Finding | None:
    """What the phrase rules alone notice in one message."""
    if not rules.phrase_rule:
        return None
    clean = canonical(text, rules)
    quotes = [(m.start(), m.end()) for m in _QUOTES.finditer(clean)]
    found: list[tuple[int, int, Category]] = []
    pending, seen = [rules.phrases.search(clean)], set()
    while pending:
        hit = pending.pop()
        if hit is None or hit[1].span() in seen:
            continue
        phrase, match = hit
        seen.add(match.span())
        rule = rules.rules[rules.phrase_rule[phrase]]
        start, end = match.span()
        counted = _counts(clean, start, end, quotes, rule, rules)
        if counted == "reported" and rule.category.kind == "crisis":
            found.append((start, end, rules.threat_category or rule.category))
        elif counted is not None:
            found.append((start, end, rule.category))
        pending.append(rules.phrases.search(clean, end))
        if counted is None:  # set aside: a phrase that begins inside it may still count
            pending.extend(_inside(clean, start, end, rules))
    kept = {
        category
        for start, end, category in found
        if not any(
            s <= start and end <= e and e - s > end - start and c != category for s, e, c in found
        )
    }
    if not kept:
        return None
    ordered = tuple(
        c.id for kind in KINDS for c in rules.categories if c.kind == kind and c in kept
    )
    first = next(c for c in rules.categories if c.id == ordered[0])
    return Finding(kind=first.kind, category=first.id, categories=ordered)


def concern(text: str, rules: SafetyRules, *, second_look: bool = True) -> Concern | None:
    """``"crisis"``, ``"abuse"`` or ``None`` for one message (crisis first when both)."""
    finding = assess(text, rules, second_look=second_look)
    return finding.kind if finding is not None else None


def _inside(
    text: str, start: int, end: int, rules: SafetyRules
) -> list[tuple[int, re.Match[str]] | None]:
    """Matches that begin at a later word inside ``text[start:end]`` ("it is not that | he hits
    me"). Phrases inside a match that counts need no look: the longer phrase explains them."""
    inner = []
    for word in _WORD.finditer(text, start + 1, end):
        if text[word.start() - 1] in " ,\"'\u201c\u00ab":
            inner.append(rules.phrases.match(text, word.start()))
    return inner


def _counts(
    text: str,
    start: int,
    end: int,
    quotes: Sequence[tuple[int, int]],
    rule: Rule,
    rules: SafetyRules,
) -> Literal["own", "reported"] | None:
    """Whether a match counts: ``"own"``, ``"reported"`` (inside someone else's quoted words),
    or ``None`` (negated, a look-alike, or quoted from a song, film or book)."""
    clause_start = max((m.end() for m in rules.clause_breaks.finditer(text, 0, start)), default=0)
    tail = text[end:]
    tail = tail[: m.start()] if (m := rules.clause_breaks.search(tail)) else tail
    unless = rule.unless
    if unless is not None and unless.search(_near(text, clause_start, start, end, tail, rules)):
        return None
    quote = next(((qs, qe) for qs, qe in quotes if qs <= start and end <= qe), None)
    if quote is not None:
        before = text[: quote[0]]
        if set(_WORD.findall(before)[-4:]) & rules.media:
            return None
        if rules.reporting is not None and rules.reporting.search(before):
            return "reported"
        return "own"
    prefix = text[clause_start:start]
    if "," in prefix:
        prefix = prefix.rsplit(",", 1)[1]
    own_feeling = prefix.lstrip().startswith("i ")  # "I'm not scared of him anymore"
    un_negated = any(w in tail for w in rules.un_negators)
    if rule.category.kind == "abuse" and not own_feeling and un_negated:
        return "own"
    answered = _ANSWERED.match(text, end)
    if answered and answered.group(1) in rules.negations | {"nope", "nah"}:
        return None  # "Suicidal? No, not at all."
    words = _WORD.findall(prefix)[-rules.negation_window :] if rules.negation_window else []
    opening = _WORD.findall(text, start, end)[:1]  # "… nobody has to | after i am gone"
    for index, word in enumerate(words):
        if word in rules.negations or word.endswith("n't"):
            after = words[index + 1 :] + opening
            if after and after[0] in rules.scope_enders:
                continue
            if any(w in rules.negation_breaks for w in after) and after[:1] != ["way"]:
                continue
            return None
    return "own"


def _near(text: str, clause_start: int, start: int, end: int, tail: str, rules: SafetyRules) -> str:
    """The words around a match that its rule's look-alike words are looked for in: the same
    clause and the same comma-separated part of it, at most ``unless_window`` words either side.
    ("I can't take this heat anymore" is the heat; in "I can't take it anymore, I failed my
    exam" the exam is only the reason.)"""
    low = max(clause_start, text.rfind(",", clause_start, start) + 1)
    comma = tail.find(",")
    high = end + (comma if comma >= 0 else len(tail))
    before = [m.start() for m in _WORD.finditer(text, low, start)]
    after = [m.end() for m in _WORD.finditer(text, end, high)]
    window = rules.unless_window
    if len(before) > window:
        low = before[-window]
    if len(after) > window:
        high = after[window - 1]
    return text[low:high]


def _typo(word: str, rules: SafetyRules) -> str:
    """The listed word ``word`` is one typo away from, or ``word`` itself."""
    if len(word) < rules.typo_min or word in rules.typo_keep or "'" in word:
        return word
    candidates = rules.typo_words.get(word, ())
    if word in candidates:
        return word
    seen = set(candidates)
    for variant in deletions(word):
        seen.update(rules.typo_words.get(variant, ()))
    near = sorted(w for w in seen if _one_apart(word, w))
    return near[0] if near else word


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns ``a`` into ``b``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) != len(b):
        short, long_ = sorted((a, b), key=len)
        return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] + a[diff[1]] == b[diff[1]] + b[diff[0]]
    )


__all__ = ["KINDS", "Category", "Concern", "Finding", "SafetyRules"]
__all__ += ["assess", "by_phrases", "canonical", "concern", "framed", "normalize"]
