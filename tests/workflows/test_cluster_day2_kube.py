"""Day-2 commands on the real management cluster, on clusters that are paused: every object is
admitted, defaulted and validated by the real providers' webhooks, and no controller acts on
it (CAPI, KCP and CAPO all skip a paused Cluster), so what changes is what the command wrote.

list (prefixes), scale (exactly the replicas; refusals; dry run), template garbage collection
(only what nothing refers to), diff (a changed flavor as a field, no write), kubeconfig.
"""

from __future__ import annotations

import os
import pty
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scs_kaas import naming
from scs_kaas.errors import SettingsError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.kubeconfig import secret_name
from scs_kaas.kube.secrets import apply_secret
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import gc as cluster_gc
from scs_kaas.workflows.cluster import list as cluster_list
from scs_kaas.workflows.cluster import scale as cluster_scale
from scs_kaas.workflows.cluster.diff import diff_documents
from scs_kaas.workflows.cluster.objects import list_objects
from scs_kaas.workflows.cluster.prepare import management_facts
from scs_kaas.workflows.cluster.target import ClusterTarget

CAPI = "cluster.x-k8s.io/v1beta2"
KCP = "controlplane.cluster.x-k8s.io/v1beta2"
CAPO = "infrastructure.cluster.x-k8s.io/v1beta1"
BOOKKEEPING = ("managedFields", "resourceVersion", "generation")


def settings_of(prefix: str, namespace: str, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "cloud": "nowhere",
        "prefix": prefix,
        "namespace": namespace,
        "node_groups": [
            {"name": "md-0", "count": 2},
            {"name": "auto", "count": 1, "autoscale_min": 1, "autoscale_max": 3},
        ],
    }
    values.update(more)
    return Settings(**values)


def rendered(kube: KubeClient, settings: Settings, name: str) -> list[dict[str, Any]]:
    """The cluster's objects as create renders them (add-ons left out), the Cluster paused."""
    offline = render_cluster(name, settings, CloudFacts(), placeholder_identity("nowhere"))
    facts = management_facts(kube, offline)
    documents = render_cluster(
        name, settings, CloudFacts(), placeholder_identity("nowhere"), management=facts
    )
    kept = [d for d in documents if "kaas.scs.community/addon" not in d["metadata"]["labels"]]
    kept = [d for d in kept if d["kind"] != "Namespace"]
    for document in kept:
        if document["kind"] == "Cluster":
            document["spec"]["paused"] = True
    return kept


def make(kube: KubeClient, settings: Settings, name: str) -> list[dict[str, Any]]:
    documents = rendered(kube, settings, name)
    apply(kube, documents)
    return documents


