"""Networks that cannot work are refused before any cloud call (issue #16, items 7 and 8): one IP
family per cluster, room for the machines, and the smallest usable prefix named."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scs_kaas.errors import SettingsError
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings
from tests.support.cli import kaas


def _problems(data: Mapping[str, Any]) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        build_settings("demo", [Layer("test", data)])
    return {p.setting: p.message for p in caught.value.problems}


@pytest.mark.parametrize(
    ("data", "setting", "expected"),
    [
        ({"network": {"node_cidr": "fd00:8::/64"}}, "network.node_cidr", "is not IPv4"),
        ({"network": {"pod_cidr": "fd00:10:244::/56"}}, "network.pod_cidr", "is not IPv4"),
        ({"network": {"node_cidr": "10.8.0.0/32"}}, "network.node_cidr", "use a /28 or larger"),
        ({"network": {"node_cidr": "10.8.0.0/29"}}, "network.node_cidr", "15 are needed"),
        ({"network": {"node_cidr": "0.0.0.0/1"}}, "network.node_cidr", "use /8 or smaller"),
        ({"network": {"pod_cidr": "172.16.0.0/25"}}, "network.pod_cidr", "use a /24 or larger"),
        ({"network": {"service_cidr": "10.96.0.0/29"}}, "network.service_cidr", "to /28"),
        ({"network": {"service_cidr": "10.0.0.0/8"}}, "network.service_cidr", "from /12"),
        ({"management": {"cidr": "fd00::/64"}}, "management.cidr", "is not IPv4"),
        ({"management": {"cidr": "0.0.0.0/0"}}, "management.cidr", "from /8 to /29"),
        ({"management": {"cidr": "10.0.0.0/30"}}, "management.cidr", "from /8 to /29"),
    ],
)
def test_networks_that_cannot_work_are_refused(
    data: dict[str, object], setting: str, expected: str
) -> None:
    problems = _problems(data)
    assert expected in problems[setting], problems


def test_the_node_subnet_grows_with_the_machines() -> None:
    many = {"node_groups": [{"name": "a", "count": 100}, {"name": "b", "autoscale_min": 1,
            "autoscale_max": 200}], "network": {"node_cidr": "10.8.0.0/24"}}  # fmt: skip
    message = _problems(many)["network.node_cidr"]
    assert "313 are needed (301 machines, 3 more during rolling updates" in message
    assert "use a /23 or larger" in message
    roomy = {**many, "network": {"node_cidr": "10.8.0.0/23"}}
    assert build_settings("demo", [Layer("test", roomy)]).settings.network.node_cidr


def test_a_single_stack_ipv6_cluster_is_one_family() -> None:
    six = {
        "network": {"node_cidr": "fd00:8::/64", "pod_cidr": "fd00:10::/56",
                    "service_cidr": "fd00:96::/112"},
    }  # fmt: skip
    assert build_settings("demo", [Layer("test", six)]).settings.network.service_cidr


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=29, max_value=32), st.integers(min_value=0, max_value=3))
def test_every_too_small_node_subnet_names_a_prefix_that_fits(length: int, groups: int) -> None:
    data = {
        "network": {"node_cidr": f"10.8.0.0/{length}"},
        "node_groups": [{"name": f"g{i}", "count": 2} for i in range(groups)] or [{"name": "a"}],
    }
    message = _problems(data)["network.node_cidr"]
    usable = int(message.rsplit("use a /", 1)[1].split(" ")[0])
    fitting = {**data, "network": {"node_cidr": f"10.8.0.0/{usable}"}}
    assert build_settings("demo", [Layer("test", fitting)])  # the prefix named fits
    smaller = {**data, "network": {"node_cidr": f"10.8.0.0/{usable + 1}"}}
    assert "network.node_cidr" in _problems(smaller)  # and it is the smallest that does


@pytest.mark.parametrize("value", ["nova\nx", "a" * 256, "z" * 10_000_000, "  ", "tab\there"])
def test_availability_zone_is_an_openstack_name(value: str) -> None:
    result = kaas("config", "show", "--set", f"availability_zone={json.dumps(value)}")
    assert result.exit_code == 2, result
    assert "- availability_zone: must be a non-empty OpenStack name" in result.stderr
    assert len(result.stderr) < 2000
