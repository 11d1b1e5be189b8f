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


def _modules_imported(path: Path) -> set[str]:
    """The dotted names of the modules `path` imports (`from a import b` is `a.b` if b is one)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = parts[:-1]  # of a module, or of a package's __init__ (the package itself)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, *(node.module.split(".") if node.module else ())))
            for alias in node.names:
                inner = ROOT.joinpath(*module.split("."), alias.name)
                is_module = inner.with_suffix(".py").is_file() or (inner / "__init__.py").is_file()
                found.add(f"{module}.{alias.name}" if is_module else module)
    return found


def test_only_test_support_is_imported_from_the_tests():
    # Fakes, harnesses and kits live in tests/support; a test module or conftest is never
    # imported by another module, and the benchmark borrows only the support.
    wrong = []
    for path in sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]):
        for module in sorted(_modules_imported(path)):
            in_tests = module == "tests" or module.startswith("tests.")
            if in_tests and not (module == "tests.support" or module.startswith("tests.support.")):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_the_domain_imports_only_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"appraisal", "__future__"}
    for path in (ROOT / "appraisal").rglob("*.py"):
        assert _imports(path) <= allowed, (path.name, _imports(path) - allowed)


def test_the_domain_reads_no_clock_and_does_no_io():
    # Reading the clock or the outside world: datetime.now(), date.today(), time.time(),
    # open(), print(), os.getenv(). Constructors such as datetime.time(8, 0) are fine.
    banned_attributes = {"now", "utcnow", "today", "getenv", "read_text", "write_text"}
    clock_module_calls = {"time", "monotonic", "perf_counter"}  # time.time() and friends
    banned_names = {"open", "print", "input", "getenv"}
    banned_modules = {"os", "socket", "subprocess", "time", "zoneinfo", "pathlib", "shutil"}
    for path in (ROOT / "appraisal").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        assert not (_imports(path) & banned_modules), path.name
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute):
                where = f"{path.name}:{node.lineno} {func.attr}()"
                assert func.attr not in banned_attributes, where
                on_time_module = isinstance(func.value, ast.Name) and func.value.id == "time"
                assert not (on_time_module and func.attr in clock_module_calls), where
            elif isinstance(func, ast.Name):
                assert func.id not in banned_names, f"{path.name}:{node.lineno} {func.id}()"


def test_ruff_is_clean():
    result = subprocess.run(
        [BIN / "ruff", "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
