"""Typed text: what it answers, in order. Pure helpers of :mod:`dialogs.machine`.

1. A side question open (leave this? stop this? are you safe? how are you since?) reads it
   first; words that are no answer to it let it go (except "are you safe?", which stays).
2. Words that suggest harm are answered first, wherever they come — unless they are the name
   of an option shown ("abusive", which leads to help in its own way).
3. With nothing open: a command word, a delivered message's words, or something on the
   person's mind — heard, kept for the reflection they may begin, and the choices offered.
4. After a long silence the question is asked again rather than answered.
5. Then the question's kind says how its text is read (:mod:`dialogs.nodekinds`): as the
   person's own words, as a place or zone, or against its options — by value, number,
   several numbers, label, alias, or an option's words inside a sentence.
"""

from __future__ import annotations

from dialogs import (
    answering,
    answers,
    care,
    commands,
    deliveries,
    flow,
    listening,
    prompts,
    sides,
    since,
    understanding,
)
from dialogs.frozen import replace
from dialogs.model import Command, State
from dialogs.nodekinds import kind_of
from dialogs.presses import pressed
from dialogs.safety import concern
from dialogs.script import Node, Script


def on_text(state: State, raw: str, script: Script, out: flow.Out) -> State:
    if state.switch_to is not None:
        chosen = answers.match_option(raw, sides.switch_choices(state, script))
        if chosen is not None:
            return sides.on_switch(state, chosen.id, state.ask, script, out)
        state = replace(state, switch_to=None)
    if state.cancelling:
        chosen = answers.match_option(raw, sides.cancel_choices(script))
        if chosen is not None:
            return sides.on_cancel(state, chosen.id, state.ask, script, out)
        state = replace(state, cancelling=False)
    if care.pending(state) is not None:
        return sides.safety_text(state, raw, script, out)
    if since.pending(state) is not None:
        answer = sides.since_text(state, raw, script)
        if answer is not None:
            return sides.on_since(state, answer, state.ask, script, out)
        state = since.without(state)
    node = flow.current(state, script)
    text = answers.clean_text(raw)
    # words that suggest harm are answered first
    worry = concern(text, script.safety, second_look=state.flow != flow.SAFETY_PLAN)
    if state.flow is None or node is None:
        if worry:
            return sides.offer_help(state, worry, care.IDLE, script, out)
        return _idle(state, text, script, out)
    if state.last_at and flow.away(state, out.at):
        if worry:  # not taken as an answer after so long, but kept, and answered first
            state = flow.keep_opening(state, text, script)
            return sides.offer_help(state, worry, node.id, script, out)
        out.say(script.say("welcome_back", flow=flow.flow_title(state, script)))
        flow.reask(state, script, out)
        return state
    exact = answers.match_option(text, prompts.visible_options(state, node, script))
    if worry and exact is None:  # an option's own name ("abusive") is that option
        return sides.worried(state, node, text, worry, script, out)
    if not text:
        out.say(script.say("empty_text"), "notice")
        flow.reask(state, script, out)
        return state
    press = deliveries.typed(state, text, out.at, script)
    if press is not None:
        return pressed(state, press, script, out)
    reads = kind_of(node).reads
    if reads == "words":
        return _words(state, node, text, script, out)
    if reads == "zone":
        return answering.typed_zone(state, node, text, script, out)
    return _options(state, node, text, script, out)


def _command(word: str, state: State, script: Script, out: flow.Out) -> State:
    return commands.on_command(state, Command(name=word, at=out.at), script, out)


def _idle(state: State, text: str, script: Script, out: flow.Out) -> State:
    """Typed text with no flow open: a command word, a delivery's words, or something on the
    person's mind — heard, kept for the reflection they may start, and the choices offered."""
    word = understanding.command_word(text, script)
    if word is not None and word != "cancel":
        return _command(word, state, script, out)
    press = deliveries.typed(state, text, out.at, script)
    if press is None and word == "cancel":  # "stop" with nothing open: the mantras, if any
        if not state.mantras.get("enabled"):
            out.say(script.say("nothing_running"))
            return state
        press = deliveries.typed(state, "stop mantras", out.at, script)
    if press is not None:
        return pressed(state, press, script, out)
    quiet = listening.is_quiet(text, script.listening)
    if not quiet:
        state = flow.keep_opening(replace(state, data={}), text, script)
        state = flow.hear(state, sides.IDLE_NODE, text, script, out)
    if not state.intro_seen:
        return flow.begin(state, "reflect", script, out)
    return flow.menu(state, script, out, text="menu" if quiet else "idle_menu")


