"""kube-prometheus-stack with resource requests that fit a small cluster and persistent storage."""

from __future__ import annotations

from typing import Any

from scs_kaas.render.addons import cinder_csi, pins
from scs_kaas.render.addons.addon import Addon, Values
from scs_kaas.render.addons.context import AddonContext
from scs_kaas.settings.addons import AddonsSettings

NAME = "monitoring"


def _resources(cpu: str, memory: str, memory_limit: str) -> dict[str, Any]:
    # No CPU limit: throttling a scraper only makes it miss scrapes.
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


def _volume(size: str) -> dict[str, Any]:
    return {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": cinder_csi.STORAGE_CLASS,
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
            }
        }
    }


def values(_ctx: AddonContext, _settings: AddonsSettings) -> Values:
    return {
        "prometheus": {
            "prometheusSpec": {
                "retention": "15d",
                "retentionSize": "17GB",  # 85% of the volume, so Prometheus prunes before full
                "resources": _resources("200m", "1Gi", "3Gi"),
                "storageSpec": _volume("20Gi"),
                # Pick up monitors of every release, not only those labelled for this one.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "probeSelectorNilUsesHelmValues": False,
            }
        },
        "alertmanager": {
            "alertmanagerSpec": {
                "resources": _resources("20m", "64Mi", "256Mi"),
                "storage": _volume("2Gi"),
            }
        },
        "grafana": {"resources": _resources("50m", "256Mi", "512Mi")},
        "prometheusOperator": {"resources": _resources("50m", "128Mi", "512Mi")},
        "kube-state-metrics": {"resources": _resources("20m", "64Mi", "256Mi")},
        "prometheus-node-exporter": {"resources": _resources("20m", "32Mi", "128Mi")},
        # kubeadm binds these to 127.0.0.1; scraping them only produces permanent alerts.
        "kubeEtcd": {"enabled": False},
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeProxy": {"enabled": False},
    }


ADDON = Addon(
    name=NAME,
    summary="kube-prometheus-stack: Prometheus, Alertmanager, Grafana",
    namespace="monitoring",
    enabled=lambda s: s.monitoring,
    chart=pins.KUBE_PROMETHEUS_STACK,
    values=values,
    depends_on=(cinder_csi.NAME,),
)
