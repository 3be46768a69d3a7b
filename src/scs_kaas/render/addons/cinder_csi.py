"""Cinder CSI: volumes tagged with the cluster, a default StorageClass and VolumeSnapshotClass."""

from __future__ import annotations

from scs_kaas.render.addons import cloud_config, pins, snapshot_controller
from scs_kaas.render.addons.addon import Addon, Manifest, Values, always
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.render.addons.objects import workload_metadata
from scs_kaas.settings.addons import AddonsSettings

NAME = "cinder-csi"
DRIVER = "cinder.csi.openstack.org"
STORAGE_CLASS = "cinder-default"  # R1's name, so existing PVC specs keep working
SNAPSHOT_CLASS = "cinder-snapshot"


def values(ctx: AddonContext, _settings: AddonsSettings) -> Values:
    result: Values = {
        "secret": {
            "enabled": True,
            "create": False,
            "name": cloud_config.SECRET_NAME,
            "filename": cloud_config.CLOUD_CONF_KEY,
        },
        # --cluster: volumes carry `cinder.csi.openstack.org/cluster`, so a sweep can tell whose
        # volumes are left behind (R1 bug #5).
        "clusterID": ctx.cloud_name,
        # The StorageClass is ours (below); the chart's two classes would compete for default.
        "storageClass": {"enabled": False},
        # Cinder AZs rarely match Nova AZs on SCS clouds; topology would pin volumes wrongly.
        "csi": {"provisioner": {"topology": "false"}},
    }
    if ctx.ca_bundle is not None and _mounts_at_etc_kubernetes(ctx.kubernetes_version):
        # cloud.conf names the CA at /etc/config, where the CCM chart and the Cinder chart from
        # 2.33 on mount the Secret (cloud-provider-openstack #2892); 2.32 mounts it at
        # /etc/kubernetes only, so it gets the Secret at /etc/config as well.
        result["csi"]["plugin"] = {
            "volumeMounts": [
                {"name": "cloud-config", "mountPath": "/etc/kubernetes", "readOnly": True},
                {"name": "cloud-config", "mountPath": cloud_config.MOUNT_PATH, "readOnly": True},
            ]
        }
    return result


def _chart(kubernetes_version: str) -> pins.ChartPin:
    return pins.cloud_provider_openstack_chart(
        "openstack-cinder-csi", pins.CINDER_CSI_BY_MINOR, kubernetes_version
    )


def _mounts_at_etc_kubernetes(kubernetes_version: str) -> bool:
    major, minor = _chart(kubernetes_version).version.split(".")[:2]
    return (int(major), int(minor)) < (2, 33)


def manifests(_ctx: AddonContext, _settings: AddonsSettings) -> list[Manifest]:
    storage_class = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            **workload_metadata(STORAGE_CLASS, NAME),
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": DRIVER,
        "reclaimPolicy": "Delete",
        "allowVolumeExpansion": True,
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    snapshot_class = {
        "apiVersion": "snapshot.storage.k8s.io/v1",
        "kind": "VolumeSnapshotClass",
        "metadata": {
            **workload_metadata(SNAPSHOT_CLASS, NAME),
            "annotations": {"snapshot.storage.kubernetes.io/is-default-class": "true"},
        },
        "driver": DRIVER,
        "deletionPolicy": "Delete",
    }
    return [storage_class, snapshot_class]


ADDON = Addon(
    name=NAME,
    summary="Cinder CSI volumes, default StorageClass and VolumeSnapshotClass",
    namespace=cloud_config.SECRET_NAMESPACE,
    enabled=always,
    chart_for_kubernetes=_chart,
    values=values,
    manifests=manifests,
    # The VolumeSnapshotClass needs the snapshot CRDs; the ClusterResourceSet retries until the
    # snapshot-controller chart has installed them.
    depends_on=(cloud_config.NAME, snapshot_controller.NAME),
)
