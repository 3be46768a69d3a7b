"""Credential documents built in memory: CAPO's clouds.yaml and the CCM/CSI cloud.conf."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from scs_kaas.render.facts import ClusterIdentity

# Shown in place of credential material wherever manifests are printed instead of applied.
PLACEHOLDER = "<set by kaas cluster create>"


@dataclass(frozen=True)
class CloudEndpoint:
    """The non-secret part of a cloud entry."""

    auth_url: str
    region_name: str | None = None
    interface: str = "public"
    identity_api_version: int = 3


@dataclass(frozen=True)
class AppCredentialSecret:
    """An application credential; the secret lives in memory only and never in a repr."""

    id: str
    secret: str
    project_id: str

    def __repr__(self) -> str:
        return f"AppCredentialSecret(id={self.id!r}, secret='***', project_id={self.project_id!r})"


def clouds_yaml(cloud: str, endpoint: CloudEndpoint, credential: AppCredentialSecret) -> str:
    """CAPO's clouds.yaml: `v3applicationcredential`.

    Unlike R1 there is no `auth.project_id`: CAPO 0.4 needed it, CAPO >= 0.6 does not, and with it
    Keystone refuses the login ("Application credentials cannot request a scope"). The project
    stays known through the credential itself and cloud.conf's `tenant-id`.
    """
    entry: dict[str, object] = {
        "auth": {
            "auth_url": endpoint.auth_url,
            "application_credential_id": credential.id,
            "application_credential_secret": credential.secret,
        },
        "auth_type": "v3applicationcredential",
        "identity_api_version": endpoint.identity_api_version,
        "interface": endpoint.interface,
    }
    if endpoint.region_name:
        entry["region_name"] = endpoint.region_name
    return yaml.safe_dump({"clouds": {cloud: entry}}, sort_keys=False)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cloud_conf(
    endpoint: CloudEndpoint, credential: AppCredentialSecret, ca_file: str | None = None
) -> str:
    """cloud.conf for the cloud controller manager and Cinder CSI.

    `tenant-id` is required with application credentials (R1 bug #46); the load-balancer section
    lets the CCM manage security groups and health monitors for Services of type LoadBalancer.
    """
    lines = [
        "[Global]",
        f"auth-url={_quoted(endpoint.auth_url)}",
        f"application-credential-id={_quoted(credential.id)}",
        f"application-credential-secret={_quoted(credential.secret)}",
        f"tenant-id={_quoted(credential.project_id)}",
    ]
    if endpoint.interface != "public":
        # gophercloud's name for clouds.yaml's `interface`; `interface` itself is not read.
        lines.append(f"os-endpoint-type={_quoted(endpoint.interface)}")
    if endpoint.region_name:
        lines.append(f"region={_quoted(endpoint.region_name)}")
    if ca_file:
        lines.append(f"ca-file={_quoted(ca_file)}")
    lines += [
        "",
        "[LoadBalancer]",
        "manage-security-groups=true",
        "create-monitor=true",
        "",
    ]
    return "\n".join(lines)


def placeholder_identity(cloud: str) -> ClusterIdentity:
    """What `kaas cluster render` shows: the real documents are made only when applying."""
    endpoint = CloudEndpoint(auth_url="https://keystone.example.com:5000/v3")
    credential = AppCredentialSecret(id=PLACEHOLDER, secret=PLACEHOLDER, project_id=PLACEHOLDER)
    return ClusterIdentity(
        clouds_yaml=clouds_yaml(cloud, endpoint, credential),
        cacert="",
        cloud_conf=cloud_conf(endpoint, credential),
    )
