"""`kaas cluster upgrade NAME --to VERSION`: one Kubernetes minor, in the order the version-skew
policy needs.

Checked before any write: the guard (`upgrade_guard`: no downgrade, no skipped minor, a target
Cluster API, CCM and Cinder CSI support), the node image of the target (`resolve_facts`: a
missing one names `kaas image ensure`), the cluster's credential in its identity Secret (an
upgrade never makes a new one). Then the render of the settings at the target version is
applied in steps, each waited for with a watch:

1. `control-plane`: the KubeadmControlPlane's version and its new machine template, until
   KCP reports every control-plane machine at the target (`status.versions`);
2. `node-group <name>`: each MachineDeployment (one after another, or all at once with
   `parallel`), until its machines all run the target;
3. `add-ons`: everything else, among it the OpenStack CCM and Cinder CSI chart lines that
   follow the Kubernetes minor;

then machine templates nothing refers to any more are deleted (`gc.py`). Re-running
after an interruption resumes: an applied step applies unchanged, and its wait returns at
once when the rollout is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for
from scs_kaas.render.addons.objects import ADDON_LABEL
from scs_kaas.render.cluster import NO_FILES, render_cluster
from scs_kaas.render.metadata import CLUSTER_API, CONTROLPLANE_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import defaults
from scs_kaas.workflows.cluster import gc as cluster_gc
from scs_kaas.workflows.cluster.diff import diff_documents
from scs_kaas.workflows.cluster.identity import cluster_identity
from scs_kaas.workflows.cluster.objects import (
    labels_of,
    observed_current,
    read_cluster_objects,
    spec_of,
    status_of,
)
from scs_kaas.workflows.cluster.prepare import check_before_writes
from scs_kaas.workflows.cluster.target import ClusterTarget, owned_cluster
from scs_kaas.workflows.cluster.upgrade_guard import check_supported, check_upgrade, live_versions
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

DEFAULT_TIMEOUT = defaults.CLUSTER_UPGRADE_TIMEOUT
CONTROL_PLANE_STEP = "control-plane"
ADDONS_STEP = "add-ons"

Document = dict[str, Any]


@dataclass(frozen=True)
class UpgradeOptions:
    timeout: float = DEFAULT_TIMEOUT  # for each rollout
    dry_run: bool = False
    parallel: bool = False  # the node groups all at once
    api_access_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepResult:
    step: str
    changed: tuple[str, ...]  # objects written (or, in a dry run, that would be)
    unchanged: int


@dataclass(frozen=True)
class UpgradeResult:
    cluster: str
    namespace: str
    to: str
    before: tuple[str, ...]  # the versions wanted or run before
    steps: tuple[StepResult, ...]
    deleted_templates: tuple[str, ...]
    dry_run: bool
    seconds: float
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Phases:
    """The render split into the steps of an upgrade."""

    base: list[Document]  # Namespace, Secrets, Cluster, OpenStackCluster
    control_plane: list[Document]
    node_groups: dict[str, list[Document]]
    addons: list[Document]


def split_phases(documents: Sequence[Mapping[str, Any]], cluster: str) -> Phases:
    """Which step applies each rendered object (pure)."""
    phases = Phases([], [], {}, [])
    plane = naming.control_plane(cluster)
    for document in documents:
        labels = labels_of(document)
        name = str((document.get("metadata") or {}).get("name", ""))
        if ADDON_LABEL in labels:
            phases.addons.append(dict(document))
        elif naming.LABEL_NODE_GROUP in labels:
            group = labels[naming.LABEL_NODE_GROUP]
            phases.node_groups.setdefault(group, []).append(dict(document))
        elif document.get("kind") == "KubeadmControlPlane" or name.startswith(plane):
            phases.control_plane.append(dict(document))
        else:
            phases.base.append(dict(document))
    return phases


def rolled_out(version: str) -> Callable[[Mapping[str, Any] | None], bool]:
    """KCP or a MachineDeployment whose controller has seen its spec and reports every one of
    its machines at `version`, and no more machines than wanted (the surge is gone)."""

    def predicate(obj: Mapping[str, Any] | None) -> bool:
        if obj is None:
            return False
        status = status_of(obj)
        if not observed_current(obj):
            return False
        reported = status.get("versions") or []
        wanted = int(spec_of(obj).get("replicas") or 0)
        running = sum(int(v.get("replicas") or 0) for v in reported)
        return all(v.get("version") == version for v in reported) and running == wanted

    return predicate


def _describe_rollout(obj: Mapping[str, Any]) -> str:
    reported = status_of(obj).get("versions") or []
    text = ", ".join(f"{v.get('version')} x{v.get('replicas')}" for v in reported)
    return f"machines run {text or 'nothing yet'}"


def run(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str] = NO_FILES,
    options: UpgradeOptions = UpgradeOptions(),
    progress: Progress = quiet,
) -> UpgradeResult:
    """Upgrade `cluster` to `settings.kubernetes_version`; see the module docstring."""
    started = time.monotonic()
    to = settings.kubernetes_version
    target = ClusterTarget(settings.prefix, settings.namespace_for(cluster), cluster)
    found = owned_cluster(kube, target)
    if found is None:
        raise ClusterError(f"there is no Cluster {target}: `kaas cluster create` makes it")
    before = live_versions(read_cluster_objects(kube, found))
    check_upgrade(before, to)
    check_supported(to)
    documents = _render(conn, kube, settings, target, files, options)
    phases = split_phases(documents, cluster)
    steps: list[StepResult] = []
    apply_step = _dry_step if options.dry_run else _apply_step
    steps.append(apply_step(kube, "cluster", phases.base, progress))
    steps.append(apply_step(kube, CONTROL_PLANE_STEP, phases.control_plane, progress))
    if not options.dry_run:
        _wait(
            kube,
            target,
            CONTROLPLANE_API,
            "KubeadmControlPlane",
            naming.control_plane(cluster),
            to,
            CONTROL_PLANE_STEP,
            options.timeout,
            progress,
        )
    groups = sorted(phases.node_groups)
    for batch in [groups] if options.parallel else [[g] for g in groups]:
        for group in batch:
            steps.append(
                apply_step(kube, f"node-group {group}", phases.node_groups[group], progress)
            )
        for group in batch if not options.dry_run else []:
            _wait(
                kube,
                target,
                CLUSTER_API,
                "MachineDeployment",
                naming.node_group(cluster, group),
                to,
                f"node-group {group}",
                options.timeout,
                progress,
            )
    steps.append(apply_step(kube, ADDONS_STEP, phases.addons, progress))
    deleted = cluster_gc.run(kube, target, dry_run=options.dry_run)
    if deleted:
        progress(
            StepEvent("templates", "skipped" if options.dry_run else "deleted", ", ".join(deleted))
        )
    return UpgradeResult(
        cluster,
        target.namespace,
        to,
        tuple(sorted(set(before))),
        tuple(steps),
        tuple(deleted),
        options.dry_run,
        round(time.monotonic() - started, 3),
    )


def _render(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    target: ClusterTarget,
    files: Mapping[str, str],
    options: UpgradeOptions,
) -> list[Document]:
    """The render at the target version, with the credential in force (never a new one)."""
    facts, management, current = check_before_writes(
        conn, kube, settings, target, quiet, options.api_access_cidrs, files, guard=False
    )
    if current.credential is None:
        raise ClusterError(
            f"the credential of Cluster {target} is not in its identity Secret: run "
            f"`kaas cluster create {target.name}` (at the version it runs) first"
        )
    identity = cluster_identity(conn, settings, target.name, known=current.credential).identity
    return render_cluster(target.name, settings, facts, identity, files, management)


def _apply_step(
    kube: KubeClient, step: str, documents: list[Document], progress: Progress
) -> StepResult:
    progress(StepEvent(step, "start", f"applying {len(documents)} objects"))
    applied = apply(kube, documents)
    changed = tuple(f"{a.kind} {a.namespace}/{a.name}" for a in applied if a.action != "unchanged")
    progress(StepEvent(step, "changed" if changed else "exists", ", ".join(changed) or "unchanged"))
    return StepResult(step, changed, len(applied) - len(changed))


def _dry_step(
    kube: KubeClient, step: str, documents: list[Document], progress: Progress
) -> StepResult:
    changed = tuple(d.object for d in diff_documents(kube, documents))
    progress(StepEvent(step, "skipped", ", ".join(changed) or "unchanged"))
    return StepResult(step, changed, len(documents) - len(changed))


def _wait(
    kube: KubeClient,
    target: ClusterTarget,
    api_version: str,
    kind: str,
    name: str,
    version: str,
    step: str,
    timeout: float,
    progress: Progress,
) -> None:
    progress(StepEvent(step, "start", f"{kind} {name}: waiting for every machine at {version}"))
    last = ""

    def report(_kind: str, obj: Mapping[str, Any]) -> None:
        nonlocal last
        shown = _describe_rollout(obj)
        if shown != last:
            last = shown
            progress(StepEvent(step, "start", f"{kind} {name}: {shown}"))

    wait_for(kube, api_version, kind, name, target.namespace, rolled_out(version), timeout, report)
    progress(StepEvent(step, "exists", f"{kind} {name}: every machine runs {version}"))
