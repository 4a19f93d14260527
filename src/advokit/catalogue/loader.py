"""Strict loading of KPI definition files, with file and line in every problem."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import CatalogueError
from .model import KpiDefinition

KPI_DIR = Path(__file__).with_name("kpis")
#: libyaml's safe loader where PyYAML was built with it (several times faster), else the pure-Python one
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line_of(node: yaml.Node | None, path: Iterable[Any]) -> int | None:
    """The 1-based line of the YAML node at ``path`` (or of its nearest parent)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    child = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return int(line)


def load_file(path: Path) -> tuple[KpiDefinition | None, list[str]]:
    """Parse one definition file; return the KPI or the list of problems found."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        return None, [f"{path}: not valid YAML: {exc}"]
    if not isinstance(data, dict):
        return None, [f"{path}:1: expected a mapping of KPI fields"]
    try:
        kpi = KpiDefinition.model_validate(data)
    except ValidationError as exc:
        root = yaml.compose(text)  # the nodes, for the lines of the problems (only when there are some)
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p[:1].isupper())]
            line = _line_of(root, loc)
            where = ".".join(str(p) for p in loc) or "(file)"
            problems.append(f"{path}:{line}: {where}: {err['msg']}")
        return None, problems
    if kpi.id != path.stem:
        return None, [f"{path}:{_line_of(yaml.compose(text), ['id'])}: id {kpi.id!r} must equal the file name {path.stem!r}"]
    return kpi, []


def load_definitions(directory: Path = KPI_DIR) -> list[KpiDefinition]:
    """Load every ``*.yaml`` in ``directory``; report all problems at once."""
    kpis: list[KpiDefinition] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        kpi, errs = load_file(path)
        problems.extend(errs)
        if kpi is not None:
            kpis.append(kpi)
    if problems:
        raise CatalogueError(f"{len(problems)} problem(s) in the KPI catalogue:\n" + "\n".join(problems),
                             hint="fix the listed definition files")
    return kpis
