"""The settings as a published JSON Schema (`kaas config schema`): every setting described, the
schema a valid draft-07 one that accepts the defaults and a file setting everything, and rejects
what the tool rejects by shape (unknown keys, types, ranges, choices)."""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from scs_kaas.errors import SettingsError
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings, load_cluster_settings
from scs_kaas.settings.model import Settings
from scs_kaas.settings.schema import DRAFT_07, settings_schema
from scs_kaas.workflows.render import offline_documents, read_manifest_files
from tests.support.cli import kaas

FULL_EXAMPLE = Path(__file__).with_name("full_example.yaml")
FILES = ("environment", "cluster")


def _models_inside(annotation: Any) -> Iterator[type[BaseModel]]:
    """The models in `X`, `X | None`, `list[X]`, `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models_inside(argument)


def _settings_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [Settings]
    while pending:
        model = pending.pop()
        if model in found:
            continue
        found.append(model)
        for field in model.model_fields.values():
            pending += _models_inside(field.annotation)
    return found


@functools.cache
def _validator(file: str) -> Any:
    schema = settings_schema(file)  # type: ignore[arg-type]
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _tool_accepts(data: dict[str, Any]) -> bool:
    """Whether the tool loads `data` as a settings file."""
    try:
        build_settings("demo", [Layer("test", data)])
    except SettingsError:
        return False
    return True


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def test_every_ref_stands_alone_so_draft_07_editors_see_the_descriptions() -> None:
    schema = settings_schema("environment")
    assert [n for n in _nodes(schema) if "$ref" in n and len(n) > 1] == []
    network = schema["properties"]["network"]
    assert network["allOf"] == [{"$ref": "#/definitions/NetworkSettings"}]
    assert "CIDRs" in network["description"]
    assert "NetworkSettings" in schema["definitions"]


def _subclasses(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for subclass in model.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_the_walk_reaches_every_settings_model() -> None:
    """The description test below sees every model of the settings package (guards the walk):
    all but the bases, whose fields it sees through their subclasses."""
    defined = {m for m in _subclasses(BaseModel) if m.__module__.startswith("scs_kaas.settings.")}
    bases = {m for m in defined if m.__name__ in ("StrictModel", "_Model", "MachineSettings")}
    assert len(bases) == 3
    assert defined - bases == set(_settings_models())


@pytest.mark.parametrize("model", _settings_models(), ids=lambda m: m.__name__)
def test_every_setting_and_model_is_described(model: type[BaseModel]) -> None:
    undescribed = [
        name
        for name, field in model.model_fields.items()
        if not (field.description and field.description.strip())
    ]
    assert undescribed == [], f"{model.__name__}: settings without a description"
    assert (model.__doc__ or "").strip(), f"{model.__name__} has no docstring (its description)"


@pytest.mark.parametrize("file", FILES)
def test_the_schema_is_draft_07_and_accepts_the_built_in_defaults(file: str) -> None:
    validator = _validator(file)
    assert validator.schema["$schema"] == DRAFT_07
    assert file in validator.schema["title"]
    defaults = Settings().model_dump(mode="json")
    assert list(validator.iter_errors(defaults)) == []
    assert list(validator.iter_errors({})) == []  # an empty file is a valid file


def _mapping_of_models(model: type[BaseModel], name: str) -> bool:
    return typing.get_origin(model.model_fields[name].annotation) is dict


def _every_setting() -> set[tuple[str, str]]:
    return {(m.__name__, name) for m in _settings_models() for name in m.model_fields}


def _settings_set_by(data: dict[str, Any]) -> set[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    pending: list[tuple[Any, type[BaseModel]]] = [(data, Settings)]
    while pending:
        value, model = pending.pop()
        if not isinstance(value, dict):
            continue
        for name, inner_value in value.items():
            seen.add((model.__name__, name))
            for inner in _models_inside(model.model_fields[name].annotation):
                if _mapping_of_models(model, name):
                    pending += [(v, inner) for v in inner_value.values()]
                elif isinstance(inner_value, list):
                    pending += [(v, inner) for v in inner_value]
                else:
                    pending.append((inner_value, inner))
    return seen


def test_the_full_example_sets_every_setting_and_renders(tmp_path: Path) -> None:
    data = yaml.safe_load(FULL_EXAMPLE.read_text())
    assert _every_setting() - _settings_set_by(data) == set()
    cluster_file = tmp_path / "prod.yaml"
    cluster_file.write_text(FULL_EXAMPLE.read_text())
    (tmp_path / "more.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    loaded = load_cluster_settings("prod", tmp_path, cluster_file)
    assert loaded.settings.kubernetes_version.startswith("v1.33.")
    documents = offline_documents(loaded.settings, "prod", read_manifest_files(loaded))
    assert {"Cluster", "MachineDeployment", "KubeadmControlPlane"} <= {d["kind"] for d in documents}


@pytest.mark.parametrize("file", FILES)
def test_the_schema_accepts_the_full_example(file: str) -> None:
    data = yaml.safe_load(FULL_EXAMPLE.read_text())  # as an editor reads it: 1.33 is a number
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator(file).iter_errors(data)]
    assert errors == []


def test_the_schema_accepts_the_old_name_the_tool_still_reads() -> None:
    data = {"addons": {"ingress_nginx_proxy_protocol": True}}
    assert _tool_accepts(data)
    assert _validator("cluster").is_valid(data)


INVALID: dict[str, dict[str, Any]] = {
    "unknown key": {"netwrok": {"mtu": 1450}},
    "unknown nested key": {"network": {"mut": 1450}},
    "unknown key in a list item": {"node_groups": [{"name": "a", "flavour": "x"}]},
    "wrong type": {"network": {"mtu": "big"}},
    "below the range": {"network": {"mtu": 100}},
    "above the range": {"api_server": {"port": 70000}},
    "not a choice": {"addons": {"cni": "flannel"}},
    "not a DNS label": {"prefix": "Team_A"},
    "too long": {"node_groups": [{"name": "a" * 21}]},
    "no node group": {"node_groups": []},
    "node group without name": {"node_groups": [{"count": 2}]},
    "bad taint effect": {"node_groups": [{"name": "a", "taints": [{"key": "k", "effect": "No"}]}]},
    "control plane too large": {"control_plane": {"count": 9}},
    "a list, not a mapping": {"addons": ["cilium"]},
}


@pytest.mark.parametrize("file", FILES)
@pytest.mark.parametrize("case", INVALID, ids=str)
def test_the_schema_rejects_what_the_tool_rejects_by_shape(file: str, case: str) -> None:
    data = INVALID[case]
    assert not _tool_accepts(data)
    assert not _validator(file).is_valid(data)


# Values of every kind for settings of every kind: whatever of it the tool takes as it is, an
# editor must not flag (a schema stricter than the tool would mark valid files as wrong). Only
# pydantic's lax conversions between JSON types (0 for false, "5" for 5) are the schema's to
# refuse; the conversions the settings document (YAML's 1.33 as a version, a number or a
# boolean as a label value) it must accept.
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10, max_value=100_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1.33", "v1.34.1", "cilium", "calico", "md-0", "40%", "10.0.0.0/24", ""]),
    st.text(max_size=12),
    st.lists(st.sampled_from(["192.0.2.1", "2001:db8::1", "x"]), max_size=2),
)
PATHS = (
    ("prefix",),
    ("kubernetes_version",),
    ("network", "mtu"),
    ("network", "dns_nameservers"),
    ("addons", "cni"),
    ("addons", "metrics_server"),
    ("control_plane", "count"),
    ("control_plane", "certificates_expiry_days"),
    ("api_server", "port"),
    ("node_group_defaults", "health_check", "max_unhealthy"),
    ("node_group_defaults", "labels", "tier"),
    ("node_group_defaults", "root_volume", "size_gib"),
    ("image", "raw"),
)
TEXT_FROM_SCALARS = {("kubernetes_version",), ("node_group_defaults", "labels", "tier")}
JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def _json_type(value: Any) -> str:
    for python_type, name in JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def _layer(assignments: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path, value in assignments:
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return data


def _taken_as_it_is(data: dict[str, Any]) -> bool:
    """The tool accepts `data`, and keeps each value's JSON type (or documents the change)."""
    try:
        loaded = build_settings("demo", [Layer("test", data)])
    except SettingsError:
        return False
    effective = loaded.settings.model_dump(mode="json")
    pending: list[tuple[tuple[str, ...], Any, Any]] = [((), data, effective)]
    while pending:
        path, given_value, kept = pending.pop()
        if isinstance(given_value, dict):
            pending += [((*path, k), v, kept[k]) for k, v in given_value.items()]
        elif path not in TEXT_FROM_SCALARS and _json_type(given_value) != _json_type(kept):
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), ANY_VALUE), min_size=1, max_size=4))
def test_the_schema_never_rejects_what_the_tool_takes(
    assignments: list[tuple[tuple[str, ...], Any]],
) -> None:
    data = _layer(assignments)
    if _taken_as_it_is(data):
        errors = [e.message for e in _validator("cluster").iter_errors(data)]
        assert errors == [], json.dumps(data)


def test_the_property_sees_accepted_values() -> None:
    """The filter above lets valid values through (or the property could never fail)."""
    assert _taken_as_it_is({"network": {"mtu": 1450}, "kubernetes_version": 1.33})
    assert not _taken_as_it_is({"addons": {"metrics_server": 0}})  # lax: the schema's to refuse


def test_kaas_config_schema_prints_json_or_yaml_of_either_file() -> None:
    printed = kaas("config", "schema")
    assert printed.exit_code == 0, printed
    environment = json.loads(printed.stdout)
    assert environment == settings_schema("environment")
    cluster = yaml.safe_load(kaas("config", "schema", "--file", "cluster", "-o", "yaml").stdout)
    assert cluster == settings_schema("cluster")
    assert environment["properties"] == cluster["properties"]
    assert environment["title"] != cluster["title"]
    assert kaas("config", "schema", "--file", "nope").exit_code == 2
