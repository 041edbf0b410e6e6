"""Mantra rotation: every line once, in a per-person order, before any repeats."""

from __future__ import annotations

import zlib


def next_mantra(
    count: int, seen: tuple[int, ...], salt: str, held: frozenset[int] = frozenset()
) -> tuple[int, tuple[int, ...]]:
    """Pick the next line index and return it with the updated ``seen`` rotation.

    Lines not yet seen in this round are chosen from deterministically (``salt`` varies the
    order between people); once all ``count`` were seen, a new round starts, never beginning
    with the line that ended the previous one when there is a choice. Lines in ``held`` are
    never chosen (after a disclosure): they wait, unseen, for a later turn of the rotation.
    """
    if count <= 0:
        raise ValueError("there are no mantras to choose from")
    kept = [i for i in seen if 0 <= i < count]
    last = kept[-1] if kept else None
    done = set(kept)
    if len(done) >= count:
        kept, done = [], set()
    unseen = [i for i in range(count) if i not in done]
    if not kept and last is not None and len(unseen) > 1:
        unseen.remove(last)
    allowed = [i for i in unseen if i not in held] or [i for i in range(count) if i not in held]
    choices = allowed or unseen
    pick = choices[zlib.crc32(f"{salt}:{len(kept)}".encode()) % len(choices)]
    return pick, (*kept, pick) if pick not in done else tuple(kept)
