"""`kaas mgmt ...`: the management host (R1's make create/watch/log/ssh/get-kubeconfig/clean)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from scs_kaas import naming
from scs_kaas.cli.options import (
    ENV_DIR,
    LOCK_TIMEOUT,
    SETTINGS_FLAGS,
    STATE_DIR,
    load_environment_settings,
    state_dir_or_default,
)
from scs_kaas.cli.output import OutputFormat, console, emit, output_option
from scs_kaas.cli.progress import RichProgress
from scs_kaas.ssh.host_trust import knows_host
from scs_kaas.ssh.target import SshTarget, shell_line, ssh_command
from scs_kaas.workflows import defaults

if TYPE_CHECKING:  # the workflows and clients are imported by the commands that use them
    from scs_kaas.settings.loader import LoadedSettings
    from scs_kaas.settings.model import Settings
    from scs_kaas.workflows.mgmt import create as mgmt_create
    from scs_kaas.workflows.mgmt.state import MgmtState, StatePaths

app = typer.Typer(
    help="The management host (a VM with kind and Cluster API).", no_args_is_help=True
)


OUTPUT = output_option(OutputFormat.table, OutputFormat.json, help="table or json.")
DRY_RUN = typer.Option(False, "--dry-run", help="Print the plan; change nothing.")
TRUST_ON_FIRST_USE = typer.Option(
    False,
    defaults.TRUST_ON_FIRST_USE,
    help="Accept the host key the management host offers on first contact, unverified "
    "(only for clouds whose Nova keeps no console log, where its keys are published).",
)


def _context(
    env_dir: Path | None, assignments: list[str], state_dir: Path | None
) -> tuple[LoadedSettings, StatePaths]:
    from scs_kaas.workflows.mgmt.state import StatePaths, check_state_access

    loaded = load_environment_settings(env_dir, assignments)
    paths = StatePaths(state_dir_or_default(state_dir), loaded.settings.prefix)
    check_state_access(paths)  # bad input, refused before any cloud call
    return loaded, paths


def _locked(paths: StatePaths, command: str, timeout: float) -> AbstractContextManager[None]:
    """The environment's lock for `command` (see README, exit codes); waiting is said on stderr."""
    from scs_kaas.workflows.mgmt.state import environment_lock

    err = console(stderr=True)
    return environment_lock(paths, command, timeout, lambda text: err.print(escape(text)))


