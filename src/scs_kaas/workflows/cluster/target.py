"""Which workload cluster a command works on, and the proof that it is this environment's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.render.metadata import CLUSTER_API


@dataclass(frozen=True)
class ClusterTarget:
    """One workload cluster of an environment, where it lives in the management cluster."""

    prefix: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def selector(self) -> str:
        return f"{naming.LABEL_CLUSTER_NAME}={self.name},{naming.LABEL_PREFIX}={self.prefix}"


def namespace_note(target: ClusterTarget) -> str:
    return (
        f"namespace {target.namespace} is kept (it may hold objects scs-kaas did not make); "
        f"`kubectl delete namespace {target.namespace}` removes it and all in it"
    )


def owned_cluster(kube: KubeClient, target: ClusterTarget) -> dict[str, Any] | None:
    """The Cluster, or None if it is absent; a ClusterError if it is not this environment's."""
    found = kube.get(CLUSTER_API, "Cluster", target.name, target.namespace)
    if found is not None:
        check_owned(found, target)
    return found


def check_owned(cluster: Mapping[str, Any], target: ClusterTarget) -> None:
    labels = (cluster.get("metadata") or {}).get("labels") or {}
    wanted = {
        naming.LABEL_MANAGED_BY: naming.MANAGED_BY,
        naming.LABEL_PREFIX: target.prefix,
        naming.LABEL_CLUSTER_NAME: target.name,
    }
    wrong = [f"{k}={labels.get(k)!r}" for k, v in wanted.items() if labels.get(k) != v]
    if wrong:
        raise ClusterError(
            f"Cluster {target} is not one scs-kaas made for prefix {target.prefix!r} "
            f"(labels {', '.join(wrong)}); nothing was deleted. Check --set prefix=..., or "
            "delete it with kubectl if it is yours"
        )
