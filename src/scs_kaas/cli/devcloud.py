"""`kaas devcloud ...`."""

from __future__ import annotations

import typer

app = typer.Typer(help="devcloud", no_args_is_help=True)
