"""OpenStackMachineTemplates, named after a hash of their spec."""

from __future__ import annotations

import re
from typing import Any

from scs_kaas import naming
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.flavors import root_volume_size
from scs_kaas.render.hashing import spec_digest
from scs_kaas.render.metadata import INFRA_API, manifest
from scs_kaas.settings.model import Settings
from scs_kaas.settings.nodes import MachineSettings

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def by_name_or_id(value: str) -> dict[str, Any]:
    """CAPO resource parameters: `{id}` for a UUID, else `{filter: {name}}`."""
    return {"id": value} if _UUID.fullmatch(value) else {"filter": {"name": value}}


def openstack_tags(settings: Settings, cluster: str) -> list[str]:
    tags = naming.ownership_tags(settings.prefix, cluster)
    return tags + [t for t in settings.extra_tags if t not in tags]


def _ports(settings: Settings) -> list[dict[str, Any]]:
    if not settings.network.extra_networks:
        return []  # CAPO then adds one port on the cluster network by itself
    ports: list[dict[str, Any]] = [{}]  # an empty port means the cluster network
    for extra in settings.network.extra_networks:
        port: dict[str, Any] = {"network": by_name_or_id(extra.network)}
        if extra.subnet:
            port["fixedIPs"] = [{"subnet": by_name_or_id(extra.subnet)}]
        ports.append(port)
    return ports


def machine_spec(
    settings: Settings, cluster: str, role: str, machine: MachineSettings, facts: CloudFacts
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "flavor": by_name_or_id(machine.flavor),
        "image": by_name_or_id(machine.image or settings.node_image_name),
        "sshKeyName": settings.node_ssh_key,
    }
    size = root_volume_size(
        machine.root_volume.size_gib,
        machine.flavor,
        facts.flavor_disks_gib,
        settings.image.default_root_volume_gib,
    )
    if size is not None:
        volume: dict[str, Any] = {"sizeGiB": size}
        if machine.root_volume.type:
            volume["type"] = machine.root_volume.type
        if machine.root_volume.availability_zone:
            volume["availabilityZone"] = {"name": machine.root_volume.availability_zone}
        spec["rootVolume"] = volume
    if machine.server_group != "none":
        # CAPO only looks the group up; `kaas cluster create` made it and knows its id.
        group = naming.server_group(settings.prefix, cluster, role)
        group_id = facts.server_group_ids.get(group)
        spec["serverGroup"] = {"id": group_id} if group_id else {"filter": {"name": group}}
    if machine.server_metadata:
        spec["serverMetadata"] = [
            {"key": k, "value": v} for k, v in sorted(machine.server_metadata.items())
        ]
    ports = _ports(settings)
    if ports:
        spec["ports"] = ports
    spec["tags"] = openstack_tags(settings, cluster)
    return spec


def machine_template(
    base_name: str, namespace: str, labels: dict[str, str], spec: dict[str, Any]
) -> dict[str, Any]:
    name = naming.hashed(base_name, spec_digest(spec))
    return manifest(
        INFRA_API,
        "OpenStackMachineTemplate",
        name,
        namespace,
        labels,
        {"template": {"spec": spec}},
    )
