"""`kaas cluster list` and `kaas cluster status`: read only views of the clusters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from scs_kaas.cli.management_session import CONTEXT, KUBECONFIG, ClusterFlags, management_session
from scs_kaas.cli.options import CLUSTER_FILE, ENV_DIR, SETTINGS_FLAGS
from scs_kaas.cli.output import TABLE_YAML_JSON, OutputFormat, console, emit

if TYPE_CHECKING:  # the workflows and clients are imported by the commands that use them
    from scs_kaas.workflows.cluster.list import ClusterRow
    from scs_kaas.workflows.cluster.status_tree import StatusNode


def age(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _count(ready: int, desired: int | None, autoscale: tuple[int, int] | None = None) -> str:
    text = f"{ready}/{'auto' if desired is None else desired}"
    return text + (f" (auto {autoscale[0]}-{autoscale[1]})" if autoscale else "")


def list_table(rows: list[ClusterRow]) -> Table:
    table = Table(title="Clusters")
    for column in ("NAME", "NAMESPACE", "VERSION", "RUNNING", "CONTROL PLANE", "NODE GROUPS"):
        table.add_column(column)
    for column in ("PHASE", "AVAILABLE", "AGE"):
        table.add_column(column)
    for row in rows:
        name = f"{row.name} (prefix {row.prefix})" if row.other_prefix else row.name
        groups = ", ".join(
            f"{g.name} {_count(g.ready, g.desired, g.autoscale)}" for g in row.node_groups
        )
        available = row.available + (f" ({row.available_reason})" if row.available_reason else "")
        cells = (
            name,
            row.namespace,
            row.version or "-",
            ", ".join(row.running) or "-",
            _count(row.control_plane.ready, row.control_plane.desired),
            groups or "-",
            row.phase or "-",
            available,
            age(row.age_seconds),
        )
        table.add_row(*(escape(c) for c in cells))
    return table


def list_command(
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    all_prefixes: bool = typer.Option(
        False, "--all-prefixes", help="Also the clusters of other prefixes (marked)."
    ),
    output: OutputFormat = TABLE_YAML_JSON,
) -> None:
    """Every cluster of the environment's prefix: versions, machines, phase, Available, age."""
    from scs_kaas.workflows.cluster import list as cluster_list

    flags = ClusterFlags(None, env_dir, None, assignments, kubeconfig, context)
    with management_session(flags) as session:
        settings = session.settings
        rows = cluster_list.run(session.kube, settings.prefix, all_prefixes)
    if output is not OutputFormat.table:
        emit(rows, output)
        return
    if not rows:
        typer.echo(f"no clusters of prefix {settings.prefix}")
        return
    console().print(list_table(rows))


def _label(node: StatusNode) -> str:
    text = f"[bold]{escape(node.kind)}[/] {escape(node.name)}: {escape(node.summary)}"
    if node.stuck:
        text = f"[bold red]STUCK[/] {text}"
    return text


def add_branch(tree: Tree, node: StatusNode) -> None:
    branch = tree.add(_label(node))
    fill(branch, node)


def fill(branch: Tree, node: StatusNode) -> None:
    if node.stuck:
        branch.add(f"[red]likely cause: {escape(node.stuck)}[/]")
    for found in node.conditions:
        line = f"{found.type}={found.status}"
        if found.reason:
            line += f" {found.reason}"
        if found.message:
            line += f": {found.message}"
        branch.add(f"[yellow]{escape(line)}[/]")
    if node.server is not None:
        server = node.server
        line = f"server {server.id} {server.status}, flavor {server.flavor}"
        if server.addresses:
            line += f", {', '.join(server.addresses)}"
        branch.add(f"[cyan]{escape(line)}[/]")
        if server.fault:
            branch.add(f"[red]Nova fault: {escape(server.fault)}[/]")
    if node.load_balancer is not None:
        lb = node.load_balancer
        branch.add(
            f"[cyan]API load balancer {escape(lb.name)} {escape(lb.vip_address)}: "
            f"{escape(lb.provisioning_status)}/{escape(lb.operating_status)}[/]"
        )
    for child in node.children:
        add_branch(branch, child)


def status_renderable(node: StatusNode) -> Tree:
    tree = Tree(_label(node))
    fill(tree, node)
    return tree


def status_command(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    stuck_after: float = typer.Option(
        900, "--stuck-after", min=1, help="Seconds after which a machine not Available is stuck."
    ),
    every: bool = typer.Option(
        False,
        "--all-conditions",
        help="Also conditions still Unknown and those that only sum up the ones below.",
    ),
    watch: bool = typer.Option(False, "--watch", "-w", help="Keep it current (Ctrl-C ends)."),
    refresh: float = typer.Option(
        30, "--refresh", min=1, help="With --watch: read the cloud's side at least this often."
    ),
    output: OutputFormat = TABLE_YAML_JSON,
) -> None:
    """The cluster as a tree: conditions that are not True, and each machine's Nova server
    (status, fault, flavor, addresses) and the API load balancer as the cloud sees them."""
    from scs_kaas.workflows.cluster import status as cluster_status
    from scs_kaas.workflows.cluster.status import wait_for_change

    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        kube, target, conn = session.kube, session.target, session.cloud()
        tree = cluster_status.run(conn, kube, target, stuck_after, every=every)
        if output is not OutputFormat.table:
            emit(tree, output)
            return
        if not watch:
            console().print(status_renderable(tree))
            return
        with Live(status_renderable(tree), console=console(), auto_refresh=False) as live:
            try:
                while True:
                    wait_for_change(kube, target, refresh)
                    tree = cluster_status.run(conn, kube, target, stuck_after, every=every)
                    live.update(status_renderable(tree), refresh=True)
            except KeyboardInterrupt:
                return


def register(app: typer.Typer) -> None:
    app.command("list")(list_command)
    app.command("status")(status_command)
