"""Wait for a state with a deadline: poll, never sleep a fixed time and hope."""

from __future__ import annotations

import time
from collections.abc import Callable

from scs_kaas.errors import KaasError


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 1.0
) -> None:
    """Call `condition` until it holds; raise KaasError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise KaasError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
