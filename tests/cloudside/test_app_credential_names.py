"""Application credential names, generations and the ownership description."""

from __future__ import annotations

import pytest

from scs_kaas import naming
from scs_kaas.openstack.app_credentials import CredentialOwner
from scs_kaas.render.credentials import AppCredentialSecret


def test_names_per_cluster_and_for_the_management_host() -> None:
    assert CredentialOwner("capi", "prod").name == "capi-prod-appcred"
    assert CredentialOwner("capi").name == "capi-mgmt-appcred"
    assert naming.app_credential_generation("capi-prod-appcred", 3) == "capi-prod-appcred-3"


def test_descriptions_tell_owners_apart() -> None:
    cluster = CredentialOwner("capi", "prod").description
    assert cluster == "made by scs-kaas for prefix=capi cluster=prod; deleted with it"
    # a cluster called "mgmt" has the management host's name, but never its description
    assert CredentialOwner("capi", "mgmt").name == CredentialOwner("capi").name
    assert CredentialOwner("capi", "mgmt").description != CredentialOwner("capi").description


@pytest.mark.parametrize(
    ("name", "generation"),
    [
        ("capi-prod-appcred", 1),
        ("capi-prod-appcred-2", 2),
        ("capi-prod-appcred-17", 17),
        ("capi-prod-appcred-1", None),
        ("capi-prod-appcred-02", None),
        ("capi-prod-appcred-x", None),
        ("capi-prod-appcred-2-appcred", None),
        ("capi-prod2-appcred", None),
        ("capi-pro-appcred", None),
    ],
)
def test_generations_are_recognised_exactly(name: str, generation: int | None) -> None:
    assert CredentialOwner("capi", "prod").generation_of(name) == generation


def test_the_secret_never_shows_in_a_repr() -> None:
    secret = AppCredentialSecret(id="i", secret="s3cr3t-value", project_id="p")
    assert "s3cr3t-value" not in repr(secret)
    assert "s3cr3t-value" not in str(secret)
