"""`kaas cluster sweep`: delete what one workload cluster left in the cloud, its credential last.

R1's `fullclean`, and the last step of `kaas cluster delete`. It needs no management cluster:
everything is found in the cloud by the proofs of openstack/leftovers.py (a resource that only
looks like the cluster's is listed as a suspect and left). Each deletion starts once what it
needs is gone, independent ones concurrently (openstack/sweep.py); afterwards the project is
listed again and must show nothing of the cluster, then the application credential goes, so
that a sweep interrupted before it can still be finished by a controller using that credential
or by a re-run.
Several clusters (`kaas cluster sweep A B`) share all of it: one listing of the project to find,
one sweep, one listing to verify, one of the credentials before and after deleting them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError
from scs_kaas.openstack import sweep
from scs_kaas.openstack.app_credentials import (
    CredentialOwner,
    delete_owned_credentials,
    owned_app_credentials,
    owned_app_credentials_of,
)
from scs_kaas.openstack.leftovers import (
    KINDS,
    ClusterOwner,
    Leftover,
    Suspect,
    classify,
    read_inventory,
)
from scs_kaas.render.server_groups import CONTROL_PLANE_ROLE
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import defaults
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

DEFAULT_TIMEOUT = defaults.CLUSTER_SWEEP_TIMEOUT


def server_group_roles(settings: Settings) -> list[str]:
    return [CONTROL_PLANE_ROLE, *(group.name for group in settings.node_groups)]


def cluster_owner(settings: Settings, cluster: str) -> ClusterOwner:
    """Whose leftovers a sweep of `cluster` looks for, from the environment's settings."""
    groups = (
        naming.server_group(settings.prefix, cluster, r) for r in server_group_roles(settings)
    )
    return ClusterOwner(settings.prefix, cluster, frozenset(groups))


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep would delete, by type in deletion order (read only)."""

    prefix: str
    cluster: str
    resources: dict[str, list[str]]
    credential_ids: list[str]
    suspects: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.resources.values()) + len(self.credential_ids)


@dataclass(frozen=True)
class SweepResult:
    prefix: str
    cluster: str
    deleted: dict[str, list[str]]
    credential_ids: list[str]
    seconds: float
    suspects: list[str] = field(default_factory=list)


def by_kind(items: Sequence[Leftover]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for kind in KINDS:
        shown = sorted(f"{i.name} ({i.id})" if i.name else i.id for i in items if i.kind == kind)
        if shown:
            grouped[kind] = shown
    return grouped


def _shown(suspects: Sequence[Suspect]) -> list[str]:
    return sorted(f"{s.kind} {s.name or s.id} ({s.id}): {s.reason}" for s in suspects)


def find(
    conn: Connection, owner: ClusterOwner, keep_volumes: bool
) -> tuple[list[Leftover], list[Suspect]]:
    found = classify(read_inventory(conn, with_volumes=True), owner, keep_volumes)
    return found.leftovers, found.suspects


def plan(conn: Connection, owner: ClusterOwner, keep_volumes: bool = False) -> SweepPlan:
    leftovers, suspects = find(conn, owner, keep_volumes)
    credentials = owned_app_credentials(conn, CredentialOwner(owner.prefix, owner.cluster))
    return SweepPlan(
        owner.prefix,
        owner.cluster,
        by_kind(leftovers),
        [c.id for c in credentials],
        _shown(suspects),
    )


def sweep_cluster(
    conn: Connection,
    owner: ClusterOwner,
    keep_volumes: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = quiet,
    keep_credential: bool = False,
) -> SweepResult:
    """Delete the cluster's leftovers, verify the project shows none, then its credential."""
    (result,) = run(conn, [owner], keep_volumes, timeout, progress, keep_credential)
    return result


def run(
    conn: Connection,
    owners: Sequence[ClusterOwner],
    keep_volumes: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = quiet,
    keep_credential: bool = False,
) -> list[SweepResult]:
    """`sweep_cluster` for several clusters at once: the project is listed once for all of
    them, their deletions share one sweep (and the bounded concurrency), and one listing
    afterwards verifies them all."""
    started = time.monotonic()
    inventory = read_inventory(conn)
    found = {owner: classify(inventory, owner, keep_volumes) for owner in owners}
    leftovers = list({(i.kind, i.id): i for f in found.values() for i in f.leftovers}.values())

    def report(kind: str, phase: str, detail: str) -> None:
        progress(StepEvent(kind, phase, detail))

    listed = sweep.sweep(conn, leftovers, timeout, report)
    # the kinds whose deletions were waited for were listed once they were gone already
    after = read_inventory(conn, listed=listed)
    again = [item for owner in owners for item in classify(after, owner, keep_volumes).leftovers]
    if again:
        shown = ", ".join(map(str, again))
        raise CloudError(f"still there after the sweep (made meanwhile?): {shown}; run it again")
    deleted: dict[ClusterOwner, list[str]] = {owner: [] for owner in owners}
    if not keep_credential:
        deleted = _delete_credentials(conn, owners, progress)
    seconds = round(time.monotonic() - started, 3)
    return [
        SweepResult(
            owner.prefix,
            owner.cluster,
            by_kind(found[owner].leftovers),
            deleted[owner],
            seconds,
            _shown(found[owner].suspects),
        )
        for owner in owners
    ]


def _delete_credentials(
    conn: Connection, owners: Sequence[ClusterOwner], progress: Progress
) -> dict[ClusterOwner, list[str]]:
    """Delete the clusters' application credentials (one listing before, one after unless
    there was nothing to delete)."""
    credentials = {owner: CredentialOwner(owner.prefix, owner.cluster) for owner in owners}
    owned = owned_app_credentials_of(conn, list(credentials.values()))
    deleted = {owner: delete_owned_credentials(conn, owned[credentials[owner]]) for owner in owners}
    if not any(deleted.values()):
        return deleted
    left = [
        c.name
        for found in owned_app_credentials_of(conn, list(credentials.values())).values()
        for c in found
    ]
    if left:
        raise CloudError(f"application credential {', '.join(left)} is still there")
    for ids in deleted.values():
        if ids:
            progress(StepEvent("app-credential", "deleted", ", ".join(ids)))
    return deleted
