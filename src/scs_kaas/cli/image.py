"""`kaas image ...`: the node image of a Kubernetes version in Glance."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from scs_kaas.cli.options import ENV_DIR, SETTINGS_FLAGS, load_settings
from scs_kaas.cli.output import TABLE_JSON, OutputFormat, console, emit
from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.workflows import defaults

app = typer.Typer(help="Node images in Glance.", no_args_is_help=True)


class RichImageProgress:
    """Steps as lines and transfers as bars, on stderr so that `-o json` stays clean."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def step(self, message: str) -> None:
        self._progress.console.print(message, markup=False, highlight=False)

    def transfer(self, what: str) -> Callable[[int, int | None], None]:
        task = self._progress.add_task(what, total=None)

        def update(done: int, total: int | None) -> None:
            self._progress.update(task, completed=done, total=total)

        return update


@contextmanager
def _progress_bar() -> Iterator[RichImageProgress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console(stderr=True), transient=False) as progress:
        yield RichImageProgress(progress)


def _version(value: str | None, default: str) -> str:
    from scs_kaas.settings.fields import resolve_kubernetes_version

    if value is None:
        return default
    try:
        return resolve_kubernetes_version(value)
    except ValueError as error:
        raise SettingsError(
            [SettingProblem("--kubernetes-version", str(error), value=repr(value))]
        ) from None


@app.command()
def ensure(
    cluster: str = typer.Argument(
        "demo", help="Cluster whose settings to use (its Kubernetes version, image settings)."
    ),
    kubernetes_version: str | None = typer.Option(
        None, "--kubernetes-version", help="e.g. 1.34 or v1.34.1; default: the cluster's."
    ),
    image_file: Path | None = typer.Option(
        None, "--file", help="Upload this qcow2/raw file instead of downloading.", dir_okay=False
    ),
    sha256: str | None = typer.Option(
        None, "--sha256", help="Expected SHA-256 (or SHA-512) of the download or --file."
    ),
    checksum_url: str | None = typer.Option(
        None, "--checksum-url", help="Checksum file to trust; default <image URL>.CHECKSUM."
    ),
    timeout: float = typer.Option(defaults.IMAGE_TIMEOUT, help="Seconds to wait for 'active'."),
    work_dir: Path | None = typer.Option(
        None, "--work-dir", help="Where the download and raw conversion go.", file_okay=False
    ),
    env_dir: Path | None = ENV_DIR,
    assignments: list[str] = SETTINGS_FLAGS,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Reuse the node image of a Kubernetes version, or download, verify and upload it."""
    from scs_kaas.openstack.connection import connect
    from scs_kaas.workflows.image import ensure as image_ensure
    from scs_kaas.workflows.image.ensure import ImageRequest

    settings = load_settings(cluster, env_dir, None, assignments).settings
    problems = []
    try:
        version = _version(kubernetes_version, settings.kubernetes_version)
    except SettingsError as error:
        problems += error.problems
        version = settings.kubernetes_version
    request = ImageRequest(version, image_file, sha256, checksum_url, timeout, work_dir)
    try:
        image_ensure.plan(settings, request)  # bad input fails here, before any cloud call
    except SettingsError as error:
        problems += error.problems
    if problems:
        raise SettingsError(problems)
    with connect(settings.cloud) as conn, _progress_bar() as progress:
        result = image_ensure.run(conn, settings, request, progress)
    if output is OutputFormat.json:
        emit(result, output)
        return
    table = Table(title="Node image")
    table.add_column("field", style="cyan")
    table.add_column("value")
    for key, value in dataclasses.asdict(result).items():
        table.add_row(key, str(value))
    console().print(table)
