"""Content hashes of template specs: the same spec gives the same name, a new spec a new name."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def spec_digest(spec: Any) -> str:
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
