"""Comparing what the outbox says was done with what the Slack double actually holds.

For every outbox row the bot finished, the effect must be in Slack exactly once:
a message under its key, one channel per incident, its members, one topic
change, one pin, one bookmark per title, one answer per command.  Also checked:
messages of an incident channel are in the order the rows were written, and an
answer that says something is done ("Join #…", "Posted.") arrived after it was.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.incidents.tables import Incident
from bot.outbox.tables import EFFECT_KINDS, OPEN_STATES, Reminder
from bot.slack.double import SlackDouble

MESSAGE_KINDS = ("post", "page", "held_page", "escalation", "deadline", "cadence", "checklist")


@dataclass
class Tally:
    effects: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    early: list[str] = field(default_factory=list)
    # (answer, the monotonic times each copy reached Slack): a response_url answer cannot be looked up, so
    # one the bot died sending (after Slack took it, before the bot recorded that) is sent again
    # and the attempts the outbox recorded for it (more than one: an attempt failed and was retried)
    repeated_answers: list[tuple[str, list[float], int]] = field(default_factory=list)

    def report(self, title: str) -> str:
        lines = [f"{title}: {self.effects} effects checked in Slack; lost {len(self.lost)}, duplicated "
                 f"{len(self.duplicated)}, out of order {len(self.out_of_order)}, reported before done "
                 f"{len(self.early)}; answers repeated after a crash (at least once by design) "
                 f"{len(self.repeated_answers)}"]
        for name in ("lost", "duplicated", "out_of_order", "early", "repeated_answers"):
            for item in getattr(self, name)[:20]:
                lines.append(f"  {name}: {item if isinstance(item, str) else item[0]}")
        return "\n".join(lines)


def _rows(store) -> list[Reminder]:
    with store.session() as s:
        rows = list(s.exec(select(Reminder).order_by(Reminder.id)).all())
        for row in rows:
            s.expunge(row)
        return rows


def row_count(store) -> int:
    return len(_rows(store))


def settle(store, *, now: Any, timeout: float = 60.0, after: int | None = None) -> None:
    """Wait until every effect row is finished and no reminder due by ``now()`` is open.

    ``after``: the number of rows before the command just sent.  Slack's request is acknowledged before
    the listener writes its rows, so until there are more than that the command's effects are not in
    the outbox yet and an empty outbox proves nothing."""
    deadline = time.monotonic() + timeout
    while True:
        rows = _rows(store)
        open_rows = [r for r in rows if r.state in OPEN_STATES
                     and (r.kind in EFFECT_KINDS or r.state == "sending" or r.next_attempt_at <= now())]
        if not open_rows and (after is None or len(rows) > after):
            return
        if time.monotonic() > deadline:
            raise AssertionError("the outbox did not settle: " + ("no rows written by the command; " if not open_rows
                                                                 else "") + ", ".join(
                f"{r.key} {r.state} attempt {r.attempts} {r.last_error or ''}" for r in open_rows[:10]))
        time.sleep(0.1)


def _message_keys(double: SlackDouble) -> Counter:
    keys: Counter = Counter()
    for message in list(double.model.messages):
        key = ((message.metadata or {}).get("event_payload") or {}).get("key")
        if key:
            keys[key] += 1
    return keys


def _post_times(double: SlackDouble) -> dict[str, float]:
    """Message key -> when the double accepted the post."""
    out: dict[str, float] = {}
    for call in double.calls("chat.postMessage", ok=True):
        meta = call.params.get("metadata")
        meta = json.loads(meta) if isinstance(meta, str) else meta or {}
        key = (meta.get("event_payload") or {}).get("key")
        if key:
            out.setdefault(key, call.at)
    return out


def audit(store, double: SlackDouble, *, now: datetime, overdue: timedelta = timedelta(minutes=1)) -> Tally:
    tally = Tally()
    rows = _rows(store)
    by_key = {r.key: r for r in rows}
    messages = _message_keys(double)
    with store.session() as s:
        incidents = {i.id: (i.number, i.channel_id) for i in s.exec(select(Incident)).all()}
    for row in rows:
        if row.state == "cancelled":
            continue  # its reason went away (answered page, resolved incident): nothing owed
        if row.state in OPEN_STATES:
            if row.kind in EFFECT_KINDS or row.next_attempt_at <= now - overdue:
                tally.effects += 1
                tally.lost.append(f"{row.key} still {row.state} ({row.last_error or 'no error'})")
            continue
        tally.effects += 1
        if row.state == "failed":
            tally.lost.append(f"{row.key} failed: {row.last_error}")
            continue
        _check_sent(row, double, messages, incidents, tally)
    _check_channels(double, incidents, tally)
    _check_order(rows, double, incidents, tally)
    _check_answers(rows, by_key, double, tally)
    return tally


def _check_sent(row: Reminder, double: SlackDouble, messages: Counter, incidents: dict, tally: Tally) -> None:
    result = (row.message or {}).get("result") or {}
    number, channel_id = incidents[row.incident_id]
    channel = double.model.channels.get(channel_id or "")
    if row.kind in MESSAGE_KINDS or (row.kind == "reply" and not (row.payload.get("to") or {}).get("response_url")):
        if messages[row.key] == 0 and row.kind != "reply":
            tally.lost.append(f"{row.key}: no message in Slack")
        elif messages[row.key] > 1:
            tally.duplicated.append(f"{row.key}: {messages[row.key]} messages")
    elif row.kind == "create_channel":
        if result.get("id") not in double.model.channels:
            tally.lost.append(f"{row.key}: channel {result.get('id')} not in Slack")
    elif row.kind == "invite":
        missing = [u for u in row.payload.get("users") or [] if u not in (result.get("failed") or {})
                   and channel is not None and u not in channel.members]
        if channel is None or missing:
            tally.lost.append(f"{row.key}: {missing or 'no channel'} not in the channel")
    elif row.kind == "topic":
        calls = [c for c in double.calls("conversations.setTopic", ok=True) if c.params.get("channel") == channel_id]
        if channel is None or not channel.topic:
            tally.lost.append(f"{row.key}: no topic")
        elif len(calls) > 1:
            tally.duplicated.append(f"{row.key}: the topic was set {len(calls)} times")
    elif row.kind == "pin":
        if channel is None or not channel.pins:
            tally.lost.append(f"{row.key}: nothing pinned")
        elif len(channel.pins) > 1:
            tally.duplicated.append(f"{row.key}: {len(channel.pins)} pins")
    elif row.kind == "bookmark":
        same = [b for b in (channel.bookmarks if channel else []) if b["title"] == row.payload.get("title")]
        if not same:
            tally.lost.append(f"{row.key}: no bookmark")
        elif len(same) > 1:
            tally.duplicated.append(f"{row.key}: {len(same)} bookmarks")
    elif row.kind == "page_update":
        ts = (row.message or {}).get("args", {}).get("ts")
        updated = [m for m in double.model.messages if m.ts == ts and m.edits]
        if not updated:
            tally.lost.append(f"{row.key}: the page message was not updated")


def _check_channels(double: SlackDouble, incidents: dict, tally: Tally) -> None:
    for number, channel_id in incidents.values():
        named = [c for c in double.model.channels.values() if c.name.startswith(f"inc-{number}-")]
        if len(named) > 1:
            tally.duplicated.append(f"INC-{number}: {len(named)} channels {[c.name for c in named]}")


def _check_order(rows: list[Reminder], double: SlackDouble, incidents: dict, tally: Tally) -> None:
    ids = {r.key: r.id for r in rows if r.lane and r.lane == f"incident:{r.incident_id}"}
    for _, channel_id in incidents.values():
        if not channel_id:
            continue
        keyed = [((m.metadata or {}).get("event_payload") or {}).get("key") for m in double.model.messages_in(channel_id)]
        order = [ids[k] for k in keyed if k in ids]
        if order != sorted(order):
            tally.out_of_order.append(f"{channel_id}: {[k for k in keyed if k in ids]}")


def _check_answers(rows: list[Reminder], by_key: dict[str, Reminder], double: SlackDouble, tally: Tally) -> None:
    posted_at = _post_times(double)
    hooks = double.webhooks()
    for row in rows:
        url = ((row.payload or {}).get("to") or {}).get("response_url")
        if row.kind != "reply" or not url or row.state != "sent":
            continue
        path = "/" + url.split("/", 3)[-1]
        answers = [h for h in hooks if h.path == path]
        if not answers:
            tally.lost.append(f"{row.key}: no answer reached the person")
            continue
        if len(answers) > 1:
            tally.repeated_answers.append((f"{row.key}: {len(answers)} answers", [a.at for a in answers], row.attempts))
        for answer in answers:
            text = answer.body.get("text", "")
            for channel in (part.split(">")[0].split("|")[0] for part in text.split("<#")[1:]):
                made = double.model.channels.get(channel)
                if made is None or made.made_at > answer.at:
                    tally.early.append(f"{row.key}: names {channel} before it existed")
            if "Posted." in text:
                for key in row.payload.get("waits_for") or []:
                    if by_key.get(key) and by_key[key].kind == "post" and posted_at.get(key, float("inf")) > answer.at:
                        tally.early.append(f"{row.key}: said Posted before {key} was posted")
