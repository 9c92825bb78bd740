"""``config/settings.yaml``: workspace-wide settings."""

from __future__ import annotations

from pydantic import Field

from bot.config.types import ConfigModel, SlackUserId, TimeZoneName


class SettingsFile(ConfigModel):
    organisation: str = Field("Example Org", description="organisation name shown in messages and exports")
    timezone: TimeZoneName = Field("UTC", description="zone for people whose own zone is unknown")
    incidents_channel: str = Field("incidents", description="feed channel where declarations are announced")
    channel_prefix: str = Field("inc", description="default prefix of incident channel names")
    admins: list[SlackUserId] = Field(default_factory=list, description="Slack users with every permission")
    retention_days: int = Field(365, ge=1, description="days after close before `bot purge` redacts free text")
    shift_reminder_hours: float = Field(24.0, ge=0, le=24 * 14,
                                        description="remind people this many hours before their on-call period "
                                                    "begins (0: no shift reminders)")
    reload_poll_seconds: float = Field(2.0, gt=0, description="how often a running bot checks config files for edits")
