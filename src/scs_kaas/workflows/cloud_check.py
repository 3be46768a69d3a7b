"""`kaas cloud check`: can this cloud hold the management host and a cluster of these settings?"""

from __future__ import annotations

from dataclasses import dataclass, field

from openstack.connection import Connection

from scs_kaas.openstack import lookup, quotas
from scs_kaas.openstack.check import (
    REQUIRED_SERVICES,
    Finding,
    check_endpoints,
    check_external_network,
    check_flavors,
    check_images,
    compare,
    machines,
    needs,
)
from scs_kaas.settings.model import Settings


@dataclass(frozen=True)
class CloudReport:
    cloud: str
    project_id: str | None
    findings: list[Finding]
    unreadable: list[str] = field(default_factory=list)  # quotas the user may not read

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]


def run(
    conn: Connection, settings: Settings, include_cluster: bool, include_management: bool = True
) -> CloudReport:
    """Endpoints, flavors and quotas against what the settings need (nothing is changed)."""
    wanted = machines(settings, include_cluster, include_management)
    flavors = quotas.flavors(conn, [m.flavor for m in wanted])
    limits, unreadable = quotas.quotas(conn)
    management = any(m.setting == "management.flavor" for m in wanted)
    management_image = settings.management.image if management else None
    node_image = settings.node_image_name if include_cluster else None
    findings = [
        *check_endpoints(quotas.endpoints(conn, REQUIRED_SERVICES)),
        check_external_network(settings.external_network, lookup.external_networks(conn)),
        *check_flavors(wanted, flavors),
        *check_images(
            management_image,
            lookup.image_statuses(conn, management_image) if management_image else [],
            node_image,
            lookup.image_statuses(conn, node_image) if node_image else [],
        ),
        *compare(needs(settings, wanted, flavors, include_cluster), limits),
    ]
    return CloudReport(settings.cloud, conn.current_project_id, findings, unreadable)
