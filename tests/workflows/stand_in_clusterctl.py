"""A stand-in for the clusterctl binary, for tests: GitHub (its only source) is out of reach here.

It does the part of `init` and `move` the workflow can observe, against the (emulated) API
servers named by the kubeconfigs it is given, through the same paths the real one would open:

- `version --output short` prints $STAND_IN_VERSION (default: the pinned Cluster API);
- `init --kubeconfig P ...` creates the providers' namespaces capi-system and capo-system;
- `move --kubeconfig S [--kubeconfig-context C] --to-kubeconfig T --namespace N` copies every
  Cluster and every Secret labelled for moving from N, then deletes them in the source;
  $STAND_IN_FAIL_NAMESPACE makes a move of that namespace fail (exit 1), as an interruption.

Every call is appended as one JSON line to $STAND_IN_LOG. Not a model of clusterctl's object
graph: which objects clusterctl moves is clusterctl's business, tested upstream.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from scs_kaas import naming, versions
from scs_kaas.kube.client import KubeClient

SERVER_SIDE = ("metadata", "resourceVersion", "uid", "creationTimestamp", "managedFields")


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def _client(args: list[str], path_flag: str, context_flag: str) -> KubeClient:
    path = _option(args, path_flag)
    assert path is not None, f"{path_flag} missing"
    return KubeClient.from_file(Path(path), _option(args, context_flag))


def _ensure_namespace(client: KubeClient, name: str) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    resource = client.resource("v1", "Namespace")
    if not client.dynamic.get(resource, field_selector=f"metadata.name={name}").items:
        client.dynamic.create(resource, body=namespace)


def _portable(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in obj["metadata"].items() if k not in SERVER_SIDE}
    return {**obj, "metadata": metadata}


def _move(args: list[str]) -> None:
    namespace = _option(args, "--namespace")
    assert namespace
    if namespace == os.environ.get("STAND_IN_FAIL_NAMESPACE"):
        print(f"stand-in: refusing to move {namespace}", file=sys.stderr)
        raise SystemExit(1)
    source = _client(args, "--kubeconfig", "--kubeconfig-context")
    target = _client(args, "--to-kubeconfig", "--to-kubeconfig-context")
    _ensure_namespace(target, namespace)
    kinds = [("cluster.x-k8s.io/v1beta2", "Cluster", None), ("v1", "Secret", naming.LABEL_MOVE)]
    for api_version, kind, selector in kinds:
        on_source = source.resource(api_version, kind)
        listed = source.dynamic.get(on_source, namespace=namespace, label_selector=selector)
        for item in listed.to_dict()["items"]:
            target.dynamic.create(target.resource(api_version, kind), body=_portable(item))
            source.dynamic.delete(on_source, name=item["metadata"]["name"], namespace=namespace)


def main(args: list[str]) -> None:
    with Path(os.environ["STAND_IN_LOG"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps(args) + "\n")
    if args[:1] == ["version"]:
        print(os.environ.get("STAND_IN_VERSION", versions.CLUSTER_API))
    elif args[:1] == ["init"]:
        target = _client(args, "--kubeconfig", "--kubeconfig-context")
        for name in ("capi-system", "capo-system"):
            _ensure_namespace(target, name)
    elif args[:1] == ["move"]:
        _move(args)
    else:
        raise SystemExit(f"stand-in clusterctl: unexpected {args}")


if __name__ == "__main__":
    main(sys.argv[1:])
