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
    plain: set[str] = set()
    converted: dict[str, Callable[[Any], Any]] = {}

    def decode(data: dict[str, Any]) -> Any:
        if not (plain or converted):  # on first use: a field's type may be the class itself
            hints = typing.get_type_hints(kind)
            for f in dataclasses.fields(kind):
                if f.init:
                    decoder = _decoder(hints[f.name])
                    if decoder is _as_is:
                        plain.add(f.name)
                    else:
                        converted[f.name] = decoder
        values = {}
        for key, value in data.items():
            if key in plain:
                values[key] = value
            elif key in converted:
                values[key] = converted[key](value)
        return kind(**values)

    return decode
