"""Wait for conditions with a deadline (never for a fixed time)."""

from __future__ import annotations

import time
from collections.abc import Callable

from scs_kaas.errors import CloudError

POLL_INTERVAL = 0.25


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = POLL_INTERVAL
) -> None:
    """Call `condition` until it returns true; raise CloudError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise CloudError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
