"""Driving the `htpm` command line in-process against a SQLite file per test."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    """A fresh SQLite file for the CLI; no other HTPM_* setting or .env file leaks in."""
    for name in list(os.environ):
        if name.startswith("HTPM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "1000")  # wide enough that table cells are never folded
    path = tmp_path / "htpm.sqlite3"
    monkeypatch.setenv("HTPM_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def htpm(*args: str):
    """Run `htpm ARGS`; an exception other than an exit is raised, not swallowed."""
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A UTF-8 file in the test's folder."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def query(path: Path, sql: str, *params: object) -> list[tuple]:
    """Rows of a query on the CLI's SQLite file."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()
