"""Structured logs: one JSON object per line in production, readable lines in --dev.

Every line carries the activity id and a hashed person id. Logs never carry message text,
card data, objectives, evaluations or evidence: handlers log ids, verbs and outcomes only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

activity_id: ContextVar[str | None] = ContextVar("activity_id", default=None)
person: ContextVar[str | None] = ContextVar("person", default=None)


def hash_person(aad_object_id: str | None) -> str | None:
    """A stable, non-reversible tag for a person in the logs."""
    if not aad_object_id:
        return None
    return "p-" + hashlib.sha256(aad_object_id.lower().encode()).hexdigest()[:16]


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.activity_id = activity_id.get()
        record.person = person.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; exceptions as their type and where they were raised."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "activity_id": getattr(record, "activity_id", None),
            "person": getattr(record, "person", None),
        }
        for key in ("event", "status", "verb", "outcome", "duration_ms", "path"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = describe_exception(record.exc_info[1])
        return json.dumps({k: v for k, v in entry.items() if v is not None})


class DevFormatter(logging.Formatter):
    """Readable lines for a developer's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        tags = " ".join(
            f"{k}={v}" for k in ("activity_id", "person") if (v := getattr(record, k, None))
        )
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.getMessage()}"
        extras = " ".join(
            f"{k}={getattr(record, k)}" for k in ("status", "verb", "outcome") if hasattr(record, k)
        )
        if tags or extras:
            line += f"  [{' '.join(filter(None, (extras, tags)))}]"
        if record.exc_info and record.exc_info[0] is not None:
            line += f"  ({describe_exception(record.exc_info[1])})"
        return line


def describe_exception(exc: BaseException | None) -> str:
    """The exception's type and innermost frame, without its message (which may echo data)."""
    if exc is None:
        return ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 2)[-1]}:{tb.tb_lineno}" if tb else ""
    return f"{type(exc).__name__}{where}"


def configure_logging(*, dev: bool, level: int = logging.INFO) -> None:
    """Send our logs to stderr in the chosen format (called once at start-up)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(DevFormatter() if dev else JsonFormatter())
    handler.addFilter(_Context())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would repeat every request; ours says what matters.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
