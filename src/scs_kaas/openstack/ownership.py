"""Proof of ownership: a resource is the tool's only when it carries all of the expected tags.

A resource with the right name but without the tags is someone else's (or a leftover of a tool
that did not tag). It is never adopted or deleted; the caller is told to remove or rename it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from scs_kaas.errors import CloudError


def has_tags(tags: Iterable[str] | None, wanted: Sequence[str]) -> bool:
    return set(wanted) <= set(tags or ())


def tags_as_metadata(tags: Sequence[str]) -> dict[str, str]:
    """`["managed-by=scs-kaas", ...]` -> `{"managed-by": "scs-kaas", ...}` (Cinder metadata)."""
    return dict(tag.split("=", 1) for tag in tags)


def has_metadata(metadata: Mapping[str, Any] | None, wanted: Sequence[str]) -> bool:
    present = metadata or {}
    return all(present.get(key) == value for key, value in tags_as_metadata(wanted).items())


def pick_owned(
    candidates: Sequence[Any], owned: Sequence[Any], what: str, name: str, tags: Sequence[str]
) -> Any | None:
    """The one owned resource among same-named `candidates`; None when there is none at all.

    Fails when only foreign resources carry the name (never adopt them) or when several owned
    ones do (which one to keep is the user's call).
    """
    if len(owned) > 1:
        ids = ", ".join(str(r.id) for r in owned)
        raise CloudError(
            f"{len(owned)} {what}s named {name!r} carry this tool's tags ({ids}): "
            "delete all but one, or run `kaas mgmt delete`"
        )
    if owned:
        return owned[0]
    if candidates:
        ids = ", ".join(str(r.id) for r in candidates)
        raise CloudError(
            f"{what} {name!r} ({ids}) exists but is not tagged {', '.join(tags)}: scs-kaas "
            "never adopts what it cannot prove it made; delete or rename it, or use another prefix"
        )
    return None


def claim_description(name: str, token: str) -> str:
    """The description a resource is created with: `token` is recorded locally beforehand, so a
    resource whose tagging was interrupted can still be proven to be ours."""
    return f"{name}: made by scs-kaas (claim {token})"
