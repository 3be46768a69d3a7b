"""Nova server groups for a cluster's machines: made before the apply, deleted with the cluster.

CAPO only looks a server group up (by id or name) and fails when there is none, so the tool makes
them. Nova server groups carry no tags and no description: they are the tool's by their name
`<prefix>-<cluster>-<role>` alone, and the names the cluster uses are recorded on its Cluster
(see `render.server_groups`), so deletion goes by those exact names, never by a pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.render.server_groups import WantedServerGroup


def _policy(group: Any) -> str:
    policy = getattr(group, "policy", None)
    if policy:
        return str(policy)
    policies = getattr(group, "policies", None) or []
    return str(policies[0]) if policies else ""


def _named(conn: Connection, name: str) -> list[Any]:
    try:
        return [g for g in conn.compute.server_groups() if g.name == name]
    except exceptions.SDKException as error:
        raise CloudError(f"listing server groups failed: {error}") from error


def find_server_group(conn: Connection, wanted: WantedServerGroup) -> str | None:
    """Read only: the id of the one server group of that name and policy, None if none.

    Two of that name, or one with another policy (Nova cannot change a policy), stop here."""
    found = _named(conn, wanted.name)
    if len(found) > 1:
        ids = ", ".join(str(g.id) for g in found)
        raise CloudError(
            f"{len(found)} server groups are named {wanted.name!r} ({ids}): CAPO cannot tell "
            "which to use; delete all but one"
        )
    if not found:
        return None
    group = found[0]
    if _policy(group) != wanted.policy:
        raise CloudError(
            f"server group {wanted.name!r} has policy {_policy(group)!r}, but {wanted.setting} "
            f"asks for {wanted.policy!r}: Nova cannot change the policy of a group; set "
            f"{wanted.setting} back, or delete the group once it has no servers"
        )
    return str(group.id)


def ensure_server_group(conn: Connection, wanted: WantedServerGroup) -> tuple[str, bool]:
    """The group's id and whether it was created now (idempotent: an existing one is kept)."""
    existing = find_server_group(conn, wanted)
    if existing is not None:
        return existing, False
    try:
        made = conn.compute.create_server_group(name=wanted.name, policy=wanted.policy)
    except exceptions.SDKException as error:
        raise CloudError(f"creating server group {wanted.name!r} failed: {error}") from error
    return str(made.id), True


def delete_server_groups(conn: Connection, names: Sequence[str]) -> list[str]:
    """Delete every server group of these exact names that has no member left; the names
    deleted. One still holding servers (not the cluster's any more?) stops here."""
    deleted: list[str] = []
    for name in names:
        for group in _named(conn, name):
            members = list(getattr(group, "member_ids", None) or [])
            if members:
                raise CloudError(
                    f"server group {name!r} still holds servers {', '.join(members)} after the "
                    "cluster's machines are gone: not deleted; check what they are"
                )
            try:
                conn.compute.delete_server_group(group, ignore_missing=True)
            except exceptions.SDKException as error:
                raise CloudError(f"deleting server group {name!r} failed: {error}") from error
            deleted.append(name)
    left = [name for name in names if _named(conn, name)]
    if left:
        raise CloudError(f"server group(s) {', '.join(left)} still there after deletion")
    return deleted
