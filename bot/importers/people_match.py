"""Matching the vendor's users to people.yaml, and drafting the ones who are not there yet."""

from __future__ import annotations

from typing import Any

from bot.importers.draft import Draft, Unmapped, slug
from bot.oncall.team import team_of


class PeopleMatcher:
    """Vendor user -> person id: an explicit ``--person`` mapping, else the same id, name or e-mail name.

    A user matching nobody becomes a draft person at ``site`` with a placeholder Slack id, and the
    placeholder is listed as not mapped (the export has no Slack ids).
    """

    def __init__(self, config, mapping: dict[str, str], site: str | None) -> None:
        self.team = team_of(config)
        self.mapping = {k.casefold(): v for k, v in mapping.items()}
        sites = [s.id for s in (config.one("people").sites if config.one("people") else [])]
        self.site = site or (sites[0] if sites else None)
        self.by_name = {p.name.casefold(): pid for pid, p in self.team.people.items()}
        self.drafted: dict[str, str] = {}  # vendor key -> drafted person id

    def person(self, draft: Draft, *, vendor_id: str, name: str = "", email: str = "", vendor: str) -> str | None:
        keys = [k for k in (vendor_id, email, name) if k]
        for key in keys:
            if key.casefold() in self.mapping:
                return self.mapping[key.casefold()]
        local = email.split("@")[0] if email else ""
        for candidate in (slug(local) if local else "", slug(name) if name else ""):
            if candidate and candidate in self.team.people:
                return candidate
        if name and name.casefold() in self.by_name:
            return self.by_name[name.casefold()]
        key = vendor_id or email or name
        if key in self.drafted:
            return self.drafted[key]
        return self._draft(draft, key, name or local or vendor_id, vendor)

    def _draft(self, draft: Draft, key: str, name: str, vendor: str) -> str | None:
        taken = set(self.team.people) | set(self.drafted.values())
        base = slug(name, "person")
        pid, n = base, 2
        while pid in taken:
            pid, n = f"{base}-{n}", n + 1
        if self.site is None:
            draft.unmapped.append(Unmapped(f'{vendor} user "{name}" ({key})', "matches nobody in people.yaml and "
                                           "there is no site to place a new person at; add them to people.yaml or "
                                           "map them with --person VENDOR_ID=PERSON"))
            return None
        placeholder = f"UIMPORT{len(self.drafted) + 1:03d}"
        entry: dict[str, Any] = {"id": pid, "name": name, "slack": placeholder, "site": self.site,
                                 "contract": {"oncall_agreement": True}}
        draft.people.append(entry)
        self.drafted[key] = pid
        draft.unmapped.append(Unmapped(f'person "{pid}" ({vendor} user {key})',
                                       f"the export has no Slack user id: replace the placeholder {placeholder} in "
                                       "people.fragment.yaml with theirs, and check the site "
                                       f'"{self.site}" (zone, holidays, labor profile) and the on-call agreement'))
        return pid
