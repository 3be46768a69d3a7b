"""Wait on conditions in tests: poll with a deadline, never sleep a fixed time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from scs_kaas.localcloud.waiting import wait_until

T = TypeVar("T")


def eventually(read: Callable[[], T], ok: Callable[[T], bool], timeout: float, what: str) -> T:
    """Call `read` until `ok` holds for its result; return that result."""
    box: list[T] = []

    def check() -> bool:
        box[:] = [read()]
        return ok(box[0])

    wait_until(check, timeout, what, interval=0.5)
    return box[0]
