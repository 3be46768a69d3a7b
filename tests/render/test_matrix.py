"""A matrix of setting combinations; every rendered document must pass crd_validate.py."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts, ManagementFacts
from scs_kaas.render.metadata import INFRA_API
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings
from tests.render.crds import capo_v014_crds, crd_validate, require_shared, write_manifests

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
NODE_GROUPS = [
    [{"name": "md-0"}],
    [{"name": "small", "count": 1}, {"name": "big", "flavor": "SCS-4V-8-50", "count": 0}],
    [
        {"name": "a", "labels": {"tier": "web"}, "taints": [{"key": "dedicated", "value": "a"}]},
        {"name": "auto", "autoscale_min": 0, "autoscale_max": 5, "failure_domain": "az2"},
        {"name": "gpu", "gpu": True, "server_group": "soft-anti-affinity"},
    ],
]
CONTROL_PLANES = [
    {"count": 1},
    {"count": 3, "failure_domains": ["az1", "az2", "az3"], "server_group": "anti-affinity"},
]
ROOT_VOLUMES = [
    {},
    {"root_volume": {"size_gib": 50, "type": "ssd", "availability_zone": "az1"}},
]
API_SERVERS = [
    {},
    {"load_balancer": True, "allowed_cidrs": ["192.0.2.0/24"], "port": 443},
    {"load_balancer": False, "floating_ip": False},
]
EXTRAS: list[dict[str, Any]] = [
    {},
    {
        "network": {"extra_networks": [{"network": "storage", "subnet": "storage-v4"}]},
        "kubeadm": {
            "api_server_extra_args": {"audit-log-maxage": "30"},
            "kubelet_extra_args": {"max-pods": "150"},
            "files": [{"path": "/etc/motd", "content": "hello\n"}],
            "pre_commands": ["echo pre"],
            "post_commands": ["echo post"],
        },
        "trusted_cas": {"corp": CA},
        "registry_mirrors": {"docker.io": ["https://registry.scs.community"]},
        "external_network": "public",
        "extra_tags": ["team=blue"],
    },
]


def _combinations() -> list[tuple[str, dict[str, Any]]]:
    combos = []
    product = itertools.product(NODE_GROUPS, CONTROL_PLANES, ROOT_VOLUMES, API_SERVERS, EXTRAS)
    for index, (groups, plane, volume, api, extra) in enumerate(product):
        if api.get("load_balancer") is False and plane["count"] > 1:
            continue  # rejected by validation: several control planes need a load balancer
        data = {
            **extra,
            "node_groups": groups,
            "control_plane": {**plane, **volume},
            "node_group_defaults": volume,
            "api_server": api,
        }
        combos.append((f"c{index}", data))
    return combos


def _assert_unique(documents: list[dict[str, Any]]) -> None:
    """Two objects with one identity would overwrite each other when applied."""
    identities = [
        (
            d["apiVersion"].rpartition("/")[0],
            d["kind"],
            d["metadata"].get("namespace"),
            d["metadata"]["name"],
        )
        for d in documents
    ]
    duplicates = {i for i in identities if identities.count(i) > 1}
    assert not duplicates


def _render_all(folder: Path, management: ManagementFacts) -> dict[str, list[dict[str, Any]]]:
    folder.mkdir(exist_ok=True)
    combos = _combinations()
    assert len(combos) >= 50
    facts = CloudFacts(external_network_id=None, api_access_cidrs=("203.0.113.7/32",))
    rendered = {}
    for name, data in combos:
        settings = build_settings(name, [Layer("matrix", data)]).settings
        documents = render_cluster(
            name, settings, facts, placeholder_identity("openstack"), management=management
        )
        _assert_unique(documents)
        write_manifests(folder / f"{name}.yaml", documents)
        rendered[name] = documents
    return rendered


def _validated(folder: Path, rendered: int, crds: Path | None = None) -> str:
    report = crd_validate(sorted(folder.glob("*.yaml")), crds)
    summary = report.strip().splitlines()[-1]
    assert " 0 failed" in summary
    checked = int(summary.split()[0])
    # Every combination renders at least 8 CRD-backed objects.
    assert checked >= 8 * rendered
    return report


def test_every_combination_renders_valid_manifests(tmp_path: Path) -> None:
    require_shared()
    _validated(tmp_path, len(_render_all(tmp_path, ManagementFacts())))


def test_every_combination_renders_valid_manifests_for_capo_v014(tmp_path: Path) -> None:
    """CAPO v1beta1 for a management cluster on CAPO v0.14.7, checked against its own CRDs
    (from its Go module source), with the same object names as the v1beta2 render."""
    crds = capo_v014_crds(tmp_path / "crds")
    rendered = _render_all(tmp_path / "v1beta1", ManagementFacts("v1beta1"))
    report = _validated(tmp_path / "v1beta1", len(rendered), crds)
    capo = [d for documents in rendered.values() for d in documents if d["kind"].startswith("Op")]
    assert {d["apiVersion"] for d in capo} == {"infrastructure.cluster.x-k8s.io/v1beta1"}
    assert report.count("(infrastructure.cluster.x-k8s.io/v1beta1)") == len(capo)
    newest = _render_all(tmp_path / "v1beta2", ManagementFacts())
    for name, documents in rendered.items():
        assert [d["metadata"]["name"] for d in documents] == [
            d["metadata"]["name"] for d in newest[name]
        ]
        assert [d for d in documents if not d["kind"].startswith("OpenStack")] == [
            d for d in newest[name] if d["apiVersion"] != INFRA_API
        ]
