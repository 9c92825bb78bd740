"""Test helpers for the Slack end-to-end tests: a test configuration, plus the sender and bot process."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from bot.slack.double.bot_process import REPO, BotProcess, free_port
from bot.slack.double.sender import SECRET, TEAM, Response, SlackSender, select_value, sign, text_value

__all__ = ["REPO", "SECRET", "TEAM", "BotProcess", "Response", "SlackSender", "free_port", "make_config",
           "select_value", "sign", "text_value"]


def make_config(tmp: Path, *, admins: list[str], settings: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """The shipped configuration and playbooks, with test admins and settings."""
    config_dir, playbooks_dir = tmp / "config", tmp / "playbooks"
    shutil.copytree(REPO / "config", config_dir)
    shutil.copytree(REPO / "playbooks", playbooks_dir)
    path = config_dir / "settings.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    data.update({"admins": admins, **(settings or {})})
    path.write_text(yaml.safe_dump(data))
    return config_dir, playbooks_dir


