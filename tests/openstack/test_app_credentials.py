"""Application credentials on the real Keystone: create, log in, ensure, rotate, delete."""

from __future__ import annotations

import configparser
import logging
from pathlib import Path
from typing import Any

import openstack
import pytest
import yaml
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import identity
from scs_kaas.openstack.app_credentials import (
    CredentialOwner,
    create_app_credential,
    delete_app_credentials,
    ensure_app_credential,
    owned_app_credentials,
    rotate_app_credential,
)
from scs_kaas.openstack.endpoint import ca_bundle, cloud_endpoint, connect_app_credential
from scs_kaas.render.credentials import AppCredentialSecret, clouds_yaml
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster.identity import cluster_identity
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

OWNER = CredentialOwner("t", "prod")


def _logs_in(user: Connection, credential: AppCredentialSecret) -> bool:
    try:
        connect_app_credential(user, credential).close()
    except CloudError:
        return False
    return True


def _user_id(user: Connection) -> str:
    assert user.current_user_id is not None
    return str(user.current_user_id)


def _names(user: Connection) -> set[str]:
    return {str(c.name) for c in identity(user).application_credentials(user=_user_id(user))}


def test_create_log_in_and_delete(user: Connection, project: Project) -> None:
    credential = create_app_credential(user, OWNER)
    assert credential.project_id == project.tenant.project_id
    assert credential.secret not in repr(credential)
    made = identity(user).get_application_credential(_user_id(user), credential.id)
    assert made.name == "t-prod-appcred"
    assert made.description == "made by scs-kaas for prefix=t cluster=prod; deleted with it"
    assert made.unrestricted is False

    login = connect_app_credential(user, credential)
    assert login.current_project_id == project.tenant.project_id
    assert login.current_user_id == project.tenant.user_id
    login.close()

    assert delete_app_credentials(user, OWNER) == [credential.id]
    assert not _logs_in(user, credential)
    assert "t-prod-appcred" not in _names(user)


def test_restricted_credentials_cannot_make_credentials(app: Connection) -> None:
    # Keystone's own reason is kept, and the fix is named
    reason = "not allowed for managing additional application credentials"
    with pytest.raises(CloudError, match=f"{reason}.*restricted application credential"):
        create_app_credential(app, OWNER)


def test_ensure_creates_returns_the_known_one_and_refuses_an_unknown_one(
    user: Connection,
) -> None:
    first = ensure_app_credential(user, OWNER)
    assert ensure_app_credential(user, OWNER, known=first) == first
    with pytest.raises(CloudError, match="its secret is not known here") as refused:
        ensure_app_credential(user, OWNER)
    assert first.secret not in str(refused.value)

    replaced = ensure_app_credential(user, OWNER, replace=True)
    assert replaced.id != first.id
    assert [(c.id, c.name) for c in owned_app_credentials(user, OWNER)] == [
        (replaced.id, "t-prod-appcred-2")
    ]
    assert _logs_in(user, replaced)
    assert not _logs_in(user, first)


def test_management_credential_and_foreign_credentials(user: Connection) -> None:
    management = CredentialOwner("t")
    mine = ensure_app_credential(user, management)
    # the same name pattern, but not made by the tool: never counted, never deleted
    foreign = identity(user).create_application_credential(
        _user_id(user), "t-prod-appcred", description="made by hand"
    )
    assert owned_app_credentials(user, OWNER) == []
    assert delete_app_credentials(user, OWNER) == []
    with pytest.raises(CloudError, match="already exists"):
        create_app_credential(user, OWNER)
    assert delete_app_credentials(user, management) == [mine.id]
    assert _names(user) >= {"t-prod-appcred"}
    identity(user).delete_application_credential(_user_id(user), foreign.id)


