"""Opening the incident channel after a declaration: usable first, the rest concurrently.

1. Create the channel (the only step that may fail the declaration), record it,
   invite the reporter and post the first welcome message.  From here the
   channel is usable.
2. In the background, concurrently where Slack allows: invite the other
   responders, set the topic, post the remaining welcome messages and pin
   the first, add bookmarks, post the announcements (feed channel, people,
   groups).  A step that fails is put on the incident timeline and the
   others go on.

Every message is sent under a key derived from the incident, so a retried
request or a double click never posts twice.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Callable

from bot.incidents.views import DeclareResult, IncidentView, Post
from bot.ports import ChatError
from bot.slack.delivery import deliver
from bot.slack.services import SlackServices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenedChannel:
    incident: IncidentView
    channel_id: str
    channel_name: str
    background: tuple[Future, ...] = ()


def open_channel(services: SlackServices, result: DeclareResult, *,
                 actor: str, key: str) -> OpenedChannel | None:
    """Make the channel usable, start the slower steps; None when another request is already doing it."""
    incident, plan = result.incident, result.channel
    if result.replayed:
        if incident.channel_id:
            return OpenedChannel(incident, incident.channel_id, incident.channel_name or "")
        return None  # the first request for this key is still opening the channel
    chat = services.chat
    channel_id, name = chat.create_channel(plan.name, private=plan.private)
    services.incidents.record_channel(incident.id, channel_id, name, key=f"{key}:channel", actor=actor)
    incident = services.incidents.get(incident.number)
    reporter = plan.invite[:1]
    if reporter:
        chat.invite(channel_id, reporter)
    welcome_key = f"incident:{incident.id}:welcome"
    first_ts = chat.post(channel_id, plan.welcome[0], key=f"{welcome_key}:0") if plan.welcome else None

    def best_effort(step: str, fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except ChatError as exc:
                log.warning("%s: %s failed: %s", incident.label, step, exc)
                services.incidents.record_side_effect_failure(incident.id, step, str(exc), actor="system",
                                                              key=f"{key}:failed:{step}")
        return run

    def rest_of_welcome() -> None:
        for index, notice in enumerate(plan.welcome[1:], start=1):
            best_effort(f"post welcome message {index + 1}",
                        lambda n=notice, i=index: chat.post(channel_id, n, key=f"{welcome_key}:{i}"))()
        if first_ts:
            best_effort("pin the welcome message", lambda: chat.pin(channel_id, first_ts))()

    feed = services.config().settings.incidents_channel
    steps: list[tuple[str, Callable[[], object]]] = []
    if plan.invite[1:]:
        steps.append(("invite responders", lambda: chat.invite(channel_id, plan.invite[1:])))
    if plan.topic:
        steps.append(("set the topic", lambda: chat.set_topic(channel_id, plan.topic)))
    steps.append(("welcome messages", rest_of_welcome))
    for mark in plan.bookmarks:
        steps.append((f"bookmark {mark.title}", lambda m=mark: chat.bookmark(channel_id, m.title, m.url)))
    for post in result.announcements:
        steps.append((_describe(post), lambda p=post: deliver(chat, services.directory, p, incident, feed)))
    futures = tuple(services.in_background(best_effort(step, fn)) for step, fn in steps)
    return OpenedChannel(incident, channel_id, name, futures)


def deliver_posts(services: SlackServices, incident: IncidentView, posts: tuple[Post, ...]) -> list[str]:
    """Deliver an operation's posts in order; failures go on the timeline. Returns the failures."""
    feed = services.config().settings.incidents_channel
    failures: list[str] = []
    for post in posts:
        try:
            deliver(services.chat, services.directory, post, incident, feed)
        except ChatError as exc:
            step = _describe(post)
            failures.append(f"{step}: {exc}")
            log.warning("%s: %s failed: %s", incident.label, step, exc)
            services.incidents.record_side_effect_failure(incident.id, step, str(exc), actor="system",
                                                          key=f"{post.key}:failed")
    return failures


def _describe(post: Post) -> str:
    where = {"incident_channel": "the incident channel", "channel": f"#{post.to}", "user": f"user {post.to}",
             "user_group": f"group {post.to}"}[post.target]
    return f"post {post.notice.kind} to {where}"


def wait_all(opened: OpenedChannel, timeout: float | None = None) -> None:
    wait(opened.background, timeout=timeout)
