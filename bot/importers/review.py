"""Writing an import's draft: fragments to paste, a merged copy of the configuration, and the review of it.

``rotas.fragment.yaml`` and ``people.fragment.yaml`` hold only what was
imported, with what could not be mapped as comments at the top.  ``config/``
is the current configuration with the fragments appended, so the same checks
as ``rota preview --diff`` compare the current rota with the imported one.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.importers.draft import Draft
from bot.private_file import write_private

FRAGMENTS = ("rotas.fragment.yaml", "people.fragment.yaml")


def _comment(lines: list[str]) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def _header(draft: Draft, what: str) -> str:
    lines = [f"Draft {what} imported from {draft.source}: review before merging into config/."]
    if draft.unmapped:
        lines += ["", "Could not be mapped (nothing here was dropped silently; decide each):"]
        lines += [f"- {u.describe()}" for u in draft.unmapped]
    if draft.notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in draft.notes]
    return _comment(lines) + "\n"


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110)


@dataclass(frozen=True)
class Written:
    rotas: Path
    people: Path
    merged: Path  # a configuration folder: current + fragments


def write(draft: Draft, current: Path, out: Path) -> Written:
    out.mkdir(parents=True, exist_ok=True)
    rotas_part: dict[str, Any] = {"rotations": draft.rotations}
    if draft.overrides:
        rotas_part["overrides"] = draft.overrides
    rotas = out / FRAGMENTS[0]
    write_private(rotas, _header(draft, "rotations and overrides") + _dump(rotas_part))
    people = out / FRAGMENTS[1]
    write_private(people, _header(draft, "people") + _dump({"people": draft.people}))
    merged = out / "config"
    if merged.exists():
        shutil.rmtree(merged)
    shutil.copytree(current, merged)
    _append(merged / "rotas.yaml", {"rotations": draft.rotations, "overrides": draft.overrides})
    _append(merged / "people.yaml", {"people": draft.people})
    return Written(rotas, people, merged)


def _append(path: Path, parts: dict[str, list]) -> None:
    data = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {}
    for key, items in parts.items():
        if items:
            data[key] = list(data.get(key) or []) + items
    write_private(path, _dump(data))
