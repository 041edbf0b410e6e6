"""The terminal chat: the console adapter.

Same shape as every other adapter: two pure functions that translate, and a small runner.

* :func:`to_event` turns one typed line into an event: ``/name arg`` is a :class:`Command`, a
  number naming one of the choices just shown is a :class:`Pick` of that choice, anything else is
  :class:`Text`.
* :func:`render` turns a reply into the text printed for it: the message, its choices numbered
  ``1)``, ``2)`` … (listed ``·`` where a typed number is an answer in itself, a number of
  days), and a hint line under a question; an aside is marked ``~``, the answer just given is
  echoed ``→``; in a terminal, long lines are wrapped between words.
* :func:`run_console` reads lines (from a terminal or a pipe), hands each event to the
  conversation service and prints what comes back.
* :class:`ConsoleDeliverer` is the terminal's :class:`bot.ports.delivery.Deliverer`: while the chat
  runs, a scheduled mantra or reminder is printed between the turns, its choices given as
  words to type (so the open question's numbers still mean what they did).

There is no dialog logic here: what to ask next is ``dialogs/``'s business.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import re
import shutil
import sys
import textwrap
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from adapters.console_files import files_of, forget_files, save_attachment
from bot.errors import DeliveryFailed
from bot.ports.store import Address, UserKey
from dialogs.model import Attachment, Button, Command, Event, Pick, Reply, Text

if TYPE_CHECKING:
    from bot.core import Core

__all__ = ["PLATFORM", "ConsoleDeliverer", "render", "run_console", "to_event"]

logger = logging.getLogger(__name__)

PLATFORM = "console"

_COMMAND = re.compile(r"/([A-Za-z][A-Za-z0-9_]*)(?:\s+(.*))?", re.DOTALL)
_NUMBER = re.compile(r"\d{1,3}")
_ASIDE = "  ~ "
_LEAD = re.compile(r"\s*(?:\d+\)|→|~|·)?\s*")
_FLOW_COMMANDS = "/back /skip /cancel"


@dataclass(frozen=True)
class ConsoleWords:
    """The terminal's own wording (``console.*`` in the content), read once per chat."""

    choose: str
    choose_or_write: str
    days: str
    write: str
    type_choices: str
    or_: str
    file_saved: str
    file_not_saved: str
    goodbye: str
    apology: str

    @classmethod
    def of(cls, say: Callable[..., str]) -> ConsoleWords:
        """The wording from ``say`` (:meth:`bot.core.Core.say`)."""
        return cls(
            choose=say("console.hint_choose"),
            choose_or_write=say("console.hint_choose_or_write"),
            days=say("console.hint_days"),
            write=say("console.hint_write"),
            type_choices=say("console.hint_type", choices="{choices}"),
            or_=say("console.or"),
            file_saved=say("console.file_saved", path="{path}"),
            file_not_saved=say("console.file_not_saved"),
            goodbye=say("console.goodbye"),
            apology=say("error.generic"),
        )


# --------------------------------------------------------------------------------------------
# Translation: pure functions.


def to_event(line: str, last_buttons: Sequence[Button], at: datetime) -> Event | None:
    """Translate one line read from the terminal.

    ``line`` is what ``readline()`` returned, so ``""`` means the input ended: that gives
    ``None``. ``last_buttons`` are the choices shown since the last line, in the order they were
    numbered. Only the line ending is removed from typed text; what the person typed is theirs.
    """
    if line == "":
        return None
    text = line.removesuffix("\n").removesuffix("\r")
    bare = text.strip()
    command = _COMMAND.fullmatch(bare)
    if command is not None:
        return Command(name=command.group(1).lower(), at=at, arg=(command.group(2) or "").strip())
    if _NUMBER.fullmatch(bare) and 1 <= int(bare) <= len(last_buttons):
        return Pick(data=last_buttons[int(bare) - 1].data, at=at)
    return Text(text=text, at=at)


def numbered_buttons(reply: Reply) -> tuple[Button, ...]:
    """The buttons of ``reply`` that a typed number picks (none where a number is a value)."""
    return () if reply.numbers_are_values else reply.buttons


