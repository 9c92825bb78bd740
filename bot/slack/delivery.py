"""Delivering the lifecycle's :class:`~bot.incidents.views.Post` items through the gateway, by key."""

from __future__ import annotations

import logging
import threading

from bot.incidents.views import IncidentView, Post
from bot.ports import ChatError
from bot.slack.client import pages
from bot.slack.gateway import SlackGateway

log = logging.getLogger(__name__)


class ChannelDirectory:
    """Channel names (the feed channel in settings) to ids, looked up once via conversations.list."""

    def __init__(self, gateway: SlackGateway) -> None:
        self.gateway = gateway
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def id_of(self, name: str) -> str:
        name = name.lstrip("#")
        if name.startswith(("C", "G")) and name.upper() == name:
            return name  # already an id
        with self._lock:
            if name in self._ids:
                return self._ids[name]
        for page in pages(self.gateway.client.conversations_list, types="public_channel,private_channel", limit=1000,
                          exclude_archived=True):
            for channel in page.get("channels") or []:
                with self._lock:
                    self._ids[channel["name"]] = channel["id"]
        with self._lock:
            if name not in self._ids:
                raise ChatError(f'channel "#{name}" not found; create it or fix incidents_channel in config/settings.yaml',
                                code="channel_not_found")
            return self._ids[name]


def deliver(gateway: SlackGateway, directory: ChannelDirectory, post: Post, incident: IncidentView,
            feed_channel: str) -> str:
    """Send one post; returns the message ts. Raises ChatError when Slack refuses after retries."""
    if post.target == "incident_channel":
        if not incident.channel_id:
            raise ChatError(f"{incident.label} has no channel yet", code="no_channel")
        return gateway.post(incident.channel_id, post.notice, key=post.key)
    if post.target == "user":
        return gateway.direct_message(post.to, post.notice, key=post.key)
    if post.target == "channel":
        return gateway.post(directory.id_of(post.to), post.notice, key=post.key)
    # user_group: announce in the feed channel, addressed to the group by name
    return gateway.post(directory.id_of(feed_channel), post.notice, key=post.key)
