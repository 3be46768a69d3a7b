"""Names unique per prefix: the namespace, OCCM's cluster name and Cinder CSI's cluster ID of
cluster `demo` differ between environments, and a recorded cloud name is rendered again."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scs_kaas import naming
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts, ManagementFacts
from scs_kaas.settings.model import Settings

dns_label = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


def _render(prefix: str, cluster: str, **management: Any) -> list[dict[str, Any]]:
    return render_cluster(
        cluster,
        Settings(prefix=prefix),
        CloudFacts(),
        placeholder_identity("openstack"),
        management=ManagementFacts(**management),
    )


def _cloud_names(documents: list[dict[str, Any]]) -> tuple[str, str, str]:
    """(OCCM cluster.name, Cinder CSI clusterID, the Cluster's record)."""
    values = {
        d["metadata"]["name"]: yaml.safe_load(d["spec"]["valuesTemplate"])
        for d in documents
        if d["kind"] == "HelmChartProxy"
    }
    (cluster,) = [d for d in documents if d["kind"] == "Cluster"]
    ccm = next(v for name, v in values.items() if name.endswith("-openstack-ccm"))
    csi = next(v for name, v in values.items() if name.endswith("-cinder-csi"))
    record = cluster["metadata"]["annotations"][naming.CLOUD_NAME_ANNOTATION]
    return ccm["cluster"]["name"], csi["clusterID"], record


def test_a_new_cluster_gets_its_prefix_in_namespace_and_cloud_name() -> None:
    documents = _render("blue", "demo")
    assert {d["metadata"].get("namespace") for d in documents} - {None} == {"blue-demo"}
    assert _cloud_names(documents) == ("blue-demo",) * 3


def test_a_recorded_cloud_name_is_rendered_again() -> None:
    assert _cloud_names(_render("blue", "demo", cloud_cluster_name="demo")) == ("demo",) * 3


@settings(deadline=None, max_examples=25)
@given(a=dns_label, b=dns_label, cluster=dns_label)
def test_two_prefixes_never_share_namespace_network_or_cloud_name(
    a: str, b: str, cluster: str
) -> None:
    if a == b:
        return
    first, second = _render(a, cluster), _render(b, cluster)
    ns_a = Settings(prefix=a).namespace_for(cluster)
    ns_b = Settings(prefix=b).namespace_for(cluster)
    assert ns_a != ns_b
    assert naming.capo_network(ns_a, cluster) != naming.capo_network(ns_b, cluster)
    assert set(_cloud_names(first)).isdisjoint(_cloud_names(second))
