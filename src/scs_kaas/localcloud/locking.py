"""The local clouds' start-up lock (so two `up`s or two test sessions do not build the same
thing): the tool's blocking file lock, kept importable under its old name."""

from __future__ import annotations

from scs_kaas.filelock import exclusive

__all__ = ["exclusive"]
