"""`kubectl rollout restart` for the workloads that match a label selector.

A restart changes nothing but the pod template's `kubectl.kubernetes.io/restartedAt`
annotation, the same patch kubectl sends: the controller then replaces the pods by the
workload's own update strategy (rolling, surge, budget), and a later `kubectl rollout restart`
or `helm upgrade` sees nothing foreign. Pods re-read their mounted config only when they start,
which is what a restart is for.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for

log = logging.getLogger(__name__)

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# The kinds `kubectl rollout restart` handles.
RESTARTABLE = ("Deployment", "DaemonSet", "StatefulSet")


@dataclass(frozen=True)
class Restarted:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


def rollout_restart(
    client: KubeClient,
    namespace: str,
    selector: str,
    kinds: Sequence[str] = RESTARTABLE,
    at: datetime.datetime | None = None,
) -> list[Restarted]:
    """Restart every workload of `kinds` in `namespace` whose labels match `selector` (the
    `-l` of kubectl); returns what was restarted, possibly nothing. `at` is the time written
    to the annotation (default now, UTC)."""
    stamp = (at or datetime.datetime.now(tz=datetime.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    restarted: list[Restarted] = []
    for kind in kinds:
        for name in _names(client, kind, namespace, selector):
            target = Restarted(kind, namespace, name)
            done = ", ".join(map(str, restarted)) or "nothing"
            try:
                client.patch(
                    "apps/v1",
                    kind,
                    name,
                    namespace,
                    patch,
                    content_type="application/strategic-merge-patch+json",
                    action=f"restarting {target}",
                )
            except ClusterError as error:
                raise type(error)(f"{error} (restarted before: {done})") from error
            log.info("restarted %s", target)
            restarted.append(target)
    return restarted


def _names(client: KubeClient, kind: str, namespace: str, selector: str) -> list[str]:
    listed = client.list(
        "apps/v1",
        kind,
        namespace,
        label_selector=selector,
        action=f"listing {kind}s in {namespace} with labels {selector}",
    )
    return sorted(str(item["metadata"]["name"]) for item in listed)


def rolled_out(kind: str) -> Callable[[Mapping[str, Any] | None], bool]:
    """Whether a workload of `kind` finished its rollout, as `kubectl rollout status` decides:
    the controller saw the latest spec, every replica (or scheduled pod) runs the new template
    and is available, and none of the old ones is left."""

    def done(obj: Mapping[str, Any] | None) -> bool:
        if obj is None:
            return False
        generation = (obj.get("metadata") or {}).get("generation", 0)
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if status.get("observedGeneration", 0) < generation:
            return False
        if kind == "DaemonSet":
            desired = status.get("desiredNumberScheduled", 0)
            return bool(
                status.get("updatedNumberScheduled", 0) >= desired
                and status.get("numberAvailable", 0) >= desired
            )
        wanted = spec.get("replicas", 1)
        updated = status.get("updatedReplicas", 0)
        if kind == "StatefulSet":
            return bool(updated >= wanted and status.get("readyReplicas", 0) >= wanted)
        return bool(  # Deployment
            updated >= wanted
            and status.get("replicas", 0) <= updated
            and status.get("availableReplicas", 0) >= updated
        )

    return done


def wait_rolled_out(client: KubeClient, workloads: Sequence[Restarted], timeout: float) -> None:
    """Wait (watching) until every workload finished its rollout; WaitTimeout on timeout."""
    deadline = time.monotonic() + timeout
    for workload in workloads:
        remaining = max(0.1, deadline - time.monotonic())  # at least one look
        wait_for(
            client,
            "apps/v1",
            workload.kind,
            workload.name,
            workload.namespace,
            rolled_out(workload.kind),
            remaining,
            late=f"the rollout of {workload} did not finish within {timeout:g}s",
        )