@app.command()
def create(
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    state_dir: Path | None = STATE_DIR,
    dry_run: bool = DRY_RUN,
    image: bool = typer.Option(
        True, "--image/--no-image", help="Upload the node image meanwhile (joined at the end)."
    ),
    output: OutputFormat = OUTPUT,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Create the management host, or finish an interrupted creation; a re-run changes nothing."""
    from scs_kaas.openstack.connection import connect
    from scs_kaas.workflows.mgmt import access as mgmt_access
    from scs_kaas.workflows.mgmt import create as mgmt_create
    from scs_kaas.workflows.mgmt import userdata as mgmt_userdata
    from scs_kaas.workflows.mgmt.state import load_state

    loaded, paths = _context(env_dir, assignments, state_dir)
    settings = loaded.settings
    mgmt_create.check_can_create(settings)
    user_data = mgmt_userdata.host_user_data(settings, loaded.base_dir)  # reads extensions/
    if dry_run:
        _print_create_plan(mgmt_create.plan(settings), load_state(paths, settings.cloud), output)
        return
    start_upload = _image_starter(settings) if image else None
    with _locked(paths, "kaas mgmt create", lock_timeout), connect(settings.cloud) as conn:
        with RichProgress() as progress:
            summary = mgmt_create.run(
                conn, settings, paths, user_data, progress=progress, start_image_upload=start_upload
            )
        target = SshTarget(
            summary.ssh_user, summary.floating_ip, paths.private_key, paths.known_hosts
        )
        host_keys_note = mgmt_access.record_created_host(conn, summary.server_id, target)
    err = console(stderr=True)
    if output is OutputFormat.json:
        err.print(f"note: {escape(host_keys_note)}")
        emit(summary, output)
        return
    for note in (*summary.notes, host_keys_note):
        err.print(f"note: {escape(note)}")
    typer.echo(f"management host {naming.mgmt_server(settings.prefix)}: {summary.floating_ip}")
    typer.echo(f"  ssh:    {shell_line(ssh_command(target))}")
    typer.echo("  follow its bootstrap with `kaas mgmt wait`")


def _image_starter(settings: Settings) -> Callable[[], mgmt_create.PendingResult]:
    from scs_kaas.workflows.image import ensure as image_ensure
    from scs_kaas.workflows.image.ensure import ImageRequest

    def start() -> mgmt_create.PendingResult:
        return image_ensure.start(settings, ImageRequest(settings.kubernetes_version))

    return start


def _print_create_plan(plan: mgmt_create.HostPlan, state: MgmtState, output: OutputFormat) -> None:
    recorded = state.resources
    rows = [
        {
            "step": step,
            "kind": kind,
            "name": name,
            "recorded": recorded[step].id if step in recorded else None,
        }
        for step, kind, name in plan.steps
    ]
    if output is OutputFormat.json:
        emit({"prefix": plan.prefix, "steps": rows}, output)
        return
    table = Table(title=f"kaas mgmt create (dry run, prefix {plan.prefix}): no cloud call made")
    for column in ("step", "kind", "name", "recorded id"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["step"], row["kind"], row["name"], row["recorded"] or "")
    console().print(table)


@app.command()
def delete(
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    state_dir: Path | None = STATE_DIR,
    dry_run: bool = DRY_RUN,
    force: bool = typer.Option(
        False,
        "--force",
        help="Delete the host even when its management cluster does not answer and workload "
        "clusters still have servers (they are left behind).",
    ),
    timeout: float = typer.Option(
        defaults.CLUSTER_DELETE_TIMEOUT,
        "--timeout",
        min=1,
        help="Seconds to wait for each cluster.",
    ),
    output: OutputFormat = OUTPUT,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Delete the workload clusters of this prefix, then the host's resources in reverse
    order, then its local state (waiting, like create, for another run on the environment).

    The clusters are deleted through the management cluster (an SSH tunnel to the host, or
    management.kubeconfig). Should it not answer while servers of workload clusters are left
    in the cloud, nothing is deleted unless --force. After `kaas mgmt move` the clusters stay.
    """
    from scs_kaas.openstack.connection import connect
    from scs_kaas.workflows.mgmt import delete as mgmt_delete
    from scs_kaas.workflows.mgmt.tunnel import management_access

    loaded, paths = _context(env_dir, assignments, state_dir)
    settings = loaded.settings
    with connect(settings.cloud) as conn:
        access = management_access(settings, paths)
        if dry_run:
            plan = mgmt_delete.plan(conn, settings, paths, access, force)
        else:
            with _locked(paths, "kaas mgmt delete", lock_timeout), RichProgress() as progress:
                plan = mgmt_delete.run(
                    conn, settings, paths, progress, access, force, cluster_timeout=timeout
                )
    if output is OutputFormat.json:
        emit(asdict(plan) | {"dry_run": dry_run}, output)
        return
    verb = "would delete" if dry_run else "deleted"
    err = console(stderr=True)
    for note in plan.notes:
        err.print(f"note: {escape(note)}")
    for cluster in plan.clusters:
        typer.echo(f"{verb} workload cluster {cluster}")
    for step, kind, resource_id in plan.resources:
        typer.echo(f"{verb} {kind} {resource_id} ({step})")
    if plan.keypair:
        typer.echo(f"{verb} keypair {plan.keypair}")
    for path in plan.local_files:
        typer.echo(f"{verb} {path}")


@app.command()
def wait(
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    state_dir: Path | None = STATE_DIR,
    timeout: float = typer.Option(3600, "--timeout", help="Seconds to wait, in all."),
    trust_on_first_use: bool = TRUST_ON_FIRST_USE,
) -> None:
    """Follow the host's bootstrap over SSH (cloud-init's output) until it is done.

    First the host's SSH keys are read from its console log (unless known already), so that
    the connection is verified.
    """
    from scs_kaas.workflows.mgmt import access as mgmt_access

    deadline = time.monotonic() + timeout
    loaded, paths = _context(env_dir, assignments, state_dir)
    target = _verified_target(loaded, paths, trust_on_first_use, timeout)
    mgmt_access.wait_for_bootstrap(target, max(1.0, deadline - time.monotonic()))
    console(stderr=True).print(f"the management host {target.address} is ready")


@app.command()
def log(
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    state_dir: Path | None = STATE_DIR,
    lines: int | None = typer.Option(None, "--lines", "-n", help="Only the last N lines."),
) -> None:
    """Print the host's console log (Nova), like R1's `make log`."""
    from scs_kaas.openstack.connection import connect
    from scs_kaas.openstack.mgmt_host import console_log
    from scs_kaas.workflows.mgmt import create as mgmt_create

    loaded, paths = _context(env_dir, assignments, state_dir)
    with connect(loaded.settings.cloud) as conn:
        server = mgmt_create.host_server_id(conn, loaded.settings, paths)
        text = console_log(conn, server, lines)
    typer.echo(text, nl=not text.endswith("\n"))


def _verified_target(
    loaded: LoadedSettings,
    paths: StatePaths,
    trust_on_first_use: bool,
    timeout: float = defaults.HOST_KEYS_TIMEOUT,
) -> SshTarget:
    from scs_kaas.workflows.mgmt import access as mgmt_access

    err = console(stderr=True)
    return mgmt_access.verified_target(
        loaded.settings,
        paths,
        trust_on_first_use=trust_on_first_use,
        timeout=timeout,
        say=lambda text: err.print(escape(text)),
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ssh(
    ctx: typer.Context,
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    state_dir: Path | None = STATE_DIR,
    print_only: bool = typer.Option(False, "--print", help="Print the ssh command instead."),
    trust_on_first_use: bool = TRUST_ON_FIRST_USE,
) -> None:
    """SSH to the host; extra arguments are run there (`kaas mgmt ssh -- kubectl get pods -A`)."""
    from scs_kaas.workflows.mgmt import access as mgmt_access

    loaded, paths = _context(env_dir, assignments, state_dir)
    if print_only:  # no cloud call: the command as it is, with a hint when it cannot verify
        settings = loaded.settings
        target = mgmt_access.target_of(
            paths,
            settings.cloud,
            settings.management.ssh_username,
            trust_on_first_use=trust_on_first_use,
        )
        if not trust_on_first_use and not knows_host(target):
            console(stderr=True).print(
                f"note: no host key of {target.address} is recorded yet: run `kaas mgmt wait` "
                "(or `kaas mgmt ssh` once) before this command"
            )
        typer.echo(shell_line(ssh_command(target, list(ctx.args))))
        return
    target = _verified_target(loaded, paths, trust_on_first_use)
    command = ssh_command(target, list(ctx.args))
    os.execvp(command[0], command)  # noqa: S606 -- the user's own ssh, in place of this process


@app.command()
def kubeconfig(
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    state_dir: Path | None = STATE_DIR,
    port: int = typer.Option(6443, "--port", min=1, max=65535, help="Local end of the tunnel."),
    out: Path | None = typer.Option(
        None, "--out", help="Where to write it (0600); default <state dir>/<prefix>/kubeconfig."
    ),
    tunnel: bool = typer.Option(False, "--tunnel", help="Then run the tunnel (until Ctrl-C)."),
    trust_on_first_use: bool = TRUST_ON_FIRST_USE,
) -> None:
    """Write the management cluster's kubeconfig, pointing at a local SSH tunnel to kind."""
    from scs_kaas.workflows.mgmt import access as mgmt_access

    loaded, paths = _context(env_dir, assignments, state_dir)
    target = _verified_target(loaded, paths, trust_on_first_use)
    name = naming.mgmt_server(loaded.settings.prefix)
    written = mgmt_access.fetch_kubeconfig(target, port, name, out or paths.kubeconfig)
    command = mgmt_access.tunnel_command(target, port)
    typer.echo(f"wrote {written}")
    typer.echo(f"tunnel: {shell_line(command)}")
    typer.echo(f"then:   KUBECONFIG={written} kubectl get nodes")
    if tunnel:
        subprocess.run(command, check=False)
