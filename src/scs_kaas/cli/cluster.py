"""`kaas cluster ...`: render workload clusters and rotate their credentials (create, upgrade,
delete later)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from scs_kaas.cli.cleanup import KEEP_VOLUMES, sweep
from scs_kaas.cli.management_session import CONTEXT, KUBECONFIG, ClusterFlags, management_session
from scs_kaas.cli.options import (
    CLUSTER_FILE,
    ENV_DIR,
    INFRASTRUCTURE_API,
    LOCK_TIMEOUT,
    SETTINGS_FLAGS,
    InfrastructureApi,
    load_settings,
)
from scs_kaas.cli.output import TABLE_YAML_JSON, OutputFormat, console, output_option, show
from scs_kaas.cli.progress import RichProgress
from scs_kaas.workflows import defaults

if TYPE_CHECKING:  # the workflows and clients are imported by the commands that use them
    from scs_kaas.workflows.cluster import create as cluster_create
    from scs_kaas.workflows.cluster.restart_cloud_conf_readers import RestartOutcome
    from scs_kaas.workflows.cluster.rotate_credentials import RotationResult

app = typer.Typer(help="Workload clusters.", no_args_is_help=True)
app.command("sweep")(sweep)
DOCUMENTS_OUTPUT = output_option(OutputFormat.yaml, OutputFormat.json)  # manifests: no table


@app.command()
def render(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    output: OutputFormat = DOCUMENTS_OUTPUT,
    infrastructure_api: InfrastructureApi = INFRASTRUCTURE_API,
) -> None:
    """Print every manifest of a cluster, without touching any cloud.

    Credentials are shown as placeholders: real ones are made only when a cluster is created.
    `kaas cluster create` picks the CAPO API version the management cluster serves by itself.
    """
    from scs_kaas.render.capo_versions import to_infrastructure_version
    from scs_kaas.render.documents import to_json, to_yaml
    from scs_kaas.workflows.render import offline_documents, read_manifest_files

    loaded = load_settings(name, env_dir, cluster_file, assignments)
    documents = offline_documents(loaded.settings, loaded.cluster, read_manifest_files(loaded))
    documents = to_infrastructure_version(documents, infrastructure_api.value)
    typer.echo(to_json(documents) if output is OutputFormat.json else to_yaml(documents), nl=False)


@app.command("rotate-credentials")
def rotate_credentials(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check the Secrets and list the credentials; change nothing."
    ),
    no_restart: bool = typer.Option(
        False, "--no-restart", help="Do not restart OpenStack CCM and Cinder CSI in the cluster."
    ),
    restart_timeout: float = typer.Option(
        defaults.RESTART_TIMEOUT,
        "--restart-timeout",
        min=1,
        help="Seconds for the new cloud.conf to reach the workload cluster and the restarted "
        "CCM and CSI pods to roll out.",
    ),
    output: OutputFormat = TABLE_YAML_JSON,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Give the cluster a new application credential; the old one is deleted only afterwards.

    New credential, Secrets in the management cluster updated and read back, OpenStack CCM and
    Cinder CSI restarted in the workload cluster once its cloud.conf names the new credential,
    old credential deleted. On any failure before the restart the old credential stays in force
    and in the Secrets. A restart that fails is a warning (exit 0) with the kubectl commands to
    do it by hand: the rotation itself is done.
    """
    from scs_kaas.workflows.cluster import rotate_credentials as cluster_rotate_credentials

    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        files = session.manifest_files()
        settings = session.resolve_names()  # its namespace
        if not dry_run:  # before the cloud: no credential is made while another run works
            session.lock("rotate-credentials", lock_timeout)
        conn = session.cloud()
        if dry_run:
            plan = cluster_rotate_credentials.plan(conn, session.kube, settings, name, files)
            show(dataclasses.asdict(plan), output, f"Rotation plan for {name} (dry run)")
            return
        result = cluster_rotate_credentials.run(
            conn, session.kube, settings, name, files, not no_restart, restart_timeout
        )
    _warn_restart(result.restart)
    fields = dataclasses.asdict(result)
    if output is OutputFormat.table:
        fields = _rotation_rows(result)
    # Only ids and names are in `fields`: the secret never reaches a result object.
    show(fields, output, f"Credentials of {name} rotated")


def _warn_restart(outcome: RestartOutcome) -> None:
    """On stderr, so that json and yaml on stdout stay parseable."""
    if outcome.warning is None:
        return
    err = console(stderr=True)
    err.print(f"warning: {escape(outcome.warning)}")
    if outcome.manual:
        err.print("to restart them by hand (with the management cluster's kubeconfig):")
        for line in outcome.manual:
            err.print(f"  {escape(line)}")


def _rotation_rows(result: RotationResult) -> dict[str, Any]:
    """The result flat for the table; the warning and commands went to stderr."""
    rows = dataclasses.asdict(result)
    del rows["restart"]
    return {**rows, "restart": result.restart.status.value, "restarted": result.restart.restarted}


