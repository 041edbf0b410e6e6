"""``/history``: pages of past reflections and check-ins, and the chart that comes with the
first page once a relationship has two or more data points."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from matplotlib.image import imread

from bot import charts
from bot.charts import Labels, Point, Series, chart_series, render_png
from bot.ports.store import RecordSummary
from dialogs.model import JSON, Reply
from tests.support.chats import REFLECTION, Chat, play

CHECKIN = [("press", "p1"), ("press", "skip"), ("press", "yes"), ("press", "yes"),
           ("press", "4"), ("press", "love"), ("press", "3"), ("press", "keep"),
           ("press", "none")]  # fmt: skip
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LABELS = Labels("Effort shared", "Feeling", "1 to 5", "Dates in UTC")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def chart_of(replies: list[Reply]) -> bytes | None:
    found = [r.attachment for r in replies if r.attachment is not None]
    assert len(found) <= 1
    if not found:
        return None
    assert found[0].media_type == "image/png" and found[0].filename.endswith(".png")
    return found[0].data


async def reflect_then_check_in(chat: Chat, checkins: int = 1) -> None:
    await chat.command("reflect")
    await play(chat, REFLECTION)
    if any(b.data.startswith("thr:reflect.offer:") for r in chat.last for b in r.buttons):
        await chat.press("no")  # the mantra offer (not made to someone who has them on)
    for _ in range(checkins):
        await chat.command("checkin")
        await play(chat, CHECKIN)


# --------------------------------------------------------------------------------------------
# Through the service


async def test_one_reflection_is_listed_without_a_chart(chat: Chat) -> None:
    await chat.command("reflect")
    await play(chat, REFLECTION)
    replies = await chat.command("history")
    assert chart_of(replies) is None
    assert "1 Mar 2025 · reflection · Sam" in replies[0].text


async def test_two_data_points_bring_a_phone_sized_chart(chat: Chat) -> None:
    await reflect_then_check_in(chat)
    replies = await chat.command("history")
    assert [r.attachment is not None for r in replies] == [False, True]
    assert "check-in · Sam · effort 4/5 · feeling 3/5 · Set a boundary" in replies[0].text
    png = chart_of(replies)
    assert png is not None
    width, height = png_size(png)
    assert (width, height) == (1200, 740)  # one panel: 6 × 3.7 inches at 200 dpi
    assert 10_000 < len(png) < 400_000


async def test_the_chart_decodes_as_an_image(chat: Chat) -> None:
    await reflect_then_check_in(chat)
    png = chart_of(await chat.command("history"))
    assert png is not None
    pixels = imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (740, 1200)
    assert pixels.std() > 0.05  # not a blank canvas


async def test_pages_newest_first_and_the_chart_only_on_the_first(chat: Chat) -> None:
    await reflect_then_check_in(chat, checkins=6)  # seven records: two pages of five
    first = await chat.command("history")
    lines = first[0].text.splitlines()
    assert "page 1 of 2" in lines[0]
    assert [line.split(" · ")[1] for line in lines[1:6]] == ["check-in"] * 5
    assert lines[-1] == "/history 2 shows older ones."
    assert chart_of(first) is not None
    second = await chat.command("history", "2")
    lines = second[0].text.splitlines()
    assert "page 2 of 2" in lines[0]
    assert [line.split(" · ")[1] for line in lines[1:3]] == ["check-in", "reflection"]
    assert lines[-1] == "/history shows the newest again."
    assert chart_of(second) is None
    beyond = await chat.command("history", "9")
    assert "page 2 of 2" in beyond[0].text


@pytest.mark.parametrize(
    ("zone", "says"), [(None, "Dates in UTC ("), ("Asia/Tokyo", "in Asia/Tokyo")]
)
async def test_dates_are_in_the_persons_time_zone_and_the_chart_says_which(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, zone: str | None, says: str
) -> None:
    drawn: list[tuple[ZoneInfo, Labels]] = []

    def spy(series: list[Series], tz: ZoneInfo, labels: Labels) -> bytes:
        drawn.append((tz, labels))
        return PNG_SIGNATURE

    if zone:
        await chat.command("mantras")
        await chat.press("setup")
        await chat.send("21:00")
        await chat.send(zone)
        await chat.press("daily")
    await reflect_then_check_in(chat)
    monkeypatch.setattr(charts, "render_png", spy)
    replies = await chat.command("history")
    [(tz, labels)] = drawn
    assert tz.key == (zone or "UTC") and says in labels.dates
    if zone:  # 08:xx UTC on 1 March is the evening of 1 March in Tokyo
        assert "1 Mar 2025 · check-in" in replies[0].text


# --------------------------------------------------------------------------------------------
# Choosing and drawing


def summary(n: int, person: str, day: int, **answers: JSON) -> RecordSummary:
    at = datetime(2025, 3, day, 8, tzinfo=UTC)
    return RecordSummary(n, "checkin", person, at, at, answers)


def test_only_relationships_with_two_points_are_drawn_most_recent_first() -> None:
    items = [
        summary(1, "p1", 1, reciprocity=2, name="Sam"),
        summary(2, "p2", 2, reciprocity=3),
        summary(3, "p1", 3, reciprocity=4, feeling=2),
        summary(4, "p3", 4, reciprocity=1),
        summary(5, "p3", 5, feeling=5),
        summary(6, "p2", 6, decision="watch"),  # no rating: not a point
    ]
    found = chart_series(items, {"p3": "Alex"}, "this person")
    assert [(s.name, len(s.points)) for s in found] == [("Alex", 2), ("Sam", 2)]
    assert found[1].points[1] == Point(items[2].finished_at, 4, 2)
    assert chart_series(items, {}, "x", panels=1)[0].name == "x"


def test_three_panels_stack_into_a_taller_image() -> None:
    one = Series("A", (Point(datetime(2025, 3, 1, tzinfo=UTC), 1, 2),) * 2)
    width, height = png_size(render_png([one] * 3, ZoneInfo("UTC"), LABELS))
    assert (width, height) == (1200, 1900)


async def test_a_chart_that_cannot_be_drawn_leaves_the_listing(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(series: list[Series], tz: ZoneInfo, labels: Labels) -> bytes:
        raise RuntimeError("no fonts")

    await reflect_then_check_in(chat)
    monkeypatch.setattr(charts, "render_png", broken)
    replies = await chat.command("history")
    assert len(replies) == 1 and "page 1 of 1" in replies[0].text
