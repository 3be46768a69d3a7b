"""cli/output.py: what every command prints goes through one format enum, one json/yaml writer,
one fields table and one console factory."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from scs_kaas.cli.output import PIPED_WIDTH, OutputFormat, console, emit, output_option, plain, show


@dataclass(frozen=True)
class _Result:
    name: str
    ids: tuple[str, ...]
    kubeconfig: Path


RESULT = _Result("demo", ("a", "b"), Path("/tmp/kubeconfig"))
PLAIN = {"name": "demo", "ids": ["a", "b"], "kubeconfig": "/tmp/kubeconfig"}


def _stdout(output: OutputFormat, data: object) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        emit(data, output)
    return out.getvalue()


def test_data_is_plain_as_json_has_it() -> None:
    assert plain(RESULT) == PLAIN
    assert plain([RESULT, {"n": (1, 2)}]) == [PLAIN, {"n": [1, 2]}]


def test_json_and_yaml_say_the_same_in_the_given_order() -> None:
    as_json = _stdout(OutputFormat.json, RESULT)
    assert as_json == json.dumps(PLAIN, indent=2) + "\n"
    as_yaml = _stdout(OutputFormat.yaml, RESULT)
    assert yaml.safe_load(as_yaml) == PLAIN
    assert as_yaml.splitlines()[0] == "name: demo"  # not sorted: kubeconfig would come first


def test_a_table_is_the_commands_own() -> None:
    with pytest.raises(ValueError, match="table"):
        emit(RESULT, OutputFormat.table)


def test_fields_table_has_one_line_per_entry(capsys: pytest.CaptureFixture[str]) -> None:
    kept = {"volume": ["v1", "v2"], "limit": 3}
    fields = {"deleted": ["server a", "port b"], "kept": kept, "none": []}
    show(fields, OutputFormat.table, "t")
    shown = capsys.readouterr().out
    lines = [line.strip(" │") for line in shown.splitlines()]
    assert any(line.startswith("deleted") and line.endswith("server a") for line in lines)
    assert any(line.strip() == "port b" for line in lines)
    assert any(line.endswith("volume (2):") for line in lines)
    assert any(line.strip() == "limit: 3" for line in lines)
    assert any(line.endswith("-") and line.startswith("none") for line in lines)


def test_consoles_write_data_to_stdout_and_the_rest_to_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        console().print("data")
        console(stderr=True).print("progress")
    assert (out.getvalue(), err.getvalue()) == ("data\n", "progress\n")


def test_piped_consoles_are_wide_and_stderr_never_wraps() -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        data, progress = console(), console(stderr=True)
    assert data.width == progress.width == PIPED_WIDTH
    long_line = "x" * (PIPED_WIDTH + 10)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        console(stderr=True).print(long_line)
    assert err.getvalue() == long_line + "\n"


def _app() -> typer.Typer:
    app = typer.Typer()
    option = output_option(OutputFormat.table, OutputFormat.json)

    @app.command()
    def command(output: OutputFormat = option) -> None:
        typer.echo(repr(output))

    return app


def test_an_option_takes_its_choices_only() -> None:
    runner = CliRunner()
    assert runner.invoke(_app(), []).output == "<OutputFormat.table: 'table'>\n"
    assert runner.invoke(_app(), ["-o", "json"]).output == "<OutputFormat.json: 'json'>\n"
    refused = runner.invoke(_app(), ["-o", "yaml"])
    assert refused.exit_code == 2
    said = " ".join(refused.output.replace("│", " ").split())  # the error box wraps lines
    assert "'yaml' is not one of 'table', 'json'." in said
    assert "<table|json>" in runner.invoke(_app(), ["--help"]).output
