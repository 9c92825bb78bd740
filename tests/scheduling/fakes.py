"""Test doubles and builders for the scheduling tests: an in-memory chat, configs, incidents."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config.loader import Config, ConfigPaths, LoadedFile
from bot.ports import ChatError, Notice


@dataclass
class Sent:
    to: str
    notice: Notice
    key: str
    direct: bool
    ts: str


class FakeChat:
    """In-memory ChatPort: same key -> same message, sent once; can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.fail_next: list[ChatError] = []
        self._lock = threading.Lock()

    def _send(self, to: str, notice: Notice, key: str, direct: bool) -> str:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            for s in self.sent:
                if s.key == key:
                    return s.ts
            ts = f"{1000 + len(self.sent)}.000100"
            self.sent.append(Sent(to, notice, key, direct, ts))
            return ts

    def post(self, channel_id: str, notice: Notice, *, key: str) -> str:
        return self._send(channel_id, notice, key, False)

    def direct_message(self, user_id: str, notice: Notice, *, key: str) -> str:
        return self._send(user_id, notice, key, True)

    def find_sent(self, target: str, key: str) -> str | None:
        return next((s.ts for s in self.sent if s.key == key and s.to == target), None)

    def keys(self) -> list[str]:
        return [s.key for s in self.sent]

    def create_channel(self, name: str, *, private: bool) -> tuple[str, str]:  # pragma: no cover - unused here
        return "C" + name.upper()[:8], name

    def invite(self, channel_id: str, user_ids: Any) -> None:  # pragma: no cover
        return None

    def update(self, channel_id: str, ts: str, notice: Notice) -> None:  # pragma: no cover
        return None

    def set_topic(self, channel_id: str, topic: str) -> None:  # pragma: no cover
        return None

    def pin(self, channel_id: str, ts: str) -> None:  # pragma: no cover
        return None

    def bookmark(self, channel_id: str, title: str, url: str) -> None:  # pragma: no cover
        return None

    def user_timezone(self, user_id: str) -> str | None:  # pragma: no cover
        return None


def playbook_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "sev2", "name": "SEV2 - major", "rank": 2, "criteria": ["customers affected"],
        "roles": [{"id": "commander", "title": "Incident commander", "initial": "reporter"},
                  {"id": "comms_lead", "title": "Communications lead"}],
        "communications": {"external_owner": "comms_lead"},
        "status_updates": {"cadence": "30m", "owner": "commander"},
    }
    data.update(overrides)
    return data


def make_config(tmp: Path, *playbooks: dict[str, Any]) -> Config:
    from bot.incidents.playbook import PlaybookFile

    loaded = [LoadedFile("playbook", None, PlaybookFile.model_validate(p)) for p in (playbooks or (playbook_data(),))]
    return Config(paths=ConfigPaths(tmp, tmp), files={"playbook": loaded})


def add_incident(session, *, number: int = 1, declared_at: datetime, severity: str = "sev2",
                 channel_id: str | None = "CINC1", commander: str | None = "UCOMMANDER") -> Any:
    from bot.incidents.tables import Incident, RoleAssignment

    incident = Incident(number=number, title=f"Checkout down {number}", severity=severity, playbook=severity,
                        reporter=commander or "UREPORTER", channel_id=channel_id,
                        channel_name=f"inc-{number}-checkout" if channel_id else None, declared_at=declared_at)
    session.add(incident)
    session.flush()
    if commander:
        session.add(RoleAssignment(incident_id=incident.id, role="commander", user=commander, assigned_at=declared_at,
                                   assigned_by="system", how="initial"))
        session.flush()
    return incident


MINUTE = timedelta(minutes=1)
