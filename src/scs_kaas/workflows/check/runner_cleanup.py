"""Removing what hydrophone made for a run of `kaas check conformance` (checks.runner_objects):
its namespace, which kaas made and labelled (the ServiceAccount and the pod go with it), and
the two cluster-wide RBAC objects named after that namespace and labelled by hydrophone.
Anything of those names without those labels is not touched, and the check refuses to run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scs_kaas.checks.runner_objects import COMPONENT_LABEL, RunnerObjects
from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_deleted

RBAC = "rbac.authorization.k8s.io/v1"


def remove_runner_objects(
    workload: KubeClient, objects: RunnerObjects, labels: Mapping[str, str], timeout: float
) -> list[str]:
    """Delete the runner's objects of `objects.namespace`, wait until they are gone; what was
    deleted, as "Kind name"."""
    found: list[tuple[str, str, str]] = []
    namespace = workload.get("v1", "Namespace", objects.namespace)
    if namespace is not None:
        _require_labels(namespace, labels, f"namespace {objects.namespace}")
        found.append(("v1", "Namespace", objects.namespace))
    key, value = COMPONENT_LABEL
    for kind, name in (
        ("ClusterRoleBinding", objects.cluster_role_binding),
        ("ClusterRole", objects.cluster_role),
    ):
        item = workload.get(RBAC, kind, name)
        if item is not None:
            _require_labels(item, {key: value}, f"{kind} {name}")
            found.append((RBAC, kind, name))
    for api_version, kind, name in found:
        workload.delete(api_version, kind, name)
    for api_version, kind, name in found:
        wait_deleted(workload, api_version, kind, name, None, timeout)
    return [f"{kind} {name}" for _, kind, name in found]


def _require_labels(item: Mapping[str, Any], labels: Mapping[str, str], what: str) -> None:
    have = (item.get("metadata") or {}).get("labels") or {}
    if any(have.get(key) != value for key, value in labels.items()):
        wanted = ",".join(f"{key}={value}" for key, value in labels.items())
        raise ClusterError(
            f"{what} exists without the labels {wanted}: it is not the conformance check's"
            " runner's, so it is left alone and the check does not run; delete it or rename it"
        )
