"""Cutting long replies to a platform's message limit, shared by the adapters."""

from __future__ import annotations

from collections.abc import Callable

Width = Callable[[str], int]
"""How many units of a platform's limit one character takes."""


def one(_: str) -> int:
    return 1


def utf16_units(ch: str) -> int:
    """Telegram counts UTF-16 code units: characters outside the BMP (most emoji) take two."""
    return 2 if ord(ch) > 0xFFFF else 1


def measure(text: str, width: Width = one) -> int:
    return len(text) if width is one else sum(width(ch) for ch in text)


def cut(text: str, limit: int, width: Width = one) -> str:
    """The longest prefix of ``text`` within ``limit`` units."""
    if width is one:
        return text[:limit]
    used = 0
    for index, ch in enumerate(text):
        used += width(ch)
        if used > limit:
            return text[:index]
    return text


def split_text(text: str, limit: int, width: Width = one) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` units, at the last paragraph break, else
    line break, else space that fits; a word longer than a whole message is cut."""
    pieces: list[str] = []
    rest = text
    while measure(rest, width) > limit:
        head = cut(rest, limit, width)
        for separator in ("\n\n", "\n", " "):
            at = head.rfind(separator)
            if at > 0:
                head = head[:at]
                break
        pieces.append(head.rstrip())
        rest = rest[len(head) :].lstrip()
    pieces.append(rest)
    return [piece for piece in pieces if piece] or [""]
