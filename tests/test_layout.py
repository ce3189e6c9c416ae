"""The dependency direction of design.md: audits may import incidents, never the reverse; the trail imports neither."""

import ast
from pathlib import Path

from django.conf import settings


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_incidents_never_imports_audits():
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (Path(settings.BASE_DIR) / "incidents").rglob("*.py")
        if any(module == "audits" or module.startswith("audits.") for module in imported_modules(path))
    ]
    assert len(list((Path(settings.BASE_DIR) / "incidents").rglob("*.py"))) > 20
    assert offenders == []


def test_the_trail_imports_neither_app():
    """The trail is the layer under both apps: they declare their history with it, it knows
    nothing of incidents or audits (so any record type can keep a trail)."""
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (Path(settings.BASE_DIR) / "trail").rglob("*.py")
        if any(module.split(".")[0] in ("incidents", "audits") for module in imported_modules(path))
    ]
    assert len(list((Path(settings.BASE_DIR) / "trail").rglob("*.py"))) > 8
    assert offenders == []
