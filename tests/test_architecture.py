"""The architecture rules hold: import contracts, a pure domain, and a clean lint."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_hold():
    result = subprocess.run(
        [BIN / "lint-imports", "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_domain_imports_only_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"appraisal", "__future__"}
    for path in (ROOT / "appraisal").rglob("*.py"):
        assert _imports(path) <= allowed, (path.name, _imports(path) - allowed)


def test_the_domain_reads_no_clock_and_does_no_io():
    banned_calls = {"now", "utcnow", "today", "time", "open", "getenv", "print"}
    banned_modules = {"os", "io.open", "socket", "subprocess", "time", "zoneinfo", "pathlib"}
    for path in (ROOT / "appraisal").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        assert not (_imports(path) & banned_modules), path.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                assert name not in banned_calls, f"{path.name}:{node.lineno} calls {name}()"


def test_ruff_is_clean():
    result = subprocess.run(
        [BIN / "ruff", "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
