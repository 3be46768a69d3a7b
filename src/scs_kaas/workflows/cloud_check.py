"""`kaas cloud check`: can this cloud hold the management host and a cluster of these settings?"""

from __future__ import annotations

from dataclasses import dataclass, field

from openstack.connection import Connection

from scs_kaas.openstack import quotas
from scs_kaas.openstack.check import (
    REQUIRED_SERVICES,
    Finding,
    check_endpoints,
    check_flavors,
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


def check_cloud(
    conn: Connection, settings: Settings, include_cluster: bool, include_management: bool = True
) -> CloudReport:
    """Endpoints, flavors and quotas against what the settings need (nothing is changed)."""
    wanted = machines(settings, include_cluster, include_management)
    flavors = quotas.flavors(conn, [m.flavor for m in wanted])
    limits, unreadable = quotas.quotas(conn)
    findings = [
        *check_endpoints(quotas.endpoints(conn, REQUIRED_SERVICES)),
        *check_flavors(wanted, flavors),
        *compare(needs(settings, wanted, flavors, include_cluster), limits),
    ]
    return CloudReport(settings.cloud, conn.current_project_id, findings, unreadable)
