"""`kaas cluster create`: settings to a running cluster and a merged kubeconfig .

Steps, each reported: `cloud` (facts, read only), `app-credential`, `apply` (server-side apply of
every rendered object), `prune` (add-ons no longer rendered), `cluster` (wait for Available),
`kubeconfig` (merged into the user's file, 0600).

Idempotent: a re-run applies the same objects (reported unchanged) and reuses the credential.
Keystone never shows a secret twice, so the current credential is the one in the cluster's
identity Secret in the management cluster: it is reused while it is still the owner's (one
that fails to log in stops the create, see `current_credential`). Without one (first run, a
Secret lost, a credential deleted by hand) a new one is made and any other credential of the
cluster deleted: nothing can use a credential whose secret no Secret holds. So there is never
more than one credential per cluster.

Everything that can fail on bad input or a missing cloud resource is checked before the first
write (the API versions the management cluster serves, facts, the Cluster's ownership, the
credential in the Secret). The OpenStack objects are written in CAPO's v1beta2 API when the
management cluster serves it, else in v1beta1 (CAPO v0.14). A dry run
(`plan`, with prepare.py and plan.py) does only those reads and diffs the render against the
management cluster.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.kube import kubeconfig
from scs_kaas.kube.apply import Applied, ObjectRef, apply, prune
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import condition_is, wait_for
from scs_kaas.render.cluster import NO_FILES, render_cluster
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import defaults
from scs_kaas.workflows.cluster.diff import ObjectDiff, diff_documents
from scs_kaas.workflows.cluster.identity import cluster_identity
from scs_kaas.workflows.cluster.names import resolve_cluster_names
from scs_kaas.workflows.cluster.plan import render_as_create_would
from scs_kaas.workflows.cluster.prepare import (
    CurrentCredential,
    addon_selector,
    check_before_writes,
    prunable_addons,
)
from scs_kaas.workflows.cluster.server_groups import ensure_server_groups
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = defaults.CLUSTER_CREATE_TIMEOUT
AVAILABLE = "Available"
# Shown while waiting: the Cluster's v1beta2 conditions in the order they usually turn True.
MILESTONES = (
    "InfrastructureReady",
    "ControlPlaneInitialized",
    "ControlPlaneAvailable",
    "WorkersAvailable",
    AVAILABLE,
)


@dataclass(frozen=True)
class CreateOptions:
    timeout: float = DEFAULT_TIMEOUT
    wait: bool = True
    kubeconfig_out: Path | None = None  # None: ~/.kube/config
    # Where the management cluster calls the API from (see `management_host_cidrs`).
    api_access_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateResult:
    """What a create did; ids and names only, never a secret."""

    cluster: str
    namespace: str
    credential_id: str
    credential: str  # created, reused or replaced
    created: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    pruned: tuple[str, ...]
    available: bool | None  # None: not waited for (--no-wait)
    kubeconfig: str | None
    context: str | None
    seconds: float


@dataclass(frozen=True)
class CreatePlan:
    """What a create would do (dry run): nothing written, no credential made."""

    cluster: str
    namespace: str
    credential: str  # "reuse <id>" or "create"
    create: tuple[str, ...]
    change: tuple[str, ...]
    unchanged: int
    prune: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    diffs: tuple[ObjectDiff, ...] = field(default=())


def run(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str] = NO_FILES,
    options: CreateOptions = CreateOptions(),
    progress: Progress = quiet,
) -> CreateResult:
    """Create or converge the cluster; see the module docstring for the steps."""
    started = time.monotonic()
    names = resolve_cluster_names(kube, settings, cluster)
    settings = names.settings
    target = ClusterTarget(settings.prefix, settings.namespace_for(cluster), cluster)
    facts, management, current = check_before_writes(
        conn, kube, settings, target, progress, options.api_access_cidrs, files
    )
    management = replace(management, cloud_cluster_name=names.cloud_name)

    progress(StepEvent("app-credential", "start", naming.app_credential(target.prefix, cluster)))
    made = cluster_identity(conn, settings, cluster, known=current.credential, replace=True)
    credential = made.credential
    how = _credential_outcome(current, credential.id)
    progress(StepEvent("app-credential", "exists" if how == "reused" else "created", credential.id))

    facts = ensure_server_groups(conn, settings, cluster, facts, progress)
    documents = render_cluster(cluster, settings, facts, made.identity, files, management)
    progress(StepEvent("apply", "start", f"{len(documents)} objects to {target.namespace}"))
    applied = apply(kube, documents)
    created, changed = _named(applied, "created"), _named(applied, "changed")
    unchanged = len(applied) - len(created) - len(changed)
    phase = "created" if created else "changed" if changed else "exists"
    progress(
        StepEvent(
            "apply", phase, f"{len(created)} new, {len(changed)} changed, {unchanged} unchanged"
        )
    )

    progress(StepEvent("prune", "start", "add-ons no longer in the settings"))
    pruned = tuple(
        str(ref) for ref in prune(kube, target.namespace, addon_selector(target), documents)
    )
    progress(StepEvent("prune", "deleted" if pruned else "skipped", ", ".join(pruned) or "none"))

    available: bool | None = None
    path: str | None = None
    context: str | None = None
    if options.wait:
        _wait_available(kube, target, _left(started, options.timeout), progress)
        available = True
        out = options.kubeconfig_out or Path.home() / ".kube" / "config"
        progress(StepEvent("kubeconfig", "start", str(out)))
        context = kubeconfig.merge_into_file(kube, target.namespace, cluster, out)
        path = str(out)
        progress(StepEvent("kubeconfig", "changed", f"context {context} in {out}"))
    return CreateResult(
        cluster,
        target.namespace,
        credential.id,
        how,
        created,
        changed,
        unchanged,
        pruned,
        available,
        path,
        context,
        round(time.monotonic() - started, 3),
    )


def plan(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str] = NO_FILES,
    api_access_cidrs: tuple[str, ...] = (),
) -> CreatePlan:
    """Read only: the create's checks (its version guard too), then the render diffed against
    the management cluster, and the add-ons a create would prune."""
    planned = render_as_create_would(
        conn, kube, settings, cluster, files, api_access_cidrs, guard=True
    )
    diffs = diff_documents(kube, planned.documents)
    return CreatePlan(
        cluster,
        planned.target.namespace,
        planned.credential,
        tuple(d.object for d in diffs if d.action == "create"),
        tuple(d.object for d in diffs if d.action == "change"),
        len(planned.documents) - len(diffs),
        prunable_addons(kube, planned.target, planned.documents),
        tuple(planned.notes),
        tuple(diffs),
    )


def _credential_outcome(current: CurrentCredential, used_id: str) -> str:
    if current.credential is not None and current.credential.id == used_id:
        return "reused"
    return "replaced" if current.owned_ids else "created"


def _named(applied: list[Applied], action: str) -> tuple[str, ...]:
    return tuple(
        str(
            ObjectRef.of(
                {
                    "apiVersion": a.api_version,
                    "kind": a.kind,
                    "metadata": {"name": a.name, "namespace": a.namespace},
                }
            )
        )
        for a in applied
        if a.action == action
    )


def _left(started: float, timeout: float) -> float:
    return max(1.0, started + timeout - time.monotonic())


def describe_conditions(cluster: Mapping[str, Any]) -> str:
    """The milestones reached and the first not yet, with its reason (for the progress line)."""
    conditions = {c.get("type"): c for c in (cluster.get("status") or {}).get("conditions") or []}
    reached = [name for name in MILESTONES if (conditions.get(name) or {}).get("status") == "True"]
    pending = next((name for name in MILESTONES if name not in reached), None)
    text = ", ".join(reached) or "no condition True yet"
    if pending is not None and pending in conditions:
        reason = conditions[pending].get("reason")
        text += f"; waiting for {pending}" + (f" ({reason})" if reason else "")
    return text


def _wait_available(
    kube: KubeClient, target: ClusterTarget, timeout: float, progress: Progress
) -> None:
    progress(StepEvent("cluster", "start", f"Cluster {target}: waiting for {AVAILABLE}"))
    last = ""

    def report(kind: str, obj: Mapping[str, Any]) -> None:
        nonlocal last
        shown = describe_conditions(obj)
        if kind != "DELETED" and shown != last:
            last = shown
            progress(StepEvent("cluster", "start", f"Cluster {target}: {shown}"))

    wait_for(
        kube,
        CLUSTER_API,
        "Cluster",
        target.name,
        target.namespace,
        condition_is(AVAILABLE),
        timeout,
        report,
    )
    progress(StepEvent("cluster", "exists", f"Cluster {target} is {AVAILABLE}"))
