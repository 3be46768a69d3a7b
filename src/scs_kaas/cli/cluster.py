"""`kaas cluster ...`: render (and later create, upgrade, delete) workload clusters."""

from __future__ import annotations

import typer

app = typer.Typer(help="Workload clusters.", no_args_is_help=True)
