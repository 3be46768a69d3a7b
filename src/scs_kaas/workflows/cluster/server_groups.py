"""The cluster's Nova server groups: checked before any write, made before the apply, deleted
after its machines (see `render.server_groups` for which and `openstack.server_groups` for how)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from openstack.connection import Connection

from scs_kaas.openstack.server_groups import (
    delete_server_groups,
    ensure_server_group,
    find_server_group,
)
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.server_groups import recorded_server_groups, wanted_server_groups
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.progress import Progress, StepEvent, quiet


def existing_server_groups(conn: Connection, settings: Settings, cluster: str) -> dict[str, str]:
    """Read only: name -> id of the wanted groups already there; a CloudError for a group of
    the name with another policy, or two of one name."""
    found = {}
    for wanted in wanted_server_groups(settings, cluster):
        group_id = find_server_group(conn, wanted)
        if group_id is not None:
            found[wanted.name] = group_id
    return found


def missing_server_groups(
    settings: Settings, cluster: str, existing: Mapping[str, str]
) -> list[str]:
    return [g.name for g in wanted_server_groups(settings, cluster) if g.name not in existing]


def ensure_server_groups(
    conn: Connection,
    settings: Settings,
    cluster: str,
    facts: CloudFacts,
    progress: Progress = quiet,
) -> CloudFacts:
    """Make the wanted groups that are not there; the facts with every group's id."""
    wanted = wanted_server_groups(settings, cluster)
    if not wanted:
        return facts
    progress(StepEvent("server-groups", "start", ", ".join(g.name for g in wanted)))
    ids: dict[str, str] = {}
    made = []
    for group in wanted:
        ids[group.name], created = ensure_server_group(conn, group)
        if created:
            made.append(group.name)
    detail = f"{', '.join(made)} made" if made else f"{len(ids)} there already"
    progress(StepEvent("server-groups", "created" if made else "exists", detail))
    return replace(facts, server_group_ids=ids)


def delete_recorded_server_groups(
    conn: Connection, names: Sequence[str], progress: Progress = quiet
) -> list[str]:
    """Delete the groups a Cluster recorded (`recorded_server_groups`), once its machines are
    gone; verified."""
    if not names:
        return []
    progress(StepEvent("server-groups", "start", ", ".join(names)))
    deleted = delete_server_groups(conn, names)
    progress(
        StepEvent(
            "server-groups", "deleted" if deleted else "skipped", ", ".join(deleted) or "none"
        )
    )
    return deleted


def server_groups_of(cluster: Mapping[str, Any] | None) -> list[str]:
    return recorded_server_groups(dict(cluster)) if cluster is not None else []
