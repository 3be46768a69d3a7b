"""Load the effective settings of one cluster from its layers, or fail with every problem named."""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.settings.fields import ClusterName
from scs_kaas.settings.layers import (
    Layer,
    SettingPath,
    dotted,
    flag_layer,
    read_yaml_layer,
    source_of,
)
from scs_kaas.settings.merge import deep_merge
from scs_kaas.settings.model import Settings, SettingValueError, check_cluster_name

ENVIRONMENT_FILE = "environment.yaml"
CLUSTERS_DIR = "clusters"
DEFAULTS = "built-in default"
# `<prefix>-mgmt-appcred` and friends belong to the management host.
RESERVED_CLUSTER_NAMES = frozenset({"mgmt"})
# pydantic adds validator and union-member names to error locations; they are not settings.
# Problems described in full; the rest are counted (480,000 unknown keys once took 70 s to list).
MAX_DESCRIBED_PROBLEMS = 20
_NOT_A_SETTING = re.compile(r"^(function-\w+\[.*\]|int|str|float|bool|list\[.*\]|dict\[.*\])$")


@dataclass(frozen=True)
class LoadedSettings:
    cluster: str
    settings: Settings
    layers: tuple[Layer, ...]
    # Relative file names inside settings (custom add-on manifests) are resolved from here.
    base_dir: Path = Path()

    def provenance(self) -> list[tuple[str, Any, str]]:
        """(setting, effective value, where it came from) for every leaf setting."""
        rows: list[tuple[str, Any, str]] = []
        for path, value in _leaves(self.settings.model_dump(mode="json"), ()):
            layer = source_of(path, self.layers)
            rows.append((dotted(path), value, layer.where(path) if layer else DEFAULTS))
        return rows


def environment_layers(
    env_dir: Path | None, cluster: str, cluster_file: Path | None, os_cloud: str | None
) -> list[Layer]:
    """The file layers for a cluster: `<env>/environment.yaml`, then its cluster file."""
    layers: list[Layer] = []
    if os_cloud:
        layers.append(Layer("environment variable OS_CLOUD", {"cloud": os_cloud}))
    if env_dir is not None:
        env_file = env_dir / ENVIRONMENT_FILE
        if settings_file_exists(env_file):
            layers.append(read_yaml_layer(env_file, "environment file"))
        default_cluster_file = env_dir / CLUSTERS_DIR / f"{cluster}.yaml"
        if cluster_file is None and settings_file_exists(default_cluster_file):
            cluster_file = default_cluster_file
    if cluster_file is not None:
        if not settings_file_exists(cluster_file, "-f"):
            raise SettingsError([SettingProblem("-f", "file not found", value=str(cluster_file))])
        layers.append(read_yaml_layer(cluster_file, "cluster file"))
    return layers


def settings_file_exists(path: Path, setting: str | None = None) -> bool:
    """Whether there is a settings file at `path`. Something else there (a folder, a device) or a
    path this user may not look at is an error: silently using the defaults instead would
    build a different cluster than the one the files describe."""
    where = setting or str(path)
    try:
        if not path.exists():
            return False
        if path.is_file():
            return True
    except OSError as error:
        raise SettingsError(
            [SettingProblem(where, f"cannot read {path}: {error.strerror}")]
        ) from None
    raise SettingsError(
        [SettingProblem(where, f"{path} is not a file (a folder?); settings files are YAML files")]
    )


def load_cluster_settings(
    cluster: str,
    env_dir: Path | None = None,
    cluster_file: Path | None = None,
    assignments: Sequence[str] = (),
    os_cloud: str | None = None,
) -> LoadedSettings:
    """Built-in defaults < OS_CLOUD < environment file < cluster file < `--set` flags."""
    layers = environment_layers(env_dir, cluster, cluster_file, os_cloud)
    if assignments:
        layers.append(flag_layer(assignments))
    loaded = build_settings(cluster, layers)
    base_dir = cluster_file.parent if cluster_file is not None else env_dir or Path()
    return dataclasses.replace(loaded, base_dir=base_dir)