def test_rotate_applies_a_working_credential_then_deletes_the_old(user: Connection) -> None:
    old = ensure_app_credential(user, OWNER)
    applied: list[AppCredentialSecret] = []

    def apply(new: AppCredentialSecret) -> None:
        assert _logs_in(user, new)  # proven before anything uses it
        assert _logs_in(user, old)  # the old one works until the new one is in place
        applied.append(new)

    rotation = rotate_app_credential(user, OWNER, apply)
    assert applied == [rotation.credential]
    assert rotation.deleted_ids == (old.id,)
    assert _logs_in(user, rotation.credential)
    assert not _logs_in(user, old)
    assert [c.name for c in owned_app_credentials(user, OWNER)] == ["t-prod-appcred-2"]

    third = rotate_app_credential(user, OWNER, lambda new: None)
    assert [c.id for c in owned_app_credentials(user, OWNER)] == [third.credential.id]


def test_a_failed_apply_keeps_the_old_credential(user: Connection) -> None:
    old = ensure_app_credential(user, OWNER)
    seen: list[str] = []

    def apply(new: AppCredentialSecret) -> None:
        seen.append(new.id)
        raise RuntimeError("the identity Secret could not be updated")

    with pytest.raises(CloudError, match="the old credential stays in force") as failed:
        rotate_app_credential(user, OWNER, apply)
    assert "identity Secret could not be updated" in str(failed.value)
    assert [c.id for c in owned_app_credentials(user, OWNER)] == [old.id]
    assert seen and seen[0] not in {
        str(c.id) for c in identity(user).application_credentials(user=_user_id(user))
    }
    assert _logs_in(user, old)


def test_endpoint_for_credential_documents(user: Connection) -> None:
    endpoint = cloud_endpoint(user)
    assert endpoint.auth_url.startswith("http://127.0.0.1:")
    assert endpoint.identity_api_version == 3
    assert endpoint.interface == "public"
    assert endpoint.region_name
    assert ca_bundle(user) is None  # plain HTTP: no CA bundle
    credential = ensure_app_credential(user, OWNER)
    document = clouds_yaml("openstack", endpoint, credential)
    assert credential.id in document


def test_secrets_stay_out_of_our_logs(user: Connection, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="scs_kaas"):
        credential = ensure_app_credential(user, OWNER)
        rotation = rotate_app_credential(user, OWNER, lambda new: None)
    text = caplog.text
    assert credential.id in text
    assert credential.secret not in text
    assert rotation.credential.secret not in text


def _login(entry: dict[str, Any]) -> Connection:
    login = openstack.connect(load_yaml_config=False, load_envvars=False, **entry)
    login.authorize()
    return login


def test_the_cluster_identity_documents_work(user: Connection, project: Project) -> None:
    made = cluster_identity(user, Settings(prefix="t"), "prod")
    assert made.credential.secret not in repr(made)
    entry = yaml.safe_load(made.identity.clouds_yaml)["clouds"]["openstack"]
    assert "project_id" not in entry["auth"]  # R1's extra makes Keystone refuse the login
    login = _login(entry)
    assert login.current_project_id == project.tenant.project_id
    login.close()
    conf = configparser.ConfigParser()
    conf.read_string(made.identity.cloud_conf)
    assert conf["Global"]["tenant-id"] == f'"{project.tenant.project_id}"'
    assert conf["Global"]["application-credential-id"] == f'"{made.credential.id}"'
    assert made.identity.cacert == ""
    again = cluster_identity(user, Settings(prefix="t"), "prod", known=made.credential)
    assert again.credential == made.credential


def test_the_rendered_clouds_yaml_logs_in_as_it_is(user: Connection) -> None:
    made = cluster_identity(user, Settings(prefix="t"), "prod")
    _login(yaml.safe_load(made.identity.clouds_yaml)["clouds"]["openstack"]).close()


def test_a_private_ca_bundle_is_read_and_passed_on(
    localcloud: LocalCloud, user: Connection, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    credential = ensure_app_credential(user, OWNER)
    config = localcloud.app_credential_config(credential.id, credential.secret)
    with_ca = openstack.connect(
        load_yaml_config=False, load_envvars=False, cacert=str(bundle), **config
    )
    assert ca_bundle(with_ca) == bundle.read_text()
    login = connect_app_credential(with_ca, credential)
    assert login.config.config["cacert"] == str(bundle)
    login.close()
    bundle.unlink()
    with pytest.raises(CloudError, match="cannot read the cloud's CA bundle"):
        ca_bundle(with_ca)
