"""The `kaas` console script: one typer app, one sub-app per noun."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.markup import escape

from scs_kaas.cli import addons, cluster, config, devcloud
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


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log details and show tracebacks."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _print_error(error: KaasError) -> None:
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    if isinstance(error, SettingsError):
        console.print("[bold red]error:[/] invalid settings (nothing was changed):")
        for problem in error.problems:
            console.print(f"  - {escape(str(problem))}")
    else:
        console.print(f"[bold red]error:[/] {escape(str(error))}")


def main() -> None:
    """Entry point: run the app, turning KaasError into one message and its exit code."""
    verbose = "-v" in sys.argv or "--verbose" in sys.argv
    try:
        app(standalone_mode=False)
    except KaasError as error:
        if verbose:
            raise
        _print_error(error)
        sys.exit(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        Console(stderr=True).print("aborted")
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except Exception as click_error:  # click usage errors carry their own exit code
        code = getattr(click_error, "exit_code", None)
        show = getattr(click_error, "show", None)
        if code is None or show is None:
            raise
        show()
        sys.exit(code)
