"""Who may see the on-call report in the web view: admins, auditors and the rotations' fallback managers.

The report holds every person's on-call, night and holiday hours and pages:
pay data.  It is for the people who keep the rotas and pay for them (the
managers named as ``fallback`` of a rotation), admins (``settings.admins``)
and auditors (``auditors:`` in config/permissions.yaml); anyone else gets
"not found".
"""

from __future__ import annotations

from bot.incidents.permissions import permissions
from bot.oncall.directory import slack_user_of


def _slack(config, member: str) -> str | None:
    if member[:1] in ("U", "W") and member.upper() == member:
        return member
    try:
        return slack_user_of(config, member)
    except (KeyError, ValueError):
        return None


def may_see_report(config, user: str) -> bool:
    if user in set(config.settings.admins):
        return True
    if any(_slack(config, m) == user for m in permissions(config).auditors):
        return True
    rotas = config.one("rotas")
    managers = {r.fallback for r in rotas.rotations} if rotas else set()
    return any(_slack(config, m) == user for m in managers)
