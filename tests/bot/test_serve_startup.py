"""`htpm serve` that cannot start says why in one line: the database (no password) or the port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.database import POSTGRES_URL
from tests.support.readonly import read_only
from tests.support.servers import clean_env, free_port

HTPM = str(Path(sys.executable).parent / "htpm")


def serve(tmp_path: Path, url: str, port: int | None = None) -> subprocess.CompletedProcess:
    """Run `htpm serve --dev` against `url` until it stops by itself (it is meant to fail)."""
    port = port or free_port()
    return subprocess.run(
        [HTPM, "serve", "--dev", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env({"HTPM_DATABASE_URL": url}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_refused(done: subprocess.CompletedProcess, message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "listening" not in done.stdout  # nothing claims to listen before it fails
    assert "Cannot listen" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_postgresql_server_that_is_down_is_named_without_its_password(tmp_path):
    port = free_port()
    done = serve(tmp_path, f"postgresql://root:s3cret@127.0.0.1:{port}/test")
    assert_refused(
        done,
        f"Cannot use the database postgresql://root@127.0.0.1:{port}/test: connection refused.",
    )
    assert "s3cret" not in done.stderr + done.stdout


def test_a_sqlite_file_in_a_folder_that_does_not_exist(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'nowhere' / 'htpm.sqlite3'}"
    assert_refused(serve(tmp_path, url), f"Cannot use the database {url}: cannot open the file.")


def test_a_sqlite_file_in_a_folder_that_cannot_be_written(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    url = f"sqlite+aiosqlite:///{folder / 'htpm.sqlite3'}"
    with read_only(folder):
        done = serve(tmp_path, url)
    assert_refused(done, f"Cannot use the database {url}: cannot open the file.")


def test_a_sqlite_file_that_is_read_only(tmp_path):
    path = tmp_path / "htpm.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    migrated = subprocess.run(
        [HTPM, "db", "upgrade"],
        cwd=tmp_path,
        env=clean_env({"HTPM_DATABASE_URL": url}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    with read_only(path):
        done = serve(tmp_path, url)
    assert_refused(done, f"Cannot use the database {url}: the file is read-only.")


@pytest.mark.postgres
def test_a_refused_login_is_an_authentication_failure(tmp_path):
    url = POSTGRES_URL.replace("root@", "htpm_no_such_role@")
    shown = url.replace("+asyncpg", "")
    done = serve(tmp_path, url)
    assert done.returncode == 2, done.stderr
    assert "authentication failed." in done.stderr
    assert shown.split("://", 1)[1] in done.stderr


def test_a_port_already_taken_is_still_a_listen_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'htpm.sqlite3'}", port)
    assert done.returncode == 2, done.stderr
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "listening" not in done.stdout
    assert "Traceback" not in done.stderr
