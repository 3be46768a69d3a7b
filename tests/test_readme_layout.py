"""The README's "Layout" names every top-level module and package of scs_kaas, and only paths
that exist: someone who picks the project up finds each part by the name the README gives it."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "scs_kaas"
# A line of the block: its entries (`name`, `a.py, b.py`), then what they are.
ENTRY_LINE = re.compile(r"^(?P<entries>[\w./*-]+(?:, [\w./*-]+)*)(?:\s+(?P<what>.*))?$")
# A path in a description: a folder (`name/`) or a file with its suffix
# (`tests/support/management.py`, `programs/*/go.mod`); "I/O" is none.
MENTIONED_PATH = re.compile(r"[\w.*-]+/(?:[\w.*-]+/)*(?:[\w*-]+\.\w+)?(?![\w/])")


def layout_block(readme: str) -> list[str]:
    """The lines of the code block under the "## Layout" heading."""
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()


def named_paths(lines: list[str]) -> tuple[set[str], set[str]]:
    """The top-level names of scs_kaas the block lists (the entries of the lines indented under
    `src/scs_kaas/`), and every path it names anywhere, relative to the repository."""
    names: set[str] = set()
    paths: set[str] = set()
    for line in lines:
        indent = len(line) - len(line.lstrip())
        base = "src/scs_kaas/" if indent else ""
        what = line.strip()
        if indent <= 2:  # deeper: the description of the entry above, continued
            found = ENTRY_LINE.match(what)
            assert found, f"not an entry of the layout: {line!r}"
            for entry in found["entries"].split(", "):
                if indent:
                    names.add(entry.rstrip("/"))
                paths.add(base + entry)
            what = found["what"] or ""
        paths.update(base + mentioned for mentioned in MENTIONED_PATH.findall(what))
    return names, paths


def _exists(path: str) -> bool:
    if "*" in path:
        return any(REPO.glob(path))
    return (REPO / path).is_dir() if path.endswith("/") else (REPO / path).is_file()


def top_level_modules() -> set[str]:
    modules = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    return modules | packages


def _layout() -> tuple[set[str], set[str]]:
    return named_paths(layout_block((REPO / "README.md").read_text(encoding="utf-8")))


def test_every_path_the_layout_names_exists() -> None:
    _, paths = _layout()
    missing = sorted(p for p in paths if not _exists(p))
    assert missing == []


def test_every_top_level_module_is_named() -> None:
    names, _ = _layout()
    assert top_level_modules() - names == set()


def test_the_parser_sees_the_layout() -> None:
    """The checks above are only as good as the parsing: it finds the block's entries."""
    names, paths = _layout()
    assert {"settings", "render/addons", "naming.py", "ssh", "workflows/cluster"} <= names
    assert {"tests/support/management.py", "src/scs_kaas/localmgmt/programs/*/go.mod"} <= paths
    made_up = ["src/scs_kaas/", "  nowhere.py, gone/  made up, no I/O", "     see else/where.py"]
    assert named_paths(made_up) == (
        {"nowhere.py", "gone"},
        {"src/scs_kaas/", "src/scs_kaas/nowhere.py", "src/scs_kaas/gone/"}
        | {"src/scs_kaas/else/where.py"},
    )
    assert _exists("src/scs_kaas/kube/") and _exists("src/scs_kaas/naming.py")
    assert not _exists("src/scs_kaas/nowhere.py")
    assert not _exists("src/scs_kaas/naming.py/")  # a folder named so would be one


def test_contributing_says_where_every_test_folder_is() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Contributing\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`tests/(\w+)/`", section))
    folders = {p.name for p in (REPO / "tests").iterdir() if (p / "__init__.py").is_file()}
    assert (folders - named, named - folders) == (set(), set())
