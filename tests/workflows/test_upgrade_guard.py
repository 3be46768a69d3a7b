"""The version-skew guard of `kaas cluster upgrade` and how an upgrade is split (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.upgrade import rolled_out, split_phases
from scs_kaas.workflows.cluster.upgrade_guard import (
    UpgradeRefused,
    check_supported,
    check_upgrade,
    minor_path,
)


def test_the_next_minor_and_a_patch_are_allowed() -> None:
    check_upgrade(["v1.33.5"], "v1.34.1")
    check_upgrade(["v1.33.5"], "v1.33.7")
    check_upgrade([], "v1.34.1")  # nothing known yet: nothing to guard


def test_a_skipped_minor_is_refused_naming_the_path() -> None:
    with pytest.raises(UpgradeRefused, match=r"1\.33 -> 1\.34 -> 1\.35") as refused:
        check_upgrade(["v1.33.5", "v1.33.5"], "v1.35.0")
    assert refused.value.exit_code == 2


def test_a_downgrade_is_refused() -> None:
    with pytest.raises(UpgradeRefused, match="cannot be downgraded"):
        check_upgrade(["v1.34.1"], "v1.33.5")
    with pytest.raises(UpgradeRefused, match="cannot be downgraded"):
        check_upgrade(["v1.34.1"], "v1.34.0")  # a patch back is a downgrade too


def test_a_resumed_upgrade_passes_the_guard() -> None:
    """Control plane already at the target, a node group still on the old minor."""
    check_upgrade(["v1.34.1", "v1.34.1", "v1.33.5"], "v1.34.1")


def test_the_oldest_version_decides_a_skip() -> None:
    """Workers left on 1.33 while the control plane is at 1.34: 1.35 would skip for them."""
    with pytest.raises(UpgradeRefused, match="skips a minor"):
        check_upgrade(["v1.34.1", "v1.33.5"], "v1.35.0")


def test_a_minor_without_chart_pins_is_refused_naming_each() -> None:
    check_supported("v1.36.0")
    with pytest.raises(UpgradeRefused, match=r"OpenStack CCM .* and Cinder CSI"):
        check_supported("v1.37.0")


minors = st.integers(min_value=28, max_value=40)


@given(minors, minors, st.integers(0, 9), st.integers(0, 9))
def test_allowed_exactly_when_not_older_and_at_most_one_minor_ahead(
    current: int, target: int, current_patch: int, target_patch: int
) -> None:
    old, new = f"v1.{current}.{current_patch}", f"v1.{target}.{target_patch}"
    allowed = (target, target_patch) >= (current, current_patch) and target <= current + 1
    try:
        check_upgrade([old], new)
    except UpgradeRefused:
        assert not allowed
    else:
        assert allowed


def test_minor_path() -> None:
    assert minor_path((1, 32), (1, 35)) == "1.32 -> 1.33 -> 1.34 -> 1.35"


def test_split_puts_the_control_plane_node_groups_and_addons_in_their_steps() -> None:
    settings = Settings(
        cloud="c",
        node_groups=[{"name": "md-0", "count": 1}, {"name": "gpu", "count": 1}],
    )
    documents = render_cluster("demo", settings, CloudFacts(), placeholder_identity("c"))
    phases = split_phases(documents, "demo")
    plane = {(d["kind"], d["metadata"]["name"].rsplit("-", 1)[0]) for d in phases.control_plane}
    assert ("KubeadmControlPlane", "demo-control") in plane  # demo-control-plane
    assert {d["kind"] for d in phases.control_plane} >= {
        "KubeadmControlPlane",
        "OpenStackMachineTemplate",
    }
    assert sorted(phases.node_groups) == ["gpu", "md-0"]
    assert {d["kind"] for d in phases.node_groups["md-0"]} >= {
        "MachineDeployment",
        "OpenStackMachineTemplate",
        "KubeadmConfigTemplate",
    }
    helm = [d for d in phases.addons if d["kind"] == "HelmChartProxy"]
    assert any("openstack-cloud-controller-manager" in d["spec"]["chartName"] for d in helm)
    assert {d["kind"] for d in phases.base} <= {
        "Namespace",
        "Secret",
        "Cluster",
        "OpenStackCluster",
    }
    total = len(phases.base) + len(phases.control_plane) + len(phases.addons)
    total += sum(len(group) for group in phases.node_groups.values())
    assert total == len(documents)


def test_rolled_out_needs_every_machine_at_the_version_and_no_surge() -> None:
    def obj(
        versions: list[tuple[str, int]], replicas: int = 2, observed: int = 3
    ) -> dict[str, Any]:
        return {
            "metadata": {"generation": 3},
            "spec": {"replicas": replicas},
            "status": {
                "observedGeneration": observed,
                "versions": [{"version": v, "replicas": r} for v, r in versions],
            },
        }

    done = rolled_out("v1.34.1")
    assert done(obj([("v1.34.1", 2)]))
    assert not done(obj([("v1.33.5", 1), ("v1.34.1", 2)]))
    assert not done(obj([("v1.34.1", 3)]))  # the surge machine is still there
    assert not done(obj([("v1.34.1", 2)], observed=2))  # an older spec
    assert not done(None)
    # KCP leaves status.observedGeneration unset while the workload cluster does not answer;
    # its conditions say which generation it saw
    kcp = obj([("v1.34.1", 2)])
    del kcp["status"]["observedGeneration"]
    kcp["status"]["conditions"] = [
        {"type": "Available", "status": "False", "observedGeneration": 3}
    ]
    assert done(kcp)
    kcp["status"]["conditions"][0]["observedGeneration"] = 2
    assert not done(kcp)
