"""Delete the management host (R1's `make clean`): workload clusters first, then the host's
resources in reverse order, each verified gone, then the local state.

Only what carries this prefix's management tags is touched (the keypair: only when it holds the
key recorded in the state file), so another environment in the same project is never hit.

The workload clusters of the prefix (Clusters labelled with it, in any namespace) are deleted
through the management cluster when it answers, each with `cluster_delete.run` (machines, add-ons,
credential). When it does not, the cloud is searched for servers tagged for one of the prefix's
clusters: deleting the host would orphan them, so that is refused unless forced. After
`kaas mgmt move` the clusters are managed elsewhere and stay.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import KaasError
from scs_kaas.kube.client import KubeClient
from scs_kaas.openstack import keypairs, mgmt_host, network
from scs_kaas.openstack.workload import workload_servers
from scs_kaas.render.metadata import CLUSTER_API
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster.delete import DEFAULT_TIMEOUT
from scs_kaas.workflows.cluster.target import ClusterTarget, check_owned
from scs_kaas.workflows.mgmt.state import (
    MgmtState,
    StatePaths,
    load_state,
    remove_local_files,
    save_state,
)
from scs_kaas.workflows.mgmt.tunnel import ManagementAccess
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

DELETE_ORDER = (
    ("server", "server"),
    ("root-volume", "volume"),
    ("floating-ip", "floating IP"),
    ("port", "port"),
    ("router", "router"),
    ("subnet", "subnet"),
    ("network", "network"),
    ("security-group", "security group"),
)


@dataclass
class DeletePlan:
    """Everything of the environment found, in deletion order: its workload clusters (or the
    servers they leave behind), then the host's resources, keypair and local files."""

    prefix: str
    resources: list[tuple[str, str, str]]  # (step, kind, id)
    keypair: str | None
    local_files: list[str]
    notes: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)  # namespace/name, deleted first
    left_servers: list[str] = field(default_factory=list)  # of clusters left behind (--force)


class WorkloadsLeft(KaasError):
    """The management cluster does not answer and workload clusters still have servers."""


def moved_note(moved_to: str, paths: StatePaths) -> str:
    return (
        f"workload clusters: left running: since `kaas mgmt move` they are managed by "
        f"{moved_to} (kubeconfig {paths.moved_kubeconfig}, kept)"
    )


def no_host_note(prefix: str) -> str:
    return (
        "management.kubeconfig is set: there is no management host; only the workload "
        f"clusters of prefix {prefix} are deleted"
    )


def unreachable_note(reason: str) -> str:
    return f"workload clusters: the management cluster does not answer ({reason})"


def _no_management() -> contextlib.AbstractContextManager[KubeClient | None]:
    return contextlib.nullcontext(None)


def owned_clusters(kube: KubeClient, prefix: str) -> list[ClusterTarget]:
    """Every Cluster labelled with our managed-by and `prefix`, in any namespace."""
    selector = f"{naming.LABEL_MANAGED_BY}={naming.MANAGED_BY},{naming.LABEL_PREFIX}={prefix}"
    listed = kube.list(
        CLUSTER_API,
        "Cluster",
        label_selector=selector,
        action=f"listing the Clusters of prefix {prefix}",
    )
    targets = []
    for item in listed:
        metadata = item["metadata"]
        target = ClusterTarget(prefix, str(metadata["namespace"]), str(metadata["name"]))
        check_owned(item, target)  # the labels again, whatever the server did with the selector
        targets.append(target)
    return sorted(targets, key=str)


@dataclass
class _Workloads:
    clusters: list[ClusterTarget] = field(default_factory=list)
    left_servers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _workloads(
    conn: Connection,
    settings: Settings,
    state: MgmtState,
    paths: StatePaths,
    management: ManagementAccess,
    force: bool,
    delete: tuple[float, Progress] | None,
) -> _Workloads:
    """Find the prefix's workload clusters and, given `delete` (timeout, progress), delete them."""
    if state.moved_to:
        return _Workloads(notes=[moved_note(state.moved_to, paths)])
    with contextlib.ExitStack() as stack:
        try:
            kube = stack.enter_context(management())
            reason = "no management cluster was given"
        except KaasError as error:
            kube, reason = None, str(error)
        if kube is not None:
            targets = owned_clusters(kube, settings.prefix)
            if delete is not None:
                timeout, progress = delete
                for target in targets:
                    progress(StepEvent("workload-cluster", "start", str(target)))
                    cluster_delete.run(conn, kube, target, timeout, progress)
                    progress(StepEvent("workload-cluster", "deleted", str(target)))
            return _Workloads(clusters=targets)
    servers = [str(server) for server in workload_servers(conn, settings.prefix)]
    notes = [unreachable_note(reason)]
    if not servers:
        notes.append("no server of a workload cluster of this prefix is left in the cloud")
    elif force:
        notes.append(f"--force: left behind, with their clusters: {', '.join(servers)}")
    elif delete is not None:
        raise WorkloadsLeft(
            f"{unreachable_note(reason)}, and workload clusters of prefix {settings.prefix} "
            f"still have servers: {', '.join(servers)}. Make the management cluster answer "
            "(`kaas mgmt wait`, `kaas mgmt ssh`) and run the delete again, or delete the "
            "host anyway with --force, leaving those clusters behind; nothing was deleted"
        )
    else:
        notes.append(f"a real run refuses (unless --force): servers left: {', '.join(servers)}")
    return _Workloads(left_servers=servers, notes=notes)


