"""The `kube-system/cloud-config` Secret that OpenStack CCM and Cinder CSI read.

It holds the application credential, so it travels as a resource-set Secret, never as a
ConfigMap or Helm values. The load-balancer options R1 lacked and the cluster's networks are
added here unless the caller's cloud.conf already sets them.
"""

from __future__ import annotations

import base64
import configparser
import io

from scs_kaas.render.addons.addon import Addon, Manifest, always
from scs_kaas.render.addons.context import (
    NO_NETWORKING,
    AddonContext,
    AddonRenderError,
    ClusterNetworking,
)
from scs_kaas.render.addons.objects import workload_metadata
from scs_kaas.settings.addons import AddonsSettings

NAME = "cloud-config"
SECRET_NAME = "cloud-config"  # noqa: S105 (a name, not a password)
SECRET_NAMESPACE = "kube-system"  # noqa: S105
CLOUD_CONF_KEY = "cloud.conf"
CA_KEY = "ca.crt"
# Where the CCM chart mounts the secret; Cinder CSI gets an extra mount at the same path.
MOUNT_PATH = "/etc/config"
# What `ca-file` in cloud.conf must say when the caller passes a CA bundle (added if absent).
CA_FILE = f"{MOUNT_PATH}/{CA_KEY}"

# Octavia LBs with their own security groups (so nodes need no open NodePorts) and health
# monitors (so externalTrafficPolicy: Local sends traffic only to nodes running the backend).
# Only options OpenStack CCM and Cinder CSI read (pkg/openstack/openstack.go, pkg/client).
_DEFAULTS = (
    ("LoadBalancer", "manage-security-groups", "true"),
    ("LoadBalancer", "create-monitor", "true"),
    # Cinder and Nova AZ names often differ on SCS clouds; attach across them.
    ("BlockStorage", "ignore-volume-az", "true"),
)


def cloud_conf_for_cluster(
    text: str, ca_bundle: str | None, networking: ClusterNetworking = NO_NETWORKING
) -> str:
    """The caller's cloud.conf with the add-on defaults and the cluster's networks filled in;
    fails without tenant-id. What the caller's text sets wins."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error as error:
        # The parser's message quotes the offending line, which may hold the secret.
        raise AddonRenderError(
            f"cloud.conf is not valid INI ({type(error).__name__}); it is not shown, it is secret"
        ) from None
    if not parser.has_option("Global", "tenant-id"):
        raise AddonRenderError(
            "cloud.conf has no [Global] tenant-id; OpenStack CCM fails to authenticate with an "
            "application credential without it (R1 bug #46)"
        )
    for section, key, value in (*_DEFAULTS, *networking.options()):
        if not parser.has_section(section):
            parser.add_section(section)
        if not parser.has_option(section, key):
            parser.set(section, key, value)
    if ca_bundle is not None and not parser.has_option("Global", "ca-file"):
        parser.set("Global", "ca-file", CA_FILE)
    out = io.StringIO()
    parser.write(out, space_around_delimiters=False)
    return out.getvalue()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def manifests(ctx: AddonContext, _settings: AddonsSettings) -> list[Manifest]:
    data = {
        CLOUD_CONF_KEY: _b64(cloud_conf_for_cluster(ctx.cloud_conf, ctx.ca_bundle, ctx.networking))
    }
    if ctx.ca_bundle is not None:
        data[CA_KEY] = _b64(ctx.ca_bundle)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": workload_metadata(SECRET_NAME, NAME, SECRET_NAMESPACE),
        "type": "Opaque",
        "data": data,
    }
    return [secret]


ADDON = Addon(
    name=NAME,
    summary="cloud.conf Secret for OpenStack CCM and Cinder CSI (from the app credential)",
    namespace=SECRET_NAMESPACE,
    enabled=always,
    manifests=manifests,
    secret_manifests=True,
)
