"""apply() and prune() with the real render of a cluster, against the real management cluster.

Each test renders a cluster of a name of its own (its namespace too). The rendered Cluster is
applied with `spec.paused: true`: the real Cluster API controllers then leave the cluster's
objects alone (no machines, no status churn between two applies), while the real API server
and the providers' admission webhooks (defaulting, validation) see every object.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from scs_kaas import naming
from scs_kaas.errors import ClusterError
from scs_kaas.kube.apply import Applied, ObjectRef, apply, apply_order, prune
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_deleted
from scs_kaas.localcloud.waiting import wait_until
from scs_kaas.render.addons.objects import ADDON_LABEL
from tests.kube.rendered import render, stored
from tests.support.management import release


@pytest.fixture
def cluster(kube: KubeClient) -> Iterator[str]:
    """A cluster name of this test's own; its namespace (the render's) is deleted afterwards."""
    name = f"c{uuid.uuid4().hex[:10]}"
    yield name
    release(kube, name)


def holds(found: Any, given: Any) -> bool:
    """Whether `found` has every field of `given` with its value (the server may add defaults)."""
    if isinstance(given, dict):
        return isinstance(found, dict) and all(
            key in found and holds(found[key], value) for key, value in given.items()
        )
    if isinstance(given, list):
        return (
            isinstance(found, list)
            and len(found) == len(given)
            and all(holds(f, g) for f, g in zip(found, given, strict=True))
        )
    return bool(found == given)


def settle(kube: KubeClient, manifests: list[dict[str, Any]]) -> None:
    """Wait until the providers' controllers are done writing the new objects (their status):
    apply tells "unchanged" by resourceVersion, and a controller's write between its read and
    its apply would count as a change."""
    last: list[str] = []

    def unchanged_for_a_second() -> bool:
        nonlocal last
        now = [str((stored(kube, m) or {})["metadata"]["resourceVersion"]) for m in manifests]
        steady, last = now == last, now
        return steady

    wait_until(unchanged_for_a_second, 60, "the controllers to settle", interval=1.0)


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


def test_the_rendered_cluster_is_created_then_unchanged(kube: KubeClient, cluster: str) -> None:
    manifests = render(kube, cluster)
    first = apply(kube, manifests)
    assert [r.action for r in first] == ["created"] * len(manifests)
    for manifest in manifests:
        found = stored(kube, manifest)
        assert found is not None, ObjectRef.of(manifest)
        # ours, and on a Namespace the server's own kubernetes.io/metadata.name
        assert holds(found["metadata"]["labels"], manifest["metadata"]["labels"])
        fields = found["metadata"]["managedFields"]
        # ours is the apply; a defaulting webhook's changes are recorded as the API server's
        assert [f["manager"] for f in fields if f["operation"] == "Apply"] == ["scs-kaas"]
        for key in manifest:
            if key != "metadata":
                assert holds(found[key], manifest[key]), (ObjectRef.of(manifest), key)

    settle(kube, manifests)
    second = apply(kube, manifests)
    assert [r.action for r in second] == ["unchanged"] * len(manifests)


def test_a_changed_setting_reports_only_the_objects_it_changes(
    kube: KubeClient, cluster: str
) -> None:
    before = render(kube, cluster)
    apply(kube, before)
    settle(kube, before)
    after = render(kube, cluster, node_groups=[{"name": "md-0", "count": 5, "flavor": "SCS-4V-8"}])
    expected = expected_actions(before, after)
    assert set(expected.values()) == {"created", "changed", "unchanged"}  # the oracle has teeth
    assert reported(apply(kube, after)) == expected


def test_fields_left_out_of_a_later_apply_are_removed(kube: KubeClient, cluster: str) -> None:
    manifests = render(kube, cluster)
    namespace = manifests[0]
    namespace["metadata"]["labels"]["extra"] = "yes"
    apply(kube, [namespace])
    del namespace["metadata"]["labels"]["extra"]
    assert apply(kube, [namespace])[0].action == "changed"
    found = stored(kube, namespace)
    assert found is not None
    assert "extra" not in found["metadata"]["labels"]


def test_namespaces_go_first_whatever_the_order_given(kube: KubeClient, cluster: str) -> None:
    manifests = list(reversed(render(kube, cluster)))
    assert apply_order(manifests)[0]["kind"] == "Namespace"
    results = apply(kube, manifests)
    assert results[0].kind == "Namespace"
    assert {r.action for r in results} == {"created"}


def test_a_failed_apply_names_the_object_and_not_its_content(kube: KubeClient) -> None:
    nowhere = f"nowhere-{uuid.uuid4().hex[:8]}"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "lost", "namespace": nowhere},
        "data": {"token": "c2VjcmV0LXZhbHVl"},  # secret-value
    }
    with pytest.raises(ClusterError) as caught:
        apply(kube, [secret])
    message = str(caught.value)
    assert f"Secret {nowhere}/lost" in message
    assert "namespaces" in message and "not found" in message  # the server's reason
    assert "c2VjcmV0LXZhbHVl" not in message
    assert "secret-value" not in message


QUOTAS = {
    "name": "quotas",
    "yaml": "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: default}\n"
    "spec: {hard: {pods: '10'}}\n",
}


def test_prune_removes_disabled_addons_and_nothing_it_cannot_prove_is_its_own(
    kube: KubeClient, cluster: str
) -> None:
    before = render(kube, cluster, addons={"custom_manifests": [QUOTAS]})
    apply(kube, before)
    dropped = [
        m
        for m in before
        if m["metadata"].get("labels", {}).get(ADDON_LABEL) in ("traefik", "custom-quotas")
        or m["metadata"]["name"].startswith(f"{cluster}-custom-quotas")
    ]
    assert {m["kind"] for m in dropped} == {"HelmChartProxy", "ConfigMap", "ClusterResourceSet"}
    # Somebody else's object carrying our add-on label, but not our managed-by label.
    foreign = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "hand-made",
            "namespace": cluster,
            "labels": {ADDON_LABEL: "traefik", naming.LABEL_CLUSTER_NAME: cluster},
        },
        "data": {"note": "not ours"},
    }
    apply(kube, [foreign], field_manager="kubectl")

    after = render(kube, cluster, addons={"traefik": False})
    assert apply(kube, after)  # applying the new render alone leaves the old add-ons in place
    assert all(stored(kube, m) is not None for m in dropped)

    selector = f"{ADDON_LABEL},{naming.LABEL_CLUSTER_NAME}={cluster}"
    deleted = prune(kube, cluster, selector, keep=after)
    assert sorted(deleted) == sorted(ObjectRef.of(m) for m in dropped)
    assert [r.kind for r in deleted] == sorted(  # users before what they use
        (r.kind for r in deleted), key=["HelmChartProxy", "ClusterResourceSet", "ConfigMap"].index
    )
    for gone in dropped:  # a finalizer of a provider's (CAAPH's) may hold one for a moment
        meta = gone["metadata"]
        wait_deleted(kube, gone["apiVersion"], gone["kind"], meta["name"], meta["namespace"], 30)
    assert stored(kube, foreign) is not None
    assert all(stored(kube, m) is not None for m in after)
    assert prune(kube, cluster, selector, keep=after) == []


def test_prune_leaves_an_object_whose_owner_label_was_taken_away(
    kube: KubeClient, cluster: str
) -> None:
    before = render(kube, cluster)
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
    assert ObjectRef.of(carrier) not in prune(kube, cluster, ADDON_LABEL, keep=keep)
    assert stored(kube, carrier) is not None


def test_prune_leaves_an_object_changed_since_it_was_listed(kube: KubeClient, cluster: str) -> None:
    from scs_kaas.kube.apply import _attempt_delete

    manifests = render(kube, cluster)
    apply(kube, manifests)
    carrier = next(m for m in manifests if m["kind"] == "ConfigMap")
    listed = stored(kube, carrier)
    assert listed is not None
    apply(kube, [carrier | {"data": {"changed": "meanwhile"}}])  # a newer resourceVersion
    # None: not this version any more (HTTP 409), so left alone
    assert _attempt_delete(kube, "v1", ObjectRef.of(carrier), listed["metadata"]) is None
    assert stored(kube, carrier) is not None


def test_an_object_deleted_by_someone_else_since_it_was_listed_counts_as_gone(
    kube: KubeClient, cluster: str
) -> None:
    """As a ClusterResourceSet's Secret that the garbage collector deletes with its set (CAPI
    makes the set its owner): the delete of a cluster reports it among what is gone."""
    from scs_kaas.kube.apply import delete_while_ours

    manifests = render(kube, cluster)
    apply(kube, manifests)
    carrier = next(m for m in manifests if m["kind"] == "ConfigMap")
    listed = stored(kube, carrier)
    assert listed is not None
    ref = ObjectRef.of(carrier)
    assert kube.delete("v1", "ConfigMap", ref.name, ref.namespace)
    assert delete_while_ours(kube, "v1", ref, listed, ADDON_LABEL)
    assert stored(kube, carrier) is None
