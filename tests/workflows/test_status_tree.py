"""Which conditions `kaas cluster status` shows and the cause it names for a stuck machine
(pure; the tree on real clusters is tested in tests/openstack/test_cluster_day2.py)."""

from __future__ import annotations

from typing import Any

from scs_kaas.openstack.servers import ServerState
from scs_kaas.workflows.cluster.status_tree import likely_cause, notable_conditions


def _with(*conditions: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "status": {
            "conditions": [
                {"type": t, "status": s, "reason": "R", "message": m} for t, s, m in conditions
            ]
        }
    }


def test_true_is_hidden_unless_its_truth_is_the_news() -> None:
    obj = _with(
        ("Available", "False", "not yet"),
        ("InfrastructureReady", "True", ""),
        ("Deleting", "True", "being deleted"),
        ("Paused", "False", ""),
        ("NodeHealthy", "Unknown", "waiting"),
        ("Ready", "False", "* InfrastructureReady: WaitingForBootstrapData"),
    )
    assert [c.type for c in notable_conditions(obj)] == ["Available", "Deleting"]
    every = [c.type for c in notable_conditions(obj, every=True)]
    assert every == ["Available", "Deleting", "NodeHealthy", "Ready"]
    kept = [c.type for c in notable_conditions(obj, summary="Ready")]
    assert kept == ["Available", "Deleting", "Ready"]


def test_the_likely_cause_prefers_novas_fault() -> None:
    machine = _with(("BootstrapConfigReady", "True", ""))
    failed = ServerState("id", "m", "ERROR", "No valid host was found. (code 500)", "f", ())
    assert likely_cause(machine, None, failed) == "Nova: No valid host was found. (code 500)"
    running = ServerState("id", "m", "ACTIVE", None, "f", ())
    assert "never joined" in likely_cause(machine, None, running)
    waiting = _with(("BootstrapConfigReady", "False", ""))
    assert "bootstrap data is not ready" in likely_cause(waiting, None, None)
