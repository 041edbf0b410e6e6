"""The conversation service: one turn per person at a time — lock, load, step, save, answer.

``await conversations.handle(key, event, address=...)`` is all an adapter calls. Each turn:

1. takes the person's lock (then loads: loading first would let a double-click read a state
   the other click is about to replace — aiogram's FSM middleware, issue #1317);
2. steps the pure machine (:func:`dialogs.step`);
3. saves the new state together with everything the effects persist, in one transaction
   (:func:`bot.effects.turn_write`); a stale version (another process wrote first) reloads
   and steps again, once;
4. performs the read-only effects (history, export, mantra status) and returns every reply.

Replies are released only after the save committed. If the database is unavailable nothing
is applied and the person gets a short apology (``error.busy``). Different people run
concurrently; a person's lock is dropped as soon as nobody waits on it. Each turn is counted in
:mod:`bot.metrics` (turns, failed turns, turn time, finished reflections and check-ins), by
platform or kind only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dialogs
from bot.charts import CHART_RECORDS, Charts, Labels, chart_series
from bot.effects import answer_kinds, turn_write
from bot.errors import StaleWrite, StoreUnavailable
from bot.metrics import Metrics
from bot.ports.store import Address, Store, UserKey, to_db_time, utc_now
from bot.schedule.recurrence import zone
from dialogs import readings, records
from dialogs.model import (
    Attachment,
    Event,
    ExportData,
    Finish,
    ForgetUser,
    Reply,
    SetMantras,
    ShowHistory,
    ShowMantras,
    ShowRecord,
    SnoozeMantras,
    State,
    Step,
    Text,
)
from dialogs.script import Script

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "threshold.export/1"
EXPORT_FILENAME = "threshold-export.json"
CHART_FILENAME = "threshold-history.png"
HISTORY_PAGE_SIZE = 5
EXPORT_COOLDOWN = timedelta(seconds=60)
"""A person's exports are at least this far apart (each reads every row about them)."""


@dataclass(slots=True)
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0