def _words(state: State, node: Node, text: str, script: Script, out: flow.Out) -> State:
    """Text typed where words are asked for: a command word, a hello or a sentence where a
    name was asked, or the answer (acknowledged when the question listens)."""
    word = understanding.command_word(text, script)
    if word is not None:
        return _command(word, state, script, out)
    if node.short and listening.is_greeting(text, script.listening):
        again = "greeted" in state.heard
        out.say(script.say("name_greeted_again" if again else "name_greeted"))
        state = replace(state, heard=listening.remember(state.heard, "greeted"))
        return flow.show(state, node, script, out)
    following = script.nodes.get(node.next) if node.short and node.next else None
    if following is not None and following.options:
        named = understanding.name_and_who(text, following.options)
        if named is not None:  # "my manager, Dana": the name, and the kind already said
            name, who = named
            store = node.store or node.id
            state = flow.answer(state, node, {store: name}, node.next, script, out, typed=name)
            if state.node != following.id:
                return state
            return answering.choose(state, following, who, script, out)
    if node.short and understanding.looks_like_sentence(text):
        state = flow.hear(flow.keep_opening(state, text, script), node, text, script, out)
        out.say(script.say("opening_kept"))
        return flow.show(state, node, script, out)
    if len(text) > node.max_chars:
        out.say(script.say("too_long", limit=f"{node.max_chars:,}"), "notice")
        return state
    store = node.store or node.id
    return flow.answer(state, node, {store: text}, node.next, script, out, typed=text)


def _options(state: State, node: Node, text: str, script: Script, out: flow.Out) -> State:
    """Text typed where options are shown: a value, a number or several, an option's own words
    (alone or in a sentence), Done, a command word; otherwise a hint."""
    kind = kind_of(node)
    options = prompts.visible_options(state, node, script)
    option = answering.typed_value(node, text, script) if kind.typed_first else None
    if kind.applies == "toggle" and option is None:
        numbers = understanding.several_numbers(text)
        if numbers is not None:
            if all(1 <= n <= len(options) for n in numbers):
                return answering.select(state, node, [options[n - 1] for n in numbers], script, out)
            return _hint(state, node, script, out)
    option = option or answers.match_option(text, options)
    if kind.applies == "toggle" and option is None and answers.is_done_word(text):
        return answering.multi_done(state, node, script, out)
    if option is None:
        option = answering.typed_value(node, text, script)
    if option is not None:
        return answering.choose(state, node, option, script, out)
    word = understanding.command_word(text, script)
    if word is not None:
        return _command(word, state, script, out)
    named = understanding.named_options(text, options)
    if len(named) == 1:
        return answering.choose(state, node, named[0], script, out)
    if len(named) > 1 and kind.applies == "toggle":
        return answering.select(state, node, named, script, out)
    if len(named) > 1:
        labels = [f"“{o.label}”" for o in named]
        joined = f" {script.say('or_word')} ".join([", ".join(labels[:-1]), labels[-1]])
        out.say(script.say("did_you_mean", options=joined), "notice")
        flow.reask(state, script, out)
        return state
    if understanding.looks_like_sentence(text) and not listening.is_quiet(text, script.listening):
        return _heard_at_options(state, node, text, script, out)
    return _hint(state, node, script, out)


def _heard_at_options(state: State, node: Node, text: str, script: Script, out: flow.Out) -> State:
    """Something on the person's mind, typed where options are shown ("she stopped answering
    and I keep rereading our chats"): heard, kept with the reflection in their words, and the
    same question asked again without a word about choosing wrong."""
    state = flow.hear(flow.keep_opening(state, text, script), node, text, script, out)
    out.say(script.say("options_heard"))
    flow.reask(state, script, out)
    return state


def _hint(state: State, node: Node, script: Script, out: flow.Out) -> State:
    out.say(script.say(kind_of(node).hint, min=node.min, max=node.max), "notice")
    flow.reask(state, script, out)
    return state
