"""Shared inputs and checks of the add-on tests."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from scs_kaas.render.addons import ADDON_LABEL, AddonContext

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CRD_VALIDATE = SHARED / "tools" / "crd_validate.py"

SECRET = "Sup3r-S3cret-AppCred-Value"
CLOUD_CONF = (
    "[Global]\n"
    'auth-url="https://keystone.example.com:5000/v3"\n'
    'application-credential-id="0123abcd"\n'
    f'application-credential-secret="{SECRET}"\n'
    'tenant-id="project-42"\n'
    'region="RegionOne"\n'
)
CA = "-----BEGIN CERTIFICATE-----\nMIIBfakeCA\n-----END CERTIFICATE-----\n"
# Kinds defined by CRDs that the add-ons themselves install: kubernetes-validate bundles only the
# core API schemas. They get their own structural checks in test_addons_render.py.
CRD_KINDS = frozenset({"VolumeSnapshotClass", "ClusterIssuer"})


def context(**changes: Any) -> AddonContext:
    base = AddonContext(
        cluster_name="prod",
        namespace="team-a",
        mtu=1400,
        pod_cidrs=("192.168.0.0/16",),
        service_cidrs=("10.96.0.0/12",),
        cloud_conf=CLOUD_CONF,
        kubernetes_version="v1.34.1",
        node_name_prefixes=("prod-control-plane", "prod-md-0"),
        node_address_cidrs=("10.8.0.0/20",),
        labels={
            "cluster.x-k8s.io/cluster-name": "prod",
            "app.kubernetes.io/managed-by": "scs-kaas",
        },
    )
    return replace(base, **changes)


def keys(objects: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(o["kind"], o["metadata"]["name"]) for o in objects}


def of_addon(objects: Iterable[dict[str, Any]], addon: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["metadata"]["labels"][ADDON_LABEL] == addon]


def by_kind(objects: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def chart_proxy(objects: Iterable[dict[str, Any]], addon: str) -> dict[str, Any]:
    (proxy,) = [o for o in of_addon(objects, addon) if o["kind"] == "HelmChartProxy"]
    return proxy


def chart_values(objects: Iterable[dict[str, Any]], addon: str) -> dict[str, Any]:
    """The values of an add-on's chart as Helm sees them (no Go template used by the test)."""
    values = yaml.safe_load(chart_proxy(objects, addon)["spec"]["valuesTemplate"])
    assert isinstance(values, dict)
    return values


def workload_objects(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the ClusterResourceSets apply to the workload cluster, decoded from their carriers."""
    inner: list[dict[str, Any]] = []
    for carrier in objects:
        if carrier["kind"] == "ConfigMap":
            texts = list(carrier["data"].values())
        elif carrier["kind"] == "Secret":
            texts = [base64.b64decode(v).decode() for v in carrier["data"].values()]
        else:
            continue
        for text in texts:
            inner += [d for d in yaml.safe_load_all(text) if d is not None]
    return inner


def write_yaml(path: Path, objects: Sequence[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump_all(list(objects), sort_keys=False))
    return path


def crd_validate(paths: Sequence[Path]) -> str:
    """Run ../shared/tools/crd_validate.py as an API server with strict field validation would."""
    if not CRD_VALIDATE.is_file():
        pytest.skip(f"{CRD_VALIDATE} is absent: the CRDs of ../shared are needed to validate")
    result = subprocess.run(
        [sys.executable, str(CRD_VALIDATE), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
