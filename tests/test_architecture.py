"""The layering of docs/architecture.md holds: the import-linter contracts in pyproject.toml
pass, and no first-party import hides inside a function (the way a cycle gets dodged)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("config", "core", "charts", "projects", "risks", "resources", "portfolio")
FIRST_PARTY += ("reporting", "webhooks", "demo")


def _source_files():
    for package in FIRST_PARTY:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _deferred_first_party_imports(path: Path) -> list[str]:
    name = path.relative_to(ROOT) if ROOT in path.parents else path
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                modules = [inner.module]
            elif isinstance(inner, ast.ImportFrom):
                modules = ["(relative)"]
            elif isinstance(inner, ast.Import):
                modules = [alias.name for alias in inner.names]
            else:
                continue
            for module in modules:
                if module == "(relative)" or module.split(".")[0] in FIRST_PARTY:
                    found.append(f"{name}:{inner.lineno} imports {module}")
    return found


def test_no_first_party_import_is_deferred_into_a_function():
    deferred = [line for path in _source_files() for line in _deferred_first_party_imports(path)]
    assert deferred == []


def test_the_detector_finds_a_deferred_import(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("def f():\n    from projects.models import Project\n    return Project\n")
    assert _deferred_first_party_imports(module) == [f"{module}:2 imports projects.models"]


def test_import_contracts_are_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:]
