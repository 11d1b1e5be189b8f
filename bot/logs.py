"""Structured logs: one JSON object per line in production, readable lines in --dev.

Every line carries the activity id and a hashed person id. Logs never carry message text,
card data, objectives, evaluations or evidence: handlers log ids, verbs and outcomes only.
Anything a request could put into a line is bounded: an activity id that is not a short
plain id is logged as a hash of itself, and every tag is cut to a plain, short form.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

activity_id: ContextVar[str | None] = ContextVar("activity_id", default=None)
person: ContextVar[str | None] = ContextVar("person", default=None)


#: What an id from a request may look like to be logged as it is.
_PLAIN_ID = re.compile(r"[A-Za-z0-9:_.|=+-]{1,64}")
#: Longest tag (verb, outcome, …) a log line carries.
MAX_TAG = 64


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:16]


def hash_person(aad_object_id: str | None) -> str | None:
    """A stable, non-reversible tag for a person in the logs."""
    if not aad_object_id:
        return None
    return "p-" + _digest(aad_object_id.lower())


def safe_id(value: object) -> str | None:
    """An id from a request as it may be logged: itself when short and plain, else its hash."""
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else repr(value)
    if _PLAIN_ID.fullmatch(text):
        return text
    return "h-" + _digest(text)


def _tag(value: object) -> object:
    """A log tag cut to MAX_TAG printable ASCII characters (numbers pass as they are)."""
    if isinstance(value, (int, float)) or value is None:
        return value
    text = str(value)
    if len(text) <= MAX_TAG and text.isascii() and text.isprintable():
        return text
    plain = "".join(c if c.isascii() and c.isprintable() else "?" for c in text[:MAX_TAG])
    return plain + ("…" if len(text) > MAX_TAG else "")


_TAGS = ("event", "status", "verb", "outcome", "duration_ms", "path", "count")


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.activity_id = safe_id(activity_id.get())
        record.person = person.get()
        for key in _TAGS:
            if key in record.__dict__:
                record.__dict__[key] = _tag(record.__dict__[key])
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
        for key in _TAGS:
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
    # urllib3's "Retrying …" warnings name the connector URL (a conversation id); our own
    # line about a failed reply says what matters.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
