"""The README shows the workflow as the table defines it, and its two commands exist."""

from __future__ import annotations

import os
from pathlib import Path

from appraisal.visibility import markdown_table
from appraisal.workflow import mermaid

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_the_readme_diagram_is_the_transition_table():
    assert f"```mermaid\n{mermaid()}\n```" in README


def test_the_readme_shows_who_sees_what_as_the_visibility_table_says():
    assert markdown_table() in README
    # Spot checks of the table itself: the governors never see the draft or the requests.
    rows = {line.split(" | ")[0]: line.split(" | ")[1:] for line in markdown_table().splitlines()}
    draft = "while the draft is agreed"
    assert rows["| the headteacher's change requests"] == [draft] * 3 + ["—", "—", "— |"]
    assert rows["| the meeting record (draft, then final)"][3] == "once shared"


def test_the_two_commands_are_executable_scripts():
    for script in ("scripts/demo", "scripts/test"):
        assert f"./{script}" in README
        assert os.access(ROOT / script, os.X_OK), script
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_links_the_benchmark_figures_and_how_to_make_them():
    assert "[docs/benchmarks.md](docs/benchmarks.md)" in README
    assert "./scripts/bench --write docs/benchmarks.md" in README
    assert os.access(ROOT / "scripts" / "bench", os.X_OK)
    figures = (ROOT / "docs" / "benchmarks.md").read_text()
    assert figures.startswith("# Benchmarks") and "python -m bench" in figures
