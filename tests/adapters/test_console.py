"""The console adapter: translation on literal values, then whole chats through real parts."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.console import local_user, render, run_console, to_event
from adapters.console_files import save_attachment
from bot.conversations import Conversations
from bot.core import Core, open_core
from bot.ports.store import Address, Store, UserKey
from bot.settings import Settings
from dialogs.model import Attachment, Button, Command, Event, Pick, Reply, Text
from tests.support.words import APOLOGY, GOODBYE, SCRIPT
from tests.support.words import CONSOLE as WORDS

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
KINDS = (
    Button("thr:reflect.kind:romantic:3", "Romantic"),
    Button("thr:reflect.kind:friendship:3", "Friendship"),
    Button("thr:reflect.kind:family:3", "Family"),
)


# --------------------------------------------------------------------------------------------
# to_event


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/cancel\n", Command("cancel", AT)),
        ("/Reflect\n", Command("reflect", AT)),
        ("  /checkin  \n", Command("checkin", AT)),
        ("/mantras 07:30 Europe/Berlin\n", Command("mantras", AT, arg="07:30 Europe/Berlin")),
        ("/back", Command("back", AT)),
        ("/nosuchthing\n", Command("nosuchthing", AT)),
        ("/skip\r\n", Command("skip", AT)),
    ],
)
def test_a_slash_line_is_a_command(line: str, expected: Command) -> None:
    assert to_event(line, KINDS, AT) == expected


@pytest.mark.parametrize(
    ("line", "index"), [("1\n", 0), ("2\n", 1), (" 3 \n", 2), ("03\n", 2), ("\u0663\n", 2)]
)
def test_a_number_of_a_choice_shown_picks_that_choice(line: str, index: int) -> None:
    assert to_event(line, KINDS, AT) == Pick(KINDS[index].data, AT)


@pytest.mark.parametrize("line", ["0\n", "4\n", "12\n", "-1\n", "1.5\n", "1 2\n", "1234\n"])
def test_a_number_outside_the_choices_is_text(line: str) -> None:
    assert to_event(line, KINDS, AT) == Text(line.removesuffix("\n"), AT)


def test_a_number_with_no_choices_shown_is_text() -> None:
    assert to_event("2\n", (), AT) == Text("2", AT)


@pytest.mark.parametrize(
    "line",
    [
        "Sam\n",
        "  leading and trailing spaces  \n",
        "\n",
        "   \n",
        "/\n",
        "/ not a command\n",
        "a/b\n",
        "🙂🙂\n",
        "\u202eright-to-left \u05e9\u05dc\u05d5\u05dd\n",
        "bell\x07 and \x1b[31m escape\n",
        "x" * 10_000 + "\n",
    ],
)
def test_everything_else_is_text_with_only_the_line_ending_removed(line: str) -> None:
    assert to_event(line, KINDS, AT) == Text(line.removesuffix("\n"), AT)


@given(st.text().filter(lambda text: "\n" not in text))
def test_any_line_is_some_event_and_text_is_kept_whole(line: str) -> None:
    event = to_event(line + "\n", KINDS, AT)
    assert isinstance(event, Command | Pick | Text)
    if isinstance(event, Text):
        assert event.text == line.removesuffix("\r")


def test_the_end_of_input_is_no_event() -> None:
    assert to_event("", KINDS, AT) is None


def test_a_last_line_without_a_newline_is_still_read() -> None:
    assert to_event("Sam", KINDS, AT) == Text("Sam", AT)


# --------------------------------------------------------------------------------------------
# render


def test_a_question_with_choices_numbers_them_and_hints() -> None:
    reply = Reply("What kind of connection is it?", kind="ask", buttons=KINDS)
    assert render(reply, WORDS) == (
        "What kind of connection is it?\n"
        "  1) Romantic\n"
        "  2) Friendship\n"
        "  3) Family\n"
        "  (Type a number · /back /skip /cancel · /help)"
    )


def test_choices_can_be_numbered_on_from_an_earlier_reply() -> None:
    reply = Reply("Pick", kind="say", buttons=KINDS[:2])
    assert render(reply, WORDS, first=4) == "Pick\n  4) Romantic\n  5) Friendship"


def test_a_question_that_takes_words_says_so() -> None:
    reply = Reply("Who is this about?", kind="ask", free_text=True)
    assert (
        render(reply, WORDS)
        == "Who is this about?\n  (Write your answer · /back /skip /cancel · /help)"
    )


def test_choices_and_words_together() -> None:
    reply = Reply("Is it reciprocal?", kind="ask", buttons=KINDS[:1], free_text=True)
    assert render(reply, WORDS).endswith(
        "  1) Romantic\n  (Type a number or write your answer · /back /skip /cancel · /help)"
    )


def test_a_plain_message_is_printed_as_it_is() -> None:
    assert render(Reply("Hello.\n\nSecond paragraph."), WORDS) == "Hello.\n\nSecond paragraph."


def test_an_empty_message_is_one_empty_line() -> None:
    assert render(Reply(""), WORDS) == ""


def test_a_notice_is_marked_as_an_aside_on_every_line() -> None:
    reply = Reply("That button belongs to an earlier question.\n\nNothing changed.", kind="notice")
    assert render(reply, WORDS) == (
        "  ~ That button belongs to an earlier question.\n  ~\n  ~ Nothing changed."
    )


def test_the_answer_just_given_is_echoed_on_one_line() -> None:
    assert render(Reply("Their tone changed,\nGrowing distance", kind="answer"), WORDS) == (
        "  → Their tone changed, Growing distance"
    )


def test_an_attachment_names_where_it_was_saved() -> None:
    reply = Reply("Here is everything.", attachment=Attachment("export.json", "x", b"{}"))
    assert render(reply, WORDS, saved_to=Path("data/exports/ab12/export.json")) == (
        "Here is everything.\n  [file] saved to data/exports/ab12/export.json"
    )


def test_an_attachment_that_could_not_be_saved_says_so() -> None:
    reply = Reply("Here is everything.", attachment=Attachment("export.json", "x", b"{}"))
    assert render(reply, WORDS).endswith("[file] could not be saved")


# --------------------------------------------------------------------------------------------
# save_attachment


def test_a_second_file_of_the_same_name_replaces_the_first(tmp_path: Path) -> None:
    first = save_attachment(Attachment("export.json", "application/json", b"1"), tmp_path / "ex")
    second = save_attachment(Attachment("export.json", "application/json", b"2"), tmp_path / "ex")
    assert first == second == tmp_path / "ex" / "export.json"
    assert second.read_bytes() == b"2" and [p.name for p in (tmp_path / "ex").iterdir()] == [
        "export.json"
    ]


def test_an_attachment_name_cannot_leave_the_directory(tmp_path: Path) -> None:
    saved = save_attachment(Attachment("../../escape.txt", "text/plain", b"x"), tmp_path / "ex")
    assert saved.parent == tmp_path / "ex"
    assert saved.name == "escape.txt"


# --------------------------------------------------------------------------------------------
# The runner, through the real core on a real SQLite file.

CHOICE = re.compile(r"^  (\d+)\) (.+)$", re.MULTILINE)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    database = tmp_path / "data" / "threshold.db"
    settings = Settings(_env_file=None, database_url=f"sqlite:///{database}")
    async with open_core(settings) as opened:
        yield opened


async def chat(core: Core, typed: str, *, exports_dir: Path | None = None) -> str:
    """Everything the console prints while ``typed`` is read from its input."""
    out = io.StringIO()
    await run_console(
        core, stdin=io.StringIO(typed), stdout=out, user_id="tester", exports_dir=exports_dir
    )
    return out.getvalue()


def rows(core: Core, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(core.settings.sqlite_path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


async def test_a_newcomer_is_greeted_and_asked_the_first_question(core: Core) -> None:
    shown = await chat(core, "")
    assert shown.startswith("\n" + core.script.say("intro").splitlines()[0])
    assert "  (Type a number or write your answer" in shown or "  (Write your answer" in shown
    assert shown.endswith("\n" + GOODBYE + "\n")


async def test_the_terminal_user_is_stored_under_the_console_platform(core: Core) -> None:
    await chat(core, "Sam\n")
    users = rows(core, "SELECT platform, platform_user_id, address_platform FROM users")
    assert users == [("console", "tester", "console")]


async def test_without_a_user_id_the_real_user_id_is_used(core: Core) -> None:
    await run_console(core, stdin=io.StringIO(""), stdout=io.StringIO())
    assert rows(core, "SELECT platform_user_id FROM users") == [(str(os.getuid()),)]
    assert local_user() == str(os.getuid())


async def test_a_user_name_set_in_the_environment_is_not_an_identity(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "someone-else")
    await run_console(core, stdin=io.StringIO(""), stdout=io.StringIO())
    assert rows(core, "SELECT platform_user_id FROM users") == [(str(os.getuid()),)]


async def test_a_typed_number_picks_the_choice_shown_with_it(core: Core) -> None:
    shown = await chat(core, "Sam\n2\n")
    before, echo = shown.split("\n  → ", 1)
    choices = dict(CHOICE.findall(before.rsplit("\n\n", 1)[-1]))
    assert echo.startswith(choices["2"] + "\n")


async def test_a_number_with_no_choice_behind_it_reaches_the_dialog_as_text(core: Core) -> None:
    shown = await chat(core, "Sam\n99\n")
    assert "\n  → " not in shown  # nothing was chosen
    asked_with_choices = [block for block in shown.split("\n\n") if "\n  2) " in block]
    assert len(asked_with_choices) == 2  # the question was asked again


async def test_a_second_chat_on_the_same_file_resumes_at_the_same_question(
    core: Core,
) -> None:
    first = await chat(core, "Sam\n")
    last_question = first.rstrip().split("\n\n")[-2].splitlines()[0]
    again = await chat(core, "")
    assert last_question in again
    assert core.script.say("intro").splitlines()[0] not in again


async def test_an_export_is_written_to_a_file_and_its_path_printed(
    core: Core, tmp_path: Path
) -> None:
    shown = await chat(core, "Sam\n/export\n", exports_dir=tmp_path / "exports")
    saved = [p for p in (tmp_path / "exports").rglob("*") if p.is_file()]
    assert len(saved) == 1
    assert f"saved to {saved[0]}" in shown
    assert json.loads(saved[0].read_text(encoding="utf-8"))


async def test_by_default_files_go_to_exports_beside_the_database(core: Core) -> None:
    await chat(core, "/export\n")
    exports = core.settings.sqlite_path.parent / "exports"
    assert [p.suffix for p in exports.rglob("*") if p.is_file()] == [".json"]


async def test_input_from_a_pipe_is_read_the_same_way(core: Core) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"Sam\n2\n")
    os.close(write_end)
    out = io.StringIO()
    with reading(read_end) as stdin:
        await run_console(core, stdin=stdin, stdout=out, user_id="tester")
    assert "  → " in out.getvalue()
    assert out.getvalue().endswith(GOODBYE + "\n")


async def test_cancelling_the_chat_says_goodbye(core: Core) -> None:
    # What Ctrl-C does: asyncio cancels the task while it waits for a line.
    read_end, write_end = os.pipe()
    screen = Screen()
    with reading(read_end) as stdin:
        task = asyncio.create_task(run_console(core, stdin=stdin, stdout=screen, user_id="t"))
        await asyncio.wait_for(screen.asked.wait(), timeout=10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        os.close(write_end)  # lets the reading thread finish
    assert screen.getvalue().endswith(GOODBYE + "\n")


class Screen(io.StringIO):
    """An output that tells when a question has been printed."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()

    def write(self, text: str) -> int:
        if "  (" in text and "/cancel" in text:
            self.asked.set()
        return super().write(text)