class Conversations:
    """Runs turns for every person against one store and one script."""

    def __init__(
        self,
        store: Store,
        script: Script,
        *,
        clock: Callable[[], datetime] = utc_now,
        history_page_size: int = HISTORY_PAGE_SIZE,
        metrics: Metrics | None = None,
        read_ahead: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._read_ahead = read_ahead
        self._script = script
        self._clock = clock
        self._page_size = history_page_size
        self._kinds = answer_kinds(script)
        self._slots: dict[UserKey, _Slot] = {}
        self._metrics = metrics or Metrics()
        self._charts = Charts()
        self._forget_hooks: list[Callable[[UserKey], Awaitable[None]]] = []
        self._exported: dict[UserKey, datetime] = {}

    def on_forget(self, hook: Callable[[UserKey], Awaitable[None]]) -> Callable[[], None]:
        """Run ``hook(key)`` once a person's data is deleted (``/forget``): whatever an adapter
        keeps about them outside the store (files it wrote) goes too. Returns the call that
        removes the hook again."""
        self._forget_hooks.append(hook)
        return lambda: self._forget_hooks.remove(hook)

    @property
    def active(self) -> int:
        """People with a turn running or waiting (their locks); idle people hold none."""
        return len(self._slots)

    async def asks(self, key: UserKey, node: str, ask: int) -> bool:
        """Whether ``key`` is at question ``node``, asked the ``ask``-th time: a form typed
        into a window opened for a question (Discord's modal) is still that question's."""
        saved = await self._store.load(key)
        return saved is not None and saved.state.node == node and saved.state.ask == ask

    async def handle(
        self, key: UserKey, event: Event, *, address: Address | None = None
    ) -> list[Reply]:
        """Run one turn for ``key`` and return what to show. ``address`` is where this person
        can be reached later (for reminders); pass it whenever the adapter knows it."""
        if self._read_ahead is not None and isinstance(event, Text):
            await self._read_ahead(event.text)  # off the loop, before this person's lock
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        slot.holders += 1
        try:
            async with slot.lock:
                return await self._turn(key, event, address)
        finally:
            slot.holders -= 1
            if slot.holders == 0 and self._slots.get(key) is slot:
                del self._slots[key]

    async def _turn(self, key: UserKey, event: Event, address: Address | None) -> list[Reply]:
        started = time.perf_counter()
        metrics = self._metrics
        metrics.turns.labels(key.platform).inc()
        try:
            result, before = await self._step_and_save(key, event, address)
        except (StoreUnavailable, StaleWrite) as exc:
            logger.warning("turn of %s not applied (%s): %s", key, type(exc).__name__, exc)
            metrics.turns_failed.labels(key.platform).inc()
            return [Reply(self._script.say("error.busy"))]
        for effect in result.effects:
            if isinstance(effect, Finish):
                metrics.reflections_finished.labels(effect.kind).inc()
            elif isinstance(effect, ForgetUser):
                await self._forgotten(key)
        try:
            shown = await self._read_effects(key, result, event.at)
        except StoreUnavailable as exc:
            logger.warning("turn of %s saved, but a read failed: %s", key, exc)
            shown = [Reply(self._script.say("error.generic"))]
        replies = _before_question(list(result.replies), shown)
        metrics.turn_seconds.labels(key.platform).observe(time.perf_counter() - started)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "turn %s %s %s -> %s effects=%s %.2f ms",
                key,
                type(event).__name__,
                before,
                result.state.node,
                ",".join(type(e).__name__ for e in result.effects) or "-",
                (time.perf_counter() - started) * 1000,
            )
        return replies

    async def _forgotten(self, key: UserKey) -> None:
        self._charts.forget(key)
        for hook in self._forget_hooks:
            try:
                await hook(key)
            except Exception as exc:  # the store has forgotten them; say what was left behind
                logger.error("after /forget of %s, a cleanup failed (%s)", key, type(exc).__name__)

    async def _step_and_save(
        self, key: UserKey, event: Event, address: Address | None
    ) -> tuple[Step, str | None]:
        for attempt in (1, 2):
            try:
                async with self._store.turn(key):  # across processes; the step is pure
                    saved = await self._store.load(key)
                    state, version = (saved.state, saved.version) if saved else (State(), 0)
                    result = dialogs.step(state, event, self._script)
                    turn = turn_write(result, self._kinds, address=address, at=event.at)
                    await self._store.save(key, turn, expected_version=version)
            except StaleWrite:
                if attempt == 2:
                    raise
                logger.info("conversation of %s changed elsewhere; stepping again", key)
                continue
            return result, state.node
        raise AssertionError("unreachable")

    # -- read-only effects ----------------------------------------------------------------------

    async def _read_effects(self, key: UserKey, result: Step, at: datetime) -> list[Reply]:
        replies: list[Reply] = []
        for effect in result.effects:
            if isinstance(effect, ShowHistory):
                replies.extend(await self._history(key, effect.page, result.state))
            elif isinstance(effect, ShowRecord):
                replies.append(await self._record(key, effect.record_id, result.state))
            elif isinstance(effect, ExportData):
                replies.append(await self._export(key, at))
            elif isinstance(effect, ShowMantras):
                replies.append(await self._mantra_status(key, at))
            elif (isinstance(effect, SetMantras) and effect.enabled) or isinstance(
                effect, SnoozeMantras
            ):
                replies.append(await self._mantras_saved(key, at))
        return replies

    async def _history(self, key: UserKey, page: int, state: State) -> list[Reply]:
        say = self._script.say
        found = await self._store.history(key, page=page, per_page=self._page_size)
        if not found.items and found.page > 0 and found.pages > 0:
            found = await self._store.history(key, page=found.pages - 1, per_page=self._page_size)
        if not found.items:
            return [Reply(say("history.empty"))]
        tz = zone(str(state.mantras.get("tz") or "UTC"))
        replies = [records.page(found.items, found.page, found.pages, state, self._script, tz)]
        if found.page == 0:  # the chart comes with the first page only
            chart = await self._chart(key, state, tz)
            if chart is not None:
                replies.append(chart)
        return replies

    async def _record(self, key: UserKey, record_id: int, state: State) -> Reply:
        found = await self._store.record(key, record_id)
        if found is None:
            return Reply(self._script.say("history.not_found"))
        tz = zone(str(state.mantras.get("tz") or "UTC"))
        return records.view(found, state, self._script, tz)

    async def _chart(self, key: UserKey, state: State, tz: ZoneInfo) -> Reply | None:
        """Reciprocity and feeling over time, for relationships with two or more points."""
        say = self._script.say
        everything = await self._store.history(key, page=0, per_page=CHART_RECORDS)
        names = {str(p.get("id")): str(p.get("name") or "") for p in state.people}
        if len(self._script.history_ratings) != 2:
            return None  # the content names no ratings to draw
        reciprocity, feeling = self._script.history_ratings
        keys = (reciprocity, feeling, self._script.history_name)
        series = chart_series(everything.items, names, say("someone"), keys=keys)
        if not series:
            return None
        chosen = state.mantras.get("tz")
        dates = say("chart.dates", tz=tz.key) if chosen else say("chart.dates_utc")
        labels = Labels(say("chart.reciprocity"), say("chart.feeling"), say("chart.scale"), dates)
        png = await self._charts.render(key, series, tz, labels)  # None: logged by type
        if png is None:
            return None
        return Reply(say("chart.caption"), attachment=Attachment(CHART_FILENAME, "image/png", png))

    async def _export(self, key: UserKey, at: datetime) -> Reply:
        last = self._exported.get(key)
        if last is not None and timedelta(0) <= at - last < EXPORT_COOLDOWN:
            return Reply(self._script.say("export.too_soon"))  # each reads every row about them
        self._exported[key] = at
        if len(self._exported) > 10_000:
            self._exported = {k: t for k, t in self._exported.items() if at - t < EXPORT_COOLDOWN}
        stored = await self._store.export(key)
        document = {
            "format": EXPORT_FORMAT,
            "exported_at": to_db_time(self._clock()),
            **stored,
        }
        data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        attachment = Attachment(EXPORT_FILENAME, "application/json", data)
        return Reply(self._script.say("export.ready"), attachment=attachment)

    async def _mantra_status(self, key: UserKey, at: datetime) -> Reply:
        sub = await self._store.mantras(key)
        on = sub is not None and sub.enabled and sub.next_due is not None
        return readings.mantra_status(
            self._script,
            time=sub.time if sub else "",
            tz=sub.tz if sub else "UTC",
            days=sub.days if sub else "",
            next_due=sub.next_due if sub is not None and on else None,
            zone=zone(sub.tz if sub else "UTC"),
            now=at,
        )

    async def _mantras_saved(self, key: UserKey, at: datetime) -> Reply:
        sub = await self._store.mantras(key)
        tz = zone(sub.tz if sub else "UTC")
        next_due = sub.next_due if sub is not None else None
        return readings.mantras_saved(self._script, next_due=next_due, zone=tz, now=at)


def _before_question(replies: list[Reply], shown: list[Reply]) -> list[Reply]:
    """Information the service adds goes before a question that ends the turn, so the
    question stays last, next to its buttons."""
    if shown and replies and replies[-1].kind == "ask":
        return [*replies[:-1], *shown, replies[-1]]
    return replies + shown
