"""What the commands print, written once: the `-o` formats, json and yaml, the consoles.

Data goes to stdout (json, yaml, a command's table), progress, notes and warnings to stderr, so
that `-o json` stays parseable. rich and yaml are imported on use, not on the way to `--help`.
"""

from __future__ import annotations

import dataclasses
import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

# Piped or redirected, a console would squeeze tables into 80 columns and cut names.
PIPED_WIDTH = 220


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


def output_option(
    *choices: OutputFormat, default: OutputFormat | None = None, help: str | None = None
) -> Any:
    """`--output/-o` that takes `choices` only (default: the first): help, errors and shell
    completion name just those, so a command without a table offers none."""
    names = [choice.value for choice in choices]

    def parse(value: str | OutputFormat) -> OutputFormat:
        if isinstance(value, OutputFormat):  # the default, given as it is
            return value
        if value not in names:
            raise ValueError(f"{value!r} is not one of {', '.join(map(repr, names))}.")
        return OutputFormat(value)

    return typer.Option(
        default or choices[0],
        "--output",
        "-o",
        parser=parse,
        metavar=f"<{'|'.join(names)}>",
        help=help,
        autocompletion=lambda: names,
    )


# The choices of most commands, in the order their help has always named them.
TABLE_YAML_JSON = output_option(OutputFormat.table, OutputFormat.yaml, OutputFormat.json)
TABLE_JSON = output_option(OutputFormat.table, OutputFormat.json)


def console(*, stderr: bool = False) -> Console:
    """The one way a command gets a console: stdout for data, stderr for progress and notes
    (there text is never wrapped and never highlighted); a terminal's width, else PIPED_WIDTH."""
    from rich.console import Console

    made = (
        Console(stderr=True, highlight=False, soft_wrap=True) if stderr else Console(stderr=False)
    )
    if not made.is_terminal:
        made.width = PIPED_WIDTH
    return made


def _encode(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)  # a path, a timestamp: as the text it prints as


def plain(data: Any) -> Any:
    """`data` as JSON has it: dataclasses as mappings, tuples as lists, anything else as text."""
    return json.loads(json.dumps(data, default=_encode))


def emit(data: Any, output: OutputFormat) -> None:
    """`data` as json (indented) or yaml (in its own order) on stdout; tables are the command's."""
    if output is OutputFormat.table:
        raise ValueError("a table is drawn by its command; emit writes json or yaml")
    found = plain(data)
    if output is OutputFormat.json:
        typer.echo(json.dumps(found, indent=2))
        return
    import yaml

    typer.echo(yaml.safe_dump(found, sort_keys=False), nl=False)


def _cell(value: Any) -> str:
    """Mappings one group per key (of lists: counted), lists one line per entry, nothing "-"."""
    if isinstance(value, dict):
        groups = [
            f"{key} ({len(items)}):\n  " + "\n  ".join(map(str, items))
            if isinstance(items, list)
            else f"{key}: {items}"
            for key, items in value.items()
        ]
        return "\n".join(groups) or "-"
    if isinstance(value, list):
        return "\n".join(map(str, value)) or "-"
    return str(value) or "-"


def show(
    fields: dict[str, Any], output: OutputFormat, title: str, *, to_stderr: bool = False
) -> None:
    """A result's fields: as a table of one row per field (on stderr with `to_stderr`, e.g. a
    listing before a question), or as json or yaml."""
    if output is not OutputFormat.table:
        emit(fields, output)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in plain(fields).items():
        table.add_row(key, escape(_cell(value)))
    console(stderr=to_stderr).print(table)
