"""Configurations for the managers' tools, written to tmp_path from YAML strings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.config.loader import ConfigPaths
from bot.reports.review_config import load_for_review


def write_config_dir(root: Path, *, people: str, rotas: str, labor: dict[str, str]) -> Path:
    """A config folder ``root`` with people.yaml, rotas.yaml and labor/<id>.yaml; returns ``root``."""
    (root / "labor").mkdir(parents=True, exist_ok=True)
    (root / "people.yaml").write_text(textwrap.dedent(people), encoding="utf-8")
    (root / "rotas.yaml").write_text(textwrap.dedent(rotas), encoding="utf-8")
    for name, text in labor.items():
        (root / "labor" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def paths_of(root: Path) -> ConfigPaths:
    return ConfigPaths(root, root.parent / "playbooks-none")


def load(root: Path):
    return load_for_review(paths_of(root))


@pytest.fixture
def make_config(tmp_path):
    def build(name: str, *, people: str, rotas: str, labor: dict[str, str]) -> Path:
        return write_config_dir(tmp_path / name / "config", people=people, rotas=rotas, labor=labor)

    return build
