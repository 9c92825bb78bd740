"""Channel membership, asked of Slack: who counts as a member of an incident channel for private-incident reads.

The incident service asks ``is_member(channel, user)`` only when it matters
(a private incident, a reader outside the response team).  A failed lookup
grants nothing: the service treats it as "not a member".
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.slack.client import pages


class ChannelMembership:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def is_member(self, channel_id: str, user_id: str) -> bool:
        for page in pages(self.client.conversations_members, channel=channel_id, limit=1000):
            if user_id in (page.get("members") or []):
                return True
        return False
