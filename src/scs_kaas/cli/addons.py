"""`kaas addons ...`."""

from __future__ import annotations

import typer

app = typer.Typer(help="addons", no_args_is_help=True)
