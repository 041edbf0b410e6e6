"""What the bot counts, in Prometheus' text format (served at ``/metrics``).

One :class:`Metrics` per process, built by :func:`bot.core.open_core` and reachable as
``core.metrics``; each has a registry of its own, so tests and several cores never share
numbers. Built on ``prometheus_client`` (a private ``CollectorRegistry``, never the library's
global one).

The metrics, and who records each (labels in braces):

- ``threshold_turns_total{platform}`` (counter): turns handled, one per message or button
  press; the conversation service.
- ``threshold_turns_failed_total{platform}`` (counter): turns not applied because the database
  was busy or unavailable; the conversation service.
- ``threshold_turn_seconds{platform}`` (histogram): from taking a person's turn to having its
  replies; the conversation service.
- ``threshold_reflections_finished_total{kind}`` (counter): reflections (``kind="reflection"``)
  and check-ins (``kind="checkin"``) finished and stored; the conversation service.
- ``threshold_mantras_sent_total{platform}`` (counter): scheduled mantras and reminders
  delivered; the scheduler.
- ``threshold_mantras_failed_total{platform,reason}`` (counter): not delivered, ``reason`` being
  ``unreachable`` (the person blocked the bot) or ``failed``; the scheduler.
- ``threshold_send_seconds{platform}`` (histogram): the platform calls that put a turn's replies
  (adapters) or a delivery (the scheduler) on screen.
- ``threshold_scheduler_lag_seconds`` (gauge): how late the oldest item of the scheduler's last
  claim was (0 when on time); the scheduler.
- ``threshold_platform_connected{platform}`` (gauge): 1 while the platform is connected; read
  from ``core.deliverers`` at every scrape.

Plus the standard ``process_*`` metrics (memory, CPU, open files, start time). Labels only ever
carry platform names, record kinds and fixed reasons: never a user id or anything typed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "SEND_BUCKETS", "TURN_BUCKETS", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text exposition format the ``/metrics`` body is written in."""

TURN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Seconds; a turn is a lock, a cached load and one group commit: milliseconds."""
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds; a send is one or a few platform calls, rate limits waited out included."""


class Metrics:
    """The bot's instruments on a registry of their own; :meth:`render` writes them out."""

    def __init__(self) -> None:
        # The ``*_created`` series would double the output and only repeat the start time,
        # which ``process_start_time_seconds`` already gives (a switch of the library's own).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.turns = Counter(
            "threshold_turns",
            "Turns handled (one message or button press each), by platform.",
            ["platform"],
            registry=registry,
        )
        self.turns_failed = Counter(
            "threshold_turns_failed",
            "Turns not applied because the database was busy or unavailable, by platform.",
            ["platform"],
            registry=registry,
        )
        self.turn_seconds = Histogram(
            "threshold_turn_seconds",
            "Time from taking a person's turn to having its replies, by platform.",
            ["platform"],
            buckets=TURN_BUCKETS,
            registry=registry,
        )
        self.reflections_finished = Counter(
            "threshold_reflections_finished",
            "Reflections and check-ins finished and stored, by kind.",
            ["kind"],
            registry=registry,
        )
        self.mantras_sent = Counter(
            "threshold_mantras_sent",
            "Scheduled mantras and reminders delivered, by platform.",
            ["platform"],
            registry=registry,
        )
        self.mantras_failed = Counter(
            "threshold_mantras_failed",
            "Scheduled mantras and reminders not delivered, by platform and reason.",
            ["platform", "reason"],
            registry=registry,
        )
        self.send_seconds = Histogram(
            "threshold_send_seconds",
            "Time to put replies or a delivery on a platform, by platform.",
            ["platform"],
            buckets=SEND_BUCKETS,
            registry=registry,
        )
        self.scheduler_lag = Gauge(
            "threshold_scheduler_lag_seconds",
            "How late the oldest due item of the scheduler's last claim was, in seconds.",
            registry=registry,
        )
        ProcessCollector(registry=registry)
        self._platforms: _Platforms | None = None

    def watch_platforms(
        self, expected: Collection[str], connected: Callable[[], Collection[str]]
    ) -> None:
        """Report ``threshold_platform_connected`` for each ``expected`` platform, reading
        ``connected()`` (the platforms now connected) at every scrape."""
        if self._platforms is not None:
            self.registry.unregister(self._platforms)
        self._platforms = _Platforms(tuple(expected), connected)
        self.registry.register(self._platforms)

    def render(self) -> bytes:
        """Every metric, in the text format of :data:`CONTENT_TYPE`."""
        return generate_latest(self.registry)


class _Platforms(Collector):
    def __init__(self, expected: tuple[str, ...], connected: Callable[[], Collection[str]]) -> None:
        self._expected = expected
        self._connected = connected

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "threshold_platform_connected",
            "1 while the platform is connected and taking messages, else 0.",
            labels=["platform"],
        )
        now = set(self._connected())
        for platform in self._expected:
            family.add_metric([platform], 1.0 if platform in now else 0.0)
        yield family
