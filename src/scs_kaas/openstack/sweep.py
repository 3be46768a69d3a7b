"""Delete proven leftovers (openstack/leftovers.py), each as soon as what it needs is gone.

What a deletion needs (leftovers.AFTER: a subnet with a load balancer's VIP port or a router
interface on it cannot go, a volume with snapshots or attached to a server neither) is known
per resource; a deletion starts the moment its prerequisites are done, independent ones side by
side (bounded), rather than phase by phase: one slow deletion does not hold up the unrelated
rest. Nova servers, Octavia load balancers and Cinder volumes and snapshots go asynchronously:
each such kind is re-listed, once for all its objects, until none is there: first about when
the cloud is usually done with it (FIRST_POLL), then at short, growing intervals. A kind is
re-listed early only while a deletion waits for it; the rest at the end. The listing that
showed a kind gone is handed back, so the caller's verification (cluster/sweep.py, purge.py:
one more listing of the project) need not list the kind again. Neutron's and the server
groups' deletions are done when the call returns and are verified by that listing. A refusal
that the cloud lifts by itself, a 409 (in use, `PENDING_UPDATE`) or Cinder's 400 for a volume
still detaching, is retried with backoff until the deadline; anything else fails the sweep
with the resource named. Gone already (404) is success: a re-run after an interruption
continues. No call looks a resource up before deleting it (openstacksdk's `delete_*` with
`ignore_missing` sends the DELETE alone).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from openstack.connection import Connection
from openstack.exceptions import BadRequestException, ConflictException, NotFoundException

from scs_kaas.errors import CloudError
from scs_kaas.openstack.leftovers import AFTER, Leftover, list_kind

MAX_PARALLEL = 8
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 4.0
ASYNCHRONOUS = ("server", "load balancer", "volume", "snapshot")
# the first re-listing after a deletion was asked for, about when the cloud is usually done:
# Nova terminates on the compute node, gives the ports back to Neutron, then drops the record
# (some 3-5 s even with a fake driver); Octavia's cascade and Cinder's deletions take a second
FIRST_POLL = {"server": 3.0, "load balancer": 1.0, "volume": 0.5, "snapshot": 0.5}
# later looks: soon after the first (most are done about then), further apart the longer
NEXT_POLL = 0.5
POLL_GROWTH = 1.5
MAX_POLL = 2.0
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
class _Poll:
    """One asynchronous kind being waited for: the IDs not yet seen gone, the next look."""

    ids: set[str]
    due: float
    interval: float = NEXT_POLL
    running: bool = False


@dataclass
class _Run:
    """The state of one sweep: what waits for what, what is being waited for, what is done."""

    waiting: dict[str, Leftover]  # ID -> not yet asked for
    needs: dict[str, set[str]]  # ID -> the IDs that must be done first
    unmet: dict[str, int]  # ID -> how many of those are not done yet
    unasked: dict[str, int]  # ID -> how many of those are not even asked for yet
    dependents: dict[str, list[str]]  # ID -> the IDs that need it done
    left: dict[str, int]  # kind -> deletions not yet done
    polls: dict[str, _Poll] = field(default_factory=dict)
    # kind -> the listing that showed none of its IDs any more (the verification's)
    listed: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, leftovers: Sequence[Leftover]) -> _Run:
        run = cls({item.id: item for item in leftovers}, {}, {}, {}, {}, {})
        for item in leftovers:
            needs = _prerequisites(item, leftovers)
            run.needs[item.id] = needs
            run.unmet[item.id] = run.unasked[item.id] = len(needs)
            for need in needs:
                run.dependents.setdefault(need, []).append(item.id)
            run.left[item.kind] = run.left.get(item.kind, 0) + 1
        return run

    def ready(self) -> list[Leftover]:
        """Take the waiting deletions whose prerequisites are all done."""
        items = [item for item in self.waiting.values() if self.unmet[item.id] == 0]
        for item in items:
            del self.waiting[item.id]
        return items

    def asked(self, item: Leftover) -> None:
        """`item`'s DELETE was accepted: done now, or once a listing shows it gone."""
        for dependent in self.dependents.get(item.id, ()):
            self.unasked[dependent] -= 1
        if item.kind not in ASYNCHRONOUS:
            self.finished(item.kind, {item.id})
            return
        due = time.monotonic() + FIRST_POLL[item.kind]
        poll = self.polls.setdefault(item.kind, _Poll(set(), due))
        poll.ids.add(item.id)
        # a listing before the cloud can be done with the newest deletion is a call wasted
        if poll.interval == NEXT_POLL:
            poll.due = max(poll.due, due)

    def finished(self, kind: str, ids: set[str]) -> None:
        self.left[kind] -= len(ids)
        for done in ids:
            for dependent in self.dependents.pop(done, ()):
                self.unmet[dependent] -= 1

    def blocking(self) -> set[str]:
        """The asynchronous kinds that a waiting deletion waits for and nothing else: a look
        at them could let it start (while it waits for other deletions too, it could not)."""
        stuck = [
            self.needs[item_id]
            for item_id in self.waiting
            if self.unmet[item_id] and not self.unasked[item_id]
        ]
        return {kind for kind, poll in self.polls.items() if any(n & poll.ids for n in stuck)}


