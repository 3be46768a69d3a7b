"""What a real API server does to an object on a write, as pure functions for the emulator.

Server-side apply here follows the documented rules for one field manager applying with
`force=true` (the only way scs-kaas applies):
- the fields a manager applied are recorded in `metadata.managedFields` as FieldsV1;
- a field the manager applied before and leaves out now is removed from the object;
- mappings merge key by key, everything else (scalars, lists) is replaced whole.
Simplified against a real server: every list is atomic (real servers merge `listType=map` lists
by key), ownership by other managers is recorded nowhere and so never conflicts, and defaulting,
schema validation and pruning of unknown fields do not happen.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

Path = tuple[str, ...]


def leaf_paths(value: Mapping[str, Any], prefix: Path = ()) -> Iterator[Path]:
    """Every path to a non-mapping value (or an empty mapping) in `value`."""
    for key, item in value.items():
        path = (*prefix, key)
        if isinstance(item, Mapping) and item:
            yield from leaf_paths(item, path)
        else:
            yield path


def fields_v1(paths: set[Path]) -> dict[str, Any]:
    """The FieldsV1 encoding of a field set, as `metadata.managedFields[].fieldsV1` holds it."""
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return tree


def paths_of(fields: Mapping[str, Any], prefix: Path = ()) -> set[Path]:
    """The leaf paths of a FieldsV1 tree (inverse of `fields_v1`)."""
    found: set[Path] = set()
    for key, child in fields.items():
        path = (*prefix, key.removeprefix("f:"))
        found |= paths_of(child, path) if child else {path}
    return found


def remove_path(value: dict[str, Any], path: Path) -> None:
    """Delete `path` from `value`, and parents that this leaves empty."""
    parents = [value]
    for key in path[:-1]:
        child = parents[-1].get(key)
        if not isinstance(child, dict):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):
        if parents[depth]:
            break
        parents[depth - 1].pop(path[depth - 1], None)


def merge(live: Mapping[str, Any], applied: Mapping[str, Any]) -> dict[str, Any]:
    """`applied` over `live`: mappings merge, other values replace."""
    result = copy.deepcopy(dict(live))
    for key, value in applied.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def merge_patch(live: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch: like `merge`, but null deletes a key."""
    result = copy.deepcopy(dict(live))
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge_patch(result[key], value)
        elif isinstance(value, Mapping):
            result[key] = merge_patch({}, value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def server_side_apply(
    live: Mapping[str, Any], applied: Mapping[str, Any], previous: set[Path]
) -> tuple[dict[str, Any], set[Path]]:
    """The object after `applied` by a manager that applied the fields `previous` before."""
    owned = {path for path in leaf_paths(applied) if path[0] not in ("apiVersion", "kind")}
    result = copy.deepcopy(dict(live))
    for path in previous - owned:
        remove_path(result, path)
    return merge(result, applied), owned


# Label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`.
_SET = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_CLAUSES = re.compile(r",(?![^(]*\))")


def matches_labels(labels: Mapping[str, str], selector: str) -> bool:
    for clause in filter(None, (c.strip() for c in _CLAUSES.split(selector or ""))):
        if not _matches_clause(labels, clause):
            return False
    return True


def _matches_clause(labels: Mapping[str, str], clause: str) -> bool:
    if found := _SET.match(clause):
        key, operator, values = found.groups()
        allowed = {v.strip() for v in values.split(",")}
        return (labels.get(key) in allowed) == (operator == "in")
    if "!=" in clause:
        key, value = (part.strip() for part in clause.split("!=", 1))
        return labels.get(key) != value
    if "=" in clause:
        key, value = (part.strip() for part in clause.replace("==", "=").split("=", 1))
        return labels.get(key) == value
    if clause.startswith("!"):
        return clause[1:].strip() not in labels
    return clause in labels


def matches_fields(obj: Mapping[str, Any], selector: str) -> bool:
    """Field selectors on `metadata.name` and `metadata.namespace` (all a server has for CRs)."""
    metadata = obj.get("metadata", {})
    for clause in filter(None, (c.strip() for c in (selector or "").split(","))):
        negate = "!=" in clause
        field, value = (p.strip() for p in re.split(r"!=|==|=", clause, maxsplit=1))
        actual = metadata.get(field.removeprefix("metadata.")) or ""
        if (actual == value) == negate:
            return False
    return True
