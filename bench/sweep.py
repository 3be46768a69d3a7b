"""`kaas cluster sweep` against the R1 way, on the same leftovers, side by side.

    python bench/sweep.py --localcloud /tmp/<you>-dc [--sizes 1,5,20] [--r1-up-to 5]

For each N a fresh project of the local cloud gets N clusters' leftovers (the matrix of
tests/support/leftover_matrix.py: CAPO's tagged network, subnet, router, ports, security
group, server, API load balancer; OCCM's load balancer with listener, pool, member, floating IP
and security group; a CSI volume with a snapshot; a server group), twice: one set is swept by
`cluster_sweep.run` (what `kaas cluster sweep c0 c1 ...` runs: all N in one sweep), the other the
way R1's `cleanup.sh` did it: one `openstack` CLI process per command (python-openstackclient and
python-octaviaclient in a throwaway venv under .state/), per cluster first a list per type, then
the deletions in the same dependency order as cleanup.sh issued them: a load balancer
(`--cascade --wait`, the only `--wait` it used) and a floating IP per command, the other types
all of the cluster's in one command (`openstack port delete ID ID`), the servers without
waiting. R1 left snapshots alone; here its volume deletion waits for them (not counted).

API calls: for scs-kaas, the HTTP requests its keystoneauth session sends (on a connection of
its own: token and version discovery included); for the CLI, the `REQ:` lines of `--debug`
(token requests included). Minimal (`minimal`): one list per resource type to find, one call
per deletion, one list per type to verify, for all N clusters together.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the matrix builder lives with the tests

from openstack.connection import Connection  # noqa: E402
from tests.support.leftover_matrix import Planted, plant_cluster, raise_quotas  # noqa: E402

from scs_kaas.localcloud import LocalCloud  # noqa: E402
from scs_kaas.localcloud.resources import EXTERNAL_NETWORK  # noqa: E402
from scs_kaas.localcloud.sdk import connect  # noqa: E402
from scs_kaas.localcloud.tenants import delete_tenant, ensure_tenant  # noqa: E402
from scs_kaas.openstack.leftovers import PHASES  # noqa: E402
from scs_kaas.settings.model import Settings  # noqa: E402
from scs_kaas.workflows.cluster import sweep as cluster_sweep  # noqa: E402
from scs_kaas.workflows.cluster.sweep import cluster_owner, find  # noqa: E402

OSC_VENV = REPO / ".state" / "bench-sweep-osc"
TYPES = 11  # resource types listed to find (and once more to verify)
R1_DELETE = {
    "floating IP": ["floating", "ip", "delete"],
    "load balancer": ["loadbalancer", "delete", "--cascade", "--wait"],
    "server": ["server", "delete"],
    "snapshot": ["volume", "snapshot", "delete"],
    "port": ["port", "delete"],
    "volume": ["volume", "delete"],
    "subnet": ["subnet", "delete"],
    "router": ["router", "delete"],
    "network": ["network", "delete"],
    "security group": ["security", "group", "delete"],
    "server group": ["server", "group", "delete"],
}
# cleanup.sh deleted a cluster's load balancers one by one (`--cascade` goes with one ID) and
# the floating IPs one per load balancer found; everything else in one command per type
R1_ONE_BY_ONE = ("load balancer", "floating IP")
R1_LIST = [
    ["server", "list"],
    ["loadbalancer", "list"],
    ["floating", "ip", "list"],
    ["port", "list"],
    ["router", "list"],
    ["subnet", "list"],
    ["network", "list"],
    ["security", "group", "list"],
    ["volume", "list"],
    ["volume", "snapshot", "list"],
    ["server", "group", "list"],
]


def osc() -> Path:
    """The `openstack` CLI in a venv of its own (made once)."""
    binary = OSC_VENV / "bin" / "openstack"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(OSC_VENV)], check=True)
        pip = [str(OSC_VENV / "bin" / "pip"), "install", "-q"]
        subprocess.run([*pip, "python-openstackclient", "python-octaviaclient"], check=True)
    return binary


def counted(conn: Connection) -> list[int]:
    """Count every HTTP request the connection's session sends."""
    box = [0]
    send = conn.session.request

    def request(*args: Any, **kwargs: Any) -> Any:
        box[0] += 1
        return send(*args, **kwargs)

    conn.session.request = request  # type: ignore[method-assign]
    return box


def plant(conn: Connection, prefix: str, n: int, external: str) -> list[Planted]:
    with ThreadPoolExecutor(4) as pool:
        jobs = [pool.submit(plant_cluster, conn, prefix, f"c{i}", external) for i in range(n)]
        return [job.result() for job in jobs]


def kaas_way(config: dict[str, Any], planted: list[Planted]) -> tuple[float, int]:
    """`kaas cluster sweep c0 ... cN-1` in-process, on a connection of its own (so its token
    and version discoveries count, as in a fresh `kaas` process); checked afterwards, outside
    the measured time and calls."""
    owners = [cluster_owner(Settings(prefix=p.prefix), p.cluster) for p in planted]
    conn = connect(config)
    calls = counted(conn)
    started = time.monotonic()
    cluster_sweep.run(conn, owners, timeout=900)
    seconds, sent = time.monotonic() - started, calls[0]
    for owner in owners:
        assert find(conn, owner, False)[0] == [], owner
    conn.close()
    return seconds, sent


