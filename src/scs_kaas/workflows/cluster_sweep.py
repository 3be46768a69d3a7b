"""`kaas cluster sweep`: delete what one workload cluster left in the cloud, its credential last.

R1's `fullclean`, and the last step of `kaas cluster delete`. It needs no management cluster:
everything is found in the cloud by the proofs of openstack/leftovers.py (a resource that only
looks like the cluster's is listed as a suspect and left). Deletion goes phase by phase,
concurrently within one (openstack/sweep.py); afterwards the project is listed again and must
show nothing of the cluster, then the application credential goes, so that a sweep interrupted
before it can still be finished by a controller using that credential or by a re-run.
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
    delete_app_credentials,
    owned_app_credentials,
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
from scs_kaas.workflows.mgmt import Progress, StepEvent, quiet

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


def plan_sweep(conn: Connection, owner: ClusterOwner, keep_volumes: bool = False) -> SweepPlan:
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
    started = time.monotonic()
    leftovers, suspects = find(conn, owner, keep_volumes)

    def report(kind: str, phase: str, detail: str) -> None:
        progress(StepEvent(kind, phase, detail))

    sweep.sweep(conn, leftovers, timeout, report)
    again, _ = find(conn, owner, keep_volumes)
    if again:
        shown = ", ".join(map(str, again))
        raise CloudError(f"still there after the sweep (made meanwhile?): {shown}; run it again")
    deleted_ids: list[str] = []
    if not keep_credential:
        credential = CredentialOwner(owner.prefix, owner.cluster)
        deleted_ids = delete_app_credentials(conn, credential)
        if owned_app_credentials(conn, credential):
            raise CloudError(f"application credential {credential.name} is still there")
        if deleted_ids:
            progress(StepEvent("app-credential", "deleted", ", ".join(deleted_ids)))
    return SweepResult(
        owner.prefix,
        owner.cluster,
        by_kind(leftovers),
        deleted_ids,
        round(time.monotonic() - started, 3),
        _shown(suspects),
    )
