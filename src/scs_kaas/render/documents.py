"""Turn rendered manifests into text: multi-document YAML or a JSON `List`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

# libyaml's emitter is about five times faster than the pure-Python one; both emit the same YAML.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Block style for multi-line strings (files, scripts), so the output stays readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(documents: Sequence[dict[str, Any]]) -> str:
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, explicit_start=True, width=100)


def to_json(documents: Sequence[dict[str, Any]]) -> str:
    return (
        json.dumps({"apiVersion": "v1", "kind": "List", "items": list(documents)}, indent=2) + "\n"
    )
