"""Filling the Slack double with what a configuration names: its people, channels and user groups.

A real workspace already has them; the double starts empty. The drill and
``python -m bot.slack.double --config-dir config`` seed it from the same
configuration the bot reads, so what the bot looks up exists.
"""

from __future__ import annotations

from typing import Any

from bot.oncall.directory import person_ids, person_timezone, slack_user_of
from bot.slack.double.model import SlackModel


def channels_named(config: Any) -> set[str]:
    names = {config.settings.incidents_channel, config.settings.operators_channel}
    names.update(c for playbook in config.all("playbook") for note in playbook.notifications for c in note.channels)
    return {n.lstrip("#") for n in names}


def groups_named(config: Any) -> set[str]:
    return {g for playbook in config.all("playbook") for note in playbook.notifications for g in note.user_groups}


def seed(model: SlackModel, config: Any) -> None:
    for person in sorted(person_ids(config)):
        model.add_user(slack_user_of(config, person), name=person, tz=person_timezone(config, person))
    for name in sorted(channels_named(config)):
        model.add_channel(name)
    for handle in sorted(groups_named(config)):
        model.add_usergroup(handle)
