"""Settings layers (defaults < environment file < cluster file < flags), and value origins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.settings.yaml_limits import check_yaml_limits, compose_all, read_settings_text

SettingPath = tuple[str | int, ...]
_MISSING = object()


@dataclass(frozen=True)
class Layer:
    """One source of settings: its label, its data and the line of each value (YAML files)."""

    source: str
    data: Mapping[str, Any]
    lines: Mapping[SettingPath, int] = field(default_factory=dict)

    def where(self, path: SettingPath) -> str:
        line = self.lines.get(path)
        return f"{self.source}:{line}" if line else self.source

    def has(self, path: SettingPath) -> bool:
        return self.value_at(path) is not _MISSING

    def value_at(self, path: SettingPath) -> Any:
        node: Any = self.data
        for part in path:
            in_list = isinstance(part, int) and isinstance(node, list) and part < len(node)
            in_mapping = isinstance(part, str) and isinstance(node, Mapping) and part in node
            if in_list or in_mapping:
                node = node[part]
            else:
                return _MISSING
        return node


def dotted(path: Sequence[str | int]) -> str:
    """('node_groups', 0, 'flavor') -> 'node_groups[0].flavor'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def source_of(path: SettingPath, layers: Sequence[Layer]) -> Layer | None:
    """The last layer that set this value, or replaced a list or value enclosing it."""
    for layer in reversed(layers):
        if layer.has(path):
            return layer
        for length in range(len(path) - 1, 0, -1):
            enclosing = layer.value_at(path[:length])
            if enclosing is not _MISSING and not isinstance(enclosing, Mapping):
                return layer
    return None


def flag_layer(assignments: Sequence[str]) -> Layer:
    """`--set key.path=value` flags; the value is read as YAML (so `3`, `true`, `[a, b]` work)."""
    data: dict[str, Any] = {}
    problems: list[SettingProblem] = []
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            problems.append(
                SettingProblem(
                    "--set",
                    "must look like KEY.PATH=VALUE, e.g. network.mtu=1450",
                    value=assignment,
                )
            )
            continue
        try:
            value = _flag_value(raw, key)
        except yaml.YAMLError as error:
            problems.append(SettingProblem(key, f"value is not valid YAML: {error}", value=raw))
            continue
        except SettingsError as error:
            problems += error.problems
            continue
        node = data
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    if problems:
        raise SettingsError(problems)
    return Layer("flag --set", data)


class SourceFloat(float):
    """A YAML float that remembers its text: `1.30` is a version, not the number 1.3."""

    source_text: str

    def __new__(cls, value: float, source_text: str) -> SourceFloat:
        instance = super().__new__(cls, value)
        instance.source_text = source_text
        return instance


class SettingsLoader(yaml.SafeLoader):
    """SafeLoader that keeps the text of floats, so text settings get what the user wrote."""


def _construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    assert isinstance(node, yaml.ScalarNode)
    return SourceFloat(loader.construct_yaml_float(node), str(node.value))


SettingsLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=SettingsLoader)  # noqa: S506 - a SafeLoader subclass


def _flag_value(raw: str, key: str) -> Any:
    """A `--set` value, bounded like a settings file (a flag can hold an alias bomb too)."""
    if not raw.strip():
        return ""
    check_yaml_limits(raw, f"--set {key}")
    return _constructed(raw, f"--set {key}")


def _constructed(text: str, where: str) -> Any:
    """load_yaml, with the values YAML resolves but Python cannot build (a date 2026-13-45,
    an integer of 5,000 digits) reported as input problems rather than tracebacks."""
    try:
        return load_yaml(text)
    except (ValueError, OverflowError) as error:
        raise SettingsError(
            [SettingProblem(where, f"holds a value YAML cannot read: {error}")]
        ) from None


def read_yaml_layer(path: Path, label: str) -> Layer:
    """Read a settings file; syntax errors and duplicate keys are reported with file and line."""
    text = read_settings_text(path)
    where = f"{label} {path}"
    try:
        check_yaml_limits(text, str(path))
        # composed by libyaml where it can: PyYAML alone took seconds for a 120 KB file
        documents = compose_all(text)
        node = documents[0] if documents else None
        data = _constructed(text, str(path))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise SettingsError([SettingProblem(f"{path}{line}", f"invalid YAML: {problem}")]) from None
    if data is None or node is None:
        return Layer(where, {})
    if not isinstance(data, dict):
        raise SettingsError(
            [SettingProblem(str(path), "must be a YAML mapping of settings (key: value)")]
        )
    lines: dict[SettingPath, int] = {}
    _collect_lines(node, (), lines, path)
    return Layer(where, data, lines)


def _collect_lines(
    node: yaml.Node, path: SettingPath, lines: dict[SettingPath, int], file: Path
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                raise SettingsError(
                    [
                        SettingProblem(
                            dotted(child),
                            "is given twice in the same mapping",
                            source=f"{file}:{key_node.start_mark.line + 1}",
                        )
                    ]
                )
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _collect_lines(value_node, child, lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _collect_lines(item, (*path, index), lines, file)
