"""Driving the `htpm` command line in-process against a SQLite file per test."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


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
