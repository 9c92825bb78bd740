"""``config/settings.yaml``: workspace-wide settings."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from bot.config.types import ConfigModel, SlackUserId, TimeZoneName

_CHANNEL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")


def _channel_name(value: str) -> str:
    """A Slack channel name as Slack allows it (with or without a leading #), stored without the #."""
    name = value.removeprefix("#")
    if not _CHANNEL_NAME.fullmatch(name):
        raise ValueError(f'expected a Slack channel name like "incident-ops" (lowercase letters, digits, - and _, '
                         f'at most 80), got "{value[:60]}"')
    return name


ChannelName = Annotated[str, AfterValidator(_channel_name),
                        WithJsonSchema({"type": "string", "pattern": r"^#?[a-z0-9][a-z0-9_-]{0,79}$"})]


class SettingsFile(ConfigModel):
    organisation: str = Field("Example Org", description="organisation name shown in messages and exports")
    timezone: TimeZoneName = Field("UTC", description="zone for people whose own zone is unknown")
    incidents_channel: str = Field("incidents", description="feed channel where declarations are announced")
    operations_channel: ChannelName | None = Field(
        None, description="channel told what went wrong outside any incident (a rejected configuration edit, a "
                          "message that could not be delivered, an alert that paged nobody); default: "
                          "incidents_channel")
    audit_channel: ChannelName | None = Field(
        None, description="channel where every signed audit checkpoint is published (number, time, chains, the "
                          "sha256 of its anchor line and of the previous one, the key id), a copy outside the "
                          "bot's host that `incident-bot audit published` reads back; default: none (not published "
                          "in Slack)")
    channel_prefix: str = Field("inc", description="default prefix of incident channel names")
    admins: list[SlackUserId] = Field(default_factory=list, description="Slack users with every permission")
    retention_days: int = Field(365, ge=1, le=36_500, description="days after close before `bot purge` redacts free text (at most a hundred years)")
    shift_reminder_hours: float = Field(24.0, ge=0, le=24 * 14,
                                        description="remind people this many hours before their on-call period "
                                                    "begins (0: no shift reminders)")
    status_confirmations_per_hour: int = Field(
        30, ge=1, le=10000, description="the status page's subscribe form sends at most this many confirmation mails "
                                        "an hour, over every address (each address at most one a day)")
    reload_poll_seconds: float = Field(2.0, gt=0, description="how often a running bot checks config files for edits")

    @property
    def operators_channel(self) -> str:
        """Where the people who run the bot are told: ``operations_channel``, else ``incidents_channel``."""
        return self.operations_channel or self.incidents_channel.lstrip("#")
