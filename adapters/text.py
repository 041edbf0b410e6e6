"""Cutting long replies to a platform's message limit, shared by the adapters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from dialogs.model import Reply

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


JOINED_LINES = 800
"""Characters of plain lines, at most, that go out in the next question's message (the
greeting on /start is about 530)."""


def lines_joined(replies: Sequence[Reply], limit: int, width: Width = one) -> list[Reply]:
    """Plain lines (``say``) right before a new question go out in the question's message, one
    message instead of several: the person reads the same words in the same order, and the
    chat gets one notification ("Thank you for sharing that" and the next question). Not when
    the question edits one in place or carries a file, nor for a message that stands alone (a
    summary card), lines longer than :data:`JOINED_LINES`, or past ``limit`` units in all."""
    out: list[Reply] = []
    lines: list[Reply] = []  # plain lines not yet placed
    for reply in replies:
        if _joinable(reply):
            lines.append(reply)
            continue
        if lines and reply.kind == "ask" and not reply.updates_prompt and not reply.attachment:
            text = "\n\n".join([*(r.text for r in lines), reply.text])
            if sum(len(r.text) for r in lines) <= JOINED_LINES and measure(text, width) <= limit:
                reply, lines = replace(reply, text=text), []
        out.extend(lines)
        out.append(reply)
        lines = []
    return out + lines


def _joinable(reply: Reply) -> bool:
    plain = reply.kind == "say" and not reply.alone and reply.attachment is None
    return plain and not reply.buttons and bool(reply.text)
