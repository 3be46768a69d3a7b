"""Delete proven leftovers (openstack/leftovers.py) phase by phase.

Within a phase the deletions are independent and run concurrently (bounded); a phase starts when
what it depends on is gone (a subnet with a load balancer's VIP port cannot go). Nova servers,
Octavia load balancers and Cinder volumes and snapshots go asynchronously: each such kind is
re-listed, once for all its objects and with growing intervals, until none is there, and that
listing is handed back so the caller's verification (cluster/sweep.py, purge.py: one more
listing of the project) need not list the kind again. A phase waits only for what its own
deletions need gone (leftovers.NEEDS); the rest is waited for at the end. Neutron's and the
server groups' deletions are done when the call returns and are verified by that listing. A
refusal that the cloud lifts by itself, a 409 (in use, `PENDING_UPDATE`) or Cinder's 400 for a
volume still detaching, is retried with backoff until the deadline; anything else fails the
sweep with the resource named. Gone already (404) is success: a re-run after an interruption
continues. No call looks a resource up before deleting it (openstacksdk's `delete_*` with
`ignore_missing` sends the DELETE alone).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from openstack.connection import Connection
from openstack.exceptions import BadRequestException, ConflictException, NotFoundException

from scs_kaas.errors import CloudError
from scs_kaas.openstack.leftovers import NEEDS, PHASES, Leftover, list_kind

MAX_PARALLEL = 8
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 4.0
FIRST_POLL = 0.5
POLL_GROWTH = 1.5
MAX_POLL = 2.0
ASYNCHRONOUS = ("server", "load balancer", "volume", "snapshot")
RETRYABLE = (ConflictException,)
# Cinder answers 400 (not 409) for a volume or snapshot in a state that does not allow deleting
CINDER_KINDS = ("volume", "snapshot")


# (kind, phase, detail): phase is "start", "retry" or "deleted"; the workflow shows it
Report = Callable[[str, str, str], None]


def quiet(kind: str, phase: str, detail: str) -> None:
    del kind, phase, detail


def _delete(conn: Connection, item: Leftover) -> None:
    net = conn.network
    match item.kind:
        case "floating IP":
            net.delete_ip(item.id, ignore_missing=True)
        case "load balancer":
            conn.load_balancer.delete_load_balancer(item.id, ignore_missing=True, cascade=True)
        case "server":
            conn.compute.delete_server(item.id, ignore_missing=True)
        case "snapshot":
            conn.block_storage.delete_snapshot(item.id, ignore_missing=True)
        case "port":
            net.delete_port(item.id, ignore_missing=True)
        case "router interface":
            with contextlib.suppress(NotFoundException):
                net.remove_interface_from_router(item.parent, port=item.id)
        case "volume":
            conn.block_storage.delete_volume(item.id, ignore_missing=True)
        case "subnet":
            net.delete_subnet(item.id, ignore_missing=True)
        case "router":
            net.delete_router(item.id, ignore_missing=True)
        case "network":
            net.delete_network(item.id, ignore_missing=True)
        case "security group":
            net.delete_security_group(item.id, ignore_missing=True)
        case "server group":
            conn.compute.delete_server_group(item.id, ignore_missing=True)
        case _:
            raise CloudError(f"cannot delete a {item.kind}")


def _retryable(item: Leftover, error: Exception) -> bool:
    if isinstance(error, RETRYABLE):
        return True
    return isinstance(error, BadRequestException) and item.kind in CINDER_KINDS


def _delete_with_retry(conn: Connection, item: Leftover, deadline: float, progress: Report) -> None:
    backoff = FIRST_BACKOFF
    while True:
        try:
            _delete(conn, item)
            return
        except NotFoundException:
            return
        except Exception as error:
            if not _retryable(item, error) or time.monotonic() + backoff > deadline:
                raise CloudError(f"deleting {item} failed: {_reason(error)}") from error
            progress(item.kind, "retry", f"{item}: {_reason(error)}")
            time.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)


def _reason(error: Exception) -> str:
    details = getattr(error, "details", None)
    return str(details or error).strip().splitlines()[0][:300]


@dataclass
class _Pending:
    """Asynchronous deletions asked for: IDs by kind, and when the kind's were asked for."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    asked: dict[str, float] = field(default_factory=dict)
    # kind -> the listing that showed none of its IDs any more (the verification's)
    listed: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, items: Sequence[Leftover]) -> None:
        for item in items:
            if item.kind in ASYNCHRONOUS:
                self.ids.setdefault(item.kind, set()).add(item.id)
                self.asked[item.kind] = time.monotonic()


def _wait_gone(
    conn: Connection,
    pool: ThreadPoolExecutor,
    pending: _Pending,
    kinds: Sequence[str],
    deadline: float,
    progress: Report,
) -> None:
    """Re-list each of `kinds` (side by side) until none of its pending IDs is there.

    The first look comes FIRST_POLL after the deletions were asked for (at once if that was
    long enough ago), later ones further apart: a listing that shows the deletion still going
    is a call spent for nothing, a late one is time lost.
    """
    waiting = [kind for kind in kinds if kind in pending.ids]
    if not waiting:
        return
    due = max(pending.asked[kind] for kind in waiting) + FIRST_POLL
    interval = FIRST_POLL
    while waiting:
        if time.monotonic() >= deadline:
            shown = "; ".join(f"{k}: {', '.join(sorted(pending.ids[k]))}" for k in waiting)
            raise CloudError(f"still there after deletion (timed out): {shown}")
        time.sleep(max(0.0, min(due, deadline) - time.monotonic()))
        interval = min(MAX_POLL, interval * POLL_GROWTH)
        due = time.monotonic() + interval
        lists = pool.map(lambda kind: list_kind(conn, kind), waiting)
        for kind, resources in list(zip(waiting, lists, strict=True)):
            pending.ids[kind] &= {str(r.id) for r in resources}
            if not pending.ids[kind]:
                pending.listed[kind] = resources
                waiting.remove(kind)
                del pending.ids[kind]
                progress(kind, "deleted", "gone (re-listed)")


def sweep(
    conn: Connection,
    leftovers: Sequence[Leftover],
    timeout: float,
    progress: Report = quiet,
    parallel: int = MAX_PARALLEL,
) -> dict[str, list[Any]]:
    """Delete `leftovers` in phase order, the asynchronous ones waited for.

    Returns, for each asynchronous kind that had something to delete, the project's listing
    that showed it gone: the caller's verification need not list that kind again.
    """
    deadline = time.monotonic() + timeout
    pending = _Pending()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for phase in PHASES:
            items = [item for item in leftovers if item.kind in phase]
            # what this phase's deletions need gone first
            needed = {k for item in items for k in NEEDS.get(item.kind, ())}
            _wait_gone(conn, pool, pending, sorted(needed), deadline, progress)
            for kind in phase:
                count = sum(1 for item in items if item.kind == kind)
                if count:
                    progress(kind, "start", f"{count} to delete")
            futures = [
                pool.submit(_delete_with_retry, conn, item, deadline, progress) for item in items
            ]
            errors = [f.exception() for f in futures if f.exception() is not None]
            if errors:
                raise errors[0]  # type: ignore[misc]
            pending.add(items)
            for kind in {item.kind for item in items if item.kind not in ASYNCHRONOUS}:
                progress(kind, "deleted", "")
        _wait_gone(conn, pool, pending, ASYNCHRONOUS, deadline, progress)
    return pending.listed
