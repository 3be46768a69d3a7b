"""The `kaas` console script: one typer app, one sub-app per noun."""

from __future__ import annotations

import itertools
import logging
import sys

import typer
from rich.markup import escape

from scs_kaas import logredact
from scs_kaas.cli import (
    addons,
    check,
    cleanup,
    cloud,
    cluster,
    cluster_access,
    cluster_change,
    cluster_view,
    config,
    devcloud,
    image,
    mgmt,
    mgmt_move,
)
from scs_kaas.cli.output import console
from scs_kaas.errors import KaasError, SettingsError

app = typer.Typer(
    name="kaas",
    help="Kubernetes as a Service on OpenStack through Cluster API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config.app, name="config")
cluster_view.register(cluster.app)
cluster_change.register(cluster.app)
cluster_access.register(cluster.app)
app.add_typer(cluster.app, name="cluster")
app.add_typer(addons.app, name="addons")
app.add_typer(devcloud.app, name="devcloud")
app.add_typer(cloud.app, name="cloud")
app.add_typer(image.app, name="image")
mgmt_move.register(mgmt.app)
app.add_typer(mgmt.app, name="mgmt")
app.add_typer(check.app, name="check")
app.command("audit")(cleanup.audit)
app.command("purge")(cleanup.purge)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log details and show tracebacks."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logredact.install(logging.getLogger())  # -v shows HTTP bodies; secrets stay out


# The error output stays readable whatever the input: a bounded list of bounded lines.
MAX_SHOWN_PROBLEMS = 25
MAX_PROBLEM_CHARS = 1000
MAX_MESSAGE_CHARS = 8000


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 30]}... ({len(text)} characters)"


def _print_error(error: KaasError) -> None:
    err = console(stderr=True)
    if isinstance(error, SettingsError):
        err.print("[bold red]error:[/] invalid settings (nothing was changed):")
        for problem in error.problems[:MAX_SHOWN_PROBLEMS]:
            err.print(f"  - {escape(_bounded(str(problem), MAX_PROBLEM_CHARS))}")
        more = max(0, len(error.problems) - MAX_SHOWN_PROBLEMS) + error.omitted
        if more:
            err.print(f"  ... and {more} more problems (fix these first)")
    else:
        err.print(f"[bold red]error:[/] {escape(_bounded(str(error), MAX_MESSAGE_CHARS))}")


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
        console(stderr=True).print("interrupted")
        return 130
    except Exception as error:
        translated = _cloud_failure(error)
        if translated is None or _verbose(argv):
            raise
        _print_error(translated)
        return translated.exit_code
    return 0


def _cloud_failure(error: Exception) -> KaasError | None:
    """A cloud library's error that reached the top unnamed: one message all the same. Only
    such errors are looked at (the library is imported only when it raised one)."""
    if not type(error).__module__.startswith(("openstack.", "keystoneauth1.")):
        return None
    from scs_kaas.openstack.failures import unnamed_cloud_error

    return unnamed_cloud_error(error)


def main() -> None:
    sys.exit(run(sys.argv[1:]))
