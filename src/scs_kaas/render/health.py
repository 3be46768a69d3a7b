"""MachineHealthChecks: remediate machines whose node does not become or stay Ready."""

from __future__ import annotations

from typing import Any

from scs_kaas.render.metadata import CLUSTER_API, manifest
from scs_kaas.settings.nodes import HealthCheck


def machine_health_check(
    name: str,
    namespace: str,
    cluster: str,
    labels: dict[str, str],
    selector: dict[str, str],
    check: HealthCheck,
) -> dict[str, Any]:
    conditions = [
        {"type": "Ready", "status": status, "timeoutSeconds": check.unhealthy_timeout_seconds}
        for status in ("Unknown", "False")
    ]
    spec = {
        "clusterName": cluster,
        "selector": {"matchLabels": selector},
        "checks": {
            "nodeStartupTimeoutSeconds": check.node_startup_timeout_seconds,
            "unhealthyNodeConditions": conditions,
        },
        "remediation": {"triggerIf": {"unhealthyLessThanOrEqualTo": check.max_unhealthy}},
    }
    return manifest(CLUSTER_API, "MachineHealthCheck", name, namespace, labels, spec)
