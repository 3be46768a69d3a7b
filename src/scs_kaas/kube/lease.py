"""A coordination.k8s.io Lease as the lock of one cluster's changing commands.

Two `kaas cluster create` (or a delete and an upgrade) of one cluster must not run side by side,
from whichever machine: the lock lives where the cluster lives, in the management cluster. The
holder renews the Lease while it works and deletes it at the end. A Lease its holder stopped
renewing (the process died) is taken over once it has not changed for its duration, as this
process sees it, so another machine's clock does not matter (what client-go's leader election
does), or at once when its renew time lies far in the past.

Every write names the resourceVersion it read: of two processes taking the same Lease, the
API server lets exactly one succeed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kubernetes import client as k8s

from scs_kaas.errors import ClusterError, Conflict, NotFound
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.failures import describe, translated

log = logging.getLogger(__name__)

DURATION = 60  # seconds a Lease stays valid without renewal
# A renew time older than this (and the duration) is expired whatever this machine's clock
# is off by: a holder that died long ago is taken over at once, without waiting.
CLOCK_SLACK = timedelta(minutes=5)
POLL_INTERVAL = 1.0


def holder_identity(command: str) -> str:
    """Who holds it, for the messages of whoever waits: the command, its pid and host."""
    return f"{command} (pid {os.getpid()} on {socket.gethostname()})"


def _micro_time(moment: datetime) -> str:
    # MicroTime wants exactly six fractional digits; isoformat() drops them when zero
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Lost(ClusterError):
    """Another process holds the Lease now, or nobody: ours it is no longer."""


@dataclass
class _Observed:
    """The Lease as this process last saw it, and since when (monotonic) it has not changed."""

    version: str = ""
    since: float = 0.0


@dataclass
class LeaseLock:
    """The Lease `namespace/name` taken for `holder`, renewed every third of `duration`."""

    kube: KubeClient
    namespace: str
    name: str
    holder: str
    duration: int = DURATION
    version: str = ""  # resourceVersion of our last write
    lost: str | None = None  # why renewal failed, if it did
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def api(self) -> Any:
        return k8s.CoordinationV1Api(self.kube._api)

    def _doing(self, what: str) -> str:
        return f"{what} the lease {self.namespace}/{self.name}"

    def _body(self, transitions: int, acquired: datetime, version: str | None) -> dict[str, Any]:
        now = datetime.now(UTC)
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if version:
            metadata["resourceVersion"] = version
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": metadata,
            "spec": {
                "holderIdentity": self.holder,
                "leaseDurationSeconds": self.duration,
                "acquireTime": _micro_time(acquired),
                "renewTime": _micro_time(now),
                "leaseTransitions": transitions,
            },
        }

    def _read(self) -> Any | None:
        try:
            with translated(self._doing("reading")):
                return self.api.read_namespaced_lease(
                    self.name, self.namespace, _request_timeout=self.kube.timeout
                )
        except NotFound:
            return None

    def _create(self) -> bool:
        body = self._body(0, datetime.now(UTC), None)
        try:
            with translated(self._doing("creating")):
                made = self.api.create_namespaced_lease(
                    self.namespace, body, _request_timeout=self.kube.timeout
                )
        except Conflict:  # another process created it first
            return False
        self.version = made.metadata.resource_version
        return True

    def _replace(self, lease: Any, transitions: int, acquired: datetime) -> bool:
        body = self._body(transitions, acquired, lease.metadata.resource_version)
        try:
            with translated(self._doing("writing")):
                written = self.api.replace_namespaced_lease(
                    self.name, self.namespace, body, _request_timeout=self.kube.timeout
                )
        except (NotFound, Conflict):  # changed or deleted since we read it
            return False
        self.version = written.metadata.resource_version
        return True

    def try_take(self, observed: _Observed) -> Any | None:
        """Take the Lease if free, ours or expired: None when taken, else the holder's Lease."""
        lease = self._read()
        while lease is None:
            if self._create():
                return None
            lease = self._read()  # another process created it first (None: and deleted it)
        spec = lease.spec
        now = time.monotonic()
        if lease.metadata.resource_version != observed.version:
            observed.version, observed.since = lease.metadata.resource_version, now
        transitions = spec.lease_transitions or 0
        if not spec.holder_identity or spec.holder_identity == self.holder:
            taken = self._replace(lease, transitions, datetime.now(UTC))
        elif _expired(lease, now - observed.since):
            log.info("taking over the expired lease of %s", spec.holder_identity)
            taken = self._replace(lease, transitions + 1, datetime.now(UTC))
        else:
            return lease
        return None if taken else lease

    def renew(self) -> bool:
        """Renew the Lease; False if that failed for now. `_Lost` once another holds it."""
        lease = self._read()
        if lease is None or lease.spec.holder_identity != self.holder:
            holder = "nobody" if lease is None else lease.spec.holder_identity
            raise _Lost(f"it is now held by {holder}")
        acquired = lease.spec.acquire_time or datetime.now(UTC)
        return self._replace(lease, lease.spec.lease_transitions or 0, acquired)

    def keep_renewing(self) -> None:
        """The renewal thread, until stopped. A failed renewal is tried again on the next
        round until the Lease would have expired; then, or once another holds it, `lost` says
        why."""
        renewed = time.monotonic()
        while not self._stop.wait(self.duration / 3):
            try:
                if self.renew():
                    renewed = time.monotonic()
                    continue
                why = "it was changed by another process"
            except _Lost as error:
                self._lose(str(error))
                return
            except ClusterError as error:
                why = str(error)
            except Exception as error:  # a thread's error must end up here, not on stderr
                why = describe(error)
            if time.monotonic() - renewed >= self.duration:
                self._lose(f"not renewed for {self.duration} s: {why}")
                return
            log.info("renewing lease %s/%s failed: %s", self.namespace, self.name, why)

    def _lose(self, why: str) -> None:
        self.lost = why
        log.warning("lost lease %s/%s: %s", self.namespace, self.name, why)

    def stop_renewing(self) -> None:
        self._stop.set()

    def release(self) -> None:
        """Delete the Lease if it is still ours as we last wrote it; never another's."""
        if self.lost is not None:
            return
        preconditions = k8s.V1Preconditions(resource_version=self.version)
        try:
            with translated(self._doing("releasing")):
                self.api.delete_namespaced_lease(
                    self.name,
                    self.namespace,
                    body=k8s.V1DeleteOptions(preconditions=preconditions),
                    _request_timeout=self.kube.timeout,
                )
        except ClusterError as error:
            log.warning("%s (it expires by itself; the next run takes it over)", error)


