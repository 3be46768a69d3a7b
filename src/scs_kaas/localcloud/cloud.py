"""`LocalCloud`: bring a local OpenStack up, report on it, take it down again."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.localcloud import database, processes
from scs_kaas.localcloud.catalog import register_catalog
from scs_kaas.localcloud.context import CloudContext
from scs_kaas.localcloud.files import write_state_files
from scs_kaas.localcloud.install import install_servers, is_installed
from scs_kaas.localcloud.keystone import setup_keystone
from scs_kaas.localcloud.layout import Layout, Secrets
from scs_kaas.localcloud.locking import exclusive
from scs_kaas.localcloud.ports import Ports, port_answers
from scs_kaas.localcloud.probes import service_answers
from scs_kaas.localcloud.resources import ensure_external_network, ensure_flavors, ensure_image
from scs_kaas.localcloud.sdk import app_credential_auth, cloud_config, connect, password_auth
from scs_kaas.localcloud.services import Kind, Service, all_services, infra_services
from scs_kaas.localcloud.tenants import ensure_tenant, replace_app_credential
from scs_kaas.localcloud.waiting import wait_until

Progress = Callable[[str], None]

# Debian packages providing the non-Python parts, and a command each one installs
DEBIAN_PACKAGES = {
    "mariadb-server": "mariadbd",
    "rabbitmq-server": "/usr/lib/rabbitmq/bin/rabbitmq-server",
    "erlang-base": "epmd",
    "qemu-utils": "qemu-img",
    "openssl": "openssl",
    "util-linux": "setsid",
}

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEMO_PROJECT = "kaas"
DEMO_USER = "kaas"
API_TIMEOUT = 180.0


def _no_progress(message: str) -> None:
    del message


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    kind: str
    pid: int | None
    port: int | None
    answers: bool


def missing_debian_packages() -> list[str]:
    """Packages whose command is not found (on the PATH services get, which includes sbin)."""
    return [
        package
        for package, command in DEBIAN_PACKAGES.items()
        if shutil.which(command, path=SYSTEM_PATH) is None
    ]


class LocalCloud:
    """One local cloud, identified by its state directory."""

    def __init__(
        self,
        state_dir: Path,
        ports: Ports | None = None,
        venv: Path | None = None,
        cloud_name: str = "devcloud",
    ) -> None:
        self.layout = Layout.at(state_dir, venv)
        self.cloud_name = cloud_name
        self._requested_ports = ports

    # ---- what is there

    @property
    def ports(self) -> Ports:
        """Ports asked for, else those of the last `up` in this state dir, else the defaults."""
        if self._requested_ports is not None:
            return self._requested_ports
        if self.layout.ports_file.exists():
            return Ports.load(self.layout.ports_file)
        return Ports()

    def _context(self) -> CloudContext:
        secrets = Secrets.load_or_create(self.layout.secrets_file)
        return CloudContext(self.layout, self.ports, secrets)

    def _services(self) -> list[Service]:
        # the service list needs no secrets; a dummy avoids creating a secrets file on `status`
        dummy = Secrets("", "", "", "", "")
        return all_services(CloudContext(self.layout, self.ports, dummy))

    def _pid_file(self, service: Service) -> Path:
        return self.layout.run / f"{service.name}.pid"

    def status(self) -> list[ServiceStatus]:
        result = []
        for service in self._services():
            record = processes.running(self._pid_file(service))
            answers = record is not None and (
                service.kind is Kind.WORKER or service_answers(service)
            )
            result.append(
                ServiceStatus(
                    service.name,
                    service.kind.value,
                    record.pid if record else None,
                    service.port,
                    answers,
                )
            )
        return result

    def running_services(self) -> list[str]:
        return [s.name for s in self._services() if processes.running(self._pid_file(s))]

    def is_up(self) -> bool:
        statuses = self.status()
        return bool(statuses) and all(s.answers for s in statuses)

    def env(self) -> dict[str, str]:
        """What a shell needs to use this cloud with any OpenStack client (no secrets)."""
        name_file = self.layout.cloud_name_file
        name = name_file.read_text(encoding="utf-8").strip() if name_file.exists() else ""
        return {
            "OS_CLIENT_CONFIG_FILE": str(self.layout.clouds_yaml),
            "OS_CLOUD": name or self.cloud_name,
        }

    # ---- connections

    def admin_config(self) -> dict[str, Any]:
        ctx = self._context()
        return cloud_config(
            ctx.auth_url, "password", password_auth("admin", ctx.secrets.admin, "admin")
        )

    def admin(self) -> Connection:
        return connect(self.admin_config())

    def user_config(self, user: str, password: str, project: str) -> dict[str, Any]:
        return cloud_config(
            self._context().auth_url, "password", password_auth(user, password, project)
        )

    def app_credential_config(self, credential_id: str, secret: str) -> dict[str, Any]:
        auth = app_credential_auth(credential_id, secret)
        return cloud_config(self._context().auth_url, "v3applicationcredential", auth)

    # ---- up

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with exclusive(self.layout.root / ".lock"):
            yield

    def up(self, progress: Progress = _no_progress) -> None:
        """Install if needed, start all services, bootstrap, write clouds.yaml; wait until ready."""
        missing = missing_debian_packages()
        if missing:
            raise CloudError(
                "the local cloud needs Debian packages that are not installed: "
                f"{', '.join(missing)}; install them with: "
                f"apt-get install -y --no-install-recommends {' '.join(missing)}"
            )
        self.layout.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            if self.is_up():
                progress("already up")
                if not self.layout.clouds_yaml.exists():
                    self._bootstrap_project(self._context(), progress)
                return
            if self.running_services():
                raise CloudError(
                    f"the local cloud in {self.layout.root} is partly running "
                    f"({', '.join(self.running_services())}); run `down` first"
                )
            busy = self.ports.busy()
            if busy:
                listed = ", ".join(f"{name} {port}" for name, port in busy)
                raise CloudError(
                    f"ports already in use on 127.0.0.1: {listed}; "
                    "choose others (e.g. a different port base)"
                )
            if not is_installed(self.layout.venv):
                progress(f"installing the OpenStack servers into {self.layout.venv} (1-2 min)")
            install_servers(self.layout.venv, self.layout.root / "install.log")
            try:
                self._start_all(progress)
            except BaseException:
                self._stop_all()
                raise

    def _service_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A clean environment: nothing from the caller's (OS_*, PYTHONPATH, a venv) leaks in."""
        layout = self.layout
        base = {
            "PATH": f"{layout.venv_bin}:{SYSTEM_PATH}",
            "HOME": str(layout.root),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        return {**base, **(extra or {})}

    def _start(self, service: Service) -> None:
        processes.start_detached(
            service.argv,
            self._service_env(dict(service.env)),
            self._pid_file(service),
            self.layout.logs / f"{service.name}.log",
            self.layout.root,
        )

    def _wait_answering(self, services: list[Service], timeout: float = API_TIMEOUT) -> None:
        """Wait until every service with a port answers; fail at once if any process is gone."""

        def ready() -> bool:
            for service in services:
                if processes.running(self._pid_file(service)) is None:
                    log = self.layout.logs / f"{service.name}.log"
                    raise CloudError(f"{service.name} exited while starting; see {log}")
            return all(service_answers(s) for s in services if s.port is not None)

        wait_until(ready, timeout, ", ".join(s.name for s in services) + " to answer")

    def _reset(self) -> None:
        """Start every `up` from empty databases; keep the server venv and passwords.

        Nova's fake driver makes up a new compute node identity in every process, so a
        nova-compute restarted on old databases refuses to run: the cloud's content cannot
        outlive `down`. Logs are kept until then, for looking into failures.
        """
        layout = self.layout
        for path in (layout.mysql, layout.rabbit, layout.data, layout.logs, layout.etc):
            shutil.rmtree(path, ignore_errors=True)
        layout.clouds_yaml.unlink(missing_ok=True)

    def _start_all(self, progress: Progress) -> None:
        self._reset()
        ctx = self._context()
        env = self._service_env()
        self.ports.save(self.layout.ports_file)
        progress("writing configuration")
        write_state_files(ctx)

        progress("starting MariaDB and RabbitMQ")
        database.initialise_datadir(ctx)
        infra = infra_services(ctx)
        for service in infra:
            self._start(service)
        database.wait_for_mariadb(ctx)
        database.create_databases(ctx)

        progress("setting up Keystone")
        setup_keystone(ctx, env)
        by_name = {service.name: service for service in all_services(ctx)}
        self._start(by_name["keystone"])
        self._wait_answering([by_name["keystone"]])
        register_catalog(self.admin(), ctx)

        progress("creating the service databases")
        database.sync_schemas(ctx, env)
        # RPC services give up if the queue is not there when they start
        wait_until(lambda: port_answers(ctx.ports.rabbitmq), 120, "RabbitMQ to listen")

        progress("starting Glance, Neutron, Nova, Placement, Cinder, Octavia")
        rest = [s for s in all_services(ctx) if s not in infra and s.name != "keystone"]
        for service in rest:
            self._start(service)
        self._wait_answering([s for s in rest if s.kind is Kind.API])

        progress("waiting for the (fake) compute node")
        wait_until(lambda: database.compute_nodes(ctx) > 0, 120, "nova-compute to register")
        database.discover_compute_hosts(ctx, env)

        progress("creating external network, SCS flavors, Ubuntu image")
        # a new connection: the first one's token carries the catalog from before registration
        admin = self.admin()
        ensure_external_network(admin)
        ensure_flavors(admin)
        ensure_image(admin, self.layout.data / "scratch", self.layout.logs / "image.log")
        self._bootstrap_project(ctx, progress)
        # a service that died after answering (nova-compute on a bad restart) fails `up` here
        self._wait_answering(all_services(ctx))
        progress("up")

    def _bootstrap_project(self, ctx: CloudContext, progress: Progress) -> None:
        progress(f"creating project {DEMO_PROJECT!r} with an application credential")
        admin = self.admin()
        tenant = ensure_tenant(admin, DEMO_PROJECT, DEMO_USER, ctx.secrets.project_user)
        user = connect(self.user_config(tenant.user_name, ctx.secrets.project_user, DEMO_PROJECT))
        credential = replace_app_credential(user, f"{DEMO_PROJECT}-{self.cloud_name}")
        clouds = {
            "clouds": {
                self.cloud_name: self.app_credential_config(credential.id, credential.secret),
                f"{self.cloud_name}-user": self.user_config(
                    DEMO_USER, ctx.secrets.project_user, DEMO_PROJECT
                ),
                f"{self.cloud_name}-admin": self.admin_config(),
            }
        }
        write_private(self.layout.clouds_yaml, yaml.safe_dump(clouds, sort_keys=False))
        self.layout.cloud_name_file.write_text(self.cloud_name + "\n", encoding="utf-8")

    # ---- down

    def _stop_all(self) -> list[str]:
        """OpenStack services first (all at once), then RabbitMQ, epmd and MariaDB (together).

        MariaDB gets time for a clean shutdown: its data is kept for the next `up`.
        """
        services = self._services()
        openstack = [s for s in services if s.kind is not Kind.INFRA]
        infra = [s for s in reversed(services) if s.kind is Kind.INFRA]
        stopped = processes.stop_together([self._pid_file(s) for s in openstack])
        stopped += processes.stop_together([self._pid_file(s) for s in infra], timeout=60)
        names = {self._pid_file(s): s.name for s in services}
        return [names[pid_file] for pid_file in stopped]

    def down(self, wipe: bool = False) -> list[str]:
        """Stop what `up` started, by PID; `wipe` deletes the state dir. Returns what stopped."""
        if not self.layout.root.exists():
            return []
        with self._locked():
            stopped = self._stop_all()
        if wipe:
            self.wipe()
        return stopped

    def wipe(self) -> None:
        """Delete the state dir (the server venv too when it lives inside it)."""
        if self.running_services():
            raise CloudError("refusing to wipe a running local cloud; run `down` first")
        shutil.rmtree(self.layout.root, ignore_errors=True)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)