def render(
    reply: Reply,
    words: ConsoleWords,
    *,
    first: int = 1,
    saved_to: Path | None = None,
    width: int | None = None,
    typed_buttons: bool = False,
) -> str:
    """The text printed for ``reply``, without a trailing newline.

    Choices are numbered from ``first`` so that the choices of several replies in one turn never
    share a number; where a typed number is an answer in itself (a number of days) they are
    listed without numbers, to be chosen by their words. ``typed_buttons`` lists them as words
    to type (a delivered mantra, which arrives between turns). ``saved_to`` is where the reply's
    attachment was written; ``width`` wraps long lines between words.
    """
    if reply.kind == "answer":
        lines = [f"  → {' '.join(reply.text.split())}"]
    elif reply.kind == "notice":
        lines = [_ASIDE + line if line else _ASIDE.rstrip() for line in reply.text.splitlines()]
    else:
        lines = reply.text.splitlines() or [""]
    if typed_buttons and reply.buttons:
        choices = words.or_.join(f"“{b.label}”" for b in reply.buttons)
        lines.append(f"  ({words.type_choices.replace('{choices}', choices)})")
    elif reply.numbers_are_values:
        lines.extend(f"  · {button.label}" for button in reply.buttons)
    else:
        lines.extend(
            f"  {number}) {button.label}" for number, button in enumerate(reply.buttons, first)
        )
    if reply.attachment is not None:
        where = (
            words.file_saved.replace("{path}", str(saved_to))
            if saved_to is not None
            else words.file_not_saved
        )
        lines.append(f"  [file] {where}")
    if reply.kind == "ask":
        lines.append(_hint(reply, words))
    if width is not None:
        lines = [wrapped for line in lines for wrapped in _wrap(line, width)]
    return "\n".join(lines)


def _wrap(line: str, width: int) -> list[str]:
    """``line`` broken between words to fit ``width``, continued under its own text."""
    if len(line) <= width:
        return [line]
    lead = _LEAD.match(line)
    hang = " " * (lead.end() if lead else 0)
    wrapped = textwrap.wrap(
        line, width, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False
    )
    return wrapped or [line]


def _hint(reply: Reply, words: ConsoleWords) -> str:
    if reply.numbers_are_values:
        how = words.days
    elif reply.buttons and reply.free_text:
        how = words.choose_or_write
    elif reply.buttons:
        how = words.choose
    else:
        how = words.write
    return f"  ({how} · {_FLOW_COMMANDS} · /help)"


# --------------------------------------------------------------------------------------------
# The runner.


def local_user() -> str:
    """Who is at the terminal: the process's real user id. Not ``$USER`` or ``$LOGNAME``,
    which anyone can set to someone else's name (``USER=alex threshold chat``)."""
    return str(os.getuid())


