from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from scs_kaas.settings.fields import Cidr, ClusterName, resolve_kubernetes_version
from scs_kaas.versions import KUBERNETES_PATCH_RELEASES


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("v1.33.5", "v1.33.5"),
        ("1.33.5", "v1.33.5"),
        ("1.33", KUBERNETES_PATCH_RELEASES["1.33"]),
        ("v1.34", KUBERNETES_PATCH_RELEASES["1.34"]),
        (" 1.35.02 ", "v1.35.2"),
    ],
)
def test_kubernetes_versions_resolve(given: str, resolved: str) -> None:
    assert resolve_kubernetes_version(given) == resolved


@pytest.mark.parametrize("given", ["1.21.5", "latest", "v1", "1.33.x", "2.0"])
def test_unsupported_kubernetes_versions_name_the_supported_ones(given: str) -> None:
    with pytest.raises(ValueError, match=r"supported minors: 1\.32"):
        resolve_kubernetes_version(given)


def test_cidr_is_normalised_and_host_bits_rejected() -> None:
    adapter = TypeAdapter(Cidr)
    assert adapter.validate_python("10.8.0.0/20") == "10.8.0.0/20"
    assert adapter.validate_python("2001:db8::/64") == "2001:db8::/64"
    with pytest.raises(ValidationError, match="no host bits"):
        adapter.validate_python("10.8.0.1/20")


@pytest.mark.parametrize("name", ["a", "prod", "team-a-1", "x" * 40])
def test_valid_cluster_names(name: str) -> None:
    assert TypeAdapter(ClusterName).validate_python(name) == name


@pytest.mark.parametrize("name", ["", "Prod", "1abc", "a_b", "a-", "x" * 41, "a.b"])
def test_invalid_cluster_names(name: str) -> None:
    with pytest.raises(ValidationError, match="a-z, 0-9 and '-'"):
        TypeAdapter(ClusterName).validate_python(name)
