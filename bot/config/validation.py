"""Turning pydantic validation errors into manager-readable ``file:line:col`` issues."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from bot.config.errors import ConfigIssue
from bot.config.yaml_source import DocPath, YamlDocument, describe_value, format_path

_PLAIN_EXPECTATIONS = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text (quote it if it looks like a number, date or true/false)",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping of keys and values",
    "model_type": "expected a mapping of keys and values",
    "model_attributes_type": "expected a mapping of keys and values",
    "date_type": 'expected a date like "2026-12-24"',
    "date_parsing": 'expected a date like "2026-12-24"',
    "date_from_datetime_parsing": 'expected a date like "2026-12-24"',
    "datetime_type": 'expected a date and time with offset like "2026-12-24T09:00:00+01:00"',
    "datetime_parsing": 'expected a date and time with offset like "2026-12-24T09:00:00+01:00"',
    "url_parsing": 'expected a URL like "https://example.org/page"',
    "url_scheme": 'expected an http(s) URL like "https://example.org/page"',
}


def _align(loc: tuple[Any, ...], data: Any) -> tuple[DocPath, Any, bool]:
    """Map a pydantic ``loc`` onto the document: (data path, value there, fully matched)."""
    path: list[str | int] = []
    current = data
    for elem in loc:
        if isinstance(current, dict) and isinstance(elem, str) and elem in current:
            path.append(elem)
            current = current[elem]
        elif isinstance(current, list) and isinstance(elem, int) and 0 <= elem < len(current):
            path.append(elem)
            current = current[elem]
        elif isinstance(elem, str) and (elem.startswith("function-") or ("[" in elem and "]" in elem)):
            continue  # validator wrappers and union branch labels
        elif isinstance(current, dict) and isinstance(elem, str) and elem not in current:
            # could be a discriminated-union tag: skip it only if it names the tag value
            if elem in {str(v) for v in current.values() if isinstance(v, (str, int))}:
                continue
            return tuple(path) + (elem,), None, False
        else:
            continue
    return tuple(path), current, True


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> set[str]:
    """Names of the fields allowed in the mapping at ``loc`` (best effort, for hints)."""
    candidates: list[Any] = [model]
    for elem in loc:
        nxt: list[Any] = []
        for cand in candidates:
            for typ in _unwrap(cand):
                origin = typing.get_origin(typ)
                if isinstance(typ, type) and issubclass(typ, BaseModel):
                    if isinstance(elem, str) and elem in typ.model_fields:
                        nxt.append(typ.model_fields[elem].annotation)
                    else:
                        nxt.append(typ)  # tag or wrapper label: stay on this model
                elif origin in (list, tuple, set, frozenset) and isinstance(elem, int):
                    nxt.extend(typing.get_args(typ)[:1])
                elif origin is dict:
                    args = typing.get_args(typ)
                    nxt.append(args[1] if len(args) == 2 else Any)
        candidates = nxt or candidates
    names: set[str] = set()
    for cand in candidates:
        for typ in _unwrap(cand):
            if isinstance(typ, type) and issubclass(typ, BaseModel):
                names.update(typ.model_fields)
                names.update(f.alias for f in typ.model_fields.values() if f.alias)
    return names


def _message(err: dict[str, Any], found: Any) -> str:
    etype = err["type"]
    msg: str = err.get("msg", "")
    if etype in ("value_error", "assertion_error"):
        text = re.sub(r"^(Value|Assertion) error, ", "", msg)
        return text
    if etype in _PLAIN_EXPECTATIONS:
        return f"{_PLAIN_EXPECTATIONS[etype]}, got {describe_value(found)}"
    if etype in ("literal_error", "enum"):
        expected = msg.replace("Input should be ", "")
        return f"expected {expected}, got {describe_value(found)}"
    if etype == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return (f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} {describe_value(ctx.get('tag'))}; "
                f"expected one of {ctx.get('expected_tags')}")
    if etype == "union_tag_not_found":
        ctx = err.get("ctx", {})
        return f"missing key {ctx.get('discriminator', 'kind')} that says which kind this entry is"
    if msg.startswith("Input should be "):
        return f"expected {msg[len('Input should be '):]}, got {describe_value(found)}"
    return f"{msg[:1].lower()}{msg[1:]}, got {describe_value(found)}"


def issues_from_validation(exc: ValidationError, doc: YamlDocument, model: type[BaseModel]) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    seen: set[tuple[DocPath, str]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        etype = err["type"]
        path, found, matched = _align(loc, doc.data)
        if etype == "missing":
            parent = path[:-1] if not matched or path else path
            key = loc[-1] if loc else "?"
            line, col = doc.position(parent)
            message = f'required key "{key}" is missing'
            path = parent + (key,) if isinstance(key, str) else parent
        elif etype == "extra_forbidden":
            key = path[-1] if path else (loc[-1] if loc else "?")
            line, col = doc.position(path, key=True)
            allowed = sorted(_fields_at(model, loc[:-1]))
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f'; did you mean "{close[0]}"?' if close else (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
            message = f'unknown key "{key}"{hint}'
        else:
            line, col = doc.position(path)
            message = _message(err, found if matched else err.get("input"))
        marker = (path, message)
        if marker in seen:
            continue
        seen.add(marker)
        issues.append(ConfigIssue(doc.file, line, col, format_path(path), message))
    return issues