def r1_way(env: dict[str, str], planted: list[Planted], conn: Connection) -> tuple[float, int]:
    binary = str(osc())
    calls = 0

    def run(*argv: str) -> None:
        nonlocal calls
        done = subprocess.run(
            [binary, "--debug", *argv], env=env, capture_output=True, text=True, check=False
        )
        calls += done.stderr.count("REQ: curl")
        if done.returncode != 0:
            raise SystemExit(f"openstack {' '.join(argv)}: {done.stderr[-500:]}")

    started = time.monotonic()
    for cluster in planted:
        for argv in R1_LIST:  # R1 greps the lists for names
            run(*argv, "-f", "value")
        for phase in PHASES:
            for kind in phase:
                ids = sorted(cluster.ids.get(kind, ()))
                if not ids:
                    continue
                if kind == "router interface":
                    router = next(iter(cluster.ids["router"]))
                    for port in ids:
                        run("router", "remove", "port", router, port)
                elif kind in R1_ONE_BY_ONE:
                    for resource_id in ids:
                        run(*R1_DELETE[kind], resource_id)
                else:  # cleanup.sh's cleanup_list: all of a type in one command
                    run(*R1_DELETE[kind], *ids)
                if kind in ("volume", "snapshot"):
                    for resource_id in ids:
                        _wait_gone(conn, kind, resource_id)
    return time.monotonic() - started, calls


def _wait_gone(conn: Connection, kind: str, resource_id: str) -> None:
    """R1 slept and retried here; the bench waits without counting (in R1's favour)."""
    find_one: Callable[[str], object] = (
        conn.block_storage.find_volume if kind == "volume" else conn.block_storage.find_snapshot
    )
    deadline = time.monotonic() + 120
    while find_one(resource_id) is not None and time.monotonic() < deadline:
        time.sleep(0.5)


def minimal(planted: list[Planted]) -> int:
    """What any client needs for the same deletions in one go: one list per type to find the
    resources (for all clusters at once), one call per deletion, one list per type to verify.
    Not counted: tokens and version discovery (the CLI pays them per process), the
    application credentials that kaas also looks for."""
    deletions = sum(len(ids) for p in planted for ids in p.ids.values())
    return 2 * TYPES + deletions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--localcloud", type=Path, required=True, help="a running local cloud")
    parser.add_argument("--sizes", default="1,5,20")
    parser.add_argument(
        "--r1-up-to",
        type=int,
        default=None,
        help="measure the R1 way only up to this N; above, estimate it from the largest N "
        "measured (R1 works cluster by cluster: time and calls grow with N), shown with ~",
    )
    args = parser.parse_args()
    r1_per_cluster: tuple[float, float] | None = None
    cloud = LocalCloud(args.localcloud)
    admin = cloud.admin()
    network = admin.network.find_network(EXTERNAL_NETWORK)
    if network is None:
        raise SystemExit(f"the local cloud has no network {EXTERNAL_NETWORK}")
    external = str(network.id)
    table = Table(title="sweep of N clusters' leftovers")
    for column in ("N", "resources", "kaas s", "R1 s", "speed-up", "kaas calls", "R1 calls"):
        table.add_column(column, justify="right")
    table.add_column("minimal calls", justify="right")
    osc()
    for n in [int(x) for x in args.sizes.split(",")]:
        suffix = secrets.token_hex(3)
        password = secrets.token_hex(12)
        tenant = ensure_tenant(admin, f"bench-sweep-{suffix}", f"bench-{suffix}", password)
        try:
            raise_quotas(admin, tenant.project_id, 2 * n)
            config = cloud.user_config(tenant.user_name, password, f"bench-sweep-{suffix}")
            user = connect(config)
            ours = plant(user, "bk" + suffix[:3], n, external)
            measure_r1 = args.r1_up_to is None or n <= args.r1_up_to
            theirs = plant(user, "br" + suffix[:3], n, external) if measure_r1 else []
            kaas_s, kaas_calls = kaas_way(config, ours)
            if measure_r1:
                env = {**os.environ, **_os_env(config)}
                r1_s, calls = r1_way(env, theirs, user)
                r1_calls = float(calls)
                r1_per_cluster, mark = (r1_s / n, r1_calls / n), ""
            elif r1_per_cluster is not None:
                r1_s, r1_calls, mark = r1_per_cluster[0] * n, r1_per_cluster[1] * n, "~"
            else:
                raise SystemExit("--r1-up-to: measure the R1 way for a smaller N first")
            resources = sum(len(ids) for p in ours for ids in p.ids.values())
            table.add_row(
                str(n),
                str(resources),
                f"{kaas_s:.1f}",
                f"{mark}{r1_s:.1f}",
                f"{mark}{r1_s / kaas_s:.1f}x",
                str(kaas_calls),
                f"{mark}{r1_calls:.0f}",
                f"{minimal(ours)} (kaas {kaas_calls / minimal(ours):.2f}x)",
            )
            Console().print(table)
        finally:
            delete_tenant(admin, tenant)


def _os_env(config: dict[str, Any]) -> dict[str, str]:
    """OS_* variables for the CLI from a localcloud connection config."""
    auth = config["auth"]
    env = {
        "OS_AUTH_URL": auth["auth_url"],
        "OS_USERNAME": auth["username"],
        "OS_PASSWORD": auth["password"],
        "OS_PROJECT_NAME": auth["project_name"],
        "OS_USER_DOMAIN_NAME": auth.get("user_domain_name", "Default"),
        "OS_PROJECT_DOMAIN_NAME": auth.get("project_domain_name", "Default"),
        "OS_IDENTITY_API_VERSION": "3",
        "OS_REGION_NAME": config.get("region_name", "RegionOne"),
    }
    return {key: str(value) for key, value in env.items()}


if __name__ == "__main__":
    main()
