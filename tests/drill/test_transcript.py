"""The drill's transcript shows each message as its reader would have seen it in Slack."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.drill.transcript import Entry, render
from bot.ports import Notice


def test_instants_in_a_message_are_shown_in_the_readers_zone():
    notice = Notice(kind="milestone", title="INC-1 mitigated",
                    lines=("Mitigated at 2026-12-25T04:00+00:00 (set by U0KATRIN1).", "the impact stopped growing"))
    entry = Entry(at=datetime(2026, 12, 25, 4, 0, tzinfo=timezone.utc), audience="#inc-1-sec",
                  zone="America/Los_Angeles", notice=notice, key="k", direct=False, to="C0INC00001")
    text = render(entry, name_of=lambda u: {"U0KATRIN1": "Katrin Vogel"}[u])
    # 04:00 UTC on 25 December is 20:00 the day before in Los Angeles (PST, UTC-8).
    assert text.splitlines()[0] == "[Thu 24 Dec 20:00 PST] #inc-1-sec"
    assert "Mitigated at Thu 24 Dec 20:00 PST (set by @Katrin Vogel)." in text
    assert "2026-12-25T04:00" not in text
