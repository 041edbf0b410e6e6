"""Slash commands, in a server and in the DM: privacy, modals, autocomplete, files, forgetting."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.sqlite.export import NOT_PERSONAL
from tests.standins.discord_api import CHANNEL_ID, GUILD_ID, DiscordAPI
from tests.standins.discord_api.payloads import JSON
from tests.support.discord_bot import ALEX, Person, buttons, make_settings, running_bot

EPHEMERAL = 64


def _server_messages(api: DiscordAPI) -> list[JSON]:
    return api.in_channel(CHANNEL_ID)


async def test_commands_are_synced_globally_with_every_command(
    bot: object, api: DiscordAPI
) -> None:
    names = [c["name"] for c in api.commands["global"]]
    assert sorted(names) == sorted(
        ["checkin", "reflect", "history", "mantras", "safety", "export", "forget", "help", "cancel"]
    )
    mantras = next(c for c in api.commands["global"] if c["name"] == "mantras")
    options = {o["name"]: o for o in mantras["options"]}
    assert options["timezone"]["autocomplete"] is True
    assert [c["value"] for c in options["turn"]["choices"]] == ["on", "off"]


async def test_commands_go_to_the_development_server_when_one_is_set(
    api: DiscordAPI, db_path: Path
) -> None:
    settings = make_settings(api, db_path, discord_guild_id=GUILD_ID)
    async with running_bot(settings, api):
        pass
    assert list(api.commands) == [str(GUILD_ID)]


async def test_checkin_in_a_server_answers_ephemerally_and_continues_in_dms(
    bot: object, alex: Person, api: DiscordAPI
) -> None:
    interaction = await alex.slash("checkin", guild=True)
    assert interaction.callbacks[0]["type"] == 5
    assert interaction.callbacks[0]["data"]["flags"] & EPHEMERAL
    (pointer,) = _server_messages(api)
    assert pointer["flags"] & EPHEMERAL
    assert "direct message" in pointer["content"]
    assert f"/channels/@me/{alex.dm_id}" in pointer["content"]
    question = alex.dm_messages()[-1]
    await alex.say("Jordan")
    assert alex.dm_messages()[-1]["id"] != question["id"]
    await alex.press("Family")
    assert api.visible_in_server() == []
    assert len(_server_messages(api)) == 1


async def test_with_dms_closed_the_checkin_continues_in_ephemeral_messages_and_a_modal(
    bot: object, alex: Person, api: DiscordAPI, db_path: Path
) -> None:
    api.closed_dms.add(ALEX.id)
    await alex.slash("checkin", guild=True)
    shown = _server_messages(api)
    assert all(m["flags"] & EPHEMERAL for m in shown)
    assert "direct messages are closed" in shown[0]["content"]
    question = alex.question(CHANNEL_ID)
    assert "Write answer" in dict(buttons(question))
    opened = await alex.press("Write answer", question)
    (modal,) = opened.callbacks
    assert modal["type"] == 9
    modal_id = modal["data"]["custom_id"]
    assert modal_id.startswith("thr-answer:thr:checkin.") and len(modal_id) <= 100
    submitted = await api.submit(ALEX, question, "Jordan", custom_id=modal_id)
    await api.settle()
    assert submitted.acked is not None
    assert api.messages[int(question["id"])]["content"].endswith("→ Jordan")
    assert buttons(api.messages[int(question["id"])]) == []
    await alex.press("Work", alex.question(CHANNEL_ID))
    assert any(m["content"].endswith("→ Work") for m in _server_messages(api))
    assert api.visible_in_server() == []
    assert alex.dm_messages() == []
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT unreachable FROM users").fetchall() == [(1,)]


async def test_an_answer_written_in_a_modal_opened_on_an_earlier_question_is_stale(
    bot: object, alex: Person, api: DiscordAPI, db_path: Path
) -> None:
    api.closed_dms.add(ALEX.id)
    await alex.slash("checkin", guild=True)
    first = alex.question(CHANNEL_ID)
    opened = await alex.press("Write answer", first)  # the modal opens on question A …
    (modal,) = opened.callbacks
    await alex.press("Skip", first)  # … the person moves on to question B meanwhile …
    second = alex.question(CHANNEL_ID)
    assert second["id"] != first["id"]
    await api.submit(ALEX, first, "Jordan", custom_id=modal["data"]["custom_id"])  # … submits
    await api.settle()
    shown = [m["content"] for m in _server_messages(api)]
    assert any("earlier question" in text for text in shown)  # told, as for a stale button
    assert not any("Jordan" in text for text in shown)  # not shown as A's answer
    with sqlite3.connect(db_path) as db:
        [(state,)] = db.execute("SELECT state FROM conversations").fetchall()
    assert "Jordan" not in state  # and not stored as B's


async def test_time_zone_autocomplete_offers_iana_names(bot: object, api: DiscordAPI) -> None:
    choices = await api.autocomplete(ALEX, "mantras", "timezone", "berl")
    assert choices[0] == {"name": "Europe/Berlin", "value": "Europe/Berlin"}
    choices = await api.autocomplete(ALEX, "mantras", "timezone", "new york")
    assert {"name": "America/New_York", "value": "America/New_York"} in choices
    choices = await api.autocomplete(ALEX, "mantras", "timezone", "mumbai")
    assert choices[0]["value"] == "Asia/Kolkata"
    choices = await api.autocomplete(ALEX, "mantras", "timezone", "a")
    assert len(choices) == 25


async def test_mantras_options_set_the_schedule_in_one_command(
    bot: object, alex: Person, db_path: Path
) -> None:
    options = {"turn": "on", "time": "7:30", "timezone": "Europe/Berlin", "frequency": "mon"}
    await alex.slash("mantras", options)
    with sqlite3.connect(db_path) as db:
        row = db.execute("SELECT enabled, time, tz, days FROM mantra_subscriptions").fetchone()
    assert row == (1, "07:30", "Europe/Berlin", "mon")
    texts = [m["content"] for m in alex.dm_messages()]
    assert not any(m for m in alex.dm_messages() if buttons(m))
    assert any("07:30" in t and "Europe/Berlin" in t for t in texts)
    await alex.slash("mantras", {"turn": "off"})
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT enabled FROM mantra_subscriptions").fetchone() == (0,)


async def test_export_sends_everything_as_a_file(
    bot: object, alex: Person, api: DiscordAPI
) -> None:
    await alex.say("hi")
    await alex.say("Jordan")
    await alex.slash("export", guild=True)
    (sent,) = [m for m in alex.dm_messages() if m["attachments"]]
    ((name, data),) = api.files[int(sent["id"])]
    assert name == "threshold-export.json"
    document = json.loads(data)
    assert document["format"] == "threshold.export/1"
    assert api.visible_in_server() == []


async def test_forget_leaves_nothing_of_the_person(
    bot: object, alex: Person, db_path: Path
) -> None:
    await alex.say("hi")
    await alex.say("Jordan")
    await alex.slash("forget")
    await alex.press("Start the deletion")
    await alex.press("Yes, delete everything")
    assert alex.dm_messages()[-1]["content"].startswith("Everything is deleted.")
    with sqlite3.connect(db_path) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in NOT_PERSONAL and not name.startswith("sqlite_")
        ]
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    assert "users" in counts
    assert set(counts.values()) == {0}, counts
