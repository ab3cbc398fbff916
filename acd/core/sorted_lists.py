"""Sorted lists of ``(time, id)`` entries, as the routing index keeps them: ``bisect`` inserts
and deletes into a dict of lists, and the searches a decision runs over the heads of a few
lists (``first_of``, ``longest_idle``) and over lists of waiting calls (``first_head``,
``first_taken``). Pure; no policy."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Container, Iterable, Sequence
from typing import TypeVar

Entry = tuple[float, str]  # (idle_since, extension) or (enqueued_at, call_id)
CallList = tuple[float, Sequence[Entry], float]  # (offset to virtual time, calls, last to see)
K = TypeVar("K")


def insert_entry(lists: dict[K, list[Entry]], key: K, entry: Entry) -> None:
    entries = lists.get(key)
    if entries is None:
        lists[key] = [entry]
    else:
        insort(entries, entry)


def delete_entry(lists: dict[K, list[Entry]], key: K, entry: Entry) -> None:
    """Delete ``entry`` from the list at ``key``, and the list once empty."""
    entries = lists.get(key)
    if entries is None:
        return
    at = bisect_left(entries, entry)
    if at < len(entries) and entries[at] == entry:
        del entries[at]
    if not entries:
        del lists[key]


def insert_new(ascending: list[int], value: int) -> None:
    """Insert ``value`` in order unless it is there already."""
    at = bisect_left(ascending, value)
    if at == len(ascending) or ascending[at] != value:
        ascending.insert(at, value)


def first_of(entries: Iterable[Entry], skip: Container[str]) -> Entry | None:
    for entry in entries:
        if entry[1] not in skip:
            return entry
    return None


def longest_idle(lists: Iterable[Sequence[Entry]], skip: Container[str]) -> Entry | None:
    """The smallest entry not in ``skip`` over several sorted lists."""
    best = None
    for entries in lists:
        for entry in entries:
            if entry[1] not in skip:
                best = entry if best is None or entry < best else best
                break
    return best


def first_head(lists: Iterable[CallList]) -> tuple[float, float, str] | None:
    """The smallest (enqueued_at - offset, enqueued_at, call_id) of the lists' first calls, over
    lists of (offset, calls by enqueued_at, last enqueued_at to look at)."""
    best = None
    for offset, entries, last in lists:
        enqueued_at, call_id = entries[0]
        key = (enqueued_at - offset, enqueued_at, call_id)
        if enqueued_at <= last and (best is None or key < best):
            best = key
    return best


def first_taken(
    lists: Sequence[CallList], takes: Callable[[str], bool]
) -> tuple[float, float, str] | None:
    """The smallest (enqueued_at - offset, enqueued_at, call_id) that ``takes`` accepts, over
    the lists as in ``first_head``: the lists go in order of their first call (once one starts
    after the best found, so do the rest), each up to its first accepted call."""
    best = None
    for offset, entries, last in sorted(lists, key=lambda found: found[1][0][0] - found[0]):
        if best is not None and entries[0][0] - offset > best[0]:
            break
        for enqueued_at, call_id in entries:
            key = (enqueued_at - offset, enqueued_at, call_id)
            if enqueued_at > last or (best is not None and key >= best):
                break
            if takes(call_id):
                best = key
                break
    return best
