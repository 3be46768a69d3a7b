"""Bounds on settings YAML, checked before anything builds Python objects from it.

A settings file is a few kilobytes of a few hundred values. Without bounds, 357 bytes of nested
aliases ("billion laughs") expand to billions of values, 50,000 nested brackets overflow the
recursion of every YAML and validation layer, and megabytes of keys turn into minutes of error
messages. Each bound is far above any real settings file and far below any of these.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from scs_kaas.errors import SettingProblem, SettingsError

MAX_SETTINGS_BYTES = 1024 * 1024
MAX_DEPTH = 64
# Values (mappings, lists, keys and scalars) after every alias is expanded.
MAX_VALUES = 20_000

# libyaml parses events about 20 times faster; the pure-Python parser finds the same problems.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IN_PROGRESS = -1


def read_settings_text(path: Path) -> str:
    """The text of a settings file, or a SettingsError naming the file: unreadable, too large,
    or not UTF-8 (binary files are refused here, not with a traceback)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_SETTINGS_BYTES + 1)
    except OSError as error:
        raise SettingsError(
            [SettingProblem(str(path), f"cannot read the file: {error.strerror or error}")]
        ) from None
    if len(data) > MAX_SETTINGS_BYTES:
        raise SettingsError(
            [
                SettingProblem(
                    str(path),
                    f"is larger than {MAX_SETTINGS_BYTES // 1024} KiB; settings files are "
                    "a few kilobytes (manifests and certificates can be separate files)",
                )
            ]
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SettingsError(
            [
                SettingProblem(
                    f"{path}:{line}",
                    f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                    f"{error.start}); settings files are YAML in UTF-8",
                )
            ]
        ) from None


def check_yaml_limits(text: str, where: str) -> None:
    """Refuse YAML nested deeper than MAX_DEPTH, or with more than MAX_VALUES values once its
    aliases are expanded, or with an alias inside the value it refers to.

    Parsing events keeps no tree and recurses not at all, so deep nesting is found without
    overflowing; the tree is composed (aliases shared, not copied) only when aliases exist.
    Syntax errors are left to the caller's YAML error handling.
    """
    try:
        first_alias = _scan_events(text, where, _FAST_LOADER)
    except yaml.YAMLError:
        # libyaml refuses a few things PyYAML reads (JSON's surrogate-pair escapes, nesting
        # beyond 1,000): PyYAML decides, as it does when the values are built.
        first_alias = _scan_events(text, where, yaml.SafeLoader)
    if first_alias is None:
        return
    for document in compose_all(text):
        if document is not None and _expanded_size(document, {}, where, first_alias) > MAX_VALUES:
            _refuse(
                where,
                first_alias,
                f"has aliases (*name) that expand to more than {MAX_VALUES} values; "
                "write the values out instead",
            )


def compose_all(text: str) -> list[yaml.Node]:
    """The node trees of YAML that passed check_yaml_limits, by libyaml where it can."""
    try:
        return list(yaml.compose_all(text, Loader=_FAST_LOADER))
    except yaml.YAMLError:
        return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def _scan_events(text: str, where: str, loader: type[yaml.SafeLoader]) -> yaml.AliasEvent | None:
    """Check depth and size on the event stream; the first alias, if any."""
    depth = values = 0
    first_alias: yaml.AliasEvent | None = None
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                _refuse(where, event, f"is nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent) and first_alias is None:
            first_alias = event
        if isinstance(event, yaml.NodeEvent):
            values += 1
            if values > MAX_VALUES:
                _refuse(where, event, f"holds more than {MAX_VALUES} values")
    return first_alias


def _expanded_size(
    node: yaml.Node, sizes: dict[int, int], where: str, first_alias: yaml.AliasEvent
) -> int:
    """How many values `node` stands for with every alias copied out; shared nodes counted once
    per use but computed once. Depth is bounded by MAX_DEPTH, so the recursion is too."""
    known = sizes.get(id(node))
    if known == _IN_PROGRESS:
        _refuse(where, first_alias, "has an alias (*name) inside the value it refers to")
    if known is not None:
        return known
    sizes[id(node)] = _IN_PROGRESS
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    size = 1
    for child in children:
        size += _expanded_size(child, sizes, where, first_alias)
        if size > MAX_VALUES:
            break  # big enough to refuse; counting on would only cost time
    sizes[id(node)] = size
    return size


def _refuse(where: str, event: yaml.Event, message: str) -> None:
    mark = event.start_mark
    line = f":{mark.line + 1}" if mark is not None else ""
    raise SettingsError([SettingProblem(f"{where}{line}", message)])
