"""`kaas devcloud ...`: a local OpenStack and a local management cluster on 127.0.0.1, to try
scs-kaas without a cloud.

The real upstream API servers run from their own venv under the state dir; there is no
hypervisor (servers are fake, load balancers and volumes are bookkeeping only). Beside them run
etcd, kube-apiserver and the Cluster API controllers built from their Go modules
(`localmgmt`), pointed at that cloud; without Go only the OpenStack part comes up.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
import yaml
from rich.table import Table

from scs_kaas.cli.output import TABLE_JSON, OutputFormat, console, emit
from scs_kaas.errors import CloudError
from scs_kaas.localcloud.layout import DEVCLOUD_STATE_DIR
from scs_kaas.localcloud.ports import Ports
from scs_kaas.localmgmt import programs
from scs_kaas.localmgmt.ports import Ports as MgmtPorts

if TYPE_CHECKING:  # the cloud and the cluster (openstacksdk, the Kubernetes client) on use
    from scs_kaas.localcloud import LocalCloud
    from scs_kaas.localmgmt import ManagementCluster
    from scs_kaas.workflows.devcloud import DevcloudExtras

app = typer.Typer(
    help="A local OpenStack (real API servers, no VMs) to try scs-kaas on.",
    no_args_is_help=True,
)

CLOUD_NAME = "devcloud"
STATE_DIR = typer.Option(
    DEVCLOUD_STATE_DIR,
    "--state-dir",
    envvar="KAAS_DEVCLOUD_DIR",
    help="Where the devcloud keeps its servers, databases and clouds.yaml.",
    file_okay=False,
)


def _cloud(state_dir: Path, ports: Ports | None = None) -> LocalCloud:
    from scs_kaas.localcloud import LocalCloud

    return LocalCloud(state_dir.expanduser(), ports, cloud_name=CLOUD_NAME)


def _prepare_for_clusters(cloud: LocalCloud) -> DevcloudExtras:
    """The node image and keypair create needs, in the devcloud's project (default settings)."""
    from scs_kaas.localcloud.sdk import connect
    from scs_kaas.settings.model import Settings
    from scs_kaas.workflows.devcloud import prepare_for_clusters

    clouds = yaml.safe_load(cloud.layout.clouds_yaml.read_text(encoding="utf-8"))["clouds"]
    with connect(clouds[CLOUD_NAME]) as conn:
        return prepare_for_clusters(
            conn,
            Settings(cloud=CLOUD_NAME),
            cloud.layout.data / "scratch" / "ubuntu-24.04.qcow2",
            cloud.layout.root / "keys" / "capi-keypair",
        )


def _management(state_dir: Path, ports: MgmtPorts | None = None) -> ManagementCluster:
    from scs_kaas.localmgmt import ManagementCluster

    return ManagementCluster(state_dir.expanduser() / "management", ports)


@app.command()
def up(
    state_dir: Path = STATE_DIR,
    port_base: int | None = typer.Option(
        None,
        "--port-base",
        help="Use 12 consecutive ports from here instead of the usual ones (5000, 9696, ...).",
    ),
    mgmt_port_base: int | None = typer.Option(
        None,
        "--mgmt-port-base",
        help=f"First of the {MgmtPorts.count()} ports of the management cluster"
        f" (default {MgmtPorts().base}: its API server).",
    ),
    no_management: bool = typer.Option(
        False, "--no-management", help="Bring up the OpenStack part only."
    ),
) -> None:
    """Install (first time, 1-2 min) and start the cloud, then the management cluster (its
    first build takes long: see the README); write clouds.yaml and the kubeconfig."""
    cloud = _cloud(state_dir, Ports.from_base(port_base) if port_base is not None else None)
    management = _management(
        state_dir, MgmtPorts(mgmt_port_base) if mgmt_port_base is not None else None
    )
    err = console(stderr=True)
    started = time.monotonic()

    def progress(message: str) -> None:
        err.print(f"[{time.monotonic() - started:5.1f}s] {message}")
        spinner.update(f"[bold]devcloud:[/] {message}")

    with err.status("[bold]devcloud:[/] starting") as spinner:
        cloud.up(progress)
        with_management = not no_management
        if with_management:
            try:
                programs.go_command()
            except programs.GoMissing as missing:
                err.print(f"{missing}; starting the OpenStack part alone")
                with_management = False
        if with_management:
            management.up(progress)
        extras = _prepare_for_clusters(cloud)
        progress(
            f"node image {extras.image} and keypair {extras.keypair} for `kaas cluster create`"
        )
    if with_management:
        err.print(f"management cluster: kubeconfig {management.kubeconfig} (KUBECONFIG in env)")
    err.print(
        f"devcloud is up ({time.monotonic() - started:.0f} s). Use it with:\n"
        '  eval "$(kaas devcloud env)"   # then: openstack server list, kaas cloud check, ...\n'
        f"clouds {CLOUD_NAME!r} (application credential of project 'kaas'), "
        f"{CLOUD_NAME}-user, {CLOUD_NAME}-admin in {cloud.layout.clouds_yaml}",
    )


