"""Running `python -m bot scheduler` worker processes against the Slack double, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from bot.outbox.tables import Reminder
from bot.slack.double import SlackDouble
from tests.conftest import REPO_ROOT
from tests.scheduling.fakes import add_incident, playbook_data

LEADER_LINE = "this process is now the active scheduler"


class Worker:
    """A scheduler worker subprocess whose log lines are collected with the time they appeared."""

    def __init__(self, env: dict[str, str], config_dir: Path, *, retry: float = 0.2) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "scheduler", "--config-dir", str(config_dir), "--poll", "0.2",
             "--leader-retry", str(retry)],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append((time.monotonic(), line.rstrip()))

    def became_leader_at(self) -> float | None:
        """When this test read the worker's "now the active scheduler" line (monotonic), if it has."""
        return next((t for t, line in self.lines if LEADER_LINE in line), None)

    def logged_leader_at(self) -> float | None:
        """When the worker itself logged that it became the active scheduler (seconds since the epoch, from the
        line's own time stamp): unlike :meth:`became_leader_at`, not delayed by this test reading its output
        late on a busy machine."""
        line = next((line for _, line in self.lines if LEADER_LINE in line), None)
        if line is None:
            return None
        return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()  # logging's asctime, local time

    def log(self) -> str:
        return "\n".join(line for _, line in self.lines[-40:])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


# The smallest configuration the worker starts on (it requires people, rotas and a playbook, as `serve` does):
# one person on one rotation.
PEOPLE = {"people": [{"id": "ops", "slack": "U0OPS0001", "timezone": "UTC", "labor_profile": "base",
                      "contract": {"oncall_agreement": True}}]}
ROTAS = {"rotations": [{"id": "primary", "timezone": "UTC", "participants": ["ops"], "start": "2026-01-05",
                        "handoff": "MO 09:00", "fallback": "ops"}]}
LABOR = {"id": "base", "rules": [{"kind": "leave", "cite": "TEST leave"}]}


def write_config(tmp_path: Path) -> Path:
    config_dir, playbooks_dir = tmp_path / "config", tmp_path / "playbooks"
    (config_dir / "labor").mkdir(parents=True)
    playbooks_dir.mkdir()
    (config_dir / "settings.yaml").write_text("timezone: UTC\n")
    (config_dir / "people.yaml").write_text(yaml.safe_dump(PEOPLE))
    (config_dir / "rotas.yaml").write_text(yaml.safe_dump(ROTAS))
    (config_dir / "labor" / "base.yaml").write_text(yaml.safe_dump(LABOR))
    (playbooks_dir / "sev2.yaml").write_text(yaml.safe_dump(playbook_data()))
    return config_dir


def plan_reminders(store, double: SlackDouble, start: datetime, count: int, *, first: float,
                   spacing: float) -> tuple[list[str], datetime]:
    """One incident (with a channel in the double) and one due status nudge each; returns keys and the last due time."""
    keys = []
    due = start
    with store.session() as s:
        for n in range(1, count + 1):
            channel = double.model.add_channel(f"inc-{n}-checkout")
            incident = add_incident(s, number=n, declared_at=start, channel_id=channel.id)
            due = start + timedelta(seconds=first + spacing * n)
            key = f"incident:{incident.id}:cadence:1"
            s.add(Reminder(key=key, kind="cadence", incident_id=incident.id, target=incident.id, recipient="#incident",
                           due_at=due, next_attempt_at=due, created_at=start, updated_at=start))
            keys.append(key)
    return keys, due


def worker_env(database_url: str, double: SlackDouble) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "SLACK_API_URL": double.api_url,
            "SLACK_BOT_TOKEN": "xoxb-test", "PYTHONPATH": str(REPO_ROOT)}


def delivered(double: SlackDouble) -> Counter:
    keys: Counter = Counter()
    for message in list(double.model.messages):
        payload = (message.metadata or {}).get("event_payload") or {}
        if payload.get("key"):
            keys[payload["key"]] += 1
    return keys


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
