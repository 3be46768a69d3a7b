"""The typer command line on top of the workflows."""
