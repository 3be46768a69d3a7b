"""Delete the management host (R1's `make clean`): reverse order, each resource verified gone.

Only what carries this prefix's management tags is touched (the keypair: only when it holds the
key recorded in the state file), so another environment in the same project is never hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.openstack import keypairs, mgmt_host, network
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.mgmt import Progress, StepEvent, check_can_create, quiet
from scs_kaas.workflows.mgmt_state import (
    MgmtState,
    StatePaths,
    load_state,
    remove_local_files,
    save_state,
)

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
    """Everything of the environment's host found in the cloud, in deletion order."""

    prefix: str
    resources: list[tuple[str, str, str]]  # (step, kind, id)
    keypair: str | None
    local_files: list[str]
    notes: list[str] = field(default_factory=list)


WORKLOAD_CLUSTERS_NOTE = (
    "workload clusters: not deleted (the Kubernetes layer of scs-kaas does not exist yet); "
    "delete them before the management host, or their cloud resources stay behind"
)


def plan_delete(conn: Connection, settings: Settings, paths: StatePaths) -> DeletePlan:
    """Find (read only) what `delete_mgmt` removes: tagged resources of this prefix only."""
    check_can_create(settings)
    state = load_state(paths, settings.cloud)
    tags = naming.management_tags(settings.prefix)
    found: list[tuple[str, str, str]] = []
    for step, kind in DELETE_ORDER:
        if kind == "server":
            ids = mgmt_host.owned_server_ids(conn, tags)
        elif kind == "volume":
            ids = mgmt_host.owned_volume_ids(conn, tags)
        else:
            ids = network.owned_ids(conn, kind, tags)
        found += [(step, kind, resource_id) for resource_id in ids]
    notes = [WORKLOAD_CLUSTERS_NOTE]
    keypair: str | None = None
    key_name = naming.keypair(settings.prefix)
    if state.key_fingerprint and keypairs.find_keypair(conn, key_name, state.key_fingerprint):
        keypair = key_name
    elif state.key_fingerprint is None and conn.compute.find_keypair(key_name, ignore_missing=True):
        notes.append(f"keypair {key_name!r}: no local record of its key, so it is left alone")
    local = [str(p) for p in (paths.state_file, paths.private_key) if p.exists()]
    return DeletePlan(settings.prefix, found, keypair, local, notes)


def delete_mgmt(
    conn: Connection,
    settings: Settings,
    paths: StatePaths,
    progress: Progress = quiet,
) -> DeletePlan:
    """Delete the host's resources in reverse order, each verified gone, then the local state."""
    plan = plan_delete(conn, settings, paths)
    progress(StepEvent("workload-clusters", "skipped", WORKLOAD_CLUSTERS_NOTE))
    state = load_state(paths, settings.cloud)
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
