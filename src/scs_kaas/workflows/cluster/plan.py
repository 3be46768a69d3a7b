"""The render `kaas cluster create` would apply, without doing it: for its dry run
(`create.plan`) and `kaas cluster diff` (`diff.run`).

Both run the create's checks (read only) and its render, with the credential in force when the
identity Secret holds one that still logs in; otherwise placeholders stand in, and the identity
Secret and cloud-config carrier show as changing, as a create would make them (a new
credential). The render is then sent as server-side dry-run applies (cluster/diff.py), so what
is reported is what the server would store, field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from openstack.connection import Connection

from scs_kaas.kube.client import KubeClient
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.identity import cluster_identity
from scs_kaas.workflows.cluster.names import resolve_cluster_names
from scs_kaas.workflows.cluster.prepare import check_before_writes
from scs_kaas.workflows.cluster.server_groups import missing_server_groups
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.progress import quiet


@dataclass(frozen=True)
class Planned:
    """The render a create would apply, and where, with which credential and notes."""

    target: ClusterTarget
    documents: list[dict[str, Any]]
    credential: str
    notes: list[str]


def render_as_create_would(
    conn: Connection,
    kube: KubeClient,
    settings: Settings,
    cluster: str,
    files: Mapping[str, str],
    api_access_cidrs: tuple[str, ...],
    guard: bool,
) -> Planned:
    """Read only: the create's checks (the version guard if `guard`), then its render."""
    names = resolve_cluster_names(kube, settings, cluster)
    settings = names.settings
    target = ClusterTarget(settings.prefix, settings.namespace_for(cluster), cluster)
    facts, management, current = check_before_writes(
        conn, kube, settings, target, quiet, api_access_cidrs, files, guard
    )
    management = replace(management, cloud_cluster_name=names.cloud_name)
    notes = [
        f"server group {name} would be created"
        for name in missing_server_groups(settings, cluster, facts.server_group_ids)
    ]
    if management.infrastructure_version != "v1beta2":
        notes.append(
            "the OpenStack objects are written as infrastructure.cluster.x-k8s.io/"
            f"{management.infrastructure_version}: the management cluster's CAPO serves no v1beta2"
        )
    if current.credential is not None:
        identity = cluster_identity(conn, settings, cluster, known=current.credential).identity
        credential = f"reuse {current.credential.id}"
    else:
        identity = placeholder_identity(settings.cloud)
        credential = "create"
        notes.append("no usable credential in the identity Secret: a create would make one")
        if current.owned_ids:
            notes.append(
                f"credential(s) {', '.join(current.owned_ids)} would be replaced: no Secret "
                "holds a secret of theirs that still logs in"
            )
    documents = render_cluster(cluster, settings, facts, identity, files, management)
    return Planned(target, documents, credential, notes)