@app.command()
def create(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    timeout: float = typer.Option(
        defaults.CLUSTER_CREATE_TIMEOUT,
        "--timeout",
        min=1,
        help="Seconds to wait for the Cluster to become Available, in all.",
    ),
    no_wait: bool = typer.Option(
        False, "--no-wait", help="Apply and return; a later create waits and merges."
    ),
    kubeconfig_out: Path | None = typer.Option(
        None,
        "--kubeconfig-out",
        dir_okay=False,
        help="Kubeconfig to merge the cluster's admin context into (0600); default ~/.kube/config.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be created or changed; write nothing."
    ),
    output: OutputFormat = TABLE_YAML_JSON,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Create the cluster, or bring it in line with its settings (a re-run changes nothing).

    Checks the cloud (external network, flavors, node image), ensures the cluster's application
    credential (reused from the identity Secret while it logs in), applies every manifest to
    the management cluster, prunes add-ons no longer in the settings, waits until the Cluster
    is Available and merges its admin context into your kubeconfig.
    """
    from scs_kaas.workflows.cluster import create as cluster_create

    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        settings, kube = session.settings, session.kube  # as the files say: not yet resolved
        files = session.manifest_files()
        cidrs = session.management_host_cidrs()
        options = cluster_create.CreateOptions(timeout, not no_wait, kubeconfig_out, cidrs)
        conn = session.cloud()
        if dry_run:
            plan = cluster_create.plan(conn, kube, settings, name, files, cidrs)
            title = f"Would create {plan.namespace}/{name} (dry run)"
            _show_plan(plan, output, title)
            return
        session.resolve_names()  # the lock's namespace; create resolves again itself
        session.lock("create", lock_timeout, make_namespace=True)
        with RichProgress() as progress:
            result = cluster_create.run(conn, kube, settings, name, files, options, progress)
    fields = dataclasses.asdict(result)
    if output is OutputFormat.table:
        fields["created"] = len(result.created)
        fields["changed"] = len(result.changed)
    show(fields, output, f"Cluster {result.namespace}/{name}")


@app.command()
def delete(
    name: str = typer.Argument(..., help="Cluster name."),
    env_dir: Path | None = ENV_DIR,
    cluster_file: Path | None = CLUSTER_FILE,
    assignments: list[str] = SETTINGS_FLAGS,
    kubeconfig: Path | None = KUBECONFIG,
    context: str | None = CONTEXT,
    timeout: float = typer.Option(
        defaults.CLUSTER_DELETE_TIMEOUT, "--timeout", min=1, help="Seconds to wait, in all."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="List what would be deleted; change nothing."
    ),
    keep_volumes: bool = KEEP_VOLUMES,
    output: OutputFormat = TABLE_YAML_JSON,
    lock_timeout: float = LOCK_TIMEOUT,
) -> None:
    """Delete the cluster, what scs-kaas applied for it, then its application credential.

    First the load balancers and volumes OCCM and Cinder CSI made (through the workload cluster
    when it answers, else directly), then the Cluster is deleted and waited for (CAPI removes
    its machines and network), then the add-ons and Secrets scs-kaas applied, then whatever of
    the cluster is left in the cloud (`kaas cluster sweep`), its application credential last.
    Only a Cluster labelled with this environment's prefix is touched; a re-run finishes it.
    """
    from scs_kaas.workflows.cluster import delete as cluster_delete
    from scs_kaas.workflows.cluster import sweep as cluster_sweep

    flags = ClusterFlags(name, env_dir, cluster_file, assignments, kubeconfig, context)
    with management_session(flags) as session:
        settings = session.resolve_names()  # where the Cluster is
        target = session.target
        conn = session.cloud()
        if dry_run:
            plan = cluster_delete.plan(conn, session.kube, target)
            show(dataclasses.asdict(plan), output, f"Would delete {target} (dry run)")
            return
        session.lock("delete", lock_timeout)
        with RichProgress() as progress:
            owner = cluster_sweep.cluster_owner(settings, name)
            result = cluster_delete.run(
                conn, session.kube, target, timeout, progress, owner, keep_volumes
            )
    if output is OutputFormat.table:
        for note in result.notes:
            console(stderr=True).print(f"note: {escape(note)}")
    show(dataclasses.asdict(result), output, f"Deleted {target}")


def _show_plan(plan: cluster_create.CreatePlan, output: OutputFormat, title: str) -> None:
    """The plan; as a table without the field changes, which follow as unified diffs of what
    would change (a new object is only named: its whole text says little)."""
    fields = dataclasses.asdict(plan)
    if output is not OutputFormat.table:
        show(fields, output, title)
        return
    del fields["diffs"]
    show(fields, output, title)
    for found in plan.diffs:
        if found.action == "change" or found.fields:  # a template shown against its predecessor
            console().print(escape(found.unified), highlight=False, soft_wrap=True)