def reading(fd: int) -> TextIO:
    return open(fd, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The runner against a stand-in service: numbering across replies, and the error handler.


@dataclass
class ScriptedConversations:
    """A stand-in for ``core.conversations`` that answers from a list and records the events."""

    answers: list[list[Reply] | Exception]
    seen: list[tuple[UserKey, Event, Address | None]] = field(default_factory=list)

    async def handle(self, key: UserKey, event: Event, *, address: Address | None) -> list[Reply]:
        self.seen.append((key, event, address))
        answer = self.answers.pop(0) if self.answers else []
        if isinstance(answer, Exception):
            raise answer
        return answer

    def on_forget(self, hook: object) -> Callable[[], None]:
        return lambda: None


async def run_stand_in(
    tmp_path: Path, typed: str, *answers: list[Reply] | Exception
) -> tuple[str, ScriptedConversations]:
    service = ScriptedConversations(list(answers))
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'x.db'}")
    out = io.StringIO()
    conversations = cast(Conversations, service)  # the terminal's side only; no store is read
    core = Core(settings, cast(Store, None), conversations, SCRIPT)
    await run_console(core, stdin=io.StringIO(typed), stdout=out, user_id="u", clock=lambda: AT)
    return out.getvalue(), service


async def test_choices_of_several_replies_in_one_turn_are_numbered_on(tmp_path: Path) -> None:
    turn = [
        Reply("Here is your summary.", buttons=(Button("thr:a:x:1", "Export"),)),
        Reply(
            "Mantras?", kind="ask", buttons=(Button("thr:b:y:1", "Yes"), Button("thr:b:n:1", "No"))
        ),
    ]
    shown, service = await run_stand_in(tmp_path, "3\n1\n", turn)
    assert "  1) Export\n" in shown and "  2) Yes\n" in shown and "  3) No\n" in shown
    assert [event for _, event, _ in service.seen] == [
        Command("start", AT),
        Pick("thr:b:n:1", AT),
        Pick("thr:a:x:1", AT),  # a turn without choices keeps the earlier numbers
    ]
    assert {(key, address) for key, _, address in service.seen} == {
        (UserKey("console", "u"), Address("console", "u"))
    }


async def test_a_new_question_without_choices_forgets_the_old_numbers(tmp_path: Path) -> None:
    _, service = await run_stand_in(
        tmp_path, "1\n1\n", [Reply("Pick", kind="ask", buttons=KINDS)], [Reply("Who?", kind="ask")]
    )
    events = [event for _, event, _ in service.seen]
    assert events == [Command("start", AT), Pick(KINDS[0].data, AT), Text("1", AT)]


async def test_a_failing_turn_is_apologised_for_and_the_chat_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shown, service = await run_stand_in(
        tmp_path, "Sam\nSam again\n", [Reply("Hi")], RuntimeError("boom"), [Reply("Thanks")]
    )
    assert shown == f"\nHi\n\n{APOLOGY}\n\nThanks\n\n{GOODBYE}\n"
    assert len(service.seen) == 3
    assert "Sam" not in caplog.text  # what a person typed never reaches the log
    assert "console turn failed (Text)" in caplog.text
