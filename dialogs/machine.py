"""The engine: ``step(state, event, script) -> Step``. Pure, synchronous, total.

Theory of operation
-------------------

A person's conversation is one :class:`~dialogs.model.State`. Each thing they do is one
:data:`~dialogs.model.Event` — a typed :class:`Text`, a :class:`Command`, a :class:`Pick` of a
button, something :class:`Unsupported` — and :func:`step` turns the state and the event into
the next state, the replies to show and the effects for the service to perform (store a
record, schedule a reminder, show the history …). Nothing else happens here: no clock (the
time comes on the event), no I/O, no randomness, so the same state and event always give the
same step, and a test can compare what comes back.

Where the person is:

* **Idle** — ``flow`` is ``None``: words typed are heard, and the choices offered.
* **In a flow** — ``flow`` and ``node`` name the open question (a node of the content, whose
  *kind* says how it is asked and answered: :mod:`dialogs.nodekinds`). Answering it moves the
  flow on (:mod:`dialogs.flow`): to the next question, or through nodes that are no question
  (a record finished, an effect performed, the safety question asked), until ``@end``.
* **A side question open** — beside the flow (or with nothing open), one question at a time:
  ``switch_to`` (leave this for another flow?), ``cancelling`` (stop this here?),
  ``safety_then`` (are you safe right now?), ``since_then`` (how are you since?). It is asked
  instead of the flow's question until it is answered (:mod:`dialogs.sides`).

Every question shown carries ``ask``, a counter bumped each time a question is shown; a button
carries the ``ask`` it was shown at, so a press on an older question is *stale* — answered, and
the open question asked again — and a press no question ever had is *forged*, never applied
(:mod:`dialogs.presses`). Typed text is read in a fixed order (:mod:`dialogs.typed`): side
question, words that suggest harm, idle, long silence, then the question's kind. Commands come
from one table (:mod:`dialogs.commands`). Replies to a delivered mantra or reminder, and the
buttons under ``/history``, answer no question: they are *asides*, and leave the open question
and the silence before it as they were.

Every event gets an answer. Only programmer errors raise (an event without a time zone, a
script that does not match the state).
"""

from __future__ import annotations

from datetime import UTC

from dialogs import answers, commands, flow, presses, sides, since, typed
from dialogs.frozen import replace
from dialogs.model import Command, Event, Pick, State, Step, Text
from dialogs.script import Script

__all__ = ["step"]


def step(state: State, event: Event, script: Script) -> Step:
    """Advance ``state`` by one ``event``: the new state, the replies to show, the effects to do."""
    if event.at.tzinfo is None:
        raise ValueError("event.at must be timezone-aware")
    out = flow.Out(at=event.at.astimezone(UTC))
    locale = getattr(event, "locale", None)
    if isinstance(locale, str) and locale and locale.casefold()[:16] != state.locale:
        state = replace(state, locale=locale.casefold()[:16])
    if since.due(state, out.at, script) and sides.opens(event):
        state = sides.ask_since(state, event, script, out)
    elif isinstance(event, Command):
        state = commands.on_command(state, event, script, out)
    elif isinstance(event, Pick):
        state = presses.on_pick(state, event.data, script, out)
    elif isinstance(event, Text):
        state = typed.on_text(state, event.text, script, out)
    else:
        what = answers.clean_text(event.what)[:40]
        key = f"unsupported_{what}" if f"unsupported_{what}" in script.messages else "unsupported"
        thing = f"thing.{what}" if f"thing.{what}" in script.messages else "thing.other"
        out.say(script.say(key, what=script.say(thing)), "notice")
        flow.reask(state, script, out)
    if not out.aside:
        state = replace(state, last_at=out.at.isoformat())
    return Step(state=state, replies=tuple(out.replies), effects=tuple(out.effects))
