"""Delete proven leftovers (openstack/leftovers.py) phase by phase.

Within a phase the deletions are independent and run concurrently (bounded); a phase starts when
the one before it is done, since what comes later depends on it (a network with a load
balancer's VIP port cannot go). Nova servers, Octavia load balancers and Cinder volumes and
snapshots go asynchronously: they are re-listed (with growing intervals) until gone. Neutron's
and the server groups' deletions are done when the call returns; the callers verify everything
by listing the project once more (cluster_sweep.py, purge.py), which costs one call per type
instead of one per phase and kind. A refusal that the cloud lifts by itself, a 409 (in
use, `PENDING_UPDATE`) or Cinder's 400 for a volume still detaching, is retried with backoff
until the deadline; anything else fails the sweep with the resource named. Gone already (404)
is success: a re-run after an interruption continues.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from openstack.connection import Connection
from openstack.exceptions import BadRequestException, ConflictException, NotFoundException

from scs_kaas.errors import CloudError
from scs_kaas.openstack.leftovers import PHASES, Leftover

MAX_PARALLEL = 8
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 4.0
FIRST_POLL = 0.25
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


def listed_ids(conn: Connection, kind: str) -> set[str]:
    """The ids of `kind` the project still has (one list call): what verifies a deletion."""
    net, project = conn.network, conn.current_project_id
    listing: dict[str, Callable[[], Iterable[object]]] = {
        "floating IP": lambda: net.ips(project_id=project),
        "load balancer": lambda: conn.load_balancer.load_balancers(project_id=project),
        "server": conn.compute.servers,
        "snapshot": conn.block_storage.snapshots,
        "port": lambda: net.ports(project_id=project),
        "router interface": lambda: net.ports(
            project_id=project, device_owner="network:router_interface"
        ),
        "volume": conn.block_storage.volumes,
        "subnet": lambda: net.subnets(project_id=project),
        "router": lambda: net.routers(project_id=project),
        "network": lambda: net.networks(project_id=project),
        "security group": lambda: net.security_groups(project_id=project),
        "server group": conn.compute.server_groups,
    }
    return {str(getattr(r, "id", "")) for r in listing[kind]()}


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


def _wait_gone(
    conn: Connection, items: Sequence[Leftover], deadline: float, progress: Report
) -> None:
    """Re-list each asynchronous kind until none of `items` is there."""
    left = {i.kind: {j.id for j in items if j.kind == i.kind} for i in items}
    for kind in [k for k in left if k not in ASYNCHRONOUS]:
        del left[kind]
        progress(kind, "deleted", "")
    interval = FIRST_POLL
    while True:
        for kind in list(left):
            left[kind] &= listed_ids(conn, kind)
            if not left[kind]:
                del left[kind]
                progress(kind, "deleted", "gone (re-listed)")
        if not left:
            return
        if time.monotonic() >= deadline:
            shown = "; ".join(f"{k}: {', '.join(sorted(ids))}" for k, ids in left.items())
            raise CloudError(f"still there after deletion (timed out): {shown}")
        time.sleep(interval)
        interval = min(MAX_POLL, interval * 1.5)


def sweep(
    conn: Connection,
    leftovers: Sequence[Leftover],
    timeout: float,
    progress: Report = quiet,
    parallel: int = MAX_PARALLEL,
) -> list[Leftover]:
    """Delete `leftovers` in phase order, the asynchronous ones waited for; return them."""
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for phase in PHASES:
            items = [item for item in leftovers if item.kind in phase]
            if not items:
                continue
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
            _wait_gone(conn, items, deadline, progress)
    return list(leftovers)