@app.command()
def down(
    state_dir: Path = STATE_DIR,
    wipe: bool = typer.Option(
        False, "--wipe", help="Also delete the state dir (server venv, data, clouds.yaml)."
    ),
) -> None:
    """Stop every process `up` started (by PID). The cloud's content does not survive it."""
    cloud = _cloud(state_dir)
    stopped = _management(state_dir).down(wipe=wipe) + cloud.down(wipe=wipe)
    err = console(stderr=True)
    err.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    if wipe:
        err.print(f"removed {cloud.layout.root}")


@app.command()
def status(
    state_dir: Path = STATE_DIR,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Each service with its PID, port and whether it answers; exit 1 unless all do."""
    from scs_kaas.localcloud.cloud import ServiceStatus

    cloud = _cloud(state_dir)
    if not cloud.layout.root.exists():
        raise CloudError(f"no devcloud in {cloud.layout.root}; start one with `kaas devcloud up`")
    statuses = cloud.status()
    management = _management(state_dir)
    if management.layout.root.exists():
        statuses += [
            ServiceStatus(s.name, "management", s.pid, s.port, s.answers)
            for s in management.status()
        ]
    if output is OutputFormat.json:
        emit(statuses, output)
    else:
        table = Table(title=f"devcloud in {cloud.layout.root}")
        for column in ("service", "kind", "pid", "port", "answers"):
            table.add_column(column, style="cyan" if column == "service" else None)
        for s in statuses:
            answers = "[green]yes[/]" if s.answers else "[bold red]no[/]"
            pid = str(s.pid) if s.pid else "-"
            table.add_row(s.name, s.kind, pid, str(s.port) if s.port else "-", answers)
        console().print(table)
    if not all(s.answers for s in statuses):
        raise typer.Exit(1)


@app.command()
def env(state_dir: Path = STATE_DIR) -> None:
    """Print shell exports for the devcloud: eval "$(kaas devcloud env)". No secrets."""
    cloud = _cloud(state_dir)
    if not cloud.layout.clouds_yaml.exists():
        raise CloudError(f"no devcloud in {cloud.layout.root}; start one with `kaas devcloud up`")
    variables = cloud.env()
    # The project's user (password): `kaas cluster create` makes each cluster an application
    # credential, which the restricted credential of `devcloud` may not.
    variables["OS_CLOUD"] = f"{variables['OS_CLOUD']}-user"
    management = _management(state_dir)
    if management.kubeconfig.exists():
        variables["KUBECONFIG"] = str(management.kubeconfig)
    for name, value in variables.items():
        typer.echo(f"export {name}={shlex.quote(value)}")


@app.command()
def build() -> None:
    """Build the management cluster's programs from their Go modules (once per pin).

    Into $KAAS_PROGRAMS_DIR (default ~/.cache/scs-kaas/programs), keyed by the content of the
    pinned go.mod/go.sum: an unchanged pin rebuilds nothing. `kaas devcloud up` does it too.
    """
    err = console(stderr=True)
    started = time.monotonic()

    def progress(message: str) -> None:
        err.print(f"[{time.monotonic() - started:5.1f}s] {message}")

    built = programs.build(progress=progress)
    err.print(
        f"{len(built)} programs in {programs.bin_root()} ({time.monotonic() - started:.0f} s)"
    )
