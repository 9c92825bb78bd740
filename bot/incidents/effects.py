"""What a lifecycle operation wants done in Slack, written to the outbox with the change itself.

:func:`record` runs inside every operation's unit of work (``run_once``): the
declaration's channel (create, invite, welcome, topic, pin, bookmarks) and its
announcements, every ``Post`` and invite of an ``Outcome``, and the answer to
the person who asked.  The outbox worker delivers them afterwards
(``docs/scheduling.md``); nothing here talks to Slack.

Keys come from the request key or the incident, so a replay finds the rows it
wrote the first time.  Everything in the incident channel shares one lane and
reaches Slack in the order written: the channel, the people, the welcome, the
topic, the rest of the welcome, the pin, the bookmarks, then later posts.
Posts elsewhere that name the channel wait for it to exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.incidents.context import Context
from bot.incidents.tables import Incident
from bot.incidents.views import DeclareResult, Outcome, Post
from bot.outbox import effects as outbox
from bot.outbox.notice_codec import notice_to_json


class _Effects:
    """The effects of one operation, written by :meth:`write` in the order they were added: one query for
    the keys that exist already and one flush (:func:`bot.outbox.effects.add_all`) instead of both per
    row; the same rows as adding each in turn."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.keys: set[str] = set()
        self._stored: dict[str, bool] = {}

    def add(self, **effect: Any) -> None:
        self.rows.append(effect)
        self.keys.add(effect["key"])

    def exists(self, session: Session, key: str) -> bool:
        """Whether a row with ``key`` is stored or written by this operation before now."""
        if key in self.keys:
            return True
        if key not in self._stored:
            self._stored[key] = outbox.exists(session, key)
        return self._stored[key]

    def write(self, session: Session) -> None:
        outbox.add_all(session, self.rows)
        self.rows = []


def record(session: Session, ctx: Context, key: str, result: Any) -> None:
    """Write the effects ``result`` asks for, and the answer to ``ctx.reply_to``. A result that carries an
    :class:`Outcome` (a follow-up's or a review draft's) writes that outcome's effects."""
    if isinstance(getattr(result, "outcome", None), Outcome):
        result = result.outcome
    if not isinstance(result, (DeclareResult, Outcome)):
        return
    at = ctx.now()
    incident = session.get(Incident, result.incident.id)
    if incident is None:
        return
    out = _Effects()
    written: list[str] = []
    if isinstance(result, DeclareResult):
        written += _declaration(out, session, config=ctx.config(), result=result, at=at)
        posts = result.announcements
    else:
        posts = result.posts
        if result.invite:
            written += _invite(out, incident, key=f"{key}:invite", users=list(result.invite), unknown=[],
                               why=result.message[:120], at=at)
    written += [k for p in posts for k in _post(out, session, ctx.config(), incident, p, at=at)]
    if ctx.reply_to:
        _reply(out, incident, key=f"{key}:reply", to=ctx.reply_to, result=result, written=written, at=at)
    out.write(session)


def _declaration(out: _Effects, session: Session, *, config: Any, result: DeclareResult, at: datetime) -> list[str]:
    plan, incident_id = result.channel, result.incident.id
    lane, base = outbox.incident_lane(incident_id), f"incident:{incident_id}"
    keys = [outbox.channel_key(incident_id)]
    out.add(key=keys[0], kind="create_channel", incident_id=incident_id, at=at, lane=lane,
            payload={"name": plan.name, "private": plan.private})
    incident = session.get(Incident, incident_id)
    keys += _invite(out, incident, key=f"{base}:invite", users=list(plan.invite), unknown=list(plan.not_invitable),
                    why="declared", at=at)

    def post(index: int) -> None:
        welcome_key = f"{base}:welcome:{index}"
        out.add(key=welcome_key, kind="post", incident_id=incident_id, at=at, lane=lane,
                recipient=outbox.INCIDENT_CHANNEL, payload={"notice": notice_to_json(plan.welcome[index])})
        keys.append(welcome_key)

    if plan.welcome:
        post(0)
    if plan.topic:
        out.add(key=f"{base}:topic", kind="topic", incident_id=incident_id, at=at, lane=lane,
                payload={"topic": plan.topic})
    for index in range(1, len(plan.welcome)):
        post(index)
    if plan.welcome:
        out.add(key=f"{base}:pin", kind="pin", incident_id=incident_id, at=at, lane=lane,
                payload={"message_key": f"{base}:welcome:0"})
    for index, mark in enumerate(plan.bookmarks):
        out.add(key=f"{base}:bookmark:{index}", kind="bookmark", incident_id=incident_id, at=at,
                lane=lane, payload={"title": mark.title, "url": mark.url})
    return keys


def _invite(out: _Effects, incident: Incident | None, *, key: str, users: list[str], unknown: list[str],
            why: str, at: datetime) -> list[str]:
    if incident is None or not (users or unknown):
        return []
    out.add(key=key, kind="invite", incident_id=incident.id, at=at, lane=outbox.incident_lane(incident.id),
            payload={"users": list(dict.fromkeys(users)), "unknown": unknown, "why": why})
    return [key]


def _post(out: _Effects, session: Session, config: Any, incident: Incident, post: Post, *, at: datetime) -> list[str]:
    notice, after = post.notice, None
    if post.target == "incident_channel":
        recipient, lane = outbox.INCIDENT_CHANNEL, outbox.incident_lane(incident.id)
    else:
        if post.target == "user":
            recipient = post.to
        elif post.target == "channel":
            recipient = "#" + post.to.lstrip("#")
        else:  # a user group: told in the feed channel, mentioning the group
            from dataclasses import replace

            recipient = "#" + config.settings.incidents_channel.lstrip("#")
            notice = replace(notice, mention_groups=tuple(dict.fromkeys(notice.mention_groups + (post.to.lstrip("@"),))))
        lane = f"incident:{incident.id}:to:{recipient}"
        if not incident.channel_id and out.exists(session, outbox.channel_key(incident.id)):
            after = outbox.channel_key(incident.id)  # it names the channel: wait until it exists
    out.add(key=post.key, kind="post", incident_id=incident.id, at=at, recipient=recipient, lane=lane,
            after_key=after, payload={"notice": notice_to_json(notice)})
    return [post.key]


def _reply(out: _Effects, incident: Incident, *, key: str, to: dict[str, Any], result: Any, written: list[str],
           at: datetime) -> None:
    declare = isinstance(result, DeclareResult)
    waits = [outbox.channel_key(incident.id)] if declare else written
    out.add(key=key, kind="reply", incident_id=incident.id, at=at, recipient="reply",
            payload={"to": dict(to), "operation": "declare" if declare else "",
                     "message": "" if declare else result.message, "waits_for": waits})
