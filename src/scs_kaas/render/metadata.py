"""Object metadata shared by every rendered manifest."""

from __future__ import annotations

from typing import Any

from scs_kaas import naming


def common_labels(cluster: str, prefix: str) -> dict[str, str]:
    return {
        naming.LABEL_CLUSTER_NAME: cluster,
        naming.LABEL_MANAGED_BY: naming.MANAGED_BY,
        naming.LABEL_PREFIX: prefix,
    }


def manifest(
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None,
    labels: dict[str, str],
    spec: dict[str, Any] | None = None,
    **top_level: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = dict(labels)
    document: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    if spec is not None:
        document["spec"] = spec
    document.update(top_level)
    return document


def ref(api_group: str, kind: str, name: str) -> dict[str, str]:
    """A CAPI v1beta2 contract-versioned reference."""
    return {"apiGroup": api_group, "kind": kind, "name": name}


CLUSTER_API = "cluster.x-k8s.io/v1beta2"
BOOTSTRAP_API = "bootstrap.cluster.x-k8s.io/v1beta2"
CONTROLPLANE_API = "controlplane.cluster.x-k8s.io/v1beta2"
INFRA_API = "infrastructure.cluster.x-k8s.io/v1beta2"
BOOTSTRAP_GROUP = "bootstrap.cluster.x-k8s.io"
CONTROLPLANE_GROUP = "controlplane.cluster.x-k8s.io"
INFRA_GROUP = "infrastructure.cluster.x-k8s.io"