class _LineReader:
    """Reads lines on a daemon thread and hands them to the event loop.

    A daemon thread (rather than the loop's default executor) lets Ctrl-C end the chat at once:
    the interpreter does not wait for a ``readline()`` that may never return. A real file
    descriptor is read with ``os.read`` so the blocked thread holds no lock of ``sys.stdin``.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str] = asyncio.Queue()
        self._thread = threading.Thread(target=self._pump, name="console-stdin", daemon=True)
        self._thread.start()

    async def readline(self) -> str:
        return await self._lines.get()

    def _put(self, line: str) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line)

    def _pump(self) -> None:
        try:
            read = self._reader()
            while line := read():
                self._put(line)
        except (OSError, ValueError):
            logger.warning("console input could not be read", exc_info=True)
        self._put("")

    def _reader(self) -> Callable[[], str]:
        try:
            fd = self._stream.fileno()
        except (OSError, ValueError, AttributeError):
            return self._stream.readline
        encoding = getattr(self._stream, "encoding", None) or "utf-8"
        return _FdLines(fd, encoding).readline


class _FdLines:
    """``readline()`` over a raw file descriptor, decoding incrementally."""

    def __init__(self, fd: int, encoding: str) -> None:
        self._fd = fd
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = ""
        self._eof = False

    def readline(self) -> str:
        while "\n" not in self._pending and not self._eof:
            chunk = os.read(self._fd, 65536)
            self._eof = not chunk
            self._pending += self._decoder.decode(chunk, final=self._eof)
        line, newline, rest = self._pending.partition("\n")
        self._pending = rest
        return line + newline


class ConsoleDeliverer:
    """Prints deliveries for the person chatting in this terminal (and no one else)."""

    platform = PLATFORM

    def __init__(
        self,
        user_id: str,
        write: Callable[[str], object],
        words: ConsoleWords,
        *,
        prompt: bool,
        width: int | None = None,
    ) -> None:
        self._user_id = user_id
        self._words = words
        self._write = write
        self._prompt = prompt
        self._width = width

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> None:
        """Print what arrived. Its choices are words to type, so that the numbers of the
        question open stay what they were."""
        if address.platform != PLATFORM or address.chat_id != self._user_id:
            raise DeliveryFailed("That person is not chatting in this terminal.")
        try:
            for reply in replies:
                self._write(
                    "\n" + render(reply, self._words, typed_buttons=True, width=self._width)
                )
            if self._prompt:
                self._write("> ")
        except (OSError, ValueError) as exc:
            raise DeliveryFailed(f"The terminal could not show it: {exc}") from exc


async def run_console(
    core: Core,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    user_id: str | None = None,
    exports_dir: Path | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    echo: bool = False,
    width: int | None = None,
) -> None:
    """Chat in the terminal until the input ends.

    The person is ``UserKey("console", <the real user id>)``; the chat opens with ``/start`` so
    a newcomer is greeted and someone returning is shown where they were. ``stdin`` and
    ``stdout`` default to the process's own; files handed over (an export, a chart) go to a
    folder of this person's under ``exports_dir`` (by default ``exports/`` beside the database),
    and ``/forget`` deletes it. While the chat runs, scheduled messages for this person are
    printed as they come (:class:`ConsoleDeliverer`). ``echo`` prints each line read after a
    ``> `` (a transcript of a chat typed from a file); ``width`` wraps long lines (by default,
    the terminal's width, when there is one).
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    key = UserKey(PLATFORM, user_id or local_user())
    address = Address(PLATFORM, key.user_id)
    exports = files_of(exports_dir or core.settings.files_dir / "exports", key)

    async def forgotten(who: UserKey) -> None:
        if who == key:
            removed = await asyncio.to_thread(forget_files, exports)
            logger.info("console: %d file(s) of %s deleted with their data", removed, key)

    unhook = core.conversations.on_forget(forgotten)
    words = ConsoleWords.of(core.say)
    interactive = _isatty(stdin) and _isatty(stdout)
    if width is None and interactive:
        width = shutil.get_terminal_size().columns - 1
    shown: list[Button] = []

    def write(text: str) -> None:
        stdout.write(text + "\n")
        stdout.flush()

    async def turn(event: Event) -> None:
        try:
            replies = await core.conversations.handle(key, event, address=address)
        except Exception:
            logger.exception("console turn failed (%s)", type(event).__name__)
            write("\n" + words.apology)
            return
        numbered: list[Button] = []
        asked = False
        for reply in replies:
            saved_to = _save(reply.attachment, exports) if reply.attachment else None
            if reply.kind != "answer":
                write("")  # a blank line between messages, as a chat shows separate bubbles
            write(render(reply, words, first=len(numbered) + 1, saved_to=saved_to, width=width))
            numbered.extend(numbered_buttons(reply))
            asked = asked or reply.kind == "ask"
        if numbered or asked:
            shown[:] = numbered

    def show(text: str) -> None:
        stdout.write(text if text == "> " else text + "\n")
        stdout.flush()

    deliverer = ConsoleDeliverer(key.user_id, show, words, prompt=interactive, width=width)
    reader = _LineReader(stdin)
    try:
        async with core.serving(deliverer):
            await _to_the_end(turn(Command("start", clock())))
            while True:
                if interactive:
                    stdout.write("> ")
                    stdout.flush()
                line = await reader.readline()
                event = to_event(line, shown, clock())
                if event is None:
                    break
                if echo:
                    write(f"> {line.rstrip()}")
                await _to_the_end(turn(event))
    except BrokenPipeError:  # nobody reads the output any more (`threshold chat | head`)
        logger.info("console output closed; the chat ends")
        return
    finally:  # the input ended, Ctrl-C cancelled the chat, or the output closed
        unhook()
        with contextlib.suppress(BrokenPipeError, ValueError):
            write("\n" + words.goodbye)


async def _to_the_end(work: Coroutine[Any, Any, None]) -> None:
    """Run one turn to its end even if the chat is cancelled meanwhile (SIGTERM, Ctrl-C): its
    replies are printed, then the cancellation goes on. A second cancellation abandons it."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await task
        raise


def _save(attachment: Attachment, directory: Path) -> Path | None:
    try:
        return save_attachment(attachment, directory)
    except OSError:
        logger.warning("could not write an attachment under %s", directory, exc_info=True)
        return None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False
