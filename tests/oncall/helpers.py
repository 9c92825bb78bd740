"""Builders shared by the on-call tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.oncall.conftest import one_rotation, person, site


def local(text: str, zone: str = "Europe/Berlin") -> datetime:
    """'2026-03-04 07:39' in ``zone`` as an aware datetime (not on a DST edge in these tests)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def team_config(write_config, rules: list[dict], *, exceptions: list[dict] | None = None, zone: str = "Europe/Berlin",
                holidays: dict | None = None, people_extra: dict | None = None, rotation: dict | None = None,
                extra_people: list[dict] | None = None, policies: list[dict] | None = None, overrides: list | None = None,
                closures: list[dict] | None = None):
    """anna and bea rotate weekly in ``ops`` (anna from MO 2026-03-02 09:00); boss is the fallback manager."""
    site_data = site("munich", zone, holidays=holidays) if holidays else site("munich", zone)
    if closures:
        site_data["closures"] = closures
    people_extra = people_extra or {}
    people = [person("anna", "U0ANNA001", **people_extra.get("anna", {})),
              person("bea", "U0BEA0001", **people_extra.get("bea", {})),
              person("boss", "U0BOSS001", **people_extra.get("boss", {}))] + (extra_people or [])
    rotation = dict(rotation or {})
    rotas = one_rotation(rotation.pop("participants", ["anna", "bea"]), zone=zone, **rotation)
    if policies:
        rotas["escalation_policies"] = policies
    if overrides:
        rotas["overrides"] = overrides
    profile = {"id": "base", "name": "test", "rules": [{"kind": "leave", "cite": "TEST leave"}] + rules,
               "exceptions": exceptions or []}
    return write_config(people={"sites": [site_data], "people": people}, rotas=rotas, labor=[profile])
