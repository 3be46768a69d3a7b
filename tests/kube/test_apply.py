"""apply() and prune() with the real render of a cluster, against the emulated API server."""

from __future__ import annotations

from typing import Any

import pytest

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import Applied, ObjectRef, apply, apply_order, prune
from scs_kaas.kube.client import KubeClient
from scs_kaas.render.addons.objects import ADDON_LABEL
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings
from tests.kube.conftest import Emulator

CLUSTER = "demo"


def render(**settings: Any) -> list[dict[str, Any]]:
    layers = [Layer("test", settings)] if settings else []
    loaded = build_settings(CLUSTER, layers).settings
    return render_cluster(CLUSTER, loaded, CloudFacts(), placeholder_identity("openstack"))


def stored(emulator: Emulator, manifest: dict[str, Any]) -> dict[str, Any] | None:
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    meta = manifest["metadata"]
    return emulator.stored(api_version, kind, meta.get("namespace")).get(meta["name"])


def expected_actions(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> dict[ObjectRef, str]:
    """The oracle: what an apply of `after` over `before` must report, from the renders alone."""
    old = {ObjectRef.of(m): m for m in before}
    return {
        ObjectRef.of(m): "created"
        if ObjectRef.of(m) not in old
        else "unchanged"
        if old[ObjectRef.of(m)] == m
        else "changed"
        for m in after
    }


def reported(results: list[Applied]) -> dict[ObjectRef, str]:
    return {
        ObjectRef.of(
            {
                "apiVersion": r.api_version,
                "kind": r.kind,
                "metadata": {"namespace": r.namespace, "name": r.name},
            }
        ): r.action
        for r in results
    }


def test_the_rendered_cluster_is_created_then_unchanged(
    emulator: Emulator, kube: KubeClient
) -> None:
    manifests = render()
    first = apply(kube, manifests)
    assert [r.action for r in first] == ["created"] * len(manifests)
    for manifest in manifests:
        found = stored(emulator, manifest)
        assert found is not None, ObjectRef.of(manifest)
        assert found["metadata"]["labels"] == manifest["metadata"]["labels"]
        fields = found["metadata"]["managedFields"]
        assert [f["manager"] for f in fields] == ["scs-kaas"]
        assert all(found[key] == manifest[key] for key in manifest if key != "metadata")

    second = apply(kube, manifests)
    assert [r.action for r in second] == ["unchanged"] * len(manifests)


def test_a_changed_setting_reports_only_the_objects_it_changes(kube: KubeClient) -> None:
    before = render()
    apply(kube, before)
    after = render(node_groups=[{"name": "md-0", "count": 5, "flavor": "SCS-4V-8"}])
    expected = expected_actions(before, after)
    assert set(expected.values()) == {"created", "changed", "unchanged"}  # the oracle has teeth
    assert reported(apply(kube, after)) == expected


def test_fields_left_out_of_a_later_apply_are_removed(emulator: Emulator, kube: KubeClient) -> None:
    manifests = render()
    namespace = manifests[0]
    namespace["metadata"]["labels"]["extra"] = "yes"
    apply(kube, [namespace])
    del namespace["metadata"]["labels"]["extra"]
    assert apply(kube, [namespace])[0].action == "changed"
    found = stored(emulator, namespace)
    assert found is not None
    assert "extra" not in found["metadata"]["labels"]


def test_namespaces_go_first_whatever_the_order_given(kube: KubeClient) -> None:
    manifests = list(reversed(render()))
    assert apply_order(manifests)[0]["kind"] == "Namespace"
    results = apply(kube, manifests)
    assert results[0].kind == "Namespace"
    assert {r.action for r in results} == {"created"}


def test_a_failed_apply_names_the_object_and_not_its_content(kube: KubeClient) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "lost", "namespace": "nowhere"},
        "data": {"token": "c2VjcmV0LXZhbHVl"},  # secret-value
    }
    with pytest.raises(ClusterError) as caught:
        apply(kube, [secret])
    message = str(caught.value)
    assert "Secret nowhere/lost" in message
    assert "namespaces" in message  # the server's reason: the namespace does not exist
    assert "c2VjcmV0LXZhbHVl" not in message
    assert "secret-value" not in message


QUOTAS = {
    "name": "quotas",
    "yaml": "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: default}\n"
    "spec: {hard: {pods: '10'}}\n",
}


def test_prune_removes_disabled_addons_and_nothing_it_cannot_prove_is_its_own(
    emulator: Emulator, kube: KubeClient
) -> None:
    before = render(addons={"custom_manifests": [QUOTAS]})
    apply(kube, before)
    dropped = [
        m
        for m in before
        if m["metadata"].get("labels", {}).get(ADDON_LABEL) in ("ingress-nginx", "custom-quotas")
        or m["metadata"]["name"].startswith("demo-custom-quotas")
    ]
    assert {m["kind"] for m in dropped} == {"HelmChartProxy", "ConfigMap", "ClusterResourceSet"}
    # Somebody else's object carrying our add-on label, but not our managed-by label.
    foreign = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "hand-made",
            "namespace": CLUSTER,
            "labels": {ADDON_LABEL: "ingress-nginx", naming.LABEL_CLUSTER_NAME: CLUSTER},
        },
        "data": {"note": "not ours"},
    }
    apply(kube, [foreign], field_manager="kubectl")

    after = render(addons={"ingress_nginx": False})
    assert apply(kube, after)  # applying the new render alone leaves the old add-ons in place
    assert all(stored(emulator, m) is not None for m in dropped)

    selector = f"{ADDON_LABEL},{naming.LABEL_CLUSTER_NAME}={CLUSTER}"
    deleted = prune(kube, CLUSTER, selector, keep=after)
    assert sorted(deleted) == sorted(ObjectRef.of(m) for m in dropped)
    assert [r.kind for r in deleted] == sorted(  # users before what they use
        (r.kind for r in deleted), key=["HelmChartProxy", "ClusterResourceSet", "ConfigMap"].index
    )
    assert all(stored(emulator, m) is None for m in dropped)
    assert stored(emulator, foreign) is not None
    assert all(stored(emulator, m) is not None for m in after)
    assert prune(kube, CLUSTER, selector, keep=after) == []


def test_prune_leaves_an_object_whose_owner_label_was_taken_away(
    emulator: Emulator, kube: KubeClient
) -> None:
    before = render()
    apply(kube, before)
    carrier = next(m for m in before if m["kind"] == "ConfigMap")
    disowned = {
        **carrier,
        "metadata": {
            **carrier["metadata"],
            "labels": {**carrier["metadata"]["labels"], naming.LABEL_MANAGED_BY: "someone-else"},
        },
    }
    apply(kube, [disowned], field_manager="someone-else")
    keep = [m for m in before if m is not carrier]
    assert ObjectRef.of(carrier) not in prune(kube, CLUSTER, ADDON_LABEL, keep=keep)
    assert stored(emulator, carrier) is not None


def test_prune_leaves_an_object_changed_since_it_was_listed(
    emulator: Emulator, kube: KubeClient
) -> None:
    from scs_kaas.kube.apply import _delete

    manifests = render()
    apply(kube, manifests)
    carrier = next(m for m in manifests if m["kind"] == "ConfigMap")
    listed = stored(emulator, carrier)
    assert listed is not None
    apply(kube, [carrier | {"data": {"changed": "meanwhile"}}])  # a newer resourceVersion
    resource = kube.resource("v1", "ConfigMap")
    assert not _delete(kube, resource, ObjectRef.of(carrier), listed["metadata"])
    assert stored(emulator, carrier) is not None
