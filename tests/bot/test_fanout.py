"""The fan-out's lanes and token buckets, timed with the event loop's own clock.

Rates here are high (hundreds a second) so the tests stay short; they check the shape of the
sending (bursts, spacing, idle limiters forgotten), never a duration to the millisecond.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

from bot.ports.schedule import Delivery
from bot.ports.store import Address, UserKey
from bot.schedule.fanout import ChatLimiters, Fanout, Limit, overall_limiter

AT = datetime(2025, 3, 1, 9, tzinfo=UTC)


def delivery(n: int, chat: str | None = None) -> Delivery:
    return Delivery(
        id=n,
        kind="mantra",
        user=UserKey("telegram", str(n)),
        due_at=AT,
        address=Address("telegram", chat or f"c{n}"),
        payload={"mantra": 0},
    )


class Stamps:
    """A send that only notes when it was called (a stand-in for the platform)."""

    def __init__(self) -> None:
        self.at: list[tuple[float, Delivery]] = []

    async def __call__(self, d: Delivery) -> None:
        self.at.append((asyncio.get_running_loop().time(), d))


async def test_the_overall_rate_holds_in_every_window_and_the_burst_is_small() -> None:
    stamps = Stamps()
    fanout = Fanout({"telegram": Limit(per_second=400)}, stamps)
    lane = fanout.lane("telegram")
    assert lane.offer(delivery(n) for n in range(200)) == 200
    await lane.join()
    await fanout.close(1)
    times = sorted(t for t, _ in stamps.at)
    assert len(times) == 200
    for i, start in enumerate(times):  # any 100 ms: at most the burst (40) and 40 more
        assert sum(1 for t in times[i:] if t < start + 0.1) <= 81
    assert times[-1] - times[0] >= (200 - 40) / 400 * 0.9


async def test_one_chat_gets_at_most_its_rate_while_others_are_not_held_back() -> None:
    stamps = Stamps()
    fanout = Fanout({"telegram": Limit(per_second=1000, per_chat_per_second=20)}, stamps)
    lane = fanout.lane("telegram")
    lane.offer([delivery(1, "same"), delivery(2, "same"), delivery(3, "same")])
    lane.offer(delivery(n) for n in range(10, 20))
    await lane.join()
    await fanout.close(1)
    same = sorted(t for t, d in stamps.at if d.address.chat_id == "same")
    assert all(b - a >= 0.045 for a, b in itertools.pairwise(same))
    others = [t for t, d in stamps.at if d.address.chat_id != "same"]
    assert max(others) < same[-1]  # they did not wait behind the busy chat


async def test_a_lane_takes_no_more_than_its_room_and_never_the_same_id_twice() -> None:
    release = asyncio.Event()

    async def slow(d: Delivery) -> None:
        await release.wait()

    fanout = Fanout({"telegram": Limit(per_second=1, workers=1)}, slow)
    lane = fanout.lane("telegram")
    room = lane.room()
    assert lane.offer(delivery(n) for n in range(room + 10)) == room
    assert lane.offer([delivery(0)]) == 0  # already in flight
    release.set()
    await fanout.close(0.01)  # the queued ones are dropped (they stay claimed in the database)
    assert not lane.busy


async def test_a_failing_send_does_not_stop_the_lane() -> None:
    sent: list[int] = []

    async def flaky(d: Delivery) -> None:
        if d.id == 1:
            raise RuntimeError("a bug")
        sent.append(d.id)

    fanout = Fanout({}, flaky)
    lane = fanout.lane("console")
    lane.offer(delivery(n) for n in range(3))
    await lane.join()
    await fanout.close(1)
    assert sorted(sent) == [0, 2]


async def test_idle_chat_limiters_are_forgotten() -> None:
    chats = ChatLimiters(1000, remembered=4)
    for n in range(10):
        await chats.acquire(f"c{n}")
    await asyncio.sleep(0.01)
    await chats.acquire("last")
    assert len(chats) <= 5


def test_the_overall_bucket_holds_a_tenth_of_a_second_at_least_one() -> None:
    assert overall_limiter(25).max_rate == 2.5
    assert overall_limiter(2000).max_rate == 200
    slow = overall_limiter(2)
    assert slow.max_rate == 1 and slow.time_period == 0.5
