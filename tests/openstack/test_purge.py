"""`kaas purge` against the local cloud: everything of one prefix goes, another's stays."""

from __future__ import annotations

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.workflows import purge
from tests.support.leftover_matrix import minus, plant_cluster, project_ids
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD


def test_purge_deletes_the_prefix_and_nothing_else(project: Project) -> None:
    conn: Connection = project.user
    ours = plant_cluster(conn, "pg", "one", project.external_network_id)
    theirs = plant_cluster(conn, "ph", "one", project.external_network_id)
    host_net = conn.network.create_network(name=naming.mgmt_network("pg"))
    conn.network.set_tags(host_net, naming.management_tags("pg"))
    ours.add("network", host_net.id)
    before = project_ids(conn)

    plan = purge.plan(conn, "pg", key_fingerprint=None)
    assert plan.clusters == ["one"]
    assert {k: len(v) for k, v in plan.resources.items()} == ours.counts()
    assert project_ids(conn) == before

    purge.run(conn, "pg", key_fingerprint=None, timeout=300)
    after = project_ids(conn)
    assert after == minus(before, ours)
    for kind, ids in theirs.ids.items():
        assert ids <= after[kind]
    assert purge.plan(conn, "pg", key_fingerprint=None).empty