def get(kube: KubeClient, api: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = (
        kube.resource_of_group(api, kind).get(name=name, namespace=namespace).to_dict()
    )
    return found


def versions(kube: KubeClient, namespace: str) -> dict[str, str]:
    """What changes with every write of a spec, for every object of the kinds a cluster has in
    `namespace`: the generation (controllers keep writing status even of a paused cluster,
    which bumps resourceVersion but not the generation), a Secret's resourceVersion."""
    found = {}
    for api, kind in (
        (CAPI, "Cluster"),
        (CAPI, "MachineDeployment"),
        (KCP, "KubeadmControlPlane"),
        (CAPO, "OpenStackMachineTemplate"),
        ("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfigTemplate"),
        ("v1", "Secret"),
    ):
        for item in list_objects(kube, api, kind, namespace):
            metadata = item["metadata"]
            found[f"{kind}/{metadata['name']}"] = str(
                metadata.get("generation") or metadata["resourceVersion"]
            )
    return found


def without(obj: dict[str, Any], *spec_keys: str) -> dict[str, Any]:
    kept = {k: v for k, v in obj.items() if k != "status"}
    kept["metadata"] = {k: v for k, v in obj["metadata"].items() if k not in BOOKKEEPING}
    kept["spec"] = {k: v for k, v in obj["spec"].items() if k not in spec_keys}
    return kept


def test_list_shows_the_prefix_and_marks_other_prefixes(kube: KubeClient, namespace: str) -> None:
    mine, other = f"p{secrets.token_hex(3)}", f"q{secrets.token_hex(3)}"
    make(kube, settings_of(mine, namespace), "one")
    make(kube, settings_of(mine, namespace), "two")
    make(kube, settings_of(other, namespace), "three")

    rows = cluster_list.run(kube, mine)
    assert [(r.namespace, r.name) for r in rows] == [(namespace, "one"), (namespace, "two")]
    row = rows[0]
    assert row.version == settings_of(mine, namespace).kubernetes_version
    assert row.control_plane.desired == 1
    # CAPI's webhook starts an autoscaled group at its minimum
    assert [(g.name, g.desired, g.autoscale) for g in row.node_groups] == [
        ("auto", 1, (1, 3)),
        ("md-0", 2, None),
    ]
    assert row.available == "Unknown" and not row.other_prefix

    every = {r.name: r for r in cluster_list.run(kube, mine, all_prefixes=True)}
    assert every["three"].other_prefix and every["three"].prefix == other
    assert not every["one"].other_prefix


def test_scale_changes_exactly_the_replicas(kube: KubeClient, namespace: str) -> None:
    """And the next create's apply takes the count back: the cluster file stays the truth."""
    prefix = f"p{secrets.token_hex(3)}"
    settings = settings_of(prefix, namespace)
    documents = make(kube, settings, "c")
    target = ClusterTarget(prefix, namespace, "c")
    deployment = naming.node_group("c", "md-0")
    before = get(kube, CAPI, "MachineDeployment", namespace, deployment)
    others = {k: v for k, v in versions(kube, namespace).items() if deployment not in k}

    result = cluster_scale.run(kube, target, {"md-0": 5})
    assert [(c.group, c.before, c.after) for c in result.changes] == [("md-0", 2, 5)]
    assert result.notes and "count of md-0 to 5" in result.notes[0]
    after = get(kube, CAPI, "MachineDeployment", namespace, deployment)
    assert after["spec"]["replicas"] == 5
    assert without(after, "replicas") == without(before, "replicas")
    assert {k: v for k, v in versions(kube, namespace).items() if deployment not in k} == others

    apply(kube, documents)  # what `kaas cluster create` does next
    assert get(kube, CAPI, "MachineDeployment", namespace, deployment)["spec"]["replicas"] == 2


def test_scale_refuses_what_does_not_fit_before_any_write(kube: KubeClient, namespace: str) -> None:
    prefix = f"p{secrets.token_hex(3)}"
    make(kube, settings_of(prefix, namespace), "c")
    target = ClusterTarget(prefix, namespace, "c")
    stored = versions(kube, namespace)
    with pytest.raises(SettingsError) as refused:
        cluster_scale.run(kube, target, {"md-0": 3, "nope": 1, "auto": 9, "control-plane": 2})
    text = str(refused.value)
    assert "nope: no such group; the cluster has: control-plane, auto, md-0" in text
    assert "auto: is autoscaled between 1 and 3" in text
    assert "control-plane: must be odd" in text
    assert refused.value.exit_code == 2
    assert versions(kube, namespace) == stored  # md-0=3 was fine but not written either

    dry = cluster_scale.run(kube, target, {"md-0": 4, "auto": 3, "control-plane": 3}, dry_run=True)
    assert dry.dry_run and len(dry.changes) == 3
    assert versions(kube, namespace) == stored


def test_templates_are_deleted_only_when_nothing_refers_to_them(
    kube: KubeClient, namespace: str
) -> None:
    prefix = f"p{secrets.token_hex(3)}"
    target = ClusterTarget(prefix, namespace, "c")
    first = make(kube, settings_of(prefix, namespace), "c")
    old_md = get(kube, CAPI, "MachineDeployment", namespace, naming.node_group("c", "md-0"))
    old_template = old_md["spec"]["template"]["spec"]["infrastructureRef"]["name"]
    # an older revision's MachineSet, as CAPI keeps one during a rollout
    machine_set = {
        "apiVersion": CAPI,
        "kind": "MachineSet",
        "metadata": {
            "name": "c-md-0-old",
            "namespace": namespace,
            "labels": {naming.LABEL_CLUSTER_NAME: "c"},
        },
        "spec": {
            "clusterName": "c",
            "replicas": 0,
            "selector": old_md["spec"]["selector"],
            "template": old_md["spec"]["template"],
        },
    }
    kube.resource(CAPI, "MachineSet").create(body=machine_set, namespace=namespace)
    foreign = {
        **next(d for d in first if d["metadata"]["name"] == old_template),
        "metadata": {"name": "not-ours", "namespace": namespace, "labels": {}},
    }
    kube.resource_of_group(CAPO, "OpenStackMachineTemplate").create(
        body=foreign, namespace=namespace
    )
    bigger = settings_of(
        prefix,
        namespace,
        node_groups=[
            {"name": "md-0", "count": 2, "flavor": "SCS-4V-8-50"},
            {"name": "auto", "count": 1, "autoscale_min": 1, "autoscale_max": 3},
        ],
    )
    make(kube, bigger, "c")  # md-0 now refers to a new template
    assert cluster_gc.run(kube, target) == []  # all younger than the grace period
    assert cluster_gc.run(kube, target, grace_seconds=0) == []  # the MachineSet holds it

    # gone, as CAPI removes an old revision's MachineSet once it has no machines (its
    # controller, stopped by the paused Cluster, would also remove its finalizer)
    machine_sets = kube.resource(CAPI, "MachineSet")
    machine_sets.delete(name="c-md-0-old", namespace=namespace)
    machine_sets.patch(
        name="c-md-0-old",
        namespace=namespace,
        body={"metadata": {"finalizers": None}},
        content_type="application/merge-patch+json",
    )
    gone = f"OpenStackMachineTemplate.infrastructure.cluster.x-k8s.io {namespace}/{old_template}"
    assert cluster_gc.run(kube, target, dry_run=True, grace_seconds=0) == [gone]
    assert old_template in {
        t["metadata"]["name"]
        for t in list_objects(kube, CAPO, "OpenStackMachineTemplate", namespace)
    }
    assert cluster_gc.run(kube, target, grace_seconds=0) == [gone]
    left = {
        t["metadata"]["name"]
        for t in list_objects(kube, CAPO, "OpenStackMachineTemplate", namespace)
    }
    assert old_template not in left and "not-ours" in left
    new_md = get(kube, CAPI, "MachineDeployment", namespace, naming.node_group("c", "md-0"))
    assert new_md["spec"]["template"]["spec"]["infrastructureRef"]["name"] in left
    assert cluster_gc.run(kube, target, grace_seconds=0) == []


def test_diff_shows_a_changed_flavor_as_a_field_and_writes_nothing(
    kube: KubeClient, namespace: str
) -> None:
    prefix = f"p{secrets.token_hex(3)}"
    make(kube, settings_of(prefix, namespace), "c")
    stored = versions(kube, namespace)
    changed = settings_of(prefix, namespace, control_plane={"flavor": "SCS-4V-8-50"})
    diffs = {
        d.object.split()[0].split(".")[0]: d
        for d in diff_documents(kube, rendered(kube, changed, "c"))
    }

    assert set(diffs) == {"KubeadmControlPlane", "OpenStackMachineTemplate"}
    plane = diffs["KubeadmControlPlane"]
    assert plane.action == "change"
    assert [c.path for c in plane.fields] == ["spec.machineTemplate.spec.infrastructureRef.name"]
    template = diffs["OpenStackMachineTemplate"]
    assert template.action == "create"
    flavor = [c for c in template.fields if c.path == "spec.template.spec.flavor"]
    assert [(c.old, c.new) for c in flavor] == [("SCS-2V-4-20s", "SCS-4V-8-50")]
    assert "replacing" in template.unified and "+      flavor: SCS-4V-8-50" in template.unified
    assert versions(kube, namespace) == stored  # nothing written, no template made


def test_an_unchanged_render_shows_no_difference(kube: KubeClient, namespace: str) -> None:
    """Webhook defaults do not count as differences: the dry run applies them too."""
    prefix = f"p{secrets.token_hex(3)}"
    settings = settings_of(prefix, namespace)
    make(kube, settings, "c")
    assert diff_documents(kube, rendered(kube, settings, "c")) == []


def _kubeconfig_run(
    kubeconfig_file: Path, tmp_path: Path, prefix: str, namespace: str, *more: str
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scs_kaas",
        "cluster",
        "kubeconfig",
        "c",
        "-e",
        str(tmp_path),
        "--set",
        f"prefix={prefix}",
        "--set",
        f"namespace={namespace}",
        "--set",
        "cloud=nowhere",
        "--kubeconfig",
        str(kubeconfig_file),
        *more,
    ]


def test_kubeconfig_goes_to_a_pipe_or_a_0600_file_never_to_a_terminal(
    kube: KubeClient, namespace: str, kubeconfig_file: Path, tmp_path: Path
) -> None:
    prefix = f"p{secrets.token_hex(3)}"
    make(kube, settings_of(prefix, namespace), "c")
    admin = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://192.0.2.1:6443"}}],
        "users": [{"name": "c-admin", "user": {"token": "secret-token-value"}}],
        "contexts": [{"name": "c-admin@c", "context": {"cluster": "c", "user": "c-admin"}}],
        "current-context": "c-admin@c",
    }
    apply_secret(kube, namespace, secret_name("c"), {"value": yaml.safe_dump(admin)})
    argv = _kubeconfig_run(kubeconfig_file, tmp_path, prefix, namespace)

    piped = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert piped.returncode == 0, piped.stderr
    assert yaml.safe_load(piped.stdout) == admin

    out = tmp_path / "out" / "c.kubeconfig"
    written = subprocess.run(
        [*argv, "--file", str(out)], capture_output=True, text=True, check=False
    )
    assert written.returncode == 0, written.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert yaml.safe_load(out.read_text()) == admin
    assert "secret-token-value" not in written.stdout + written.stderr

    merged_file = tmp_path / "merged"
    merged = subprocess.run(
        [*argv, "--merge", "--file", str(merged_file)], capture_output=True, text=True, check=False
    )
    assert merged.returncode == 0, merged.stderr
    assert yaml.safe_load(merged_file.read_text())["current-context"] == "c-admin@c"
    assert merged_file.stat().st_mode & 0o777 == 0o600

    leader, follower = pty.openpty()
    try:
        tty = subprocess.run(argv, stdout=follower, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(follower)
    os.set_blocking(leader, False)
    try:
        shown = os.read(leader, 65536).decode()
    except (BlockingIOError, OSError):
        shown = ""
    os.close(leader)
    assert tty.returncode == 2
    assert "not printed to a terminal" in tty.stderr
    assert "secret-token-value" not in shown
