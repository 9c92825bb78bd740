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
    """In-memory ChatPort: same key -> same message, sent once; channels, invites, replies, updates recorded;
    can be told to fail (``fail_next``: the next calls raise these errors, in order)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.fail_next: list[ChatError] = []
        self.calls: list[tuple[Any, ...]] = []
        self.channels: dict[str, str] = {}  # id -> name
        self.members: dict[str, list[str]] = {}
        self.not_invitable: dict[str, str] = {}  # user -> Slack's reason
        self.replies: list[tuple[dict[str, Any], Notice, str]] = []
        self.updates: list[tuple[str, str, Notice]] = []
        self.bookmarks: list[tuple[str, str, str]] = []
        self.fail_keys: dict[str, list[ChatError]] = {}  # a message key (or "create_channel") -> errors to raise
        self._lock = threading.RLock()

    def _send(self, to: str, notice: Notice, key: str, direct: bool) -> str:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            if self.fail_keys.get(key):
                raise self.fail_keys[key].pop(0)
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

    def create_channel(self, name: str, *, private: bool, adopt_since: Any = None) -> tuple[str, str]:
        with self._lock:
            self.calls.append(("create_channel", name))
            if self.fail_next:
                raise self.fail_next.pop(0)
            if self.fail_keys.get("create_channel"):
                raise self.fail_keys["create_channel"].pop(0)
            if adopt_since is not None and name in self.channels.values():
                return next(i for i, n in self.channels.items() if n == name), name
            channel_id = f"C{len(self.channels) + 1:08d}"
            self.channels[channel_id] = name
            return channel_id, name

    def invite(self, channel_id: str, user_ids: Any) -> dict[str, str]:
        with self._lock:
            self.calls.append(("invite", channel_id, tuple(user_ids)))
            if self.fail_next:
                raise self.fail_next.pop(0)
            failed = {u: self.not_invitable[u] for u in user_ids if u in self.not_invitable}
            self.members.setdefault(channel_id, [])
            self.members[channel_id] += [u for u in user_ids if u not in failed and u not in self.members[channel_id]]
            return failed

    def channel_id(self, name: str) -> str:
        return "C" + name.lstrip("#").upper()[:8]

    def reply(self, to: dict[str, Any], notice: Notice, *, key: str) -> str:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            self.replies.append((dict(to), notice, key))
            return "reply"

    def update(self, channel_id: str, ts: str, notice: Notice) -> None:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            self.updates.append((channel_id, ts, notice))

    def set_topic(self, channel_id: str, topic: str) -> None:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            self.calls.append(("topic", channel_id, topic))

    def pin(self, channel_id: str, ts: str) -> None:
        with self._lock:
            self.calls.append(("pin", channel_id, ts))

    def bookmark(self, channel_id: str, title: str, url: str) -> None:
        with self._lock:
            if (channel_id, title, url) not in self.bookmarks:
                self.bookmarks.append((channel_id, title, url))

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
    from bot.audit.unit_time import happens_at
    from bot.incidents.tables import Incident, RoleAssignment

    happens_at(session, declared_at)  # the unit of work writes the rows without an event: it says when
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
