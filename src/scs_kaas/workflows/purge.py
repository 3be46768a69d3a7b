"""`kaas purge`: everything of this environment's prefix in the project (R1's `make purge`).

Unlike R1 (`ospurge` of the whole project) only what is proven to be the prefix's: every
cluster's leftovers (openstack/leftovers.py, for each cluster of the prefix the cloud shows),
the management host's tagged resources and root volume, the node images tagged for the prefix,
the keypair when it holds the key recorded in the state, and all the prefix's application
credentials, last. Deleted as one sweep (each deletion once what it needs is gone, verified).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError
from scs_kaas.openstack import images, keypairs, sweep
from scs_kaas.openstack.app_credentials import (
    CredentialOwner,
    delete_app_credentials,
    owned_app_credentials,
)
from scs_kaas.openstack.leftovers import Leftover, classify, read_inventory
from scs_kaas.workflows.audit import clusters_in_cloud, management_leftovers, owner_in
from scs_kaas.workflows.cluster.sweep import by_kind
from scs_kaas.workflows.progress import Progress, StepEvent, quiet


@dataclass(frozen=True)
class PurgePlan:
    prefix: str
    clusters: list[str]
    resources: dict[str, list[str]]
    images: list[str]
    keypair: str | None
    credentials: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.resources or self.images or self.keypair or self.credentials)


@dataclass(frozen=True)
class _Found:
    plan: PurgePlan
    leftovers: list[Leftover]
    image_ids: list[str]
    owners: list[CredentialOwner]


def _find(
    conn: Connection,
    prefix: str,
    key_fingerprint: str | None,
    listed: dict[str, list[Any]] | None = None,
) -> _Found:
    inventory = read_inventory(conn, listed=listed)
    clusters = sorted(clusters_in_cloud(inventory, prefix))
    leftovers: list[Leftover] = []
    for cluster in clusters:
        leftovers += classify(inventory, owner_in(inventory, prefix, cluster), False).leftovers
    leftovers += management_leftovers(inventory, prefix)
    owned_images = images.owned_images(conn, prefix)
    notes = []
    keypair = naming.keypair(prefix)
    if key_fingerprint is None or conn.compute.find_keypair(keypair) is None:
        keypair_shown = None
        if conn.compute.find_keypair(keypair) is not None:
            notes.append(f"keypair {keypair} is left: no recorded key proves it ours")
    else:
        keypair_shown = keypair
    owners = [CredentialOwner(prefix, c) for c in clusters] + [CredentialOwner(prefix)]
    credentials = [c for o in owners for c in owned_app_credentials(conn, o)]
    plan = PurgePlan(
        prefix,
        clusters,
        by_kind(leftovers),
        sorted(f"{i.name} ({i.id})" for i in owned_images),
        keypair_shown,
        sorted(f"{c.name} ({c.id})" for c in credentials),
        notes,
    )
    return _Found(plan, leftovers, [i.id for i in owned_images], owners)


def plan(conn: Connection, prefix: str, key_fingerprint: str | None) -> PurgePlan:
    return _find(conn, prefix, key_fingerprint).plan


def run(
    conn: Connection,
    prefix: str,
    key_fingerprint: str | None,
    timeout: float,
    progress: Progress = quiet,
) -> PurgePlan:
    """Delete what `plan` lists; verify nothing of it is left; return the plan."""
    started = time.monotonic()
    found = _find(conn, prefix, key_fingerprint)

    def report(kind: str, phase: str, detail: str) -> None:
        progress(StepEvent(kind, phase, detail))

    listed = sweep.sweep(conn, found.leftovers, timeout, report)
    for image_id in found.image_ids:
        images.delete_image(conn, image_id)
    if found.plan.keypair and key_fingerprint:
        keypairs.delete_keypair(conn, found.plan.keypair, key_fingerprint)
    for owner in found.owners:
        delete_app_credentials(conn, owner)
    # the kinds the sweep waited for were listed once gone: not listed again
    left = _find(conn, prefix, key_fingerprint, listed).plan
    if not left.empty:
        raise CloudError(f"still there after the purge (made meanwhile?): {left}")
    progress(StepEvent("purge", "deleted", f"in {time.monotonic() - started:.1f} s"))
    return found.plan
