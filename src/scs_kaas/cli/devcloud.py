"""`kaas devcloud ...`: a local OpenStack on 127.0.0.1 to try scs-kaas without a cloud.

The real upstream API servers run from their own venv under the state dir; there is no
hypervisor (servers are fake, load balancers and volumes are bookkeeping only).
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import time
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from scs_kaas.errors import CloudError
from scs_kaas.localcloud import LocalCloud, Ports
from scs_kaas.localcloud.layout import DEVCLOUD_STATE_DIR

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


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


def _cloud(state_dir: Path, ports: Ports | None = None) -> LocalCloud:
    return LocalCloud(state_dir.expanduser(), ports, cloud_name=CLOUD_NAME)


@app.command()
def up(
    state_dir: Path = STATE_DIR,
    port_base: int | None = typer.Option(
        None,
        "--port-base",
        help="Use 12 consecutive ports from here instead of the usual ones (5000, 9696, ...).",
    ),
) -> None:
    """Install (first time, 1-2 min) and start the cloud; write clouds.yaml. About a minute."""
    cloud = _cloud(state_dir, Ports.from_base(port_base) if port_base is not None else None)
    console = Console(stderr=True)
    started = time.monotonic()

    def progress(message: str) -> None:
        console.print(f"[{time.monotonic() - started:5.1f}s] {message}", highlight=False)
        spinner.update(f"[bold]devcloud:[/] {message}")

    with console.status("[bold]devcloud:[/] starting") as spinner:
        cloud.up(progress)
    console.print(
        f"devcloud is up ({time.monotonic() - started:.0f} s). Use it with:\n"
        '  eval "$(kaas devcloud env)"   # then: openstack server list, kaas cloud check, ...\n'
        f"clouds {CLOUD_NAME!r} (application credential of project 'kaas'), "
        f"{CLOUD_NAME}-user, {CLOUD_NAME}-admin in {cloud.layout.clouds_yaml}",
        highlight=False,
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
    stopped = cloud.down(wipe=wipe)
    console = Console(stderr=True)
    console.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    if wipe:
        console.print(f"removed {cloud.layout.root}", highlight=False)


@app.command()
def status(
    state_dir: Path = STATE_DIR,
    output: StatusFormat = typer.Option(StatusFormat.table, "--output", "-o"),
) -> None:
    """Each service with its PID, port and whether it answers; exit 1 unless all do."""
    cloud = _cloud(state_dir)
    if not cloud.layout.root.exists():
        raise CloudError(f"no devcloud in {cloud.layout.root}; start one with `kaas devcloud up`")
    statuses = cloud.status()
    if output is StatusFormat.json:
        typer.echo(json.dumps([dataclasses.asdict(s) for s in statuses], indent=2))
    else:
        table = Table(title=f"devcloud in {cloud.layout.root}")
        for column in ("service", "kind", "pid", "port", "answers"):
            table.add_column(column, style="cyan" if column == "service" else None)
        for s in statuses:
            answers = "[green]yes[/]" if s.answers else "[bold red]no[/]"
            pid = str(s.pid) if s.pid else "-"
            table.add_row(s.name, s.kind, pid, str(s.port) if s.port else "-", answers)
        Console().print(table)
    if not all(s.answers for s in statuses):
        raise typer.Exit(1)


@app.command()
def env(state_dir: Path = STATE_DIR) -> None:
    """Print shell exports for the devcloud: eval "$(kaas devcloud env)". No secrets."""
    cloud = _cloud(state_dir)
    if not cloud.layout.clouds_yaml.exists():
        raise CloudError(f"no devcloud in {cloud.layout.root}; start one with `kaas devcloud up`")
    for name, value in cloud.env().items():
        typer.echo(f"export {name}={shlex.quote(value)}")
