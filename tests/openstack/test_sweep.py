"""`kaas cluster sweep` against the local cloud: a leftover matrix in one project, one cluster
swept out of it, exactly its resources gone and everything else still there.

The matrix (tests/support/leftover_matrix.py): clusters `a` and `a-b` of one prefix (`a-b`
starts with `a-`: names alone would mix them up), `c` and a same-named `a` of another prefix
(whose OCCM and CSI use the bare cluster name `a`), and untagged look-alikes. A load balancer of
`a` is held in PENDING_UPDATE by the real Octavia API while its worker is paused (SIGSTOP): the
sweep must retry it, not fail and not skip it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.localcloud import LocalCloud
from scs_kaas.openstack.app_credentials import (
    CredentialOwner,
    create_app_credential,
    owned_app_credentials,
)
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import audit
from scs_kaas.workflows.cluster import sweep as cluster_sweep
from scs_kaas.workflows.cluster.sweep import cluster_owner, find, sweep_cluster
from scs_kaas.workflows.progress import StepEvent
from tests.openstack.cloud_cli import cli_environment, kaas
from tests.support.leftover_matrix import (
    Planted,
    merged,
    minus,
    occm_balancer,
    plant_cluster,
    project_ids,
    raise_quotas,
)
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

SWEEP_TIMEOUT = 300.0


@dataclass
class Matrix:
    a: Planted
    others: list[Planted]
    extra_a: Planted  # a's resources made with the bare cluster name, proven otherwise
    suspect_volume: str


def _plant(conn: Connection, external: str) -> Matrix:
    p1, p2 = "sw" + secrets.token_hex(2), "sx" + secrets.token_hex(2)
    with ThreadPoolExecutor(4) as pool:  # each waits on its load balancers mostly
        planting = [
            pool.submit(plant_cluster, conn, p1, "a", external),
            pool.submit(plant_cluster, conn, p1, "a-b", external),
            pool.submit(plant_cluster, conn, p2, "c", external),
            pool.submit(plant_cluster, conn, p2, "a", external, legacy_ingress=True),
        ]
        a, *others = [future.result() for future in planting]
    extra = Planted(p1, "a")
    # OCCM with the bare name `a` (a render before the per-prefix name), on a's own network
    balancer, ip, group = occm_balancer(
        conn, a.subnet_id, "a", external, a.member_address, ("default", "web")
    )
    extra.add("load balancer", balancer)
    extra.add("floating IP", ip)
    storage = conn.block_storage
    attached = storage.create_volume(
        name="pvc-a-attached", size=1, metadata={naming.CSI_CLUSTER_METADATA: "a"}
    )
    storage.wait_for_status(attached, status="available", failures=["error"], wait=120)
    conn.compute.create_volume_attachment(a.server_id, volume_id=attached.id)
    storage.wait_for_status(attached, status="in-use", failures=["error"], wait=120)
    extra.add("volume", attached.id)
    # the same bare name, attached nowhere: p1's `a` or p2's? Left, listed as suspect.
    ambiguous = storage.create_volume(
        name="pvc-a-ambiguous", size=1, metadata={naming.CSI_CLUSTER_METADATA: "a"}
    )
    # look-alikes nobody's sweep may touch
    conn.network.create_network(name=f"{p1}-foo")
    lookalike = conn.network.create_network(name="capi-foo")
    subnet = conn.network.create_subnet(
        network_id=lookalike.id, name="capi-foo", ip_version=4, cidr="10.250.0.0/24"
    )
    occm_balancer(conn, subnet.id, "other", external, "10.250.0.9", floating=False)
    storage.create_volume(name="pvc-other", size=1, metadata={naming.CSI_CLUSTER_METADATA: "o"})
    storage.create_volume(name="plain", size=1)
    # OCCM puts its security group on the nodes' ports: with the bare name, that is the proof
    node_port = next(p for p in a.ids["port"] if conn.network.get_port(p).tags)
    guarded = list(conn.network.get_port(node_port).security_group_ids)
    conn.network.update_port(node_port, security_group_ids=[*guarded, group])
    extra.add("security group", group)
    return Matrix(a, others, extra, str(ambiguous.id))


@contextlib.contextmanager
def octavia_worker_paused(cloud: LocalCloud) -> Iterator[threading.Event]:
    """Stop the Octavia worker's process group until the yielded event is set (or the block
    ends): the API keeps answering and queues the work, as a busy worker would."""
    (worker,) = [s for s in cloud.status() if s.name == "octavia-worker"]
    pid = worker.pid
    assert pid is not None
    resume = threading.Event()

    def wake() -> None:
        resume.wait()
        os.killpg(pid, signal.SIGCONT)

    os.killpg(pid, signal.SIGSTOP)
    waker = threading.Thread(target=wake)
    waker.start()
    try:
        yield resume
    finally:
        resume.set()
        waker.join()


def test_sweep_deletes_exactly_the_clusters_leftovers(
    localcloud: LocalCloud, admin: Connection, project: Project
) -> None:
    conn = project.user
    raise_quotas(admin, project.tenant.project_id, 5)
    matrix = _plant(conn, project.external_network_id)
    a = merged(matrix.a, matrix.extra_a)
    owner = cluster_owner(Settings(prefix=a.prefix), "a")
    credential = create_app_credential(conn, CredentialOwner(a.prefix, "a"))
    before = project_ids(conn)

    leftovers, suspects = find(conn, owner, keep_volumes=False)
    found: dict[str, set[str]] = {}
    for item in leftovers:
        found.setdefault(item.kind, set()).add(item.id)
    assert found == a.ids
    same_named = matrix.others[2]  # p2's `a`, whose CSI wrote the bare name too
    assert {s.id for s in suspects if s.kind == "volume"} == {
        matrix.suspect_volume,
        *same_named.ids["volume"],
    }
    plan = cluster_sweep.plan(conn, owner)
    assert {k: len(v) for k, v in plan.resources.items()} == a.counts()
    assert plan.credential_ids == [credential.id]
    assert project_ids(conn) == before  # the dry run changed nothing

    # audit: a-b is live, a is not; its orphans are exactly a's, look-alikes are suspects
    report = audit.run(conn, a.prefix, {"a-b"}, host_recorded=False)
    assert [o.owner for o in report.orphans] == ["a"]
    assert {k: len(v) for k, v in report.orphans[0].resources.items()} == a.counts()
    assert report.orphans[0].command.startswith("kaas cluster sweep a ")
    shown = "\n".join(report.suspects)
    assert f"network {a.prefix}-foo" in shown and "kube_service_other_" in shown
    assert matrix.suspect_volume in shown and "capi-foo" not in shown

    (held,) = [i.id for i in leftovers if i.name.startswith(f"kube_service_{a.prefix}-a_")]
    events: list[StepEvent] = []
    retried = threading.Event()

    def progress(event: StepEvent) -> None:
        events.append(event)
        if event.phase == "retry" and held in event.detail:
            retried.set()

    with octavia_worker_paused(localcloud) as resume:
        conn.load_balancer.update_load_balancer(held, description="being changed")
        assert conn.load_balancer.get_load_balancer(held).provisioning_status == "PENDING_UPDATE"
        outcome: list[object] = []
        runner = threading.Thread(
            target=lambda: outcome.append(
                sweep_cluster(conn, owner, timeout=SWEEP_TIMEOUT, progress=progress)
            )
        )
        runner.start()
        assert retried.wait(60), "the sweep never retried the load balancer in PENDING_UPDATE"
        resume.set()
        runner.join(SWEEP_TIMEOUT)
    assert outcome, "the sweep failed or did not finish"
    assert any("PENDING_UPDATE" in e.detail for e in events if e.phase == "retry")

    after = project_ids(conn)
    expected = minus(before, a)
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in expected.items()}
    assert after == expected
    assert owned_app_credentials(conn, CredentialOwner(a.prefix, "a")) == []
    for other in matrix.others:  # every other cluster's resources all still there
        for kind, ids in other.ids.items():
            assert ids <= after[kind], (other.prefix, other.cluster, kind)

    again = sweep_cluster(conn, owner, timeout=SWEEP_TIMEOUT)
    assert again.deleted == {} and again.credential_ids == []
    assert project_ids(conn) == after


def test_cli_dry_run_lists_then_keep_volumes_keeps_the_data(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    env, secret = cli_environment(localcloud, project, tmp_path, "swcloud")
    planted = plant_cluster(project.user, "sv", "k", project.external_network_id)
    argv = ["cluster", "sweep", "k", "-e", str(tmp_path), "--set", "prefix=sv"]
    argv += ["--set", "cloud=swcloud"]
    before = project_ids(project.user)

    dry = kaas(*argv, "--dry-run", "-o", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    listed = json.loads(dry.stdout)["resources"]
    assert {kind: len(shown) for kind, shown in listed.items()} == planted.counts()
    assert project_ids(project.user) == before

    done = kaas(*argv, "--keep-volumes", "-o", "json", env=env)
    assert done.returncode == 0, done.stderr
    data = {kind: planted.ids.pop(kind) for kind in ("volume", "snapshot")}
    assert project_ids(project.user) == minus(before, planted)
    for kind, ids in data.items():
        assert ids <= project_ids(project.user)[kind]
    assert secret not in dry.stdout + done.stdout + done.stderr
