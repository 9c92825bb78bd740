"""Test helpers for the Slack end-to-end tests: a test configuration, plus the sender and bot process."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path
from typing import Any

import yaml

from bot.slack.double.bot_process import REPO, BotProcess, free_port
from bot.slack.double.sender import SECRET, TEAM, Response, SlackSender, select_value, sign, text_value

__all__ = ["REPO", "SECRET", "TEAM", "BotProcess", "Response", "SlackSender", "free_port", "make_config",
           "oversized_request", "select_value", "sign", "text_value"]


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


def oversized_request(port: int, declared: int, sent: int = 1024) -> tuple[str, float]:
    """POST a body that claims ``declared`` bytes but send only ``sent`` of them; return the status line
    and how long the answer took (a server that reads the whole body first would wait forever)."""
    head = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {declared}\r\nX-Slack-Request-Timestamp: {int(time.time())}\r\n"
            f"X-Slack-Signature: v0={'0' * 64}\r\n\r\n").encode()
    return exchange(port, head + b"a" * sent)


def exchange(port: int, request: bytes) -> tuple[str, float]:
    """Send raw bytes; return the response's status line and how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode(), time.monotonic() - started
