"""Dataclass <-> JSON for stored operation results (idempotent replays).

Handles the types the views use: dataclasses, tuples, lists, dicts, optional
values, literals and aware datetimes (stored as ISO 8601 UTC).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from typing import Any, Literal, Union

from bot.clock import ensure_utc


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return ensure_utc(value).isoformat()
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def from_json(cls: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(cls)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        return from_json(options[0], data) if len(options) == 1 else data
    if origin is Literal or cls is Any:
        return data
    if origin is tuple:
        args = typing.get_args(cls)
        item = args[0] if args else Any
        return tuple(from_json(item, v) for v in data)
    if origin is list:
        (item,) = typing.get_args(cls) or (Any,)
        return [from_json(item, v) for v in data]
    if origin is dict:
        args = typing.get_args(cls)
        return {k: from_json(args[1], v) for k, v in data.items()} if args else dict(data)
    if cls is datetime:
        return ensure_utc(datetime.fromisoformat(data))
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: from_json(hints[f.name], data[f.name])
                      for f in dataclasses.fields(cls) if f.name in data})
    return data