def _prerequisites(item: Leftover, leftovers: Sequence[Leftover]) -> set[str]:
    kinds = AFTER.get(item.kind, ())
    ids = {other.id for other in leftovers if other.kind in kinds}
    if item.kind == "volume":
        servers = {other.id for other in leftovers if other.kind == "server"}
        ids |= servers if item.servers is None else servers & item.servers
    return ids


def sweep(
    conn: Connection,
    leftovers: Sequence[Leftover],
    timeout: float,
    progress: Report = quiet,
    parallel: int = MAX_PARALLEL,
) -> dict[str, list[Any]]:
    """Delete `leftovers`, each once its prerequisites are gone, the asynchronous ones waited
    for.

    Returns, for each asynchronous kind that had something to delete, the project's listing
    that showed it gone: the caller's verification need not list that kind again.
    """
    deadline = time.monotonic() + timeout
    run = _Run.of(leftovers)
    started: set[str] = set()
    running: dict[Future[Any], tuple[str, Leftover | str]] = {}
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        while run.waiting or running or run.polls:
            now = time.monotonic()
            if now >= deadline and not running:
                shown = [f"{k}: {', '.join(sorted(p.ids))}" for k, p in run.polls.items()]
                shown += [f"{item} (not deleted yet)" for item in run.waiting.values()]
                raise CloudError(f"still there after deletion (timed out): {'; '.join(shown)}")
            for item in run.ready():
                if item.kind not in started:
                    started.add(item.kind)
                    count = sum(1 for i in leftovers if i.kind == item.kind)
                    progress(item.kind, "start", f"{count} to delete")
                asking = pool.submit(_delete_with_retry, conn, item, deadline, progress)
                running[asking] = ("delete", item)
            # early looks only where they can let a deletion start; everything once none waits
            wanted = run.blocking() if run.waiting else set(run.polls)
            for kind in sorted(wanted):
                poll = run.polls[kind]
                if not poll.running and poll.due <= now:
                    poll.running = True
                    running[pool.submit(list_kind, conn, kind)] = ("list", kind)
            dues = [run.polls[k].due for k in wanted if not run.polls[k].running]
            # past the deadline: only what is under way is waited for (then the error)
            pause = max(0.0, min([*dues, deadline]) - now) if now < deadline else None
            finished, _ = wait(list(running), timeout=pause, return_when=FIRST_COMPLETED)
            for job in finished:
                what, subject = running.pop(job)
                if what == "delete":
                    assert isinstance(subject, Leftover)
                    job.result()  # a deletion that failed for good fails the sweep
                    run.asked(subject)
                    if subject.kind not in ASYNCHRONOUS and run.left[subject.kind] == 0:
                        progress(subject.kind, "deleted", "")
                else:
                    assert isinstance(subject, str)
                    _listed(run, subject, job.result(), progress)
    return run.listed


def _listed(run: _Run, kind: str, resources: list[Any], progress: Report) -> None:
    """A re-listing of `kind` came back: what is not in it any more is gone."""
    poll = run.polls[kind]
    present = {str(r.id) for r in resources}
    gone = poll.ids - present
    poll.ids &= present
    poll.running = False
    if gone:
        run.finished(kind, gone)
    if poll.ids:
        poll.due = time.monotonic() + poll.interval
        poll.interval = min(MAX_POLL, poll.interval * POLL_GROWTH)
        return
    del run.polls[kind]
    run.listed[kind] = resources
    if run.left[kind] == 0:
        progress(kind, "deleted", "gone (re-listed)")
