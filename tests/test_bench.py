"""The benchmark script still runs end to end (tiny counts: its figures mean nothing here).

No timing is asserted: only that every part ran, every request got the answer it should
(the script checks each card answer's version), and the report has each table and target.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = (
    "Card actions",
    "Message round trip",
    "Memory (resident set",
    "Nudge sweep",
    "query plan",
    "Largest card",
    "Hostile requests",
    "Targets",
)


@pytest.mark.postgres
def test_the_benchmark_runs_with_tiny_counts_and_writes_its_report(tmp_path):
    report = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--write", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]).keys() == {"targets_missed"}
    text = report.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert section in text, section
    rows = re.findall(
        r"^\| (htpm serve, \w+|SDK floor, [\w ]+) \| (\d+) \| (\d+) \| (\d+) \|", text, re.M
    )
    servers = {server for server, *_ in rows}
    assert servers == {
        "htpm serve, SQLite",
        "htpm serve, PostgreSQL",
        "SDK floor, as shipped",
        "SDK floor, tuned",
    }
    assert all(int(requests) > 0 and failed == "0" for _, _, requests, failed in rows), rows
    targets = re.findall(r"^\| (.+?) \| .+ \| (met|MISSED) \|$", text, re.M)
    assert len(targets) >= 12
    assert "SEARCH appraisals USING INDEX ix_appraisals_nudges_from" in text
    hostile = re.search(r"^\| htpm serve on SQLite \| 4 \| ([\d,]+) \| ([\d,]+) \|", text, re.M)
    assert hostile is not None and hostile.group(1) != "0" and hostile.group(2) == "0", hostile
