"""`kaas audit`, `kaas purge` and `kaas cluster sweep A B --dry-run` through the console script.

One project of the local cloud holds clusters `one` and `two` of prefix `ca` (their Cluster
objects gone: the management cluster does not answer, so neither is live), a same-named `one`
of prefix `cb`, and an untagged network named like one of `ca`'s. The audit must report exactly
`ca`'s two clusters as orphans and the look-alike as the only suspect; the purge must list the
same, refuse without --yes when nobody can be asked, and then delete exactly that.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from openstack.connection import Connection

from scs_kaas.localcloud import LocalCloud
from scs_kaas.openstack.app_credentials import (
    CredentialOwner,
    create_app_credential,
    owned_app_credentials,
)
from tests.openstack.cloud_cli import cli_environment
from tests.support.leftover_matrix import (
    Planted,
    merged,
    minus,
    plant_cluster,
    project_ids,
    raise_quotas,
)
from tests.support.projects import KAAS, LOCALCLOUD, Project

pytestmark = LOCALCLOUD

UNREACHABLE_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "gone", "cluster": {"server": "https://127.0.0.1:1"}}],
    "users": [{"name": "gone", "user": {"token": "none"}}],
    "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "gone"}}],
    "current-context": "gone",
}


def kaas(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The console script with stdin at end of file: nobody there to answer a question."""
    return subprocess.run(
        [KAAS, *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def shown_ids(resources: dict[str, list[str]]) -> dict[str, set[str]]:
    """{kind: IDs} of a listing by kind whose entries read `name (id)` or `id`."""
    return {
        kind: {entry.rsplit(" (", 1)[-1].removesuffix(")") for entry in entries}
        for kind, entries in resources.items()
    }


def _plant(conn: Connection, external: str) -> tuple[list[Planted], Planted]:
    with ThreadPoolExecutor(3) as pool:  # each waits on its load balancers mostly
        jobs = [
            pool.submit(plant_cluster, conn, prefix, cluster, external)
            for prefix, cluster in (("ca", "one"), ("ca", "two"), ("cb", "one"))
        ]
        one, two, theirs = [job.result() for job in jobs]
    return [one, two], theirs


def test_audit_lists_the_orphans_and_purge_deletes_exactly_the_prefix(
    localcloud: LocalCloud, admin: Connection, project: Project, tmp_path: Path
) -> None:
    conn = project.user
    raise_quotas(admin, project.tenant.project_id, 3)
    ours, theirs = _plant(conn, project.external_network_id)
    lookalike = conn.network.create_network(name="ca-foo")  # untagged: never ours
    credential = create_app_credential(conn, CredentialOwner("ca", "one"))
    env, secret = cli_environment(localcloud, project, tmp_path, "clcloud")
    env["KAAS_STATE_DIR"] = str(tmp_path / "state")  # no management host recorded
    kubeconfig = tmp_path / "gone.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(UNREACHABLE_KUBECONFIG))
    common = ["-e", str(tmp_path), "--set", "prefix=ca", "--set", "cloud=clcloud"]
    before = project_ids(conn)
    outputs: list[str] = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = kaas(*args, *common, env=env)
        outputs.append(done.stdout + done.stderr)
        return done

    def json_of(done: subprocess.CompletedProcess[str]) -> Any:
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    report = json_of(run("audit", "--kubeconfig", str(kubeconfig), "-o", "json"))
    assert report["live_clusters"] == []
    assert "the management cluster does not answer" in report["notes"][0]
    assert [orphan["owner"] for orphan in report["orphans"]] == ["one", "two"]
    for orphan, planted in zip(report["orphans"], ours, strict=True):
        assert shown_ids(orphan["resources"]) == planted.ids
        assert orphan["command"] == f"kaas cluster sweep {planted.cluster} --set prefix=ca"
    assert report["suspects"] == [f"network ca-foo ({lookalike.id}): named like ours, no proof"]

    plans = json_of(run("cluster", "sweep", "one", "two", "--dry-run", "-o", "json"))
    assert [plan["cluster"] for plan in plans] == ["one", "two"]
    for plan, planted in zip(plans, ours, strict=True):
        assert shown_ids(plan["resources"]) == planted.ids
    assert plans[0]["credential_ids"] == [credential.id] and plans[1]["credential_ids"] == []

    plan = json_of(run("purge", "--dry-run", "-o", "json"))
    assert plan["clusters"] == ["one", "two"]
    assert shown_ids(plan["resources"]) == merged(*ours).ids
    assert plan["credentials"] == [f"{CredentialOwner('ca', 'one').name} ({credential.id})"]
    assert plan["images"] == [] and plan["keypair"] is None
    assert project_ids(conn) == before  # the audit and the dry runs changed nothing

    refused = run("purge", "-o", "json")
    assert refused.returncode == 1, refused.stderr
    assert "pass --yes" in refused.stderr and refused.stdout == ""
    assert project_ids(conn) == before

    purged = json_of(run("purge", "--yes", "-o", "json"))
    assert shown_ids(purged["resources"]) == merged(*ours).ids
    after = project_ids(conn)
    assert after == minus(before, merged(*ours))
    for kind, ids in theirs.ids.items():  # the other prefix's same-named cluster untouched
        assert ids <= after[kind], kind
    assert lookalike.id in after["network"]
    assert owned_app_credentials(conn, CredentialOwner("ca", "one")) == []

    report = json_of(run("audit", "--kubeconfig", str(kubeconfig), "-o", "json"))
    assert report["orphans"] == [] and len(report["suspects"]) == 1
    assert not any(secret in output for output in outputs)
