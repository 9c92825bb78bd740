"""Fixtures for the deadlines tests: the shipped catalog, and a way to write a small one."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.config.loader import Config, ConfigPaths, collect
from bot.deadlines.catalog import regimes

REPO_ROOT = Path(__file__).resolve().parents[2]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def shipped_config(tmp_path_factory) -> Config:
    """The regulations catalog as shipped in config/regulations (must load without errors), on its own."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(REPO_ROOT / "config" / "regulations", root / "regulations")
    config, issues = collect(ConfigPaths(root, root / "no-playbooks"))
    errors = [str(i) for i in issues if i.severity == "error"]
    assert config is not None, "\n".join(errors)
    return config


@pytest.fixture(scope="session")
def catalog(shipped_config):
    return regimes(shipped_config)


def write_regime(config_dir: Path, name: str, text: str) -> Path:
    folder = config_dir / "regulations"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def load_dir(config_dir: Path):
    return collect(ConfigPaths(config_dir, config_dir / "no-playbooks"))
