"""Render INI files (oslo.config style) from plain dictionaries."""

from __future__ import annotations

from collections.abc import Mapping

Value = str | int | bool
Sections = Mapping[str, Mapping[str, Value]]


def _value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_ini(sections: Sections) -> str:
    """One `[section]` per key, in order; values as oslo.config reads them."""
    blocks = []
    for section, options in sections.items():
        lines = [f"[{section}]"]
        lines += [f"{key} = {_value(value)}" for key, value in options.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