def build_settings(cluster: str, layers: Sequence[Layer]) -> LoadedSettings:
    problems: list[SettingProblem] = []
    try:
        TypeAdapter(ClusterName).validate_python(cluster)
    except ValidationError as error:
        problems.append(
            SettingProblem(
                "cluster name",
                error.errors()[0]["msg"].removeprefix("Value error, "),
                value=repr(cluster),
            )
        )
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        for line in errors[:MAX_DESCRIBED_PROBLEMS]:
            problems += _problems(line, layers)
        omitted = max(0, len(errors) - MAX_DESCRIBED_PROBLEMS)
        raise SettingsError(problems, omitted=omitted) from None
    if cluster in RESERVED_CLUSTER_NAMES:
        problems.append(
            SettingProblem(
                "cluster name",
                f"{cluster!r} is reserved: the management host's resources use it "
                f"(reserved: {', '.join(sorted(RESERVED_CLUSTER_NAMES))})",
                value=repr(cluster),
            )
        )
    if not problems:
        try:
            check_cluster_name(cluster, settings)
        except SettingValueError as error:
            problems += [SettingProblem(s, m, value=repr(cluster)) for s, m in error.problems]
    if problems:
        raise SettingsError(problems)
    return LoadedSettings(cluster, settings, tuple(layers))


def _problems(error: Mapping[str, Any], layers: Sequence[Layer]) -> list[SettingProblem]:
    loc: SettingPath = tuple(p for p in error["loc"] if not _NOT_A_SETTING.match(str(p)))
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, SettingValueError):
        # Cross-field problems name their settings relative to the model that found them.
        return [
            _problem(loc + _parse_path(setting), message, None, layers)
            for setting, message in cause.problems
        ]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = _unknown_key_message(loc)
    value = None if error["type"] in ("extra_forbidden", "missing") else _show(error.get("input"))
    return [_problem(loc, message, value, layers)]


def _problem(
    loc: SettingPath, message: str, value: str | None, layers: Sequence[Layer]
) -> SettingProblem:
    layer = source_of(loc, layers)
    return SettingProblem(
        dotted(loc) or "settings", message, value=value, source=layer.where(loc) if layer else None
    )


def _parse_path(setting: str) -> SettingPath:
    """'node_groups[1].name' -> ('node_groups', 1, 'name')."""
    parts: list[str | int] = []
    for piece in setting.split("."):
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        parts += [int(index) for index in rest.rstrip("]").split("][") if index]
    return tuple(parts)


def _unknown_key_message(loc: SettingPath) -> str:
    valid = sorted(_model_at(Settings, loc[:-1]).model_fields) if loc else []
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6) if loc else []
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown setting; {hint}valid keys here: {', '.join(valid)}"


def _model_at(model: type[BaseModel], loc: SettingPath) -> type[BaseModel]:
    """The settings model that holds the keys at `loc` (list indices and dict keys skipped)."""
    current: Any = model
    skip_key = False
    for part in loc:
        if skip_key or isinstance(part, int):
            skip_key = False
            continue
        field = current.model_fields.get(part) if _is_model(current) else None
        if field is None:
            break
        current, skip_key = _inner_model(field.annotation)
    return current if _is_model(current) else model


def _inner_model(annotation: Any) -> tuple[Any, bool]:
    """The model inside `X | None`, `list[X]`, `dict[str, X]`; and whether a dict key follows."""
    if _is_model(annotation):
        return annotation, False
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        inner, _ = _inner_model(arg)
        if _is_model(inner):
            return inner, origin is dict
    return None, False


def _is_model(value: Any) -> bool:
    return (
        isinstance(value, type)
        and not isinstance(value, types.GenericAlias)
        and issubclass(value, BaseModel)
    )


def _show(value: Any) -> str:
    text = getattr(value, "source_text", None) or repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _leaves(value: Any, path: SettingPath) -> list[tuple[SettingPath, Any]]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [(path, value)]
