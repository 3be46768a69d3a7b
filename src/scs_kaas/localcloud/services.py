"""What runs in a local cloud: each service's command line, environment and port."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from scs_kaas.localcloud.context import CloudContext
from scs_kaas.localcloud.infra_configs import rabbitmq_env
from scs_kaas.localcloud.ports import LOOPBACK

RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


class Kind(Enum):
    INFRA = "infra"  # database, message queue: started first, stopped last
    API = "api"  # answers HTTP on its port
    WORKER = "worker"  # no port; talks over the message queue


@dataclass(frozen=True)
class Service:
    name: str
    kind: Kind
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    port: int | None = None
    # URL path that answers once the API is ready (any HTTP status counts)
    probe_path: str = "/"


def infra_services(ctx: CloudContext) -> list[Service]:
    return [
        Service(
            "mariadb",
            Kind.INFRA,
            ("mariadbd", f"--defaults-file={ctx.layout.my_cnf}"),
            port=ctx.ports.mariadb,
        ),
        # our own epmd on our own port: the machine's shared one (4369) may belong to someone
        # else, and RabbitMQ would otherwise start one we could not stop by PID
        Service(
            "epmd",
            Kind.INFRA,
            ("epmd", "-address", LOOPBACK, "-port", str(ctx.ports.epmd)),
            port=ctx.ports.epmd,
        ),
        Service(
            "rabbitmq", Kind.INFRA, (RABBITMQ_SERVER,), rabbitmq_env(ctx), port=ctx.ports.rabbitmq
        ),
    ]


# Keystone keeps the token it validated on its AuthContextMiddleware instance (`self.token` in
# keystone/server/flask/request_processing/middleware/auth_context.py), shared by a process's
# threads: two requests at once could be authorized with each other's token ("Using method
# 'application_credential' is not allowed" for a password login, "Could not find role
# assignment"). So Keystone gets processes of one thread each.
KEYSTONE_WORKERS = 4


def _wsgi(
    ctx: CloudContext,
    name: str,
    port: int,
    app: str,
    env: Mapping[str, str],
    workers: int = 1,
    threads: int = 8,
) -> Service:
    gunicorn = str(ctx.layout.venv_bin / "gunicorn")
    argv = (
        gunicorn,
        "--name",
        f"localcloud-{name}",
        "--chdir",
        str(ctx.layout.shim),
        "--bind",
        f"{LOOPBACK}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        # Nova and Cinder API calls wait on other services; the default 30 s kills them
        "--timeout",
        "300",
        # on SIGTERM gunicorn waits this long for open keep-alive connections (default 30 s)
        "--graceful-timeout",
        "3",
        # gunicorn closes idle connections after 2 s by default: exactly the poll interval of
        # openstacksdk's wait_for_status, so a poll raced the close ("Remote end closed
        # connection"); clients' pooled connections must stay usable, as behind real proxies
        "--keep-alive",
        "75",
        # gunicorn's control socket would live in the shared cwd/home; we need none
        "--no-control-socket",
        "localcloud_wsgi:application",
    )
    return Service(name, Kind.API, argv, {"LOCALCLOUD_WSGI_APP": app, **env}, port=port)


def api_services(ctx: CloudContext) -> list[Service]:
    etc, ports = ctx.layout.etc, ctx.ports
    return [
        _wsgi(
            ctx,
            "keystone",
            ports.keystone,
            "keystone.wsgi.api:application",
            {"OS_KEYSTONE_CONFIG_DIR": str(etc / "keystone")},
            workers=KEYSTONE_WORKERS,
            threads=1,
        ),
        _wsgi(
            ctx,
            "glance",
            ports.glance,
            "glance.wsgi.api:application",
            {"OS_GLANCE_CONFIG_DIR": str(etc / "glance")},
        ),
        _wsgi(
            ctx,
            "placement",
            ports.placement,
            "placement.wsgi.api:application",
            {"OS_PLACEMENT_CONFIG_DIR": str(etc / "placement")},
        ),
        # the ML2 test mechanism driver asserts things that do not hold for real binds;
        # PYTHONOPTIMIZE drops the asserts
        _wsgi(
            ctx,
            "neutron",
            ports.neutron,
            "neutron.wsgi.api:application",
            {"OS_NEUTRON_CONFIG_DIR": str(etc / "neutron"), "PYTHONOPTIMIZE": "1"},
        ),
        _wsgi(
            ctx,
            "nova-api",
            ports.nova,
            "nova.wsgi.osapi_compute:application",
            {"OS_NOVA_CONFIG_DIR": str(etc / "nova")},
        ),
        _wsgi(
            ctx,
            "cinder-api",
            ports.cinder,
            "cinder.wsgi.api:application",
            {"LOCALCLOUD_ARGV": f"--config-file {etc / 'cinder' / 'cinder.conf'}"},
        ),
        _wsgi(
            ctx,
            "octavia-api",
            ports.octavia,
            "octavia.wsgi.api:application",
            {"LOCALCLOUD_ARGV": f"--config-file {etc / 'octavia' / 'octavia.conf'}"},
        ),
    ]


def worker_services(ctx: CloudContext) -> list[Service]:
    venv_bin, etc = ctx.layout.venv_bin, ctx.layout.etc
    nova = ("--config-file", str(etc / "nova" / "nova.conf"))
    cinder = ("--config-file", str(etc / "cinder" / "cinder.conf"))
    octavia = ("--config-file", str(etc / "octavia" / "octavia.conf"))
    cinder_volume_env = {
        # our `sudo` first; cinder-rootwrap from the venv; our volume driver importable
        "PATH": f"{ctx.layout.bin}:{venv_bin}:/usr/sbin:/usr/bin:/sbin:/bin",
        "PYTHONPATH": str(ctx.layout.shim),
    }
    return [
        Service("nova-conductor", Kind.WORKER, (str(venv_bin / "nova-conductor"), *nova)),
        Service("nova-scheduler", Kind.WORKER, (str(venv_bin / "nova-scheduler"), *nova)),
        Service("nova-compute", Kind.WORKER, (str(venv_bin / "nova-compute"), *nova)),
        Service("cinder-scheduler", Kind.WORKER, (str(venv_bin / "cinder-scheduler"), *cinder)),
        Service(
            "cinder-volume",
            Kind.WORKER,
            (str(venv_bin / "cinder-volume"), *cinder),
            cinder_volume_env,
        ),
        # our network driver (and its entry point) importable
        Service(
            "octavia-worker",
            Kind.WORKER,
            (str(venv_bin / "octavia-worker"), *octavia),
            {"PYTHONPATH": str(ctx.layout.shim)},
        ),
    ]


def all_services(ctx: CloudContext) -> list[Service]:
    """In start order; stop in reverse."""
    return infra_services(ctx) + api_services(ctx) + worker_services(ctx)
