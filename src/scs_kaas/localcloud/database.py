"""The private MariaDB and every service's schema."""

from __future__ import annotations

from collections.abc import Mapping

from scs_kaas.localcloud.commands import query_output, query_succeeds, run_logged
from scs_kaas.localcloud.context import CloudContext
from scs_kaas.localcloud.infra_configs import database_setup_sql
from scs_kaas.localcloud.waiting import wait_until


def _client(ctx: CloudContext) -> list[str]:
    # root over the unix socket: root has no password and cannot log in over TCP
    return ["mariadb", f"--defaults-file={ctx.layout.my_cnf}", "-uroot"]


def initialise_datadir(ctx: CloudContext) -> None:
    """Create MariaDB's system tables once per state dir."""
    if (ctx.layout.mysql / "mysql").is_dir():
        return
    run_logged(
        [
            "mariadb-install-db",
            f"--defaults-file={ctx.layout.my_cnf}",
            "--auth-root-authentication-method=normal",
        ],
        ctx.layout.logs / "mysql-install.log",
    )


def wait_for_mariadb(ctx: CloudContext, timeout: float = 60) -> None:
    wait_until(
        lambda: query_succeeds([*_client(ctx), "-e", "select 1"]), timeout, "MariaDB to answer"
    )


def create_databases(ctx: CloudContext) -> None:
    # the SQL holds the database password: it goes through stdin, never argv or the log
    run_logged(_client(ctx), ctx.layout.logs / "database.log", stdin_text=database_setup_sql(ctx))


def compute_nodes(ctx: CloudContext) -> int:
    sql = "select count(*) from nova.compute_nodes where deleted=0"
    output = query_output([*_client(ctx), "-N", "-e", sql]).strip()
    return int(output) if output.isdigit() else 0


def _manage_commands(ctx: CloudContext) -> list[tuple[list[str], tuple[int, ...]]]:
    etc, venv_bin = ctx.layout.etc, ctx.layout.venv_bin
    nova = [str(venv_bin / "nova-manage"), "--config-file", str(etc / "nova" / "nova.conf")]
    return [
        (
            [
                str(venv_bin / "glance-manage"),
                "--config-file",
                str(etc / "glance" / "glance-api.conf"),
                "db_sync",
            ],
            (0,),
        ),
        (
            [
                str(venv_bin / "placement-manage"),
                "--config-file",
                str(etc / "placement" / "placement.conf"),
                "db",
                "sync",
            ],
            (0,),
        ),
        (
            [
                str(venv_bin / "neutron-db-manage"),
                "--config-file",
                str(etc / "neutron" / "neutron.conf"),
                "--config-file",
                str(etc / "neutron" / "plugins" / "ml2" / "ml2_conf.ini"),
                "upgrade",
                "heads",
            ],
            (0,),
        ),
        ([*nova, "api_db", "sync"], (0,)),
        # no --database_connection, which would put the password into argv and the log:
        # Nova derives nova_cell0 from [database] connection
        ([*nova, "cell_v2", "map_cell0"], (0,)),
        # exit 2: cell1 exists already (a restart without --wipe)
        ([*nova, "cell_v2", "create_cell", "--name", "cell1"], (0, 2)),
        ([*nova, "db", "sync"], (0,)),
        (
            [
                str(venv_bin / "cinder-manage"),
                "--config-file",
                str(etc / "cinder" / "cinder.conf"),
                "db",
                "sync",
            ],
            (0,),
        ),
        (
            [
                str(venv_bin / "octavia-db-manage"),
                "--config-file",
                str(etc / "octavia" / "octavia.conf"),
                "upgrade",
                "head",
            ],
            (0,),
        ),
    ]


def sync_schemas(ctx: CloudContext, env: Mapping[str, str]) -> None:
    """Create or upgrade the schema of every service except Keystone's."""
    for argv, ok_codes in _manage_commands(ctx):
        run_logged(argv, ctx.layout.logs / "dbsync.log", env, ok_codes)


def discover_compute_hosts(ctx: CloudContext, env: Mapping[str, str]) -> None:
    nova_manage = str(ctx.layout.venv_bin / "nova-manage")
    config = ["--config-file", str(ctx.layout.etc / "nova" / "nova.conf")]
    run_logged(
        [nova_manage, *config, "cell_v2", "discover_hosts"], ctx.layout.logs / "dbsync.log", env
    )
