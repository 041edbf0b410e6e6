"""Reading plain answers: several numbers at once, an option's words inside a sentence, a
sentence where a name was asked, a command typed without its slash or mistyped.

Pure helpers for :mod:`dialogs.machine`; the words they listen for come from the content.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence

from dialogs.safety import normalize
from dialogs.script import Option, Script

_NUMBERS = re.compile(r"^\d{1,2}(?:(?:\s*,\s*|\s*&\s*|\s+and\s+|\s*\+\s*|\s+|\s*/\s*)\d{1,2})+$")
_WORD = re.compile(r"[\w']+")
_NEGATIONS = frozenset(
    {"not", "never", "isn't", "isnt", "wasn't", "wasnt", "don't", "dont", "doesn't", "doesnt"}
)
_DESCRIBING = frozenset(
    {"a", "an", "the", "my", "his", "her", "their", "our", "this", "that", "like", "such", "so"}
)
"""Words after which a phrase such as "it is" goes on to describe something rather than answer."""
_FIRST_PERSON = frozenset(
    {"i", "i'm", "im", "i've", "ive", "i'd", "i'll", "me", "we", "we're", "can", "please"}
)
NAME_WORDS = 6
"""More words than this is never a name."""


def _words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def several_numbers(text: str) -> list[int] | None:
    """``"2 5 4"``, ``"2, 5 and 4"`` → ``[2, 5, 4]``; ``None`` unless two numbers or more."""
    key = normalize(text).strip(" .!")
    if not _NUMBERS.match(key):
        return None
    found = [int(n) for n in re.findall(r"\d+", key)]
    return list(dict.fromkeys(found)) if len(found) >= 2 else None


def named_options(text: str, options: Sequence[Option]) -> list[Option]:
    """The options whose label or aliases appear in ``text`` as whole words, longest phrase
    first, overlapping phrases counted once, a phrase right after "not" … set aside, and so is
    one of several words that goes straight on to describe something ("it is a pattern")."""
    words = _words(text)
    if not words:
        return []
    found: list[tuple[int, int, int]] = []  # (length, start, option index)
    for index, option in enumerate(options):
        for phrase in {option.label.casefold(), *option.aliases}:
            wanted = _words(phrase)
            if not wanted or (len(wanted) == 1 and len(wanted[0]) < 2):
                continue
            size = len(wanted)
            for start in range(len(words) - size + 1):
                if words[start : start + size] == wanted:
                    found.append((size, start, index))
    taken: set[int] = set()
    chosen: list[int] = []
    for size, start, index in sorted(found, key=lambda f: (-f[0], f[1])):
        span = set(range(start, start + size))
        if span & taken:
            continue
        taken |= span
        before = words[max(0, start - 2) : start]
        if any(w in _NEGATIONS for w in before):
            continue
        after = words[start + size : start + size + 1]
        if size > 1 and after and after[0] in _DESCRIBING:
            continue  # "it is a pattern now": the start of a description, not "it is" (yes)
        if index not in chosen:
            chosen.append(index)
    return [options[i] for i in sorted(chosen)]


def looks_like_sentence(text: str) -> bool:
    """Whether ``text``, typed where a short answer such as a name was asked, is rather a
    sentence about something ("I feel awful today, can we just talk?")."""
    words = _words(text)
    if len(words) > NAME_WORDS:
        return True
    if len(words) < 3:
        return False
    return text.strip().endswith(("?", "!")) or any(w in _FIRST_PERSON for w in words)


_WHO_FIRST = re.compile(r"^(?:my|our) (?P<who>[^,():;]+?)\s*[,:;(–—-]\s*(?P<name>[^,():;]+?)\)?$")
_NAME_FIRST = re.compile(r"^(?P<name>[^,():;]+?)\s*[,(–—-]\s*(?:my|our) (?P<who>[^,():;]+?)\)?$")


def name_and_who(text: str, options: Sequence[Option]) -> tuple[str, Option] | None:
    """A name typed with who the person is, where a name was asked ("my manager, Dana",
    "Dana (my sister)", "my best friend Sam"): the name alone, and the option of ``options``
    (the next question's, the kind of connection) that the words for who they are name."""
    clean = " ".join(text.strip(" .!").split())
    for pattern in (_WHO_FIRST, _NAME_FIRST):
        found = pattern.match(clean)
        if found is not None:
            return _named(found.group("name"), found.group("who"), options)
    words = clean.split()
    if len(words) >= 3 and words[0].casefold() in ("my", "our"):  # "my best friend Sam"
        for cut in range(len(words) - 1, 1, -1):
            named = _named(" ".join(words[cut:]), " ".join(words[1:cut]), options)
            if named is not None:
                return named
    return None


def _named(name: str, who: str, options: Sequence[Option]) -> tuple[str, Option] | None:
    name = name.strip()
    if not name or len(name.split()) > 3 or name.casefold() in ("my", "our"):
        return None
    key = " ".join(who.casefold().split())
    option = next((o for o in options if key in o.aliases or key == o.label.casefold()), None)
    return None if option is None else (name, option)


def command_word(text: str, script: Script) -> str | None:
    """The command a bare word stands for (``"help"`` → ``help``), from ``[words]``."""
    key = " ".join(normalize(text).strip(" .!").split())
    return script.words.get(key)


def near_command(name: str, known: Collection[str]) -> str | None:
    """The known command a mistyped one most likely meant (``histroy`` → ``history``)."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return close[0] if close else None


__all__ = [
    "command_word",
    "looks_like_sentence",
    "named_options",
    "near_command",
    "several_numbers",
]
