"""Render 100 clusters and print how long it took: `make bench` or `python bench/render.py`.

Measured, not asserted: the issue's goal is 100 clusters in under 1 s.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.documents import to_yaml
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import LoadedSettings, build_settings

CLUSTERS = 100


def _cluster_settings(index: int) -> dict[str, Any]:
    groups = [{"name": f"g{n}", "count": n + 1} for n in range(1 + index % 3)]
    return {
        "node_groups": groups,
        "control_plane": {"count": 3 if index % 2 else 1},
        "api_server": {"allowed_cidrs": ["192.0.2.0/24"]} if index % 4 == 0 else {},
        "addons": {"cni": "calico" if index % 5 == 0 else "cilium", "monitoring": index % 3 == 0},
    }


def _load() -> list[LoadedSettings]:
    return [
        build_settings(f"c{i}", [Layer("bench", _cluster_settings(i))]) for i in range(CLUSTERS)
    ]


def _render(loaded: list[LoadedSettings]) -> list[list[dict[str, Any]]]:
    return [
        render_cluster(s.cluster, s.settings, CloudFacts(), placeholder_identity("openstack"))
        for s in loaded
    ]


def _timed(step: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = step()
    return time.perf_counter() - start, result


def main() -> None:
    load_s, loaded = _timed(_load)
    render_s, rendered = _timed(lambda: _render(loaded))
    dump_s, texts = _timed(lambda: [to_yaml(docs) for docs in rendered])
    tracemalloc.start()
    _render(loaded)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    documents = sum(len(docs) for docs in rendered)
    rows = [
        ("clusters", f"{CLUSTERS}"),
        ("documents rendered", f"{documents}"),
        ("YAML output", f"{sum(len(t) for t in texts) / 1e6:.1f} MB"),
        ("load + validate settings", f"{load_s * 1000:.0f} ms"),
        ("render (settings -> dicts)", f"{render_s * 1000:.0f} ms"),
        ("dump to YAML", f"{dump_s * 1000:.0f} ms"),
        ("total", f"{(load_s + render_s + dump_s) * 1000:.0f} ms"),
        ("render per cluster", f"{render_s / CLUSTERS * 1000:.2f} ms"),
        ("peak memory while rendering", f"{peak / 2**20:.1f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 10}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
