"""Garbage collection of a cluster's machine templates that nothing refers to any more.

Every change of a machine's spec renders a template of a new name (a hash of the spec), so the
management cluster would collect one OpenStackMachineTemplate and one KubeadmConfigTemplate per
change. A template is deleted only when all of these hold: it carries scs-kaas's managed-by,
prefix and cluster-name labels; no KubeadmControlPlane, MachineDeployment or MachineSet of the
namespace refers to it (a MachineSet of an older revision keeps its templates until CAPI
removes it); and it is older than `GRACE_SECONDS`, so a template a create is applying right now,
before the object that will refer to it, is left alone. Templates are listed before the
references are read, and each deletion is conditional on the version listed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from scs_kaas.kube.apply import delete_while_ours, owned_objects
from scs_kaas.kube.client import KubeClient
from scs_kaas.render.metadata import BOOTSTRAP_API, CLUSTER_API, CONTROLPLANE_API, INFRA_API
from scs_kaas.workflows.cluster.list import age_seconds
from scs_kaas.workflows.cluster.objects import list_objects, spec_of
from scs_kaas.workflows.cluster.target import ClusterTarget

GRACE_SECONDS = 120
TEMPLATE_KINDS: tuple[tuple[str, str], ...] = (
    (INFRA_API, "OpenStackMachineTemplate"),
    (BOOTSTRAP_API, "KubeadmConfigTemplate"),
)


def references(
    planes: Iterable[Mapping[str, Any]], owners: Iterable[Mapping[str, Any]]
) -> set[tuple[str, str]]:
    """(kind, name) of every template the control planes and the MachineDeployments and
    MachineSets (`owners`) refer to (pure)."""
    found: set[tuple[str, str]] = set()
    for plane in planes:
        machine = (spec_of(plane).get("machineTemplate") or {}).get("spec") or {}
        ref = machine.get("infrastructureRef") or {}
        found.add((str(ref.get("kind")), str(ref.get("name"))))
    for owner in owners:
        template = (spec_of(owner).get("template") or {}).get("spec") or {}
        infra = template.get("infrastructureRef") or {}
        bootstrap = (template.get("bootstrap") or {}).get("configRef") or {}
        found.add((str(infra.get("kind")), str(infra.get("name"))))
        found.add((str(bootstrap.get("kind")), str(bootstrap.get("name"))))
    return found


def run(
    kube: KubeClient,
    target: ClusterTarget,
    dry_run: bool = False,
    grace_seconds: float = GRACE_SECONDS,
    now: datetime.datetime | None = None,
) -> list[str]:
    """Delete (or, with `dry_run`, name) the cluster's templates nothing refers to."""
    now = now or datetime.datetime.now(tz=datetime.UTC)
    templates = owned_objects(kube, target.namespace, target.selector, TEMPLATE_KINDS)
    namespace = target.namespace
    planes = list_objects(kube, CONTROLPLANE_API, "KubeadmControlPlane", namespace)
    owners = list_objects(kube, CLUSTER_API, "MachineDeployment", namespace)
    owners += list_objects(kube, CLUSTER_API, "MachineSet", namespace)
    referenced = references(planes, owners)
    deleted = []
    for resource, ref, item in templates:
        if (ref.kind, ref.name) in referenced or age_seconds(item, now) < grace_seconds:
            continue
        if dry_run or delete_while_ours(kube, resource, ref, item, target.selector):
            deleted.append(str(ref))
    return deleted
