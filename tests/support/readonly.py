"""Files and folders made read-only for real, for root too (who ignores the mode bits).

The mode bits are cleared, and for root the file is also made immutable (`chattr +i`, which
root's writes obey). A test that cannot get a read-only file this way is skipped, not passed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _chattr(flag: str, path: Path) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    done = subprocess.run([chattr, flag, str(path)], capture_output=True, check=False, timeout=10)
    return done.returncode == 0


def _writable(path: Path) -> bool:
    try:
        if path.is_dir():
            probe = path / ".write-probe"
            probe.touch()
            probe.unlink()
        else:
            with path.open("r+b"):
                pass
    except OSError:
        return False
    return True


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` (a file or a folder) cannot be written inside the block; as it was after it."""
    mode = path.stat().st_mode
    immutable = False
    try:
        path.chmod(mode & ~_WRITE_BITS)
        if os.geteuid() == 0:
            immutable = _chattr("+i", path)
        if _writable(path):
            pytest.skip(f"cannot make {path.name} read-only here (no chattr, or not supported)")
        yield
    finally:
        if immutable:
            _chattr("-i", path)
        path.chmod(stat.S_IMODE(mode))
