"""Property tests: every invalid value of each validated setting is rejected with exit code 2 and a
message naming the setting, before anything else happens."""

from __future__ import annotations

import ipaddress
import json
import re

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from scs_kaas.settings.model import Settings
from scs_kaas.versions import KUBERNETES_PATCH_RELEASES
from tests.support.cli import kaas

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
VERSION = re.compile(r"^v?(\d+\.\d+)(\.\d+)?$")


def _rejected(setting: str, value: object, cluster: str = "demo") -> None:
    result = kaas(
        "config", "show", cluster, "-o", "json", "--set", f"{setting}={json.dumps(value)}"
    )
    assert result.exit_code == 2, result
    assert f"- {setting}" in result.stderr, result.stderr
    assert result.stdout == ""


def _not_a_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError:
        return True
    return False


def _not_a_dns_label(max_length: int) -> st.SearchStrategy[str]:
    return st.text(max_size=max_length + 10).filter(
        lambda s: not (DNS_LABEL.fullmatch(s) and len(s) <= max_length)
    )


def _unsupported_version(text: str) -> bool:
    match = VERSION.fullmatch(text.strip())
    return match is None or match.group(1) not in KUBERNETES_PATCH_RELEASES


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=50).filter(_not_a_cidr))
def test_node_cidr(value: str) -> None:
    _rejected("network.node_cidr", value)


@settings(max_examples=30, deadline=None)
@given(st.ip_addresses(v=4), st.integers(min_value=1, max_value=31))
def test_cidrs_with_host_bits(address: ipaddress.IPv4Address, length: int) -> None:
    network = ipaddress.ip_network(f"{address}/{length}", strict=False)
    host = network.network_address + 1 if network.network_address == address else address
    _rejected("network.pod_cidr", f"{host}/{length}")


@settings(max_examples=40, deadline=None)
@given(st.integers().filter(lambda n: not 1280 <= n <= 9000))
def test_mtu(value: int) -> None:
    _rejected("network.mtu", value)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20).filter(_unsupported_version))
def test_kubernetes_version(value: str) -> None:
    _rejected("kubernetes_version", value)


@settings(max_examples=40, deadline=None)
@given(st.integers().filter(lambda n: not (1 <= n <= 7 and n % 2 == 1)))
def test_control_plane_count(value: int) -> None:
    _rejected("control_plane.count", value)


@settings(max_examples=60, deadline=None)
@given(_not_a_dns_label(24))
def test_prefix(value: str) -> None:
    _rejected("prefix", value)


@settings(max_examples=60, deadline=None)
@given(_not_a_dns_label(20))
def test_node_group_name(value: str) -> None:
    result = kaas("config", "show", "--set", f"node_groups={json.dumps([{'name': value}])}")
    assert result.exit_code == 2
    assert "- node_groups[0].name" in result.stderr


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300).filter(lambda s: not s.strip() or len(s.strip()) > 255))
def test_flavor(value: str) -> None:
    _rejected("control_plane.flavor", value)


@settings(max_examples=40, deadline=None)
@given(st.integers().filter(lambda n: not 1 <= n <= 65535))
def test_api_port(value: int) -> None:
    _rejected("api_server.port", value)


@settings(max_examples=60, deadline=None)
@given(_not_a_dns_label(40))
@example("-v")  # after the command it is a name, not kaas's --verbose (a traceback once)
def test_cluster_name(value: str) -> None:
    result = kaas("config", "show", "-o", "json", "--", value)
    assert result.exit_code == 2
    assert "- cluster name" in result.stderr


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and s.isidentifier()))
def test_unknown_keys(key: str) -> None:
    assume(key not in Settings.model_fields)
    result = kaas("config", "show", "--set", f"{key}=1")
    assert result.exit_code == 2
    assert f"- {key}: unknown setting" in result.stderr
