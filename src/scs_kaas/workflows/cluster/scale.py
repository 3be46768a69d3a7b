"""`kaas cluster scale NAME GROUP=N ...`: change the replica count of node groups (or of the
control plane), nothing else.

Each change is a server-side apply of exactly `spec.replicas` under a field manager of its own
(`scs-kaas-scale`): an apply by `scs-kaas` with only that field would drop every other field
the create applied. The scale manager takes the field over (forced); the next `kaas cluster
create` applies the count in the settings again and takes it back. So the cluster file stays
the truth: the result says which `count` to write there. Everything is checked before the first
write: unknown groups (the known ones are named), an autoscaled group's min/max (from the
MachineDeployment's autoscaler annotations), an even control-plane count. A dry run sends the
same applies as server-side dry runs, so the webhooks judge them and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scs_kaas.errors import ClusterError, SettingProblem, SettingsError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for
from scs_kaas.render.metadata import CLUSTER_API, CONTROLPLANE_API
from scs_kaas.workflows import defaults
from scs_kaas.workflows.cluster.list import autoscale_bounds
from scs_kaas.workflows.cluster.objects import (
    ClusterObjects,
    name_of,
    node_group_of,
    observed_current,
    read_cluster_objects,
    spec_of,
    status_of,
)
from scs_kaas.workflows.cluster.target import ClusterTarget, owned_cluster
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

SCALE_MANAGER = "scs-kaas-scale"
CONTROL_PLANE = "control-plane"
DEFAULT_TIMEOUT = defaults.CLUSTER_SCALE_TIMEOUT


@dataclass(frozen=True)
class ScaleChange:
    group: str
    kind: str
    name: str
    before: int | None  # None: the autoscaler owned the count
    after: int


@dataclass(frozen=True)
class ScaleResult:
    cluster: str
    namespace: str
    changes: tuple[ScaleChange, ...]
    dry_run: bool
    waited: bool
    notes: tuple[str, ...]


def parse_counts(pairs: Sequence[str]) -> dict[str, int]:
    """GROUP=N pairs; bad input is a SettingsError (exit 2) naming the pair."""
    counts: dict[str, int] = {}
    problems = []
    for pair in pairs:
        group, sep, value = pair.partition("=")
        if not sep or not group or not value.isdigit():
            problems.append(SettingProblem("GROUP=N", "must look like md-0=5", pair))
            continue
        if group in counts:
            problems.append(SettingProblem(group, "given twice", pair))
        counts[group] = int(value)
    if not pairs:
        problems.append(SettingProblem("GROUP=N", "name at least one group, e.g. md-0=5"))
    if problems:
        raise SettingsError(problems)
    return counts


def plan_changes(objects: ClusterObjects, counts: Mapping[str, int]) -> list[ScaleChange]:
    """The changes for `counts`, or a SettingsError naming every group that does not fit
    (pure: from the objects already read)."""
    groups = {node_group_of(d): d for d in objects.machine_deployments}
    known = ", ".join([CONTROL_PLANE, *sorted(groups)])
    changes: list[ScaleChange] = []
    problems: list[SettingProblem] = []
    for group, count in counts.items():
        if group == CONTROL_PLANE and objects.control_plane is not None:
            if count % 2 == 0 or not 1 <= count <= 7:
                problems.append(
                    SettingProblem(group, "must be odd, 1 to 7, so etcd keeps a quorum", str(count))
                )
                continue
            plane = objects.control_plane
            before = spec_of(plane).get("replicas")
            changes.append(ScaleChange(group, "KubeadmControlPlane", name_of(plane), before, count))
            continue
        if group not in groups:
            problems.append(SettingProblem(group, f"no such group; the cluster has: {known}"))
            continue
        deployment = groups[group]
        bounds = autoscale_bounds(deployment)
        if bounds is not None and not bounds[0] <= count <= bounds[1]:
            problems.append(
                SettingProblem(
                    group,
                    f"is autoscaled between {bounds[0]} and {bounds[1]}; change "
                    "autoscale_min/autoscale_max in the settings to go beyond",
                    str(count),
                )
            )
            continue
        before = spec_of(deployment).get("replicas")
        changes.append(ScaleChange(group, "MachineDeployment", name_of(deployment), before, count))
    if problems:
        raise SettingsError(problems)
    return changes


def _api(kind: str) -> str:
    return CONTROLPLANE_API if kind == "KubeadmControlPlane" else CLUSTER_API


def _apply_replicas(
    kube: KubeClient, namespace: str, change: ScaleChange, dry_run: bool
) -> dict[str, Any]:
    body = {
        "apiVersion": _api(change.kind),
        "kind": change.kind,
        "metadata": {"name": change.name, "namespace": namespace},
        "spec": {"replicas": change.after},
    }
    return kube.apply(
        body,
        field_manager=SCALE_MANAGER,
        dry_run=dry_run,
        action=f"scaling {change.kind} {namespace}/{change.name}",
    )


def has_replicas(count: int) -> Any:
    """The controller has made (or removed) machines until there are `count` of them."""

    def predicate(obj: Mapping[str, Any] | None) -> bool:
        if obj is None:
            return False
        return observed_current(obj) and int(status_of(obj).get("replicas") or 0) == count

    return predicate


def run(
    kube: KubeClient,
    target: ClusterTarget,
    counts: Mapping[str, int],
    dry_run: bool = False,
    wait: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = quiet,
) -> ScaleResult:
    """Check every count, then apply them (or dry-run them) and optionally wait."""
    cluster = owned_cluster(kube, target)
    if cluster is None:
        raise ClusterError(f"there is no Cluster {target}")
    changes = plan_changes(read_cluster_objects(kube, cluster), counts)
    for change in changes:
        progress(StepEvent(f"scale {change.group}", "start", f"{change.before} -> {change.after}"))
        _apply_replicas(kube, target.namespace, change, dry_run)
        phase = "skipped" if dry_run else "exists" if change.before == change.after else "changed"
        progress(StepEvent(f"scale {change.group}", phase, f"{change.kind} {change.name}"))
    if wait and not dry_run:
        for change in changes:
            progress(StepEvent(f"wait {change.group}", "start", f"{change.after} machines"))
            wait_for(
                kube,
                _api(change.kind),
                change.kind,
                change.name,
                target.namespace,
                has_replicas(change.after),
                timeout,
            )
            progress(StepEvent(f"wait {change.group}", "exists", f"{change.after} machines"))
    notes = tuple(
        f"set the count of {c.group} to {c.after} in the cluster file: the next "
        "`kaas cluster create` applies the settings' count again"
        for c in changes
        if c.before != c.after and not dry_run
    )
    return ScaleResult(
        target.name, target.namespace, tuple(changes), dry_run, wait and not dry_run, notes
    )
