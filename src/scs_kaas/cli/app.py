"""The `kaas` console script: one typer app, one sub-app per noun."""

from __future__ import annotations

import itertools
import logging
import sys

import typer
from rich.console import Console
from rich.markup import escape

from scs_kaas import logredact
from scs_kaas.cli import addons, cloud, cluster, config, devcloud, image, mgmt
from scs_kaas.errors import KaasError, SettingsError

app = typer.Typer(
    name="kaas",
    help="Kubernetes as a Service on OpenStack through Cluster API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config.app, name="config")
app.add_typer(cluster.app, name="cluster")
app.add_typer(addons.app, name="addons")
app.add_typer(devcloud.app, name="devcloud")
app.add_typer(cloud.app, name="cloud")
app.add_typer(image.app, name="image")
app.add_typer(mgmt.app, name="mgmt")


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log details and show tracebacks."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logredact.install(logging.getLogger())  # -v shows HTTP bodies; secrets stay out


def _print_error(error: KaasError) -> None:
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    if isinstance(error, SettingsError):
        console.print("[bold red]error:[/] invalid settings (nothing was changed):")
        for problem in error.problems:
            console.print(f"  - {escape(str(problem))}")
    else:
        console.print(f"[bold red]error:[/] {escape(str(error))}")


def _verbose(argv: list[str]) -> bool:
    """-v/--verbose is an option of `kaas` itself, so it comes before the first command word:
    a cluster named "-v" after the command is not a request for tracebacks."""
    root_options = itertools.takewhile(lambda arg: arg.startswith("-"), argv)
    return any(arg in ("-v", "--verbose") for arg in root_options)


def run(argv: list[str]) -> int:
    """Run one command; KaasError becomes one clear message and its exit code (2 = bad input)."""
    try:
        # Standalone mode lets typer print usage errors itself; it always ends in SystemExit.
        app(args=argv, prog_name="kaas")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except KaasError as error:
        if _verbose(argv):
            raise
        _print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        return 130
    return 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
