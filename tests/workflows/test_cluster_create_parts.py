"""The pure parts of `kaas cluster create`: progress text and the management host's
address (the whole command runs in tests/openstack/test_cluster_create.py)."""

from __future__ import annotations

from typing import Any

from scs_kaas.workflows.cluster.create import describe_conditions
from scs_kaas.workflows.cluster.prepare import management_host_cidrs
from scs_kaas.workflows.mgmt.state import MgmtState


def _cluster(*conditions: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "status": {"conditions": [{"type": t, "status": s, "reason": r} for t, s, r in conditions]}
    }


def test_progress_names_the_milestones_reached_and_the_next_with_its_reason() -> None:
    assert describe_conditions({}) == "no condition True yet"
    shown = describe_conditions(
        _cluster(
            ("InfrastructureReady", "True", "Ready"),
            ("ControlPlaneInitialized", "False", "WaitingForControlPlaneProviderInitialized"),
            ("Available", "False", "NotAvailable"),
        )
    )
    assert shown == (
        "InfrastructureReady; waiting for ControlPlaneInitialized "
        "(WaitingForControlPlaneProviderInitialized)"
    )


def test_the_management_host_is_let_in_until_management_moved() -> None:
    state = MgmtState(prefix="t", cloud="c", floating_ip_address="203.0.113.7")
    assert management_host_cidrs(state) == ("203.0.113.7/32",)
    assert management_host_cidrs(state.model_copy(update={"moved_to": "prod"})) == ()
    assert management_host_cidrs(MgmtState(prefix="t", cloud="c")) == ()