def _expired(lease: Any, unchanged_for: float) -> bool:
    duration = lease.spec.lease_duration_seconds or DURATION
    if unchanged_for >= duration:
        return True
    renewed = lease.spec.renew_time
    if renewed is None:
        return False
    return bool(renewed + timedelta(seconds=duration) + CLOCK_SLACK < datetime.now(UTC))


@contextmanager
def lease_held(
    kube: KubeClient,
    namespace: str,
    name: str,
    holder: str,
    timeout: float,
    say: Callable[[str], None],
    duration: int = DURATION,
    interval: float = POLL_INTERVAL,
) -> Iterator[LeaseLock]:
    """Hold the Lease `namespace/name` while the block runs.

    Taken at once when free; else `say` tells once whom this waits for, and after `timeout`
    seconds (0: at once) a ClusterError names the holder and what to do.
    """
    lock = LeaseLock(kube, namespace, name, holder, duration)
    observed = _Observed()
    deadline = time.monotonic() + timeout
    holding = lock.try_take(observed)
    if holding is not None and timeout > 0:
        say(f"waiting for {_held_by(lock, holding)} (up to {timeout:.0f} s; --lock-timeout)")
    while holding is not None:
        if time.monotonic() >= deadline:
            raise ClusterError(
                f"{_held_by(lock, holding)} is running; nothing was changed: run again when "
                "it is done, or wait for it with --lock-timeout SECONDS (a holder that died "
                f"is taken over once its lease went {duration} s without renewal)"
            )
        time.sleep(interval)
        holding = lock.try_take(observed)
    renewer = threading.Thread(target=lock.keep_renewing, name=f"lease {name}", daemon=True)
    renewer.start()
    try:
        yield lock
    finally:
        lock.stop_renewing()
        renewer.join()  # at most one request's timeout: then no renewal races the release
        if lock.lost is not None:
            say(
                f"warning: the lease {namespace}/{name} was lost while this ran ({lock.lost}): "
                "another run may have changed the cluster meanwhile; run this command again"
            )
        lock.release()


def _held_by(lock: LeaseLock, lease: Any) -> str:
    """`<holder> (lease ns/name, renewed ...)`, for the messages of whoever waits."""
    renewed = lease.spec.renew_time
    when = f", renewed {renewed:%Y-%m-%d %H:%M:%S} UTC" if renewed else ""
    return f"{lease.spec.holder_identity} (lease {lock.namespace}/{lock.name}{when})"
