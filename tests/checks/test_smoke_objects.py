"""The smoke check's objects: pure properties, and the real API server's admission (server-side
dry-run applies: defaulting, validation, the restricted Pod Security level, the snapshot CRDs'
schema) of every object the check can create."""

from __future__ import annotations

from typing import Any

from kubernetes.client.exceptions import ApiException

from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import condition_is, wait_for
from scs_kaas.render import smoke
from tests.checks.workload import snapshot_crds

EVERYTHING = smoke.SmokeSpec(ingress_class="traefik", snapshot_class="cinder-snapshot")


def test_every_object_is_labelled_as_the_checks_and_lives_in_its_namespace() -> None:
    objects = smoke.all_objects(EVERYTHING)
    kinds = [o["kind"] for o in objects]
    assert kinds == [
        "Namespace",
        "PersistentVolumeClaim",
        "Deployment",
        "Service",
        "Ingress",
        "VolumeSnapshot",
    ]
    for obj in objects:
        labels = obj["metadata"]["labels"]
        assert {k: labels[k] for k in smoke.LABELS} == smoke.LABELS
        assert obj["metadata"].get("namespace", smoke.NAMESPACE) == smoke.NAMESPACE
    pod_labels = objects[2]["spec"]["template"]["metadata"]["labels"]
    assert pod_labels.items() >= smoke.LABELS.items()


def test_ingress_and_snapshot_only_when_the_cluster_has_their_classes() -> None:
    assert [o["kind"] for o in smoke.all_objects(smoke.SmokeSpec())] == [
        "Namespace",
        "PersistentVolumeClaim",
        "Deployment",
        "Service",
    ]
    ingress = smoke.ingress("nginx")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["rules"][0]["host"].endswith(".invalid")


def test_the_claim_takes_the_default_class_and_the_app_serves_only_its_name() -> None:
    assert "storageClassName" not in smoke.claim()["spec"]
    container = smoke.deployment()["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("registry.k8s.io/e2e-test-images/agnhost:")
    assert container["args"][0] == "serve-hostname"  # not netexec, which runs commands


def _dry_run(workload: KubeClient, manifest: dict[str, Any]) -> dict[str, Any]:
    resource = workload.resource(manifest["apiVersion"], manifest["kind"])
    return dict(
        resource.server_side_apply(
            body=manifest,
            name=manifest["metadata"]["name"],
            namespace=manifest["metadata"].get("namespace") if resource.namespaced else None,
            field_manager="scs-kaas-check",
            force_conflicts=True,
            dry_run="All",
        ).to_dict()
    )


def test_the_api_server_admits_every_object(workload_kube: KubeClient) -> None:
    crds = snapshot_crds()
    apply(workload_kube, crds)
    for crd in crds:
        name = crd["metadata"]["name"]
        wait_for(
            workload_kube,
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            name,
            None,
            condition_is("Established"),
            60,
        )
    objects = smoke.all_objects(EVERYTHING)
    # A namespaced object's dry run needs its namespace; the namespace itself is dry-run first.
    stored = _dry_run(workload_kube, objects[0])
    assert stored["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    apply(workload_kube, [objects[0]], "scs-kaas-check")
    try:
        for manifest in objects[1:]:
            stored = _dry_run(workload_kube, manifest)
            assert stored["kind"] == manifest["kind"]
        deployment = _dry_run(workload_kube, objects[2])
        # what the restricted level would refuse is there, and the API server kept it
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
    finally:
        workload_kube.resource("v1", "Namespace").delete(name=smoke.NAMESPACE)
        wait_for(workload_kube, "v1", "Namespace", smoke.NAMESPACE, None, lambda o: o is None, 120)


def test_a_pod_the_restricted_level_refuses_is_refused(workload_kube: KubeClient) -> None:
    """The namespace's Pod Security label works here: a root container is refused, so the
    admission above was a real check."""
    apply(workload_kube, [smoke.namespace()], "scs-kaas-check")
    try:
        bad = smoke.deployment()
        bad["kind"], bad["apiVersion"] = "Pod", "v1"
        template = bad.pop("spec")["template"]
        bad["spec"] = template["spec"]
        del bad["spec"]["securityContext"]["runAsNonRoot"]
        bad["spec"]["securityContext"]["runAsUser"] = 0
        try:
            _dry_run(workload_kube, bad)
        except ApiException as error:
            assert error.status == 403 and "restricted" in str(error.body)
        else:
            raise AssertionError("a root pod was admitted into the restricted namespace")
    finally:
        workload_kube.resource("v1", "Namespace").delete(name=smoke.NAMESPACE)
        wait_for(workload_kube, "v1", "Namespace", smoke.NAMESPACE, None, lambda o: o is None, 120)
