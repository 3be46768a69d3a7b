"""Server groups: which the settings ask for, the id the templates reference, the record on the
Cluster that deletion goes by."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts
from scs_kaas.render.server_groups import (
    SERVER_GROUPS_ANNOTATION,
    recorded_server_groups,
    wanted_server_groups,
)
from scs_kaas.settings.model import Settings

POLICIES = ("none", "anti-affinity", "soft-anti-affinity")


def _settings(plane: str, groups: dict[str, str]) -> Settings:
    return Settings(
        prefix="capi",
        control_plane={"server_group": plane},
        node_groups=[{"name": name, "server_group": p} for name, p in groups.items()],
    )


def _templates(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"].rsplit("-", 1)[0]: d["spec"]["template"]["spec"]
        for d in documents
        if d["kind"] == "OpenStackMachineTemplate"
    }


def test_made_groups_are_referenced_by_id_and_recorded_on_the_cluster() -> None:
    settings = _settings("anti-affinity", {"web": "soft-anti-affinity", "batch": "none"})
    wanted = wanted_server_groups(settings, "prod")
    assert [(g.name, g.policy, g.setting) for g in wanted] == [
        ("capi-prod-control-plane", "anti-affinity", "control_plane.server_group"),
        ("capi-prod-web", "soft-anti-affinity", "node_groups[0].server_group"),
    ]
    ids = {"capi-prod-control-plane": "id-cp", "capi-prod-web": "id-web"}
    documents = render_cluster(
        "prod", settings, CloudFacts(server_group_ids=ids), placeholder_identity("openstack")
    )
    templates = _templates(documents)
    assert templates["prod-control-plane"]["serverGroup"] == {"id": "id-cp"}
    assert templates["prod-web"]["serverGroup"] == {"id": "id-web"}
    assert "serverGroup" not in templates["prod-batch"]
    (cluster,) = [d for d in documents if d["kind"] == "Cluster"]
    assert cluster["metadata"]["annotations"][SERVER_GROUPS_ANNOTATION] == (
        "capi-prod-control-plane,capi-prod-web"
    )
    assert recorded_server_groups(cluster) == ["capi-prod-control-plane", "capi-prod-web"]


def test_without_server_groups_the_cluster_records_none() -> None:
    documents = render_cluster(
        "prod", _settings("none", {"md-0": "none"}), CloudFacts(), placeholder_identity("x")
    )
    (cluster,) = [d for d in documents if d["kind"] == "Cluster"]
    assert SERVER_GROUPS_ANNOTATION not in cluster["metadata"]["annotations"]
    assert recorded_server_groups(cluster) == []


@settings(deadline=None, max_examples=25)
@given(
    plane=st.sampled_from(POLICIES),
    groups=st.dictionaries(
        st.sampled_from(["a", "b", "web", "md-0"]), st.sampled_from(POLICIES), min_size=1
    ),
)
def test_every_referenced_group_is_one_the_create_makes_and_the_cluster_records(
    plane: str, groups: dict[str, str]
) -> None:
    settings = _settings(plane, groups)
    wanted = {g.name: g.policy for g in wanted_server_groups(settings, "c")}
    documents = render_cluster("c", settings, CloudFacts(), placeholder_identity("x"))
    referenced = {
        spec["serverGroup"]["filter"]["name"]
        for spec in _templates(documents).values()
        if "serverGroup" in spec
    }
    assert referenced == set(wanted)
    (cluster,) = [d for d in documents if d["kind"] == "Cluster"]
    assert set(recorded_server_groups(cluster)) == set(wanted)
    assert set(wanted.values()) <= {"anti-affinity", "soft-anti-affinity"}
