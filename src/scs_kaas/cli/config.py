"""`kaas config ...`: show the effective settings, import an R1 environment."""

from __future__ import annotations

import typer

app = typer.Typer(help="Show and convert settings.", no_args_is_help=True)
