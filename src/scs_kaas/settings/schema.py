"""The JSON Schema of the settings files, for editors (`kaas config schema`).

Both files are layers of one `Settings` model (mappings merge key by key, lists are replaced
whole, and every required key sits in a list item), so each file on its own has the model's
shape: the two schemas differ only in their title and description. Draft-07, the newest draft
yaml-language-server (VS Code, Neovim, ...) fully supports: pydantic's `$defs` become
`definitions`, and a `$ref` that carries a description is wrapped in `allOf` (draft-07 ignores
what stands beside a `$ref`). Cross-field rules (overlapping CIDRs, an even control-plane count)
are the tool's alone: `kaas config show` checks a file completely.
"""

from __future__ import annotations

from typing import Any, Literal

from scs_kaas.settings.model import Settings

SettingsFile = Literal["environment", "cluster"]
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
DEFINITIONS = "definitions"
_HEADINGS: dict[SettingsFile, tuple[str, str]] = {
    "environment": (
        "scs-kaas environment file (environment.yaml)",
        "Settings of every cluster of the environment, and of its management host. The "
        "cluster files, then --set flags, override them.",
    ),
    "cluster": (
        "scs-kaas cluster file (clusters/NAME.yaml)",
        "Settings of one workload cluster, over those of environment.yaml; --set flags "
        "override them.",
    ),
}


def settings_schema(file: SettingsFile) -> dict[str, Any]:
    """The schema of one settings file: every setting with its description and default."""
    generated = Settings.model_json_schema(ref_template=f"#/{DEFINITIONS}/{{model}}")
    definitions = generated.pop("$defs", {})
    title, description = _HEADINGS[file]
    schema: dict[str, Any] = {
        "$schema": DRAFT_07,
        **generated,
        "title": title,
        "description": description,
        DEFINITIONS: definitions,
    }
    converted: dict[str, Any] = _draft07_refs(schema)
    return converted


def _draft07_refs(node: Any) -> Any:
    """`{"$ref": R, "description": D}` -> `{"allOf": [{"$ref": R}], "description": D}`."""
    if isinstance(node, list):
        return [_draft07_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _draft07_refs(value) for key, value in node.items()}
    if "$ref" in converted and len(converted) > 1:
        ref = converted.pop("$ref")
        converted["allOf"] = [{"$ref": ref}]
    return converted
