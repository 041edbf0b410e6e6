"""The metrics: counted by the conversation service, written in Prometheus' text format."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.conversations import Conversations
from bot.memory.store import MemoryStore
from bot.metrics import CONTENT_TYPE, Metrics
from dialogs.script import Script
from tests.support.chats import REFLECTION, Chat, Clock, chat_for, play

NAMED = {
    "threshold_turns": "counter",
    "threshold_turns_failed": "counter",
    "threshold_turn_seconds": "histogram",
    "threshold_reflections_finished": "counter",
    "threshold_mantras_sent": "counter",
    "threshold_mantras_failed": "counter",
    "threshold_send_seconds": "histogram",
    "threshold_scheduler_lag_seconds": "gauge",
}


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample, keyed by name and sorted labels, parsed back from the text format."""
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode("utf-8")):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_every_named_metric_is_declared_with_its_type() -> None:
    families = {
        f.name: f.type for f in text_string_to_metric_families(Metrics().render().decode("utf-8"))
    }
    for name, kind in NAMED.items():
        assert families.get(name) == kind, f"{name} is {families.get(name)}, not {kind}"
    assert "process_start_time_seconds" in families
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")


def test_no_created_series_double_the_output() -> None:
    metrics = Metrics()
    metrics.turns.labels("console").inc()
    assert b"_created" not in metrics.render()


async def test_turns_and_a_finished_reflection_are_counted(script: Script, clock: Clock) -> None:
    metrics = Metrics()
    service = Conversations(MemoryStore(clock=clock), script, clock=clock, metrics=metrics)
    chat: Chat = chat_for(service, clock, platform="console")
    await chat.command("reflect")
    await play(chat, REFLECTION)
    await chat_for(service, clock, user="2", platform="telegram").command("start")

    found = samples(metrics)
    assert found[("threshold_turns_total", (("platform", "console"),))] == 1 + len(REFLECTION)
    assert found[("threshold_turns_total", (("platform", "telegram"),))] == 1
    assert found[("threshold_reflections_finished_total", (("kind", "reflection"),))] == 1
    assert found[("threshold_turn_seconds_count", (("platform", "console"),))] == 1 + len(
        REFLECTION
    )
    assert ("threshold_turns_failed_total", (("platform", "console"),)) not in found


async def test_a_turn_the_database_refused_is_counted_as_failed(
    script: Script, clock: Clock
) -> None:
    metrics = Metrics()
    store = MemoryStore(clock=clock)
    await store.close()  # every call now raises StoreUnavailable
    service = Conversations(store, script, clock=clock, metrics=metrics)
    await chat_for(service, clock, platform="console").command("start")

    found = samples(metrics)
    assert found[("threshold_turns_total", (("platform", "console"),))] == 1
    assert found[("threshold_turns_failed_total", (("platform", "console"),))] == 1


def test_connected_platforms_are_read_at_each_scrape() -> None:
    metrics = Metrics()
    connected: set[str] = set()
    metrics.watch_platforms(["telegram", "discord"], lambda: connected)
    connected.add("telegram")
    found = samples(metrics)
    assert found[("threshold_platform_connected", (("platform", "telegram"),))] == 1
    assert found[("threshold_platform_connected", (("platform", "discord"),))] == 0
    metrics.watch_platforms(["telegram"], lambda: ())  # watching again replaces, not adds
    found = samples(metrics)
    assert found[("threshold_platform_connected", (("platform", "telegram"),))] == 0
    assert ("threshold_platform_connected", (("platform", "discord"),)) not in found


def test_two_registries_never_share_numbers() -> None:
    one, two = Metrics(), Metrics()
    one.turns.labels("console").inc()
    assert ("threshold_turns_total", (("platform", "console"),)) not in samples(two)
