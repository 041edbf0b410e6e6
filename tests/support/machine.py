"""A `Chat` that feeds the dialog machine's `step()` by hand, and states built at a node.

`Chat` is not a stand-in for anything: it keeps one person's state and clock, calls the real
`step()` with literal events, and remembers every `Step` so a test can compare the data that
came back. Tests that are about one step build their `State` literally and call `step()` directly.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dialogs import (
    Button,
    Command,
    Event,
    Pick,
    Reply,
    Script,
    State,
    Step,
    Text,
    Unsupported,
    step,
)

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
TICK = timedelta(minutes=1)


class Chat:
    """One person talking to the machine, one event at a time, a minute apart."""

    def __init__(self, script: Script, state: State | None = None, at: datetime = START) -> None:
        self.script = script
        self.state = state if state is not None else State()
        self.at = at
        self.steps: list[Step] = []

    # -- sending ------------------------------------------------------------------------------

    def send(self, event: Event) -> Step:
        result = step(self.state, event, self.script)
        self.state = result.state
        self.steps.append(result)
        return result

    def tick(self, delta: timedelta = TICK) -> datetime:
        self.at += delta
        return self.at

    def text(self, text: str, *, after: timedelta = TICK) -> Step:
        return self.send(Text(text, self.tick(after)))

    def command(self, name: str, arg: str = "", *, after: timedelta = TICK) -> Step:
        return self.send(Command(name, self.tick(after), arg))

    def pick(self, data: str, *, after: timedelta = TICK) -> Step:
        return self.send(Pick(data, self.tick(after)))

    def unsupported(self, what: str) -> Step:
        return self.send(Unsupported(what, self.tick()))

    def press(self, label: str, *, after: timedelta = TICK) -> Step:
        """Press the button labelled ``label`` (a ``✓`` mark is ignored) on the open question."""
        return self.pick(self.button(label).data, after=after)

    # -- reading ------------------------------------------------------------------------------

    @property
    def last(self) -> Step:
        return self.steps[-1]

    @property
    def question(self) -> Reply:
        """The most recent question shown (the one whose buttons are current)."""
        for result in reversed(self.steps):
            for reply in reversed(result.replies):
                if reply.kind == "ask":
                    return reply
        raise AssertionError("no question has been asked yet")

    def button(self, label: str) -> Button:
        for button in self.question.buttons:
            if button.label.removeprefix("✓ ") == label:
                return button
        shown = [b.label for b in self.question.buttons]
        raise AssertionError(f"no button {label!r} on the open question; shown: {shown}")

    def all_buttons(self) -> list[Button]:
        return [b for result in self.steps for reply in result.replies for b in reply.buttons]

    # -- walking ------------------------------------------------------------------------------

    def answer(self) -> None:
        """Answer the open question plainly: the first option, or a few words, or a 4."""
        node = self.script.node(self.state.node or "")
        if node.type == "text":
            self.text("Sam" if node.store == "name" else "a few words")
        elif node.type == "multi":
            self.pick(self.question.buttons[0].data)
            self.press(node.done_label)
        elif node.type == "rating":
            self.press("4")
        else:
            self.pick(self.question.buttons[0].data)

    def reflect_on_sam(self) -> Step:
        """A whole first reflection, with buttons, typed answers and skips; ends at the offer."""
        self.command("start")
        return self.reflect_on_sam_from_the_name()

    def reflect_on_sam_from_the_name(self) -> Step:
        """The rest of :meth:`reflect_on_sam`, from "Who is this about?" to the offer."""
        self.text("Sam")
        self.press("Romantic")
        self.press("Their tone changed")
        self.press("Slow or no replies")
        self.press("Done")
        self.press("A pattern")
        self.press("Partly")
        self.text("Some days it still does.")
        self.press("Sometimes")
        self.text("4/5")
        self.press("Skip")
        self.press("Fear of being alone")
        self.command("skip")
        self.press("Draining")
        self.press("Done")
        self.press("Sometimes")
        self.text("I see value in myself.")
        self.press("Let go of this connection")
        return self.text("10")

    def walk_to(self, node_id: str) -> Chat:
        """Answer plainly until ``node_id`` is the open question."""
        for _ in range(60):
            if self.state.node == node_id:
                return self
            if self.state.node is None:
                raise AssertionError(f"the flow ended before reaching {node_id}")
            self.answer()
        raise AssertionError(f"{node_id} was never reached")


def at_node(node: str, *, ask: int = 5, **fields: Any) -> State:
    """A literal state with ``node`` open: intro seen, started and last active at ``START``."""
    base = State(
        flow=node.split(".", 1)[0],
        node=node,
        ask=ask,
        started_at=START.isoformat(),
        last_at=START.isoformat(),
        intro_seen=True,
    )
    return replace(base, **fields)
