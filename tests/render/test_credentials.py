from __future__ import annotations

import yaml

from scs_kaas.render.credentials import AppCredentialSecret, CloudEndpoint, cloud_conf, clouds_yaml

ENDPOINT = CloudEndpoint(auth_url="https://keystone.example.com:5000/v3", region_name="RegionOne")
CREDENTIAL = AppCredentialSecret(id="ac-id", secret="s3cr3t", project_id="p-id")


def test_clouds_yaml_for_capo() -> None:
    assert yaml.safe_load(clouds_yaml("prod", ENDPOINT, CREDENTIAL)) == {
        "clouds": {
            "prod": {
                "auth": {
                    "auth_url": "https://keystone.example.com:5000/v3",
                    "application_credential_id": "ac-id",
                    "application_credential_secret": "s3cr3t",
                },
                "auth_type": "v3applicationcredential",
                "identity_api_version": 3,
                "interface": "public",
                "region_name": "RegionOne",
            }
        }
    }


def test_cloud_conf_has_tenant_id_and_load_balancer_section() -> None:
    assert cloud_conf(ENDPOINT, CREDENTIAL, ca_file="/etc/config/ca.crt") == (
        "[Global]\n"
        'auth-url="https://keystone.example.com:5000/v3"\n'
        'application-credential-id="ac-id"\n'
        'application-credential-secret="s3cr3t"\n'
        'tenant-id="p-id"\n'
        'region="RegionOne"\n'
        'ca-file="/etc/config/ca.crt"\n'
        "\n"
        "[LoadBalancer]\n"
        "manage-security-groups=true\n"
        "create-monitor=true\n"
    )


def test_cloud_conf_names_the_endpoint_interface_as_gophercloud_reads_it() -> None:
    """OpenStack CCM and Cinder CSI read `os-endpoint-type` ([Global], pkg/client); they
    ignore `interface`, which clouds.yaml uses."""
    internal = CloudEndpoint(auth_url=ENDPOINT.auth_url, interface="internal")
    conf = cloud_conf(internal, CREDENTIAL)
    assert 'os-endpoint-type="internal"' in conf and "interface=" not in conf
    assert "os-endpoint-type" not in cloud_conf(ENDPOINT, CREDENTIAL)  # public is the default


def test_secret_never_in_repr() -> None:
    assert "s3cr3t" not in repr(CREDENTIAL)