def _host_plan(conn: Connection, settings: Settings, paths: StatePaths) -> DeletePlan:
    """The host's tagged resources of this prefix, keypair and local files (read only)."""
    state = load_state(paths, settings.cloud)
    found: list[tuple[str, str, str]] = []
    notes: list[str] = []
    if settings.management.kubeconfig:
        notes.append(no_host_note(settings.prefix))
        return DeletePlan(settings.prefix, found, None, [], notes)
    tags = naming.management_tags(settings.prefix)
    for step, kind in DELETE_ORDER:
        if kind == "server":
            ids = mgmt_host.owned_server_ids(conn, tags)
        elif kind == "volume":
            ids = mgmt_host.owned_volume_ids(conn, tags)
        else:
            ids = network.owned_ids(conn, kind, tags)
        found += [(step, kind, resource_id) for resource_id in ids]
    keypair: str | None = None
    key_name = naming.keypair(settings.prefix)
    if state.key_fingerprint and keypairs.find_keypair(conn, key_name, state.key_fingerprint):
        keypair = key_name
    elif state.key_fingerprint is None and conn.compute.find_keypair(key_name, ignore_missing=True):
        notes.append(f"keypair {key_name!r}: no local record of its key, so it is left alone")
    local = [str(p) for p in (paths.state_file, paths.private_key) if p.exists()]
    return DeletePlan(settings.prefix, found, keypair, local, notes)


def plan(
    conn: Connection,
    settings: Settings,
    paths: StatePaths,
    management: ManagementAccess = _no_management,
    force: bool = False,
) -> DeletePlan:
    """Find (read only) what `run` removes: this prefix's clusters and tagged resources."""
    state = load_state(paths, settings.cloud)
    workloads = _workloads(conn, settings, state, paths, management, force, delete=None)
    return _with_workloads(_host_plan(conn, settings, paths), workloads)


def _with_workloads(plan: DeletePlan, workloads: _Workloads) -> DeletePlan:
    """The host's plan with what was found of the workload clusters, their notes first."""
    plan.clusters = [str(t) for t in workloads.clusters]
    plan.left_servers = workloads.left_servers
    plan.notes = workloads.notes + plan.notes
    return plan


def run(
    conn: Connection,
    settings: Settings,
    paths: StatePaths,
    progress: Progress = quiet,
    management: ManagementAccess = _no_management,
    force: bool = False,
    cluster_timeout: float = DEFAULT_TIMEOUT,
) -> DeletePlan:
    """Delete the prefix's workload clusters (through `management`), then the host's resources
    in reverse order, each verified gone, then the local state.

    `management` opens the management cluster (`tunnel.management_access`); raising
    KaasError or yielding None means it does not answer.
    """
    state = load_state(paths, settings.cloud)
    workloads = _workloads(
        conn, settings, state, paths, management, force, delete=(cluster_timeout, progress)
    )
    plan = _with_workloads(_host_plan(conn, settings, paths), workloads)
    for step, kind, resource_id in plan.resources:
        progress(StepEvent(step, "start", resource_id))
        if kind == "server":
            mgmt_host.delete_server(conn, resource_id)
        elif kind == "volume":
            mgmt_host.delete_volume(conn, resource_id)
        else:
            if kind == "router":
                network.remove_router_interfaces(conn, resource_id)
            network.delete(conn, kind, resource_id)
        _forget(state, paths, step, resource_id)
        progress(StepEvent(step, "deleted", resource_id))
    if plan.keypair and state.key_fingerprint:
        progress(StepEvent("keypair", "start", plan.keypair))
        keypairs.delete_keypair(conn, plan.keypair, state.key_fingerprint)
        progress(StepEvent("keypair", "deleted", plan.keypair))
    progress(StepEvent("local-state", "start", str(paths.root)))
    remove_local_files(paths)
    progress(StepEvent("local-state", "deleted", str(paths.root)))
    return plan


def _forget(state: MgmtState, paths: StatePaths, step: str, resource_id: str) -> None:
    recorded = state.resources.get(step)
    if recorded is not None and recorded.id == resource_id:
        del state.resources[step]
        state.complete = False
        if paths.state_file.exists():
            save_state(paths, state)


def owned_resource_ids(conn: Connection, prefix: str) -> dict[str, list[str]]:
    """Every tagged management resource of `prefix`, by kind (for tests and reports)."""
    tags = naming.management_tags(prefix)
    result: dict[str, list[str]] = {
        "server": mgmt_host.owned_server_ids(conn, tags),
        "volume": mgmt_host.owned_volume_ids(conn, tags),
    }
    for kind in ("floating IP", "port", "router", "subnet", "network", "security group"):
        result[kind] = network.owned_ids(conn, kind, tags)
    return result
