"""Threshold's dialog: a pure, synchronous state machine and the content it runs.

``step(state, event, script)`` is the whole interface: an event goes in, the next state, the
replies and the effects come out. ``load_script()`` loads and validates the content once.
"""

from dialogs.codec import InvalidState, dumps, loads, state_from_json, state_to_json
from dialogs.loading import load_script
from dialogs.machine import step
from dialogs.mantras import next_mantra
from dialogs.model import (
    JSON,
    Attachment,
    Button,
    Cancel,
    Command,
    Effect,
    Event,
    ExportData,
    Finish,
    ForgetUser,
    Pick,
    Reply,
    ScheduleAt,
    SetMantras,
    ShowHistory,
    ShowMantras,
    ShowRecord,
    SnoozeMantras,
    State,
    Step,
    Text,
    Unsupported,
)
from dialogs.script import Script, ScriptError

__all__ = [
    "JSON",
    "Attachment",
    "Button",
    "Cancel",
    "Command",
    "Effect",
    "Event",
    "ExportData",
    "Finish",
    "ForgetUser",
    "InvalidState",
    "Pick",
    "Reply",
    "ScheduleAt",
    "Script",
    "ScriptError",
    "SetMantras",
    "ShowHistory",
    "ShowMantras",
    "ShowRecord",
    "SnoozeMantras",
    "State",
    "Step",
    "Text",
    "Unsupported",
    "dumps",
    "load_script",
    "loads",
    "next_mantra",
    "state_from_json",
    "state_to_json",
    "step",
]
