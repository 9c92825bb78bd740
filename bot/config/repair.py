"""What of a file with errors can still be used to check the other files.

``check`` reports every error of every file in one run, including references
between files.  A file with an error is never applied, but its valid parts
still answer questions such as "is there a person called anna?".  So after
reporting a file's errors, the loader asks :func:`usable_part` for a model of
what remains when the offending parts are taken out:

* an unknown key (a typo) is removed: the rest of its mapping stays;
* an invalid value is removed where its field has a default, otherwise the
  list item holding it is dropped (a rotation with a bad ``start``);
* when nothing smaller can be taken out, the file gives nothing.

Items taken out are remembered by id (``dropped``), so a reference to one
of them elsewhere is not reported as "unknown": it exists, it has its own
error.  The model returned here is only ever used for cross-file checks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

MAX_REPAIRS = 200  # each round removes at least one thing, so this bounds the work on a hostile file


@dataclass
class UsablePart:
    model: Any | None  # None: nothing of the file can be used
    dropped: set[str] = field(default_factory=set)  # ids of the items taken out
    changed: bool = False  # something was taken out (the model is partial)


def usable_part(model_class: type[BaseModel], data: Any) -> UsablePart:
    if not isinstance(data, dict):
        return UsablePart(None)
    data = copy.deepcopy(data)
    dropped: set[str] = set()
    for _ in range(MAX_REPAIRS):
        try:
            return UsablePart(model_class.model_validate(data), dropped, True)
        except ValidationError as exc:
            if not any(_take_out(data, tuple(err["loc"]), err["type"], dropped) for err in exc.errors()):
                return UsablePart(None, dropped, True)
    return UsablePart(None, dropped, True)


def _walk(data: Any, loc: tuple[Any, ...]) -> list[tuple[Any, Any]]:
    """(container, key) pairs from the top to the deepest element of ``loc`` present in ``data``."""
    chain: list[tuple[Any, Any]] = []
    current = data
    for elem in loc:
        if isinstance(current, dict) and isinstance(elem, str) and elem in current:
            chain.append((current, elem))
            current = current[elem]
        elif isinstance(current, list) and isinstance(elem, int) and 0 <= elem < len(current):
            chain.append((current, elem))
            current = current[elem]
        # anything else is a validator or union label (or a missing key): skip it
    return chain


def _take_out(data: Any, loc: tuple[Any, ...], error_type: str, dropped: set[str]) -> bool:
    chain = _walk(data, loc)
    if error_type != "missing" and chain and isinstance(chain[-1][0], dict):
        # a typo or a key with a bad value: remove the key; if its field is required, the next round
        # reports it missing and the enclosing list item goes instead
        container, key = chain[-1]
        del container[key]
        return True
    for container, key in reversed(chain):
        if isinstance(container, list):
            item = container.pop(key)
            if isinstance(item, dict) and isinstance(item.get("id"), (str, int)):
                dropped.add(str(item["id"]))
            return True
    return False
