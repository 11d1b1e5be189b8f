"""Dataclasses of the domain to JSON and back, guided by their type hints."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """A JSON-ready form of a dataclass, enum, date, datetime, tuple or plain value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value


def from_json(kind: Any, data: Any) -> Any:
    """Rebuild a value of type `kind` from its JSON form (values already of that type pass)."""
    return _decoder(kind)(data)


def _as_is(data: Any) -> Any:
    return data


@cache
def _decoder(kind: Any) -> Callable[[Any], Any]:
    """A function that decodes JSON into `kind`, worked out once per type from its hints.

    The store decodes every appraisal it reads, and the nudge job reads thousands at once:
    deciding how to decode each field once, rather than for every value, keeps that cheap.
    Strings, numbers and booleans are taken as they are (`_as_is`), without a call each.
    """
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        inner = _decoder(options[0])
        if inner is _as_is:
            return _as_is
        return lambda data: None if data is None else inner(data)
    if origin is tuple:
        item = _decoder(typing.get_args(kind)[0])
        return tuple if item is _as_is else lambda data: tuple(map(item, data))
    if origin is frozenset:
        member = _decoder(typing.get_args(kind)[0])
        return frozenset if member is _as_is else lambda data: frozenset(map(member, data))
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass_decoder(kind)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _enum_decoder(kind)
    if kind is datetime:
        return lambda data: data if isinstance(data, datetime) else datetime.fromisoformat(data)
    if kind is date:
        return lambda data: data if isinstance(data, date) else date.fromisoformat(data)
    return _as_is


def _enum_decoder(kind: type[Enum]) -> Callable[[Any], Any]:
    members = {member.value: member for member in kind}

    def decode(data: Any) -> Any:
        try:
            return members[data]  # a dict lookup; Enum(value) costs ten times as much
        except (KeyError, TypeError):
            return kind(data)  # a member already, or the Enum's own error for a bad value

    return decode


def _dataclass_decoder(kind: type) -> Callable[[Any], Any]:
    compiled: list[Callable[[Any], Any]] = []

    def decode(data: dict[str, Any]) -> Any:
        if not compiled:  # on first use: a field's type may be the class itself
            compiled.append(_compile_dataclass_decoder(kind))
        return compiled[0](data)

    return decode


def _compile_dataclass_decoder(kind: type) -> Callable[[Any], Any]:
    """Straight-line code for one dataclass: one keyword argument per field, no loop.

    Keys the class does not know are ignored; a missing key takes the field's default, as
    reading older records needs (a missing key with no default is the constructor's TypeError).
    """
    hints = typing.get_type_hints(kind)
    namespace: dict[str, Any] = {"kind": kind, "absent": _absent}
    arguments = []
    for n, f in enumerate(f for f in dataclasses.fields(kind) if f.init):
        decoder = _decoder(hints[f.name])
        key = repr(f.name)
        if f.default is not dataclasses.MISSING:
            namespace[f"default_{n}"] = f.default
            fallback = f"default_{n}"
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"factory_{n}"] = f.default_factory
            fallback = f"factory_{n}()"
        else:
            fallback = f"absent(kind, {key})"
        if decoder is _as_is:
            value = f"(data[{key}] if {key} in data else {fallback})"
        else:
            namespace[f"decode_{n}"] = decoder
            value = f"(decode_{n}(data[{key}]) if {key} in data else {fallback})"
        arguments.append(f"{f.name}={value}")
    source = f"def decode(data):\n    return kind({', '.join(arguments)})\n"
    exec(source, namespace)  # noqa: S102 (names from our own dataclasses' fields)
    return namespace["decode"]


def _absent(kind: type, name: str) -> Any:
    raise TypeError(f"{kind.__name__} needs '{name}'")
