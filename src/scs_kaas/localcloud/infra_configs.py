"""Configuration of the private MariaDB and RabbitMQ: loopback only, files under the state dir."""

from __future__ import annotations

from scs_kaas.localcloud.context import CloudContext
from scs_kaas.localcloud.ports import LOOPBACK

DATABASES = (
    "keystone",
    "glance",
    "neutron",
    "nova_api",
    "nova",
    "nova_cell0",
    "placement",
    "octavia",
    "cinder",
)


def my_cnf(ctx: CloudContext) -> str:
    layout = ctx.layout
    return f"""\
[mysqld]
datadir={layout.mysql}
socket={layout.mysql_socket}
pid-file={layout.run / "mariadbd.server-pid"}
bind-address={LOOPBACK}
port={ctx.ports.mariadb}
user=root
log-error={layout.logs / "mysqld.err"}
# every service opens a pool of connections; the default of 151 runs out
max_connections=1000
innodb_buffer_pool_size=64M
performance_schema=OFF
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci

[client]
socket={layout.mysql_socket}
"""


def database_setup_sql(ctx: CloudContext) -> str:
    """One user for all services (it is a throwaway cloud) and one database per service."""
    statements = [
        f"CREATE USER IF NOT EXISTS 'os'@'{LOOPBACK}' IDENTIFIED BY '{ctx.secrets.database}'",
        f"ALTER USER 'os'@'{LOOPBACK}' IDENTIFIED BY '{ctx.secrets.database}'",
        f"GRANT ALL ON *.* TO 'os'@'{LOOPBACK}'",
    ]
    statements += [f"CREATE DATABASE IF NOT EXISTS {name}" for name in DATABASES]
    return ";\n".join(statements) + ";\n"


def rabbitmq_conf(ctx: CloudContext) -> str:
    # default_user/default_pass take effect when the node first creates its database
    return f"""\
listeners.tcp.default = {LOOPBACK}:{ctx.ports.rabbitmq}
default_user = kaas
default_pass = {ctx.secrets.rabbitmq}
"""


def rabbitmq_env(ctx: CloudContext) -> dict[str, str]:
    """Environment of rabbitmq-server: a private node, its own epmd port, nothing off loopback."""
    layout = ctx.layout
    erl_args = "-kernel inet_dist_use_interface {127,0,0,1}"
    return {
        "HOME": str(layout.rabbit),
        "RABBITMQ_NODENAME": f"kaas{ctx.ports.rabbitmq}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": LOOPBACK,
        "RABBITMQ_NODE_PORT": str(ctx.ports.rabbitmq),
        "RABBITMQ_DIST_PORT": str(ctx.ports.rabbitmq_dist),
        "ERL_EPMD_ADDRESS": LOOPBACK,
        "ERL_EPMD_PORT": str(ctx.ports.epmd),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": erl_args,
        "RABBITMQ_CTL_ERL_ARGS": erl_args,
        "RABBITMQ_CONFIG_FILE": str(layout.etc / "rabbitmq" / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(layout.etc / "rabbitmq" / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": str(layout.etc / "rabbitmq" / "rabbitmq-env.conf"),
        "RABBITMQ_MNESIA_BASE": str(layout.rabbit / "mnesia"),
        "RABBITMQ_LOG_BASE": str(layout.logs / "rabbit"),
        "RABBITMQ_PID_FILE": str(layout.run / "rabbitmq.server-pid"),
    }
